/*
 * Helpers for the perftrace suites: record a program, load the JSON report,
 * and look things up in it.  Paths and reports are malloc'd and leaked (each
 * test runs in its own process).
 */
#ifndef TRACE_TEST_H
#define TRACE_TEST_H

#include <cjson/cJSON.h>

#include "testlib.h"

/* build/perftrace */
const char *tt_perftrace(void);
/*
 * Runs "perftrace record -q -F hz -o DIR/rec.ptrace [extra...] -- cmd..." (extra
 * and cmd NULL-terminated; extra may be NULL) and fails the test unless it
 * could run.  Returns the path of the sample file.
 */
char *tt_record(struct tl_result *r, const char *dir, int hz, const char *const *extra,
		const char *const *cmd, const char *const *env);
/* Runs "perftrace report -i FILE --format json -o DIR/report.json" and loads it. */
cJSON *tt_report(const char *file, const char *dir);
/* functions[] entry with this name, or NULL. */
cJSON *tt_func(const cJSON *rep, const char *name);
/* A number in obj (which must have it). */
double tt_num(const cJSON *obj, const char *key);
/* waits[] entry whose target starts with prefix (and kind, when not NULL). */
cJSON *tt_wait(const cJSON *rep, const char *kind, const char *prefix);
/* The folded report, as text. */
char *tt_folded(const char *file, const char *dir);
/* 1 if a tree node named name exists anywhere below node. */
int tt_tree_has(const cJSON *node, const char *name);
/* The process node of pid in the tree. */
cJSON *tt_tree_proc(const cJSON *rep, int pid);
/* Starts argv in the background with stdout to out_path; returns its pid (killed with the test). */
int tt_spawn(const char *const *argv, const char *out_path);
/* The state letter of /proc/pid/stat ('R', 'S', 'T', ...), or 0. */
char tt_proc_state(int pid);

#endif
