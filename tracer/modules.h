/*
 * The recorder's view of a target's address space: the ELF files mapped in it
 * (struct elfmod, shared by every process that maps the same file) and, per
 * process, the mappings read from /proc/PID/maps (struct vmas).
 *
 * An elfmod keeps its file mapped read-only for as long as perftrace runs, so
 * that the unwinder reads unwind tables and code from the page cache instead
 * of the target's memory.
 */
#ifndef PERFTRACE_MODULES_H
#define PERFTRACE_MODULES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ELFMOD_MAX_LOAD 16

struct elfmod {
	uint32_t id; /* as written in the sample file, >= 1 */
	int kind;    /* enum tf_module_kind */
	char *path;
	uint64_t dev, ino, size, mtime_ns;
	unsigned char build_id[64];
	size_t build_id_len;
	const unsigned char *data; /* the file's bytes (mmap), or the vdso copy */
	size_t data_len;
	int is_mmap;
	int elf_ok; /* the program headers were read */
	struct {
		uint64_t vaddr, offset, filesz, memsz;
	} load[ELFMOD_MAX_LOAD];
	int nload;
	uint64_t eh_hdr_vaddr, eh_hdr_size; /* PT_GNU_EH_FRAME, size 0 if none */
	/* without PT_GNU_EH_FRAME: the table ehframe.c built from .eh_frame */
	int32_t *fde_table; /* (start, fde) pairs relative to eh_frame_vaddr, sorted */
	size_t fde_count;
	uint64_t eh_frame_vaddr;
	int written; /* its TF_MODULE record is in the file */
	struct elfmod *next;
};

struct vma {
	uint64_t start, end, pgoff;
	uint64_t vaddr; /* ELF address of start (pgoff when not an ELF mapping) */
	uint32_t prot;
	struct elfmod *mod; /* NULL: anonymous, or a file we could not open */
};

struct vmas {
	struct vma *v; /* sorted by start, not overlapping */
	size_t n;
};

/*
 * Reads /proc/TID/maps (tid: any live thread of the process) into *out
 * (replacing what it held), opening new modules as needed; the vdso is copied
 * out of the target's memory once.  Returns 0 or -errno (-ESRCH: gone).
 */
int vmas_load(struct vmas *out, pid_t tid);
void vmas_free(struct vmas *m);
/* The mapping containing addr, or NULL. */
const struct vma *vmas_find(const struct vmas *m, uint64_t addr);
/*
 * Copies len bytes at target address addr from the file or vdso image behind
 * the mapping.  Returns 0, or -EFAULT when the bytes are not file-backed.
 */
int vmas_read(const struct vmas *m, uint64_t addr, void *out, size_t len);

/*
 * ehframe.c: builds m->fde_table from the .eh_frame section of a module that
 * has no .eh_frame_hdr.  Returns 0, -ENOENT (no .eh_frame) or -ENOMEM.
 */
int ehframe_build_table(struct elfmod *m);

/* Every module opened so far, newest first. */
struct elfmod *elfmod_list(void);
/* Unmaps and frees every module. */
void elfmod_free_all(void);

#endif
