/*
 * End-to-end helpers; see drv.h.
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drv.h"

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

void drv_need(int need_trace)
{
	if (!exists(tl_bpath("libperfshim.so")))
		cr_skip_test("build/libperfshim.so is not built (preload/ not merged)");
	if (need_trace && !exists(tl_bpath("perftrace")))
		cr_skip_test("build/perftrace is not built (tracer/ not merged yet)");
}

void drv_profile(struct drv *d, const char *dir, const char *const args[])
{
	const char *argv[64];
	/* perfprof is a one-shot CLI that leaves its memory to exit(); the
	 * leak checker of a sanitizer build would turn that into failures. */
	const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
	int n = 0;
	char *p;

	memset(d, 0, sizeof(*d));
	d->dir = dir ? strdup(dir) : tl_tmpdir("drv");
	argv[n++] = tl_bpath("perfprof");
	argv[n++] = "-q";
	argv[n++] = "--slug";
	argv[n++] = "t";
	for (int i = 0; args[i] && n < 62; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cr_assert_eq(tl_run(&d->r, argv, env, d->dir, NULL, 170), 0);
	cr_assert_not(d->r.timed_out, "perfprof hung; stderr: %s", d->r.err);
	asprintf(&d->out, "%s/.perfprof/t", d->dir);
	asprintf(&p, "%s/profile_result.json", d->out);
	d->result = tl_json_load(p);
	asprintf(&p, "%s/baseline.json", d->out);
	d->baseline = tl_json_load(p);
	asprintf(&p, "%s/profile_details.json", d->out);
	d->details = tl_json_load(p);
	asprintf(&p, "%s/performance_map.yaml", d->out);
	d->yaml = tl_read_file(p, NULL);
	{
		char *line = strstr(d->r.out, "summary: ");

		if (line) {
			char *end = strchr(line, '\n');

			d->envelope_path =
			    strndup(line + 9, end ? (size_t)(end - line - 9) : strlen(line + 9));
			d->envelope = tl_json_load(d->envelope_path);
		}
	}
}

const cJSON *drv_suspicion(const struct drv *d, const char *desc, const char *verdict)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, tl_json_at(d->result, "suspicion_stack"))
	{
		const char *ds = tl_json_str(s, "description");
		const char *v = tl_json_str(s, "verdict");

		if (ds && strstr(ds, desc) && (!verdict || (v && !strcmp(v, verdict))))
			return s;
	}
	return NULL;
}

const cJSON *drv_step_of_type(const cJSON *steps, const char *type)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, steps)
	{
		const char *t = tl_json_str(s, "type");
		const cJSON *k;

		if (t && !strcmp(t, type))
			return s;
		k = drv_step_of_type(tl_json_at(s, "children"), type);
		if (k)
			return k;
	}
	return NULL;
}

static void only_keys(const cJSON *o, const char *const *allowed, const char *what)
{
	const cJSON *m;

	cr_assert(cJSON_IsObject(o), "%s is not an object", what);
	cJSON_ArrayForEach(m, o)
	{
		int ok = 0;

		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(allowed[i], m->string);
		cr_assert(ok, "%s has a field '%s' the contract does not allow", what, m->string);
	}
}

static void need_keys(const cJSON *o, const char *const *keys, const char *what)
{
	for (int i = 0; keys[i]; i++)
		cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(o, keys[i]), "%s lacks '%s'",
				   what, keys[i]);
}

