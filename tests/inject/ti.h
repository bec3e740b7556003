/*
 * Helpers shared by perfinject's test suites: trees of case files in a
 * temporary directory, running perfinject and compilers, and reading what
 * the span recorder (tests/progs/inject_spanrec.c), the shim and the Python
 * runtime report.  Strings are malloc'd and may be leaked (each test is its
 * own process).
 */
#ifndef PERFINJECT_TI_H
#define PERFINJECT_TI_H

#include <stddef.h>

#include "testlib.h"

/*
 * A fresh temporary directory, removed when the test's process exits,
 * passed or failed (PERFINJECT_TEST_KEEP=1 keeps them for a look).
 */
char *ti_tmpdir(const char *tag);
/* The source tree: PERFPROF_SRC, else the one this suite was built from. */
const char *ti_srcdir(void);
/* tests/inject/cases/<name> in the source tree. */
char *ti_case(const char *name);
/* A ti_tmpdir() holding copies of the named case files (NULL-terminated). */
char *ti_tree(const char *tag, const char *const names[]);
/* dir/rel */
char *ti_path(const char *dir, const char *rel);
/* Whole file; fails the test when unreadable. */
char *ti_read(const char *path, size_t *len);
void ti_write(const char *path, const char *data);

/* Runs build/perfinject --root dir ARGS... (NULL-terminated) in dir. */
int ti_perfinject(struct tl_result *r, const char *dir, const char *const args[]);
/* Runs a shell command line in dir; 0 on success. */
int ti_sh(struct tl_result *r, const char *dir, const char *cmd, const char *const env[]);

struct ti_span {
	char name[256];
	char file[256];
	unsigned int line;
	double calls, total_ns, self_ns, min_ns, max_ns, bad;
};

/* Spans the recorder wrote (summed per name), NULL-terminated count in *n. */
struct ti_span *ti_recorded(const char *path, int *n);
/* Spans of every perfshim.*.json in dir (summed per name). */
struct ti_span *ti_shim_spans(const char *dir, int *n);
/* Spans of every pyspans.*.json in dir (summed per name). */
struct ti_span *ti_py_spans(const char *dir, int *n);
/* The span called name, or NULL. */
const struct ti_span *ti_find(const struct ti_span *v, int n, const char *name);

/*
 * The expectations a case file states in lines `EXPECT span "NAME" CALLS`
 * and `EXPECT skip "NAME"`; returns how many, filling names/calls.
 */
int ti_expectations(const char *case_text, char names[][256], long *calls, int *is_skip, int max);

/* 1 if cc accepts -std=std (probed once per pair). */
int ti_cc_has_std(const char *cc, const char *std);

#endif
