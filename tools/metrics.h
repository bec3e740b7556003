/*
 * The per-run metrics of the baseline and their statistics.  A metric is
 * valid only when it was measured on that run; an invalid one carries the
 * reason, which the writers print next to its null.
 */
#ifndef PERFPROF_METRICS_H
#define PERFPROF_METRICS_H

#include "runner.h"
#include "shimdata.h"

enum metric {
	M_WALL_MS, /* spawn to exit of the main process (runner) */
	M_CPU_MS,  /* user+sys of the whole tree (wait4) */
	M_USER_MS,
	M_SYS_MS,
	M_PEAK_RSS_MB,	/* largest ru_maxrss of the tree (wait4) */
	M_MEM_DELTA_MB, /* heap still allocated at exit, summed (shim) */
	M_HEAP_PEAK_MB, /* sum of per-process heap peaks (shim) */
	M_IO_READ,	/* bytes the program read (shim) */
	M_IO_WRITE,
	M_K_RCHAR, /* the kernel's rchar/wchar (shim's io.kernel) */
	M_K_WCHAR,
	M_CONNECTS,
	M_ROUND_TRIPS,
	M_HTTP_RT,
	M_DNS,
	M_LOCK_WAIT_MS,
	M_PROCS,   /* processes that ran with the shim */
	M_GPU_PCT, /* NVML utilization, when the tree loads CUDA */
	M_COUNT
};

struct metric_def {
	const char *key;   /* name in baseline.json and report.html */
	const char *label; /* human label */
	const char *unit;  /* "ms", "MB", "bytes", "" */
};

extern const struct metric_def metric_defs[M_COUNT];

struct run_metrics {
	double v[M_COUNT];
	unsigned char valid[M_COUNT];
	const char *why[M_COUNT]; /* reason when !valid (static strings) */
};

/* Fills m from a finished run and its shim reports (shim may be NULL or
 * empty: then the shim's metrics are invalid with shim_reason).  gpu_pct < 0
 * means not measured, with gpu_reason. */
void metrics_from_run(struct run_metrics *m, const struct run_status *st,
		      const struct shim_set *shim, const char *shim_reason, double gpu_pct,
		      const char *gpu_reason);

struct metric_stats {
	int valid;
	const char *why;
	int n;
	double median, mean, stddev, min, max;
	double spread_pct; /* (max - min) / median * 100; 0 when median is 0 */
};

/* Statistics of metric k over n runs: invalid as soon as one run is. */
void metric_stats(const struct run_metrics *runs, int n, enum metric k, struct metric_stats *out);

/* Median of n values (sorted copy); 0 for n == 0. */
double stat_median(const double *v, int n);
/* Sample standard deviation (n - 1), as hyperfine reports it; 0 for n < 2. */
double stat_stddev(const double *v, int n);

#endif
