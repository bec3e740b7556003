/*
 * Unwinding a stopped thread's stack after it was resumed, from the copy
 * taken while it was stopped: libunwind's DWARF unwinder driven by our own
 * accessors (memory from the stack copy and from the mapped ELF files,
 * procedure info from .eh_frame_hdr), one address space per process image.
 */
#ifndef PERFTRACE_UNWIND_H
#define PERFTRACE_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "modules.h"

struct unwinder {
	void *as; /* unw_addr_space_t */
};

struct unwind_input {
	const struct user_regs_struct *regs;
	const unsigned char *stack; /* copy of the target's memory from stack_start */
	uint64_t stack_start;
	size_t stack_len;
	const struct vmas *vmas;
};

/* Returns 0 or -ENOMEM. */
int unwinder_init(struct unwinder *u);
/* Forgets cached procedure info (call when the process's mappings change). */
void unwinder_flush(struct unwinder *u);
void unwinder_destroy(struct unwinder *u);
/*
 * Fills pcs[] innermost first (pcs[0] is the interrupted instruction, the
 * others are return addresses).  Returns the number of frames (>= 1);
 * *truncated is set when the unwind stopped before the outermost frame: 2
 * when it stopped at an address outside every known mapping (the caller's
 * mappings may be out of date), 1 otherwise.  ra_off (NULL, or room for max
 * entries) gets, for each frame i >= 1, the offset from stack_start of the
 * word that holds its return address, UINT32_MAX where that is not a plain
 * call's slot (a signal frame).
 */
int unwind_stack(struct unwinder *u, const struct unwind_input *in, uint64_t *pcs, int max,
		 int *truncated, uint32_t *ra_off);

#endif
