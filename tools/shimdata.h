/*
 * The reports libperfshim.so leaves in a run's PERFSHIM_OUT directory
 * (docs/shim-report.md), and the Python span files perfinject's runtime
 * writes beside them (pyspans.<pid>.json).  Each report stays a cJSON tree;
 * the driver reads it with jget.h paths.
 */
#ifndef PERFPROF_SHIMDATA_H
#define PERFPROF_SHIMDATA_H

#include <stdint.h>
#include <cjson/cJSON.h>

struct shim_proc {
	cJSON *j; /* the whole report (owned) */
	int pid, ppid, image;
	const char *exe;	/* into j */
	const char *end_reason; /* into j */
	char *cmdline;		/* argv joined by spaces (owned) */
};

struct shim_set {
	struct shim_proc *p; /* sorted by start_mono_ns, then pid, image */
	int n;
	cJSON **pyspans; /* pyspans.<pid>.json trees (owned) */
	int npyspans;
	int bad;	  /* files that could not be parsed */
	int leftover_shm; /* perfshim.*.shm files: processes that died hard */
};

/* Loads every report of dir.  0 or -errno (a missing dir is -ENOENT). */
int shim_load(const char *dir, struct shim_set *set);
void shim_free(struct shim_set *set);
/* Sum of the number at path over every report. */
uint64_t shim_sum(const struct shim_set *set, const char *path);
/* Max of the number at path over every report. */
uint64_t shim_max(const struct shim_set *set, const char *path);
/* The last image of pid (the one that ran to the end), or NULL. */
const struct shim_proc *shim_find_pid(const struct shim_set *set, int pid);
/* The report of the process that listens on addr ("127.0.0.1:8080"), or NULL. */
const struct shim_proc *shim_find_listener(const struct shim_set *set, const char *addr);
/* Distinct pids seen. */
int shim_npids(const struct shim_set *set);
/* Short service name of a process: the basename of its exe (static buffer
 * per call site is not safe: returns a pointer into p's strings). */
const char *shim_service(const struct shim_proc *p);

/* The service a process stands for in a map: its executable's basename,
 * and "#2", "#3"... for further processes of the same executable, in start
 * order (stable from run to run, unlike pids).  set may be NULL (then the
 * basename alone).  A static buffer: copy it before the next call. */
const char *shim_service_name(const struct shim_set *set, const struct shim_proc *p);

#endif
