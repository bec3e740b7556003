/*
 * report.html: one self-contained page (no network, no script needed) with
 * the baseline table, the step tree with shares, the flame graph, the top
 * bottlenecks and every suspicion with its evidence.  The profile result is
 * embedded as JSON for tools.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jget.h"
#include "metrics.h"
#include "writers.h"

static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1240px;color:#222}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.cls{font-size:18px;font-weight:600}"
    ".confirmed{color:#a40000;font-weight:600}.dismissed{color:#666}"
    ".bar{display:inline-block;height:9px;background:#e8743b;margin-right:6px;"
    "vertical-align:middle}ul.tree{list-style:none;padding-left:18px}"
    "ul.tree li{margin:2px 0}code{background:#f4f4f4;padding:0 3px}"
    ".flamebox{overflow-x:auto;border:1px solid #ddd}.null{color:#999}"
    "pre{background:#f8f8f8;padding:8px;overflow-x:auto;font-size:12px}";

static void esc(struct strbuf *sb, const char *s)
{
	sb_put_xml(sb, s ? s : "");
}

static void num(struct strbuf *sb, const cJSON *v, int decimals)
{
	if (cJSON_IsNumber(v))
		sb_printf(sb, "%.*f", decimals, v->valuedouble);
	else
		sb_puts(sb, "<span class=\"null\">null</span>");
}

static void step_tree(struct strbuf *sb, const cJSON *steps)
{
	const cJSON *s;

	sb_puts(sb, "<ul class=\"tree\">\n");
	cJSON_ArrayForEach(s, steps)
	{
		double share = jnum(s, "time_share_pct", 0);
		const cJSON *kids = jget(s, "children");

		sb_printf(sb, "<li><span class=\"bar\" style=\"width:%.0fpx\"></span>",
			  fmax(1, share * 2));
		sb_puts(sb, "<b>");
		esc(sb, jstr(s, "id", ""));
		sb_puts(sb, "</b> <code>");
		esc(sb, jstr(s, "function", ""));
		sb_puts(sb, "</code> ");
		sb_printf(sb, "%.1f ms, %.1f%% &middot; %s", jnum(s, "wall_time_ms", 0), share,
			  jstr(s, "type", ""));
		if (jstr(s, "location", NULL)) {
			sb_puts(sb, " &middot; ");
			esc(sb, jstr(s, "location", ""));
		}
		if (jstr(s, "service", NULL)) {
			sb_puts(sb, " &middot; service ");
			esc(sb, jstr(s, "service", ""));
		}
		if (jhas(s, "http_round_trips"))
			sb_printf(sb, " &middot; %.0f HTTP round trips",
				  jnum(s, "http_round_trips", 0));
		if (jhas(s, "round_trips"))
			sb_printf(sb, " &middot; %.0f round trips", jnum(s, "round_trips", 0));
		if (cJSON_GetArraySize(kids))
			step_tree(sb, kids);
		sb_puts(sb, "</li>\n");
	}
	sb_puts(sb, "</ul>\n");
}

static void call_chain(struct strbuf *sb, const cJSON *n, int depth)
{
	const cJSON *c;

	if (!depth)
		sb_puts(sb, "<ul class=\"tree\">\n");
	sb_puts(sb, "<li><code>");
	esc(sb, jstr(n, "function", "?"));
	sb_puts(sb, "</code> ");
	esc(sb, jstr(n, "location", ""));
	if (jstr(n, "step", NULL))
		sb_printf(sb, " &middot; step %s, %.1f ms measured", jstr(n, "step", ""),
			  jnum(n, "wall_time_ms", 0));
	if (jhas(n, "call_line"))
		sb_printf(sb, " &middot; called at line %.0f%s", jnum(n, "call_line", 0),
			  cJSON_IsTrue(jget(n, "in_loop")) ? " <b>in a loop</b>" : "");
	cJSON_ArrayForEach(c, jget(n, "io_calls"))
	{
		sb_puts(sb, " &middot; I/O <code>");
		esc(sb, jstr(c, "name", "?"));
		sb_printf(sb, "</code> line %.0f%s", jnum(c, "line", 0),
			  cJSON_IsTrue(jget(c, "in_loop")) ? " <b>in a loop</b>" : "");
	}
	if (cJSON_GetArraySize(jget(n, "calls"))) {
		sb_puts(sb, "<ul class=\"tree\">\n");
		cJSON_ArrayForEach(c, jget(n, "calls")) call_chain(sb, c, depth + 1);
		sb_puts(sb, "</ul>");
	}
	sb_puts(sb, "</li>\n");
	if (!depth)
		sb_puts(sb, "</ul>\n");
}

static void baseline_table(struct strbuf *sb, const cJSON *base)
{
	const cJSON *m;

	sb_puts(sb, "<table><tr><th>metric</th><th>median</th><th>min</th><th>max</th>"
		    "<th>spread %</th><th>unit</th><th>note</th></tr>\n");
	cJSON_ArrayForEach(m, jget(base, "results[0].metrics"))
	{
		sb_puts(sb, "<tr><td>");
		esc(sb, m->string);
		sb_puts(sb, "</td><td class=\"n\">");
		num(sb, jget(m, "median"), 2);
		sb_puts(sb, "</td><td class=\"n\">");
		num(sb, jget(m, "min"), 2);
		sb_puts(sb, "</td><td class=\"n\">");
		num(sb, jget(m, "max"), 2);
		sb_puts(sb, "</td><td class=\"n\">");
		num(sb, jget(m, "spread_pct"), 1);
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(m, "unit", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(m, "null_reason", ""));
		sb_puts(sb, "</td></tr>\n");
	}
	sb_puts(sb, "</table>\n");
}

/* JSON inside <script>: "</" must not appear. */
static void embed_json(struct strbuf *sb, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	sb_puts(sb, "<script type=\"application/json\" id=\"profile-result\">");
	for (char *c = s; c && *c; c++) {
		if (c[0] == '<' && c[1] == '/')
			sb_puts(sb, "<\\/"), c++;
		else
			sb_putc(sb, *c);
	}
	sb_puts(sb, "</script>\n");
	cJSON_free(s);
}

