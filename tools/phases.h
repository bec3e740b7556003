/*
 * The phases of a profiling session (seed: ln-811), in the order
 * cmd_profile.c runs them.  Each returns 0, or an exit status after it has
 * printed why the session cannot go on.
 */
#ifndef PERFPROF_PHASES_H
#define PERFPROF_PHASES_H

#include "prof.h"

/* Phase 0 (discover.c): the test command, the e2e gate, the entry point,
 * the slug. */
int phase_discover(struct prof *p);
/* Phase 1 (baseline.c): warm-up and counted runs under the shim. */
int phase_baseline(struct prof *p);
/* Phase 3 (deep.c): one run under perftrace with the shim. */
int phase_deep(struct prof *p);
/* Phase 2 (suspect.c): the suspicion stack, verified against the data. */
void phase_suspicions(struct prof *p);
/* Phase 3 step 3 (instrument.c): timing wrappers when the seed's
 * escalation asks for them (or --instrument). */
int phase_instrument(struct prof *p);
/* Phase 4 (steps.c, classify.c): the step tree and the classification. */
void phase_map(struct prof *p);
/* Phase 5 (write.c): every output file and the terminal summary. */
int phase_write(struct prof *p);

/* exec.c: runs the test command (or argv when not NULL) as run r, with the
 * shim preloaded when available, output into r->log; loads its reports.
 * Returns 0 once it ran (whatever its status), -errno if it could not. */
int prof_exec(struct prof *p, struct prof_run *r, const char *label, char *const *argv);
/* deep.c: has perftrace render the sample file in format (folded, svg)
 * and copies it into the output directory as dest_name (*text gets the
 * contents when not NULL).  0 or a negative errno. */
int deep_export(struct prof *p, const char *format, const char *dest_name, char **text);
/* deep.c: perftrace annotate of one function (*text, malloc'd).  0 or a
 * negative errno. */
int deep_annotate(struct prof *p, const char *function, char **text);
/* suspect.c: the shim reports the analysis reads (the median counted
 * run's), or NULL when it has none. */
const struct shim_set *prof_analysis_set(const struct prof *p);

/* Frees what a run holds. */
void prof_run_free(struct prof_run *r);
/* Prints "LABEL failed (STATUS); last lines of its output:" and the tail. */
void prof_report_failure(const struct prof *p, const struct prof_run *r, const char *headline);

#endif
