/*
 * Phase 5: every output of a session, and the short summary on the
 * terminal.  profile_result.json and performance_map.yaml hold exactly the
 * fields of seed/ARTIFACTS.md; what they have no field for goes to
 * profile_details.json and report.html.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "discover.h"
#include "error.h"
#include "jget.h"
#include "outfile.h"
#include "phases.h"
#include "writers.h"
#include "symbolize.h"
#include "yamlw.h"

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void add_metric(cJSON *o, const struct prof *p, const char *key, enum metric m, int decimals)
{
	const struct metric_stats *s = &p->stats[m];

	if (s->valid)
		jadd_round(o, key, s->median, decimals);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *report_perf_map(const struct prof *p)
{
	cJSON *m = cJSON_CreateObject(), *b, *top;
	const cJSON *t;

	cJSON_AddStringToObject(m, "test_command", p->test_command);
	b = cJSON_AddObjectToObject(m, "baseline");
	add_metric(b, p, "wall_time_ms", M_WALL_MS, 1);
	add_metric(b, p, "cpu_time_ms", M_CPU_MS, 1);
	add_metric(b, p, "memory_peak_mb", M_PEAK_RSS_MB, 2);
	add_metric(b, p, "memory_delta_mb", M_MEM_DELTA_MB, 2);
	add_metric(b, p, "io_read_bytes", M_IO_READ, 0);
	add_metric(b, p, "io_write_bytes", M_IO_WRITE, 0);
	add_metric(b, p, "http_round_trips", M_HTTP_RT, 0);
	cJSON_AddItemToObject(m, "steps", cJSON_Duplicate(p->steps, 1));
	cJSON_AddStringToObject(m, "bottleneck_classification", p->classification);
	cJSON_AddStringToObject(m, "bottleneck_detail", p->detail);
	top = cJSON_AddArrayToObject(m, "top_bottlenecks");
	cJSON_ArrayForEach(t, p->top)
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "step", jstr(t, "step", ""));
		cJSON_AddStringToObject(o, "type", jstr(t, "type", ""));
		cJSON_AddNumberToObject(o, "share", jnum(t, "share", 0));
		cJSON_AddItemToArray(top, o);
	}
	return m;
}

static cJSON *str_array(char *const *v, int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

cJSON *report_profile_result(const struct prof *p)
{
	cJSON *r = cJSON_CreateObject(), *e, *hints, *stack, *top;
	const cJSON *t;

	e = cJSON_AddObjectToObject(r, "entry_point_info");
	cJSON_AddStringToObject(e, "type", p->entry_type);
	add_str_or_null(e, "location", p->entry_location);
	add_str_or_null(e, "route", p->entry_route);
	cJSON_AddStringToObject(e, "function", p->entry_function ? p->entry_function : "main");
	cJSON_AddItemToObject(r, "performance_map", report_perf_map(p));
	cJSON_AddStringToObject(r, "bottleneck_classification", p->classification);
	cJSON_AddStringToObject(r, "bottleneck_detail", p->detail);
	top = cJSON_AddArrayToObject(r, "top_bottlenecks");
	cJSON_ArrayForEach(t, p->top)
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "step", jstr(t, "step", ""));
		cJSON_AddStringToObject(o, "type", jstr(t, "type", ""));
		cJSON_AddNumberToObject(o, "share", jnum(t, "share", 0));
		cJSON_AddStringToObject(o, "description", jstr(t, "description", ""));
		cJSON_AddItemToArray(top, o);
	}
	hints = cJSON_AddArrayToObject(r, "optimization_hints");
	stack = cJSON_AddArrayToObject(r, "suspicion_stack");
	for (int i = 0; i < p->nsus; i++) {
		const struct suspicion *s = &p->sus[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "category", s->category);
		cJSON_AddStringToObject(o, "location", s->location);
		cJSON_AddStringToObject(o, "description", s->description);
		cJSON_AddStringToObject(o, "verdict", s->confirmed ? "confirmed" : "dismissed");
		cJSON_AddStringToObject(o, "evidence", s->evidence);
		cJSON_AddStringToObject(o, "verification_note", s->note);
		cJSON_AddItemToObject(o, "affected_steps", str_array(s->steps, s->nsteps));
		cJSON_AddItemToArray(stack, o);
		if (s->confirmed) {
			cJSON *h = cJSON_CreateObject();

			cJSON_AddStringToObject(h, "hint", s->hint ? s->hint : s->description);
			cJSON_AddStringToObject(h, "evidence", s->evidence);
			cJSON_AddItemToArray(hints, h);
		}
	}
	e = cJSON_AddObjectToObject(r, "e2e_test");
	add_str_or_null(e, "command", p->e2e_command);
	cJSON_AddStringToObject(e, "source", p->e2e_source ? p->e2e_source : "none");
	cJSON_AddItemToObject(r, "instrumented_files",
			      str_array(p->instrumented, p->ninstrumented));
	cJSON_AddItemToObject(r, "wrong_tool_indicators", cJSON_Duplicate(p->wrong_tool, 1));
	return r;
}

cJSON *report_details(const struct prof *p)
{
	cJSON *d = cJSON_CreateObject(), *tr, *sites;
	const struct shim_set *set = p->nruns > p->median_run ? &p->runs[p->median_run].shim : NULL;

	cJSON_AddStringToObject(d, "schema", "perfprof-details");
	cJSON_AddNumberToObject(d, "version", 1);
	cJSON_AddStringToObject(d, "test_command", p->test_command);
	cJSON_AddStringToObject(d, "test_source", p->test_source ? p->test_source : "user");
	add_str_or_null(d, "shim_problem", p->shim_problem);
	tr = cJSON_AddObjectToObject(d, "deep_profile");
	cJSON_AddBoolToObject(tr, "sampled", p->trace != NULL);
	add_str_or_null(tr, "problem", p->trace_problem);
	jadd_num_or_null(tr, "wall_time_ms", p->have_deep && p->trace, p->deep.m.v[M_WALL_MS]);
	jadd_num_or_null(tr, "tracer_overhead_pct", p->tracer_overhead_pct > -1e9 && p->trace,
			 p->tracer_overhead_pct);
	jadd_num_or_null(tr, "stop_ns_median", p->trace && jhas(p->trace, "tracer.stop_ns.median"),
			 jnum(p->trace, "tracer.stop_ns.median", 0));
	jadd_num_or_null(tr, "stop_ns_p99", p->trace && jhas(p->trace, "tracer.stop_ns.p99"),
			 jnum(p->trace, "tracer.stop_ns.p99", 0));
	jadd_num_or_null(tr, "samples", p->trace && jhas(p->trace, "samples"),
			 jnum(p->trace, "samples", 0));
	jadd_num_or_null(tr, "sample_period_ns", p->trace && jhas(p->trace, "sample_period_ns"),
			 jnum(p->trace, "sample_period_ns", 0));
	add_str_or_null(d, "escalation", p->escalation);
	jadd_num_or_null(d, "instrumented_wall_time_ms", p->ninst > 0, p->inst_wall_ms);
	cJSON_AddItemToObject(d, "call_chain",
			      p->call_chain ? cJSON_Duplicate(p->call_chain, 1)
					    : cJSON_CreateNull());
	add_str_or_null(d, "call_chain_problem", p->call_chain ? NULL : p->call_chain_problem);
	cJSON_AddItemToObject(d, "function_timings",
			      p->span_stats ? cJSON_Duplicate(p->span_stats, 1)
					    : cJSON_CreateArray());
	cJSON_AddItemToObject(d, "line_profile",
			      p->line_profile ? cJSON_Duplicate(p->line_profile, 1)
					      : cJSON_CreateNull());
	cJSON_AddItemToObject(d, "wrong_tool_evidence", cJSON_Duplicate(p->wrong_tool_evidence, 1));
	cJSON_AddItemToObject(d, "concerns", str_array(p->concerns, p->nconcerns));
	sites = cJSON_AddArrayToObject(d, "heap_sites");
	for (int i = 0; set && i < set->n; i++) {
		const cJSON *s;

		cJSON_ArrayForEach(s, jget(set->p[i].j, "heap.sites"))
		{
			cJSON *o = cJSON_CreateObject(), *fr = cJSON_AddArrayToObject(o, "frames");
			const cJSON *f;

			cJSON_AddNumberToObject(o, "pid", set->p[i].pid);
			cJSON_AddNumberToObject(o, "est_bytes", jnum(s, "est_bytes", 0));
			cJSON_AddNumberToObject(o, "est_allocs", jnum(s, "est_allocs", 0));
			cJSON_ArrayForEach(f, jget(s, "frames"))
			{
				char *name = sym_frame_name(f);

				cJSON_AddItemToArray(fr, cJSON_CreateString(name));
				free(name);
			}
			cJSON_AddItemToArray(sites, o);
		}
	}
	{
		cJSON *procs = cJSON_AddArrayToObject(d, "processes");

		for (int i = 0; set && i < set->n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "pid", set->p[i].pid);
			cJSON_AddNumberToObject(o, "ppid", set->p[i].ppid);
			cJSON_AddNumberToObject(o, "image", set->p[i].image);
			cJSON_AddStringToObject(o, "exe", set->p[i].exe);
			cJSON_AddStringToObject(o, "command", set->p[i].cmdline);
			cJSON_AddStringToObject(o, "end_reason", set->p[i].end_reason);
			cJSON_AddNumberToObject(o, "wall_ms",
						jnum(set->p[i].j, "wall_ns", 0) / 1e6);
			cJSON_AddItemToObject(o, "listens",
					      cJSON_Duplicate(jget(set->p[i].j, "net.listens"), 1));
			cJSON_AddItemToArray(procs, o);
		}
	}
	return d;
}

static uint32_t fnv1a(const char *s, uint32_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

cJSON *report_envelope(struct prof *p, const cJSON *perf_map)
{
	cJSON *e = cJSON_CreateObject(), *pl;
	char date[16], ts[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	p->produced_at = xstrdup(ts);
	p->identifier = discover_sanitize(p->slug);
	if (p->o.run_id) {
		p->run_id = xstrdup(p->o.run_id);
	} else {
		char pid[16];
		uint32_t h = 2166136261u;

		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		h = fnv1a(p->test_command, h);
		h = fnv1a(ts, h);
		h = fnv1a(pid, h);
		p->run_id = xasprintf("standalone-ln-811-%s-%07x", date, h & 0xfffffff);
	}
	cJSON_AddStringToObject(e, "schema_version", "1.0.0");
	cJSON_AddStringToObject(e, "summary_kind", "optimization-worker");
	cJSON_AddStringToObject(e, "run_id", p->run_id);
	cJSON_AddStringToObject(e, "identifier", p->identifier);
	cJSON_AddStringToObject(e, "producer_skill", "ln-811");
	cJSON_AddStringToObject(e, "produced_at", ts);
	pl = cJSON_AddObjectToObject(e, "payload");
	cJSON_AddStringToObject(pl, "status", "completed");
	cJSON_AddStringToObject(pl, "worker", "ln-811");
	{
		char *ap = out_path(p->out_dir, "profile_result.json");

		cJSON_AddStringToObject(pl, "artifact_path", ap);
		free(ap);
	}
	cJSON_AddItemToObject(pl, "baseline", cJSON_Duplicate(jget(perf_map, "baseline"), 1));
	cJSON_AddItemToObject(pl, "performance_map", cJSON_Duplicate(perf_map, 1));
	cJSON_AddItemToObject(pl, "wrong_tool_indicators", cJSON_Duplicate(p->wrong_tool, 1));
	{
		cJSON *e2e = cJSON_AddObjectToObject(pl, "e2e_test");

		add_str_or_null(e2e, "command", p->e2e_command);
		cJSON_AddStringToObject(e2e, "source", p->e2e_source ? p->e2e_source : "none");
	}
	cJSON_AddItemToObject(pl, "instrumented_files",
			      str_array(p->instrumented, p->ninstrumented));
	cJSON_AddItemToObject(pl, "concerns", str_array(p->concerns, p->nconcerns));
	cJSON_AddStringToObject(pl, "recorded_at", ts);
	return e;
}

static int write_json(const struct prof *p, const char *name, const cJSON *j)
{
	char *path = out_path(p->out_dir, name), *s = jprint(j);
	int ret = out_write_str(path, s);

	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot write %s", path);
	}
	free(path);
	free(s);
	return ret;
}

static int write_envelope(struct prof *p, const cJSON *env)
{
	char *path, *dir, *s = jprint(env);
	int ret;

	if (p->o.summary_path) {
		path = xstrdup(p->o.summary_path);
	} else {
		char *rid = discover_sanitize(p->run_id);

		path = xasprintf("%s/.hex-skills/runtime-artifacts/runs/%s/optimization-worker/"
				 "ln-811--%s.json",
				 p->root, rid, p->identifier);
		free(rid);
	}
	dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	ret = out_mkdirs(dir);
	if (!ret)
		ret = out_write_str(path, s);
	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot write the summary envelope %s", path);
		free(path);
	} else {
		p->envelope_path = path;
	}
	free(dir);
	free(s);
	return ret;
}

/* The step tree, three levels, on the terminal. */
static void summary_steps(struct strbuf *sb, const cJSON *steps, int depth, int *lines)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, steps)
	{
		if (*lines >= 14)
			return;
		(*lines)++;
		sb_printf(sb, "  %*s%s %s %.1f ms (%.1f%%) %s", depth * 2, "", jstr(s, "id", ""),
			  jstr(s, "function", ""), jnum(s, "wall_time_ms", 0),
			  jnum(s, "time_share_pct", 0), jstr(s, "type", ""));
		if (jhas(s, "http_round_trips"))
			sb_printf(sb, ", %.0f HTTP round trips", jnum(s, "http_round_trips", 0));
		else if (jhas(s, "round_trips"))
			sb_printf(sb, ", %.0f round trips", jnum(s, "round_trips", 0));
		if (jstr(s, "service", NULL))
			sb_printf(sb, " [%s]", jstr(s, "service", ""));
		sb_putc(sb, '\n');
		if (depth < 3)
			summary_steps(sb, jget(s, "children"), depth + 1, lines);
	}
}

