/*
 * The report writers, one file each (out_<format>.c).  Each writes the
 * aggregated profile to f and returns 0 or a negative errno; they share the
 * naming helpers below.
 */
#ifndef PERFTRACE_REPORT_H
#define PERFTRACE_REPORT_H

#include <stdio.h>

#include "profile.h"

struct report_opts {
	const char *input; /* the sample file, as named */
	int threads;	   /* text: a section per thread */
	int top;	   /* text: rows per table */
};

int report_text(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o);
int report_json(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o);
int report_folded(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o);
int report_speedscope(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o);
int report_svg(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o);

/* "libc.so.6", "[vdso]", or "?" */
const char *module_name(const struct rmodule *m);
/* Label of a tree node: the function's name, or "comm [pid]" for a process. */
void node_label(const struct profile *p, const struct tnode *n, char *buf, size_t len);
/* 100 * part / whole, 0 when whole is 0. */
double pct(uint64_t part, uint64_t whole);
/* What the report should warn about (truncated file, damaged record, modules), one per line. */
size_t report_problems(const struct profile *p, const char **lines, size_t max, char *buf,
		       size_t buflen);

/* cmd_report.c: the output named with -o (replaced if it exists) or stdout; exits on failure. */
FILE *open_report_output(const char *path);
/* cmd_report.c: loads input or says in one line why it cannot, and exits. */
void load_profile_or_die(struct profile *p, const char *input);

#endif
