/*
 * Helpers of the driver's end-to-end tests: run build/perfprof in a fresh
 * project directory and load what it wrote.
 */
#ifndef PERFPROF_TESTS_DRV_H
#define PERFPROF_TESTS_DRV_H

#include <cjson/cJSON.h>

#include "testlib.h"

struct drv {
	char *dir;	    /* the project root (cwd of perfprof) */
	char *out;	    /* its output directory */
	struct tl_result r; /* perfprof's own status and output */
	cJSON *result;	    /* profile_result.json */
	cJSON *baseline;    /* baseline.json */
	cJSON *details;	    /* profile_details.json */
	cJSON *envelope;    /* the summary envelope */
	char *envelope_path;
	char *yaml; /* performance_map.yaml */
};

/* Skips the test unless the shim (and the tracer when need_trace) are
 * built. */
void drv_need(int need_trace);
/* Runs `perfprof -q --slug t ARGS...` in a new project dir (or dir when
 * not NULL) and loads the outputs that exist. */
void drv_profile(struct drv *d, const char *dir, const char *const args[]);
/* The suspicion of check `check` (first one with that verdict), or NULL. */
const cJSON *drv_suspicion(const struct drv *d, const char *check_desc, const char *verdict);
/* The first step (depth-first) whose type is type, or NULL. */
const cJSON *drv_step_of_type(const cJSON *steps, const char *type);
/* Checks the envelope against seed/ARTIFACTS.md (fields, types, path). */
void drv_check_envelope(const struct drv *d);
/* Checks report.html: complete, tags balanced, every section there. */
void drv_check_html(const struct drv *d);
/* Checks the map and result for exactly the fields of ARTIFACTS.md, the
 * envelope and report.html. */
void drv_check_map(const struct drv *d);

/* Path of a file of the source tree (rel to its root): looked for above the
 * build directory, which may be nested (B=build/san). */
char *drv_source_file(const char *rel);

#endif
