/*
 * The call chain read from the source (seed Phase 2, Step 1): from the
 * entry point, depth first, at most 5 levels, the project's functions each
 * function calls, whether the call sits inside a loop, and the I/O calls
 * (read, send, fopen, execute, requests.get, ...) it makes.  C, C++ and
 * Python, with perfinject's lexers and parser.
 */
#ifndef PERFPROF_CALLCHAIN_H
#define PERFPROF_CALLCHAIN_H

#include <cjson/cJSON.h>

#define CALLCHAIN_MAX_DEPTH 5

/*
 * The chain from function fn (defined in file, a path under root; NULL
 * to look it up among the project's sources).  A tree of
 *   {function, location, calls: [{function, location, call_line, in_loop,
 *    calls...}], io_calls: [{name, line, in_loop}], truncated}
 * or NULL with *why (static string) when it cannot be read.
 */
cJSON *callchain_build(const char *root, const char *file, const char *fn, const char **why);
/* The call of callee somewhere in the chain: its caller, the caller's
 * location, the line of the call and whether it is in a loop (a call in a
 * loop wins).  0 found, -1 not. */
int callchain_find_call(const cJSON *chain, const char *callee, const char **caller,
			const char **location, int *line, int *in_loop);

/* 1 when a chain node's own I/O calls include network calls (net) or
 * file calls (!net). */
int callchain_does_io(const cJSON *node, int net);
/* A call inside a loop to a function that does that kind of I/O itself,
 * or an I/O call of that kind inside a loop: its caller, the caller's
 * location, the callee (or the I/O call's name) and the line.  0 found,
 * -1 not. */
int callchain_find_io_loop(const cJSON *chain, int net, const char **caller, const char **location,
			   const char **callee, int *line);

#endif
