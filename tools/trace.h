/*
 * perftrace's JSON report, indexed for the analysis: the call tree as
 * nodes with sample counts and a state breakdown, per process when the
 * report says which process a subtree belongs to, and the wait targets with
 * the functions that waited on them.
 */
#ifndef PERFPROF_TRACE_H
#define PERFPROF_TRACE_H

#include <cjson/cJSON.h>

struct prof;

enum tstate { T_CPU, T_IO_FILE, T_IO_NET, T_LOCK, T_SLEEP, T_OTHER, T_NSTATES };

struct tnode {
	const char *name, *module, *file; /* into the cJSON tree */
	int line;
	int pid;	      /* 0 when the report does not say */
	double self, total;   /* samples */
	double st[T_NSTATES]; /* samples per state under the node */
	struct tnode *parent;
	struct tnode **kids;
	int nkids;
};

struct twait {
	const char *kind, *target; /* "tcp 127.0.0.1:8080", a path, ... */
	double samples;
	const char **fn; /* functions that waited, most samples first */
	double *fn_samples;
	int nfn;
};

struct tindex {
	struct tnode *root;  /* synthetic root over everything */
	double period_ns;    /* sample period */
	double samples;	     /* all samples */
	double main_samples; /* samples of the main thread of the root process */
	double stop_median_ns, stop_p99_ns;
	struct twait *waits;
	int nwaits;
	int root_pid; /* the process perftrace started (0 unknown) */
};

extern const char *const tstate_names[T_NSTATES];

/* Builds p's trace index from p->trace (no-op without one). */
void trace_index(struct prof *p);
/* The index, or NULL. */
const struct tindex *trace_get(const struct prof *p);
/* The node named fn with the most samples (in process pid when pid > 0). */
const struct tnode *trace_find(const struct tindex *t, const char *fn, int pid);
/* The entry point: the --target function, else "main" of the root
 * process, else the root. */
const struct tnode *trace_entry(const struct prof *p);
/* The dominant state of a node and its share of the node's samples. */
enum tstate tnode_dominant(const struct tnode *n, double *share);
/* The process root (the node whose subtree is pid), or NULL. */
const struct tnode *trace_process_root(const struct tindex *t, int pid);
/* The wait on a target ending with addr ("127.0.0.1:8080"), or NULL. */
const struct twait *trace_wait_for(const struct tindex *t, const char *addr);
/* The function that waited longest on target addr, or NULL. */
const char *trace_waiter(const struct tindex *t, const char *addr);

#endif