static void summary(const struct prof *p)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *t;

	sb_printf(&sb, "\nperfprof: %s\n", p->test_command);
	sb_printf(&sb, "  bottleneck: %s: %s\n", p->classification, p->detail);
	sb_printf(&sb,
		  "  baseline (median of %d runs): %.1f ms wall, %.1f ms CPU, %.1f MB peak RSS",
		  p->o.runs, p->stats[M_WALL_MS].median, p->stats[M_CPU_MS].median,
		  p->stats[M_PEAK_RSS_MB].median);
	if (p->stats[M_HTTP_RT].valid)
		sb_printf(&sb, ", %.0f HTTP round trips", p->stats[M_HTTP_RT].median);
	sb_puts(&sb, "\n");
	{
		int lines = 0;

		sb_puts(&sb, "  steps:\n");
		summary_steps(&sb, p->steps, 1, &lines);
	}
	cJSON_ArrayForEach(t, p->top)
	    sb_printf(&sb, "  top: step %s %s %.1f%%: %s\n", jstr(t, "step", ""),
		      jstr(t, "type", ""), jnum(t, "share", 0), jstr(t, "description", ""));
	for (int i = 0; i < p->nsus; i++)
		if (p->sus[i].confirmed)
			sb_printf(&sb, "  confirmed: %s (%s)\n", p->sus[i].description,
				  p->sus[i].evidence);
	for (int i = 0; i < p->nconcerns; i++)
		sb_printf(&sb, "  concern: %s\n", p->concerns[i]);
	if (p->ninstrumented)
		sb_printf(&sb,
			  "  %d file(s) hold timing wrappers: remove them with "
			  "`perfinject --clean`\n",
			  p->ninstrumented);
	sb_printf(&sb, "  report: %s/report.html\n  map:    %s/performance_map.yaml\n", p->out_dir,
		  p->out_dir);
	if (p->envelope_path)
		sb_printf(&sb, "  summary: %s\n", p->envelope_path);
	if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len)
		clearerr(stdout);
	fflush(stdout);
	sb_free(&sb);
}

