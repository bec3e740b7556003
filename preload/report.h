/*
 * Turning a counter file into the JSON report of docs/shim-report.md.  Used
 * by the shim at the end of an image and by `perfprof recover` for the files
 * of killed processes.  report_write() never allocates and makes no calls
 * that are not async-signal-safe, unless e->symbolize is set.
 */
#ifndef PERFSHIM_REPORT_H
#define PERFSHIM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"
#include "layout.h"

struct report_kio {
	uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled_write_bytes;
};

/* What is known at the end, beyond the counter file. */
struct report_end {
	/* A (tick, CLOCK_MONOTONIC) pair taken at the end, for the tick ratio. */
	uint64_t ratio_tick, ratio_mono_ns;
	/* The end of the image in ticks (recover: the last event recorded). */
	uint64_t end_tick;
	uint64_t end_mono_ns;
	int have_kernel;
	struct report_kio kio;
	char kernel_error[96];
	int have_rusage;
	uint64_t user_ns, sys_ns, minflt, majflt, nvcsw, nivcsw;
	int have_mem;
	uint64_t peak_rss, rss;
	/* Name heap frames with dladdr() (in the process itself, not from a signal handler). */
	int symbolize;
	/* Clock ratio unavailable (recovered after a reboot): times are null. */
	int no_clock;
};

/* Writes the report of h through sink; returns 0 or the sink's negative errno. */
int report_write(struct shm_header *h, const struct report_end *e, char *buf, size_t cap,
		 jsonw_sink_fn sink, void *ctx);
/* Parses /proc/<pid>/io text; returns 0 or -EINVAL. */
int report_parse_proc_io(const char *text, struct report_kio *out);
/* Parses VmHWM and VmRSS (bytes) from /proc/<pid>/status text; returns 0 or -EINVAL. */
int report_parse_status(const char *text, uint64_t *peak, uint64_t *rss);
/* Checks that a mapped file of `size` bytes holds a complete counter file. */
int report_check_header(const struct shm_header *h, uint64_t size);
/*
 * Renames from to to unless to exists; returns 0 or -errno (-EEXIST).
 * Where the filesystem has no RENAME_NOREPLACE (NFS, CIFS, 9p), with a hard
 * link, which fails the same way, and the removal of from.
 */
int report_rename_noreplace(int fromdfd, const char *from, int todfd, const char *to);

#endif
