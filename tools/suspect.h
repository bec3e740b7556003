/*
 * The suspicion stack (seed Phase 2, Step 2-3): each check of the checklist
 * looks at the measured data of the median counted run and records, per
 * candidate (peer, file, process), a confirmed or dismissed verdict with the
 * numbers behind it.
 */
#ifndef PERFPROF_SUSPECT_H
#define PERFPROF_SUSPECT_H

#include "prof.h"

/* Thresholds, documented in docs/perfprof.md. */
#define SUS_LOOP_MIN	   10	/* same request/open repeated: I/O in a loop */
#define SUS_CONNECT_RATIO  0.9	/* connects per round trip: no pooling */
#define SUS_SMALL_IO_CALLS 100	/* calls before sizes say anything */
#define SUS_SMALL_IO_BYTES 512	/* mean bytes per call below which I/O is small */
#define SUS_LOCK_SHARE	   0.10 /* lock wait / process wall */
#define SUS_HEAP_MIN_BYTES (1 << 20)
#define SUS_HEAP_HELD	   0.5	/* held at exit / allocated */
#define SUS_SEQ_SHARE	   0.20 /* round trips / wall for "sequential" to matter */

/* Adds one suspicion (strings copied). */
struct suspicion *sus_add(struct prof *p, const char *check, const char *category,
			  const char *location, int confirmed, double share_pct,
			  const char *description, const char *evidence, const char *note);
/* Records that a suspicion affects step id (no duplicates). */
void sus_add_step(struct suspicion *s, const char *id);
/* Merges suspicions whose normalized descriptions are equal
 * (output_normalization.md sections 1-2). */
void sus_dedup(struct prof *p);
/* Normalizes one message per output_normalization.md section 1; malloc'd. */
char *sus_normalize(const char *msg);

#endif
