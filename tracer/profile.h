/*
 * The report side: a sample file loaded into memory (profile_load), its
 * addresses turned into functions (symbols.c), and the aggregates every
 * output format is written from (aggregate.c): functions, a call tree per
 * process, waits, threads and processes.
 *
 * Ownership: everything hangs off struct profile and is freed by
 * profile_free(); strings inside are owned by it.
 */
#ifndef PERFTRACE_PROFILE_H
#define PERFTRACE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "tfile.h"

struct rmodule {
	uint32_t id;
	int kind;
	char *path;
	unsigned char build_id[64];
	size_t build_id_len;
	uint64_t dev, ino, size, mtime_ns;
	const unsigned char *image; /* vdso bytes, inside the loaded file */
	uint32_t image_len;
	void *sym; /* struct modsyms *, opened on first use */
	int sym_tried;
	char *problem; /* why its names could not be read, or NULL */
};

struct rmap {
	uint64_t start, end, vaddr;
	struct rmodule *mod;
};

struct rproc {
	uint32_t pid, ppid;
	uint32_t image; /* exec count of the last image */
	char *exe, *comm;
	char **argv;
	uint32_t argc;
	uint64_t start_ns, end_ns;
	int32_t status; /* wait status, -1 unknown */
	int ended;
	uint64_t samples;
	struct rmap *maps;
	size_t nmaps, capmaps;
};

struct rthread {
	uint32_t tid, pid;
	char comm[32];
	uint64_t start_ns, end_ns;
	int ended;
	uint64_t samples, lost;
	uint64_t first_sample_ns, last_sample_ns;
	uint64_t states[TS_NR];
};

struct rwait {
	uint32_t id;
	int state;
	char *target;
};

/* A code address resolved to a module-relative one, shared by every sample. */
struct rloc {
	struct rmodule *mod; /* NULL: outside every known mapping */
	uint64_t addr;	     /* ELF address in mod, or the raw address */
	/* filled by symbols.c: the function frames at this address, innermost first */
	uint32_t first_frame, nframes;
};

/* A function, one per (name, module). */
struct rfunc {
	char *name;
	struct rmodule *mod;
	char *file; /* declaration, or NULL */
	int line;
	int system; /* in a system library (libc, ld.so, the vdso, ...) */
	uint64_t self, total;
	uint64_t states[TS_NR]; /* over the samples it is on the stack of */
	uint32_t mark;		/* scratch: last sample it was counted in */
};

/* A frame of an expanded stack: a function and the source line in it. */
struct rframe {
	uint32_t func;
	const char *file; /* interned in the symbol tables */
	int line;
};

struct rsample {
	uint32_t tid, pid;
	uint64_t time_ns;
	uint32_t stop_ns, late_ns, hold_ns;
	uint8_t state, flags;
	uint16_t weight; /* ticks this sample stands for (>= 1) */
	int32_t syscall;
	uint32_t wait_id;
	uint32_t first_loc, nlocs; /* into profile.sloc, innermost first */
};

struct profile {
	struct tf_header hdr;
	void *file;
	size_t file_len;
	int truncated;	   /* no TF_END: cut short (perftrace was killed) */
	int malformed;	   /* stopped at a damaged record */
	size_t bad_offset; /* where */
	struct tf_end end; /* valid when !truncated */
	uint64_t last_ns;  /* latest time seen in any record */

	struct rmodule *mods;
	size_t nmods, capmods;
	struct rproc *procs;
	size_t nprocs, capprocs;
	struct rthread *threads;
	size_t nthreads, capthreads;
	struct rwait *waits;
	size_t nwaits, capwaits;
	struct rsample *samples;
	size_t nsamples, capsamples;
	uint32_t *sloc; /* loc ids of every sample's stack */
	size_t nsloc, capsloc;
	struct rloc *locs;
	size_t nlocs, caplocs;
	struct hmap loc_map;	/* (module, addr) -> loc */
	struct hmap thread_map; /* tid -> thread */
	struct hmap mod_map;	/* module id -> module */

	/* symbols.c */
	struct rfunc *funcs;
	size_t nfuncs, capfuncs;
	struct rframe *frames; /* of every loc */
	size_t nframes, capframes;
	struct hmap func_map;
	char **strs; /* interned strings */
	size_t nstrs, capstrs;
	struct hmap str_map;
	int symbolized;
};

/*
 * Loads path.  Returns 0, -ENOENT/-EACCES/... (cannot read), -EINVAL (not a
 * sample file), -ENOTSUP (written by a newer perftrace).  A file cut short
 * or damaged after its header loads what came before it; p->truncated and
 * p->malformed say so.
 */
int profile_load(struct profile *p, const char *path);
void profile_free(struct profile *p);
struct rthread *profile_thread(struct profile *p, uint32_t tid);
struct rproc *profile_proc(struct profile *p, uint32_t pid);
const struct rwait *profile_wait(const struct profile *p, uint32_t id);

/* symbols.c: resolves every loc to frames.  Returns 0 or -ENOMEM. */
int profile_symbolize(struct profile *p);
void symbols_free(struct profile *p);
/* A symbol's name for people: C++ demangled, without its @VERSION; malloc'd. */
char *symbols_demangle(const char *sym);
/* The module's Dwfl_Module (opened on first use), or NULL when it cannot be read. */
void *symbols_dwfl_module(struct rmodule *m);
/* The expanded function frames of sample s, innermost first; returns the count. */
size_t profile_stack(const struct profile *p, const struct rsample *s, const struct rframe **out,
		     struct rframe **scratch, size_t *scratch_cap);
/* The module-relative address of a sample's frame i, for annotate. */
const struct rloc *profile_loc(const struct profile *p, const struct rsample *s, size_t i);

/*
 * aggregate.c: the call tree, merged from the root with a process level at
 * the top (node 0 is the root of everything, its children are processes),
 * and the summaries the reports print.
 */
struct tnode {
	uint32_t func;				    /* UINT32_MAX: the root or a process node */
	uint32_t pid;				    /* process nodes */
	uint32_t parent, first_child, next_sibling; /* UINT32_MAX: none */
	uint64_t self, total;
	uint64_t states[TS_NR];
};

struct wfunc {
	uint32_t wait_id, func;
	uint64_t samples;
};

struct wsum {
	uint32_t wait_id;
	uint64_t samples;
	struct wfunc **top; /* by samples, descending */
	size_t ntop;
};

struct agg {
	struct tnode *nodes;
	size_t nnodes, capnodes;
	struct hmap child_map; /* (parent, func) -> node */
	struct wfunc *wf;
	size_t nwf, capwf;
	struct hmap wf_map;
	struct wsum *ws; /* by samples, descending */
	size_t nws;
	uint32_t *by_self, *by_total; /* function indices, sorted */
	uint64_t samples, late, lost, truncated_stacks, restarted, repeated;
	uint64_t stop_median_ns, stop_p99_ns, stop_max_ns;
	double stop_mean_ns;
	uint64_t hold_median_ns, hold_p99_ns;
	double period_ns; /* measured: thread time / samples */
	uint64_t duration_ns;
	uint64_t states[TS_NR];
};

/* Symbolizes and aggregates; returns 0 or -ENOMEM. */
int profile_aggregate(struct profile *p, struct agg *a);
void agg_free(struct agg *a);
/* The function a blocked sample waited in: the innermost one outside system libraries. */
uint32_t waiting_func(const struct profile *p, const struct rframe *st, size_t n);

/* Names of the states, in enum tf_state order: "cpu", "io_file", ... */
extern const char *const state_names[TS_NR];

#endif