int phase_write(struct prof *p)
{
	cJSON *map = report_perf_map(p), *res = report_profile_result(p);
	cJSON *det = report_details(p), *base = baseline_json(p), *env;
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	prof_progress(p, "phase 5 report");
	env = report_envelope(p, map);
	ret |= write_json(p, "baseline.json", base);
	ret |= write_json(p, "profile_result.json", res);
	ret |= write_json(p, "profile_details.json", det);
	yaml_emit(&sb, map);
	{
		struct strbuf y = STRBUF_INIT;
		char *path = out_path(p->out_dir, "performance_map.yaml");

		sb_puts(&y,
			"# perfprof performance map (seed ln-811, Phase 4)\nperformance_map:\n");
		for (char *l = sb.buf; l && *l;) {
			char *nl = strchr(l, '\n');

			sb_puts(&y, "  ");
			sb_add(&y, l, nl ? (size_t)(nl - l + 1) : strlen(l));
			l = nl ? nl + 1 : NULL;
		}
		ret |= out_write(path, y.buf, y.len);
		free(path);
		sb_free(&y);
	}
	sb_reset(&sb);
	html_report(p, res, det, base, &sb);
	{
		char *path = out_path(p->out_dir, "report.html");

		ret |= out_write(path, sb.buf, sb.len);
		free(path);
	}
	ret |= write_envelope(p, env);
	sb_free(&sb);
	cJSON_Delete(map);
	cJSON_Delete(res);
	cJSON_Delete(det);
	cJSON_Delete(base);
	cJSON_Delete(env);
	if (ret) {
		error_msg("some outputs could not be written to %s", p->out_dir);
		return EXIT_ERROR;
	}
	summary(p);
	return 0;
}