void html_report(const struct prof *p, const cJSON *res, const cJSON *det, const cJSON *base,
		 struct strbuf *sb)
{
	const cJSON *it;

	sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width\">"
		    "<title>perfprof: ");
	esc(sb, p->test_command);
	sb_printf(sb, "</title><style>%s</style></head><body>\n", css);
	sb_puts(sb, "<h1>perfprof report</h1>\n<p>Command: <code>");
	esc(sb, p->test_command);
	sb_puts(sb, "</code><br>Entry point: <code>");
	esc(sb, jstr(res, "entry_point_info.function", ""));
	sb_puts(sb, "</code> ");
	esc(sb, jstr(res, "entry_point_info.location", ""));
	sb_printf(sb, " (%s)<br>Produced: %s &middot; run id ", p->entry_type,
		  p->produced_at ? p->produced_at : "");
	esc(sb, p->run_id);
	sb_puts(sb, "</p>\n<h2 id=\"bottleneck\">Bottleneck</h2>\n<p class=\"cls\">");
	esc(sb, p->classification);
	sb_puts(sb, "</p><p>");
	esc(sb, p->detail);
	sb_puts(sb, "</p>\n<h2 id=\"top\">Top bottlenecks</h2>\n<table><tr><th>step</th>"
		    "<th>type</th><th>share %</th><th>priority</th><th>evidence</th></tr>\n");
	cJSON_ArrayForEach(it, p->top)
	{
		sb_puts(sb, "<tr><td>");
		esc(sb, jstr(it, "step", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "type", ""));
		sb_printf(sb, "</td><td class=\"n\">%.1f</td><td>", jnum(it, "share", 0));
		esc(sb, jstr(it, "priority", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "description", ""));
		sb_puts(sb, "</td></tr>\n");
	}
	sb_puts(sb, "</table>\n<h2 id=\"baseline\">Baseline</h2>\n");
	sb_printf(sb, "<p>%d warm-up run(s) discarded, median of %d counted run(s).</p>\n",
		  p->o.warmup, p->o.runs);
	baseline_table(sb, base);
	sb_puts(sb, "<h2 id=\"steps\">Steps</h2>\n");
	step_tree(sb, p->steps);
	sb_puts(sb, "<h2 id=\"chain\">Call chain (read from the source)</h2>\n");
	if (p->call_chain) {
		call_chain(sb, p->call_chain, 0);
	} else {
		sb_puts(sb, "<p class=\"null\">");
		esc(sb, p->call_chain_problem ? p->call_chain_problem : "not read");
		sb_puts(sb, "</p>\n");
	}
	sb_puts(sb, "<h2 id=\"flame\">Flame graph</h2>\n");
	{
		struct strbuf f = STRBUF_INIT;

		if (flame_svg(p, &f, 0) == 0) {
			sb_puts(sb, "<div class=\"flamebox\">");
			sb_add(sb, f.buf, f.len);
			sb_puts(sb, "</div><p>Width: share of the samples; colour: the state most "
				    "of the frame's time was in.</p>\n");
		} else {
			sb_puts(sb, "<p class=\"null\">No flame graph: ");
			esc(sb, p->trace_problem ? p->trace_problem : "no sampled profile");
			sb_puts(sb, "</p>\n");
		}
		sb_free(&f);
	}
	sb_puts(sb, "<h2 id=\"suspicions\">Suspicion stack</h2>\n<table><tr><th>verdict</th>"
		    "<th>category</th><th>description</th><th>location</th><th>evidence</th>"
		    "<th>verification</th><th>steps</th></tr>\n");
	cJSON_ArrayForEach(it, jget(res, "suspicion_stack"))
	{
		const char *v = jstr(it, "verdict", "");
		const cJSON *st;

		sb_printf(sb, "<tr><td class=\"%s\">%s</td><td>", v, v);
		esc(sb, jstr(it, "category", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "description", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "location", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "evidence", ""));
		sb_puts(sb, "</td><td>");
		esc(sb, jstr(it, "verification_note", ""));
		sb_puts(sb, "</td><td>");
		cJSON_ArrayForEach(st, jget(it, "affected_steps"))
		{
			esc(sb, st->valuestring);
			sb_putc(sb, ' ');
		}
		sb_puts(sb, "</td></tr>\n");
	}
	sb_puts(sb, "</table>\n<h2 id=\"wrong-tool\">Wrong-tool indicators</h2>\n");
	if (!cJSON_GetArraySize(jget(det, "wrong_tool_evidence")))
		sb_puts(sb, "<p>None: proceed with optimization.</p>\n");
	else
		sb_puts(sb, "<ul>\n");
	cJSON_ArrayForEach(it, jget(det, "wrong_tool_evidence"))
	{
		sb_puts(sb, "<li><b>");
		esc(sb, jstr(it, "indicator", ""));
		sb_puts(sb, "</b>: ");
		esc(sb, jstr(it, "evidence", ""));
		sb_puts(sb, "</li>\n");
	}
	if (cJSON_GetArraySize(jget(det, "wrong_tool_evidence")))
		sb_puts(sb, "</ul>\n");
	if (cJSON_GetArraySize(jget(det, "function_timings"))) {
		sb_puts(sb, "<h2 id=\"functions\">Per-function timings (wrappers)</h2>\n<table><tr>"
			    "<th>function</th><th>location</th><th>calls</th><th>total ms</th>"
			    "<th>self ms</th></tr>\n");
		cJSON_ArrayForEach(it, jget(det, "function_timings"))
		{
			sb_puts(sb, "<tr><td>");
			esc(sb, jstr(it, "function", ""));
			sb_puts(sb, "</td><td>");
			esc(sb, jstr(it, "location", ""));
			sb_printf(sb,
				  "</td><td class=\"n\">%.0f</td><td class=\"n\">%.3f</td>"
				  "<td class=\"n\">%.3f</td></tr>\n",
				  jnum(it, "calls_median", 0), jnum(it, "total_ms_median", 0),
				  jnum(it, "self_ms_median", 0));
		}
		sb_puts(sb, "</table>\n");
	}
	sb_puts(sb, "<h2 id=\"method\">How this was measured</h2>\n<ul>");
	sb_puts(sb, "<li>Escalation: ");
	esc(sb, p->escalation ? p->escalation : "none");
	sb_puts(sb, "</li><li>Deep profile: ");
	esc(sb, p->trace ? "perftrace, sampled" : (p->trace_problem ? p->trace_problem : "none"));
	if (p->ninst)
		sb_printf(
		    sb,
		    "</li><li>Instrumented runs: %d, median wall time %.1f ms (baseline %.1f ms)",
		    p->ninst, p->inst_wall_ms, p->stats[M_WALL_MS].median);
	sb_puts(sb, "</li><li>Shim: ");
	esc(sb, p->shim_problem ? p->shim_problem : "libperfshim.so in every run");
	sb_puts(sb, "</li><li>E2E gate: ");
	esc(sb, p->e2e_command ? p->e2e_command : "none");
	sb_puts(sb, "</li>");
	for (int i = 0; i < p->ninstrumented; i++) {
		sb_puts(sb, "<li>Wrappers in ");
		esc(sb, p->instrumented[i]);
		sb_puts(sb, " (remove with <code>perfinject --clean</code>)</li>");
	}
	for (int i = 0; i < p->nconcerns; i++) {
		sb_puts(sb, "<li>Concern: ");
		esc(sb, p->concerns[i]);
		sb_puts(sb, "</li>");
	}
	sb_puts(sb, "</ul>\n");
	if (cJSON_GetArraySize(jget(det, "heap_sites"))) {
		sb_puts(sb,
			"<h2 id=\"heap\">Allocation sites (sampled by the shim)</h2>\n<table><tr>"
			"<th>pid</th><th>estimated bytes</th><th>estimated allocations</th>"
			"<th>stack</th></tr>\n");
		cJSON_ArrayForEach(it, jget(det, "heap_sites"))
		{
			const cJSON *f;
			int nf = 0;

			sb_printf(sb,
				  "<tr><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td>"
				  "<td class=\"n\">%.0f</td><td>",
				  jnum(it, "pid", 0), jnum(it, "est_bytes", 0),
				  jnum(it, "est_allocs", 0));
			cJSON_ArrayForEach(f, jget(it, "frames"))
			{
				if (nf++ >= 6)
					break;
				if (nf > 1)
					sb_puts(sb, " &larr; ");
				sb_puts(sb, "<code>");
				esc(sb, cJSON_IsString(f) ? f->valuestring : "?");
				sb_puts(sb, "</code>");
			}
			sb_puts(sb, "</td></tr>\n");
		}
		sb_puts(sb, "</table>\n");
	}
	if (p->line_profile) {
		sb_puts(sb, "<h2 id=\"lines\">Line profile of ");
		esc(sb, jstr(p->line_profile, "function", ""));
		sb_puts(sb, "</h2><pre>");
		esc(sb, jstr(p->line_profile, "annotate", ""));
		sb_puts(sb, "</pre>\n");
	}
	embed_json(sb, res);
	sb_puts(sb, "</body></html>\n");
}
