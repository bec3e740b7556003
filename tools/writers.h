/*
 * The writers of phase 5: the performance map object, the profile result,
 * the summary envelope, the flame graph and report.html.
 */
#ifndef PERFPROF_WRITERS_H
#define PERFPROF_WRITERS_H

#include <cjson/cJSON.h>

#include "prof.h"
#include "strbuf.h"

/* performance_map as seed/ARTIFACTS.md fixes it (new tree). */
cJSON *report_perf_map(const struct prof *p);
/* profile_result (new tree, embeds a copy of the map). */
cJSON *report_profile_result(const struct prof *p);
/* What the map has no field for: statistics, escalation, per-function
 * medians, wrong-tool evidence, heap sites (new tree). */
cJSON *report_details(const struct prof *p);
/* The optimization-worker envelope; sets p->run_id etc. (new tree). */
cJSON *report_envelope(struct prof *p, const cJSON *perf_map);
/* baseline.json (baseline.c). */
cJSON *baseline_json(const struct prof *p);

/* An SVG flame graph of the sampled tree (flame.c); 0, or -ENOENT without one. */
int flame_svg(const struct prof *p, struct strbuf *out, int standalone);
/* report.html (html.c). */
void html_report(const struct prof *p, const cJSON *result, const cJSON *details,
		 const cJSON *baseline, struct strbuf *out);

#endif
