/*
 * Baseline metrics of one run, and statistics over the counted runs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jget.h"
#include "metrics.h"

const struct metric_def metric_defs[M_COUNT] = {
    [M_WALL_MS] = {"wall_time_ms", "wall time", "ms"},
    [M_CPU_MS] = {"cpu_time_ms", "CPU time (user+sys, process tree)", "ms"},
    [M_USER_MS] = {"user_time_ms", "user CPU", "ms"},
    [M_SYS_MS] = {"system_time_ms", "system CPU", "ms"},
    [M_PEAK_RSS_MB] = {"memory_peak_mb", "peak RSS (largest process)", "MB"},
    [M_MEM_DELTA_MB] = {"memory_delta_mb", "heap still allocated at exit", "MB"},
    [M_HEAP_PEAK_MB] = {"heap_peak_mb", "heap peak (sum over processes)", "MB"},
    [M_IO_READ] = {"io_read_bytes", "bytes read", "bytes"},
    [M_IO_WRITE] = {"io_write_bytes", "bytes written", "bytes"},
    [M_K_RCHAR] = {"kernel_rchar_bytes", "bytes read (kernel rchar)", "bytes"},
    [M_K_WCHAR] = {"kernel_wchar_bytes", "bytes written (kernel wchar)", "bytes"},
    [M_CONNECTS] = {"connects", "connects", ""},
    [M_ROUND_TRIPS] = {"round_trips", "request/response round trips", ""},
    [M_HTTP_RT] = {"http_round_trips", "HTTP round trips", ""},
    [M_DNS] = {"dns_lookups", "DNS lookups", ""},
    [M_LOCK_WAIT_MS] = {"lock_wait_ms", "lock wait", "ms"},
    [M_PROCS] = {"processes", "processes", ""},
    [M_GPU_PCT] = {"gpu_utilization_pct", "GPU utilization", "%"},
};

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static void set(struct run_metrics *m, enum metric k, double v)
{
	m->v[k] = v;
	m->valid[k] = 1;
	m->why[k] = NULL;
}

static void unset(struct run_metrics *m, enum metric k, const char *why)
{
	m->v[k] = 0;
	m->valid[k] = 0;
	m->why[k] = why;
}

void metrics_from_run(struct run_metrics *m, const struct run_status *st,
		      const struct shim_set *shim, const char *shim_reason, double gpu_pct,
		      const char *gpu_reason)
{
	int have_shim = shim && shim->n > 0;

	memset(m, 0, sizeof(*m));
	set(m, M_WALL_MS, (double)st->wall_ns / 1e6);
	set(m, M_USER_MS, tv_ms(&st->ru.ru_utime));
	set(m, M_SYS_MS, tv_ms(&st->ru.ru_stime));
	set(m, M_CPU_MS, m->v[M_USER_MS] + m->v[M_SYS_MS]);
	set(m, M_PEAK_RSS_MB, (double)st->ru.ru_maxrss / 1024.0);
	if (!have_shim) {
		const char *why = shim_reason ? shim_reason : "no shim report";

		for (int k = M_MEM_DELTA_MB; k <= M_PROCS; k++)
			unset(m, k, why);
	} else {
		set(m, M_MEM_DELTA_MB,
		    (double)shim_sum(shim, "heap.live_bytes") / (1024.0 * 1024.0));
		set(m, M_HEAP_PEAK_MB,
		    (double)shim_sum(shim, "heap.peak_live_bytes") / (1024.0 * 1024.0));
		set(m, M_IO_READ, (double)shim_sum(shim, "io.read.bytes"));
		set(m, M_IO_WRITE, (double)shim_sum(shim, "io.write.bytes"));
		set(m, M_K_RCHAR, (double)shim_sum(shim, "io.kernel.rchar"));
		set(m, M_K_WCHAR, (double)shim_sum(shim, "io.kernel.wchar"));
		set(m, M_CONNECTS, (double)shim_sum(shim, "net.connects"));
		set(m, M_ROUND_TRIPS, (double)shim_sum(shim, "net.round_trips"));
		set(m, M_HTTP_RT, (double)shim_sum(shim, "net.http_round_trips"));
		set(m, M_DNS, (double)shim_sum(shim, "net.dns.lookups"));
		set(m, M_LOCK_WAIT_MS, (double)shim_sum(shim, "locks.wait_ns") / 1e6);
		set(m, M_PROCS, (double)shim_npids(shim));
	}
	if (gpu_pct >= 0)
		set(m, M_GPU_PCT, gpu_pct);
	else
		unset(m, M_GPU_PCT, gpu_reason ? gpu_reason : "not measured");
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stat_median(const double *v, int n)
{
	double *s, r;

	if (n <= 0)
		return 0;
	s = malloc(sizeof(*s) * (size_t)n);
	if (!s)
		return v[0];
	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_dbl);
	r = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return r;
}

double stat_stddev(const double *v, int n)
{
	double mean = 0, ss = 0;

	if (n < 2)
		return 0;
	for (int i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return sqrt(ss / (n - 1));
}

void metric_stats(const struct run_metrics *runs, int n, enum metric k, struct metric_stats *out)
{
	double vals[256];

	memset(out, 0, sizeof(*out));
	if (n <= 0) {
		out->why = "no counted run";
		return;
	}
	if (n > 256)
		n = 256;
	for (int i = 0; i < n; i++) {
		if (!runs[i].valid[k]) {
			out->why = runs[i].why[k];
			return;
		}
		vals[i] = runs[i].v[k];
	}
	out->valid = 1;
	out->n = n;
	out->median = stat_median(vals, n);
	out->stddev = stat_stddev(vals, n);
	out->min = out->max = vals[0];
	for (int i = 0; i < n; i++) {
		out->mean += vals[i] / n;
		if (vals[i] < out->min)
			out->min = vals[i];
		if (vals[i] > out->max)
			out->max = vals[i];
	}
	out->spread_pct = out->median > 0 ? (out->max - out->min) / out->median * 100.0 : 0;
}