static int matches(const char *s, const char *re)
{
	regex_t r;
	int ok;

	cr_assert_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

void drv_check_envelope(const struct drv *d)
{
	static const char *const top[] = {"schema_version", "summary_kind", "run_id",  "identifier",
					  "producer_skill", "produced_at",  "payload", NULL};
	static const char *const payload[] = {"status",
					      "worker",
					      "cycle",
					      "phase_context",
					      "artifact_path",
					      "branch",
					      "baseline",
					      "performance_map",
					      "wrong_tool_indicators",
					      "e2e_test",
					      "instrumented_files",
					      "industry_benchmark",
					      "target_metrics",
					      "hypotheses",
					      "local_codebase_findings",
					      "corrections_applied",
					      "concerns",
					      "verdict",
					      "strike_result",
					      "final",
					      "total_improvement_pct",
					      "target_met",
					      "hypotheses_applied",
					      "hypotheses_removed",
					      "recorded_at",
					      NULL};
	const cJSON *e = d->envelope, *pl, *it;
	const char *run_id, *status;
	char *expect;

	cr_assert_not_null(e, "no summary envelope (perfprof said: %s)", d->r.out);
	need_keys(e, top, "envelope");
	only_keys(e, top, "envelope");
	cr_assert_str_eq(tl_json_str(e, "schema_version"), "1.0.0");
	cr_assert_str_eq(tl_json_str(e, "summary_kind"), "optimization-worker");
	cr_assert_str_eq(tl_json_str(e, "producer_skill"), "ln-811");
	run_id = tl_json_str(e, "run_id");
	cr_assert(matches(run_id, "^standalone-ln-811-[0-9]{8}-[0-9a-f]{7}$"), "run_id %s", run_id);
	cr_assert(matches(tl_json_str(e, "produced_at"),
			  "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"));
	cr_assert(matches(tl_json_str(e, "identifier"), "^[a-z0-9._-]+$"));
	asprintf(&expect,
		 "%s/.hex-skills/runtime-artifacts/runs/%s/optimization-worker/ln-811--%s.json",
		 d->dir, run_id, tl_json_str(e, "identifier"));
	cr_assert_str_eq(d->envelope_path, expect);
	pl = tl_json_at(e, "payload");
	need_keys(pl, (const char *const[]){"status", "worker", NULL}, "payload");
	only_keys(pl, payload, "payload");
	status = tl_json_str(pl, "status");
	cr_assert(!strcmp(status, "completed") || !strcmp(status, "skipped") ||
		  !strcmp(status, "error"));
	cr_assert_str_eq(tl_json_str(pl, "worker"), "ln-811");
	cr_assert(cJSON_IsObject(tl_json_at(pl, "baseline")));
	cr_assert(cJSON_IsObject(tl_json_at(pl, "performance_map")));
	cr_assert(cJSON_IsObject(tl_json_at(pl, "e2e_test")));
	static const char *const strarrays[] = {"wrong_tool_indicators", "instrumented_files",
						"concerns", NULL};
	for (int i = 0; strarrays[i]; i++) {
		const cJSON *a = tl_json_at(pl, strarrays[i]);

		cr_assert(cJSON_IsArray(a), "%s is not an array", strarrays[i]);
		cJSON_ArrayForEach(it, a)
		    cr_assert(cJSON_IsString(it), "%s holds a non-string", strarrays[i]);
	}
}

static void check_steps(const cJSON *steps, const char *parent)
{
	static const char *const keys[] = {"id",	"function",	    "location",
					   "service",	"wall_time_ms",	    "time_share_pct",
					   "type",	"http_round_trips", "round_trips",
					   "contended", "children",	    NULL};
	const cJSON *s;
	int i = 0;

	cr_assert(cJSON_IsArray(steps));
	cJSON_ArrayForEach(s, steps)
	{
		char id[64];

		i++;
		if (parent)
			snprintf(id, sizeof(id), "%s.%d", parent, i);
		else
			snprintf(id, sizeof(id), "%d", i);
		need_keys(s,
			  (const char *const[]){"id", "function", "location", "wall_time_ms",
						"time_share_pct", "type", NULL},
			  "step");
		only_keys(s, keys, "step");
		cr_assert_str_eq(tl_json_str(s, "id"), id, "dotted ids in order");
		cr_assert(cJSON_IsNumber(tl_json_at(s, "wall_time_ms")));
		cr_assert_geq(tl_json_num(s, "time_share_pct"), 0);
		cr_assert_leq(tl_json_num(s, "time_share_pct"), 100);
		if (tl_json_at(s, "children"))
			check_steps(tl_json_at(s, "children"), id);
	}
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

void drv_check_html(const struct drv *d)
{
	static const char *const tags[] = {"table", "ul", "li", "svg",	  "g",	   "p", "h2",
					   "code",  "tr", "td", "script", "style", NULL};
	char *path, *h;

	asprintf(&path, "%s/report.html", d->out);
	h = tl_read_file(path, NULL);
	cr_assert_not_null(h, "no report.html");
	cr_assert_eq(strncmp(h, "<!DOCTYPE html>", 15), 0);
	cr_assert(strstr(h, "</html>"), "report.html is cut short");
	for (int i = 0; tags[i]; i++) {
		char open1[32], open2[32], close[32];

		snprintf(open1, sizeof(open1), "<%s>", tags[i]);
		snprintf(open2, sizeof(open2), "<%s ", tags[i]);
		snprintf(close, sizeof(close), "</%s>", tags[i]);
		cr_assert_eq(count(h, open1) + count(h, open2), count(h, close),
			     "<%s> opened %d times, closed %d times", tags[i],
			     count(h, open1) + count(h, open2), count(h, close));
	}
	cr_assert(strstr(h, tl_json_str(d->result, "bottleneck_classification")));
	cr_assert(strstr(h, "<h2 id=\"baseline\">") && strstr(h, "<h2 id=\"steps\">") &&
		  strstr(h, "<h2 id=\"suspicions\">") && strstr(h, "<h2 id=\"top\">"));
	free(h);
	free(path);
}

void drv_check_map(const struct drv *d)
{
	static const char *const map[] = {
	    "test_command",	 "baseline",	    "steps", "bottleneck_classification",
	    "bottleneck_detail", "top_bottlenecks", NULL};
	static const char *const base[] = {
	    "wall_time_ms",  "cpu_time_ms",    "memory_peak_mb",   "memory_delta_mb",
	    "io_read_bytes", "io_write_bytes", "http_round_trips", NULL};
	static const char *const res[] = {"entry_point_info",
					  "performance_map",
					  "bottleneck_classification",
					  "bottleneck_detail",
					  "top_bottlenecks",
					  "optimization_hints",
					  "suspicion_stack",
					  "e2e_test",
					  "instrumented_files",
					  "wrong_tool_indicators",
					  NULL};
	static const char *const classes[] = {"CPU",	  "I/O-DB",	  "I/O-Network",
					      "I/O-File", "Architecture", "External",
					      "Cache",	  "Unknown",	  NULL};
	static const char *const sus[] = {"category",	    "location", "description",
					  "verdict",	    "evidence", "verification_note",
					  "affected_steps", NULL};
	const cJSON *m, *it;
	int ok = 0;

	cr_assert_not_null(d->result, "no profile_result.json (stderr: %s)", d->r.err);
	need_keys(d->result, res, "profile_result");
	only_keys(d->result, res, "profile_result");
	m = tl_json_at(d->result, "performance_map");
	need_keys(m, map, "performance_map");
	only_keys(m, map, "performance_map");
	need_keys(tl_json_at(m, "baseline"), base, "baseline");
	only_keys(tl_json_at(m, "baseline"), base, "baseline");
	check_steps(tl_json_at(m, "steps"), NULL);
	for (int i = 0; classes[i]; i++)
		ok |= !strcmp(classes[i], tl_json_str(m, "bottleneck_classification"));
	cr_assert(ok, "class %s", tl_json_str(m, "bottleneck_classification"));
	cJSON_ArrayForEach(it, tl_json_at(d->result, "suspicion_stack"))
	{
		const char *v = tl_json_str(it, "verdict");

		need_keys(it, sus, "suspicion");
		only_keys(it, sus, "suspicion");
		cr_assert(!strcmp(v, "confirmed") || !strcmp(v, "dismissed"));
	}
	cJSON_ArrayForEach(it, tl_json_at(d->result, "top_bottlenecks"))
	    only_keys(it, (const char *const[]){"step", "type", "share", "description", NULL},
		      "top bottleneck");
	cr_assert_not_null(d->yaml, "no performance_map.yaml");
	cr_assert(strstr(d->yaml, "\nperformance_map:\n"));
	cr_assert(strstr(d->yaml, "  bottleneck_classification: "));
	drv_check_envelope(d);
	drv_check_html(d);
}

char *drv_source_file(const char *rel)
{
	char *dir = strdup(tl_build()), *path;

	for (;;) {
		char *slash;

		asprintf(&path, "%s/%s", dir, rel);
		if (access(path, R_OK) == 0)
			break;
		free(path);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			asprintf(&path, "%s/%s", tl_srcdir(), rel);
			break;
		}
		*slash = 0;
	}
	free(dir);
	return path;
}
