/*
 * perfshim.h: the public API of libperfshim.so for timing spans.
 *
 * perfinject inserts calls to these functions at the start of each wrapped
 * function; anything else may call them too.  A span is one execution of an
 * instrumented code region.  For each site the shim reports, in the
 * `spans[]` array of its report:
 *
 *   calls     spans that ended (exits matched to an enter)
 *   total_ns  inclusive time; for a recursive site only the outermost
 *             activation of each thread is added, so total_ns never exceeds
 *             the wall time of the threads that ran it
 *   self_ns   inclusive time minus the inclusive time of spans that ran
 *             nested inside it on the same thread
 *   min_ns, max_ns   of the inclusive time of single spans
 *
 * Contract:
 *   - `site` points to storage that lives as long as the program (a static
 *     object).  The shim writes site->id once, when it first sees the site;
 *     initialise it to 0.  name/file are copied (truncated at 127 bytes).
 *   - perfshim_span_enter() returns a token that must be passed to the
 *     matching perfshim_span_exit() on the same thread.  Exits are matched by
 *     token, so a span skipped by longjmp() or a thread-cancellation unwind
 *     is closed when an outer span exits.  A token of 0 means no span was
 *     opened (the shim is off, or the thread is inside the shim): the exit
 *     may then be skipped; calling it with 0 is harmless.
 *   - Both functions are async-signal-safe, never allocate, never block and
 *     preserve errno.  Without PERFSHIM_OUT they return at once.
 *
 * Code that must run with and without the shim should look the functions up
 * at run time (dlsym(RTLD_DEFAULT, "perfshim_span_enter")) or declare them
 * weak, and call them only when found; perfshim_abi_version() lets it check
 * the version it was written for.
 */
#ifndef PERFSHIM_H
#define PERFSHIM_H

#ifdef __cplusplus
extern "C" {
#endif

#define PERFSHIM_ABI_VERSION 1

struct perfshim_site {
	const char *name; /* qualified name: "file.c:function", "ns::Class::method" */
	const char *file; /* source file, as the instrumenting tool names it */
	unsigned int line; /* line of the definition */
	unsigned int id; /* owned by the shim; 0 until registered */
};

int perfshim_abi_version(void);
unsigned long perfshim_span_enter(struct perfshim_site *site);
void perfshim_span_exit(struct perfshim_site *site, unsigned long token);

#ifdef __cplusplus
}
#endif

#endif
