/*
 * The performance map's step tree (seed Phase 4): from the sampled call
 * tree when there is one (entry point down to depth 5), with the shim's
 * counts on the steps that did the I/O, and the depth-first rule across
 * processes; from the shim's activities alone otherwise.
 */
#ifndef PERFPROF_STEPS_H
#define PERFPROF_STEPS_H

#include <cjson/cJSON.h>

#include "activity.h"
#include "prof.h"

#define STEPS_MAX_DEPTH 5

struct step_info {
	cJSON *obj; /* the step in p->steps */
	char id[64];
	const char *function;
	double share;		    /* time_share_pct */
	double self_share;	    /* share not explained by child steps */
	const char *type;	    /* step type */
	const struct activity *act; /* the activity it waits on, or NULL */
	int depth;
	int sampled;	 /* backed by samples of the trace */
	double cpu_frac; /* share of its samples on CPU (1 when not sampled) */
};

struct steps {
	struct step_info *s;
	int n;
	int truncated; /* deeper frames were cut at depth 5 */
};

/* Builds p->steps (a cJSON array) and fills info. */
void steps_build(struct prof *p, const struct activities *acts, struct steps *info);
void steps_free(struct steps *info);

#endif
