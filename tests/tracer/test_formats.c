/*
 * The report formats: the JSON fields other tools rely on, folded stacks
 * that add up, and the text report's sections.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_test.h"

static const char *const states[] = {"cpu", "io_file", "io_net", "lock", "sleep", "other"};

static double states_sum(const cJSON *o)
{
	double s = 0;

	for (size_t i = 0; i < 6; i++)
		s += tt_num(cJSON_GetObjectItem(o, "states"), states[i]);
	return s;
}

static double tree_check(const cJSON *node)
{
	const cJSON *c;
	double kids = 0;

	cr_assert_not_null(tl_json_str(node, "name"));
	cr_assert_eq(states_sum(node), tt_num(node, "total_samples"), "node %s",
		     tl_json_str(node, "name"));
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(node, "children"))
	{
		kids += tree_check(c);
	}
	/* a node's samples are its own plus its children's */
	cr_assert_eq(tt_num(node, "self_samples") + kids, tt_num(node, "total_samples"), "node %s",
		     tl_json_str(node, "name"));
	return tt_num(node, "total_samples");
}

Test(formats, json_fields)
{
	char *dir = tl_tmpdir("tr-json");
	const char *cmd[] = {tl_prog("trace_net"), "0.6", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *f, *t, *p, *tr;
	double samples, thread_samples = 0;

	cr_assert(r.exited && r.code == 0);
	rep = tt_report(file, dir);
	samples = tt_num(rep, "samples");
	cr_assert_gt(samples, 100);
	cr_assert_eq(states_sum(rep), samples);
	cr_assert_gt(tt_num(rep, "sample_period_ns"), 0);
	tr = cJSON_GetObjectItem(rep, "tracer");
	cr_assert_gt(tt_num(cJSON_GetObjectItem(tr, "stop_ns"), "median"), 0);
	cr_assert_geq(tt_num(cJSON_GetObjectItem(tr, "stop_ns"), "p99"),
		      tt_num(cJSON_GetObjectItem(tr, "stop_ns"), "median"));
	cr_assert_geq(tt_num(tr, "samples_late"), 0);
	cr_assert_geq(tt_num(tr, "samples_lost"), 0);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(rep, "functions"))
	{
		cr_assert_not_null(tl_json_str(f, "name"));
		cr_assert_not_null(tl_json_str(f, "module"));
		cr_assert_not_null(cJSON_GetObjectItem(f, "file"));
		cr_assert_not_null(cJSON_GetObjectItem(f, "line"));
		cr_assert_leq(tt_num(f, "self_samples"), tt_num(f, "total_samples"));
		cr_assert_leq(tt_num(f, "total_pct"), 100);
		cr_assert_eq(states_sum(f), tt_num(f, "total_samples"));
	}
	f = tt_func(rep, "fetch_reply");
	cr_assert_not_null(f);
	cr_assert(strstr(tl_json_str(f, "file"), "trace_net.c"));
	cr_assert_gt(tt_num(f, "line"), 0);
	cr_assert_str_eq(tl_json_str(f, "module"), "trace_net");
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(rep, "threads"))
	{
		cr_assert_gt(tt_num(t, "tid"), 0);
		cr_assert_gt(tt_num(t, "pid"), 0);
		cr_assert_not_null(tl_json_str(t, "comm"));
		cr_assert_gt(tt_num(t, "duration_ns"), 0);
		thread_samples += tt_num(t, "samples");
	}
	cr_assert_eq(thread_samples, samples);
	p = tl_json_at(rep, "processes[0]");
	cr_assert_not_null(p);
	cr_assert(strstr(tl_json_str(p, "exe"), "trace_net"));
	cr_assert_str_eq(tl_json_str(p, "argv[1]"), "0.6");
	cr_assert_eq(tt_num(p, "samples"), samples);
	cr_assert_eq(tree_check(cJSON_GetObjectItem(rep, "tree")), samples);
	cr_assert_not_null(tt_tree_proc(rep, (int)tt_num(p, "pid")));
	cr_assert_gt(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "waits")), 0);
	tl_rm_rf(dir);
}

Test(formats, folded_adds_up)
{
	char *dir = tl_tmpdir("tr-folded");
	const char *cmd[] = {tl_prog("trace_waits"), "sleep", "0.4", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL), *folded, *save = NULL;
	cJSON *rep;
	long total = 0, lines = 0;

	cr_assert(r.exited && r.code == 0);
	rep = tt_report(file, dir);
	folded = tt_folded(file, dir);
	for (char *line = strtok_r(folded, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		cr_assert_not_null(sp, "line without a count: %s", line);
		cr_assert_gt(atol(sp + 1), 0);
		cr_assert(!strncmp(line, "trace_waits [", 13), "line: %s", line);
		total += atol(sp + 1);
		lines++;
	}
	cr_assert_gt(lines, 0);
	cr_assert_eq(total, (long)tt_num(rep, "samples"));
	tl_rm_rf(dir);
}

Test(formats, text_sections)
{
	char *dir = tl_tmpdir("tr-text");
	const char *cmd[] = {tl_prog("trace_split"), "0.4", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	const char *argv[] = {tt_perftrace(), "report", "-i", file, "--threads", NULL};

	cr_assert(r.exited && r.code == 0);
	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	cr_assert(strstr(r.out, "Top functions by self samples"));
	cr_assert(strstr(r.out, "Top functions by total samples"));
	cr_assert(strstr(r.out, "tracer: each sample held its thread"));
	cr_assert(strstr(r.out, "spin_a (trace_split)"));
	cr_assert(strstr(r.out, "Thread "), "no per-thread section");
	tl_rm_rf(dir);
}

static char *report_to(const char *file, const char *dir, const char *format, const char *name)
{
	struct tl_result r;
	char *out;

	cr_assert(asprintf(&out, "%s/%s", dir, name) > 0);
	const char *argv[] = {tt_perftrace(), "report", "-i", file, "--format",
			      format,	      "-o",	out,  NULL};
	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 0, "%s: %s", format, r.err);
	return out;
}

Test(formats, speedscope_follows_the_schema)
{
	char *dir = tl_tmpdir("tr-ss");
	const char *cmd[] = {tl_prog("trace_net"), "0.5", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *ss = tl_json_load(report_to(file, dir, "speedscope", "p.speedscope.json")), *pr;
	int nframes, nprofiles = 0;

	cr_assert_not_null(ss);
	cr_assert_str_eq(tl_json_str(ss, "$schema"),
			 "https://www.speedscope.app/file-format-schema.json");
	nframes = cJSON_GetArraySize(tl_json_at(ss, "shared.frames"));
	cr_assert_gt(nframes, 5);
	cr_assert_not_null(tl_json_str(ss, "shared.frames[0].name"));
	cJSON_ArrayForEach(pr, cJSON_GetObjectItem(ss, "profiles"))
	{
		cJSON *samples = cJSON_GetObjectItem(pr, "samples"), *st, *w;
		double sum = 0;

		nprofiles++;
		cr_assert_str_eq(tl_json_str(pr, "type"), "sampled");
		cr_assert_str_eq(tl_json_str(pr, "unit"), "nanoseconds");
		cr_assert_eq(cJSON_GetArraySize(samples),
			     cJSON_GetArraySize(cJSON_GetObjectItem(pr, "weights")));
		cJSON_ArrayForEach(st, samples)
		{
			cJSON *fi;

			cJSON_ArrayForEach(fi, st)
			{
				cr_assert(fi->valuedouble >= 0 && fi->valuedouble < nframes);
			}
		}
		cJSON_ArrayForEach(w, cJSON_GetObjectItem(pr, "weights"))
		{
			sum += w->valuedouble;
		}
		cr_assert_eq(sum, tt_num(pr, "endValue"));
		/* a thread's weights add up to its sampled wall time (~0.5 s) */
		cr_assert(sum > 0.3e9 && sum < 0.8e9, "profile covers %.0f ns", sum);
	}
	cr_assert_eq(nprofiles, 2);
	tl_rm_rf(dir);
}

Test(formats, svg_flame_graph)
{
	char *dir = tl_tmpdir("tr-svg");
	const char *cmd[] = {tl_prog("trace_net"), "0.5", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	char *svg_path = report_to(file, dir, "svg", "flame.svg");
	char *svg = tl_read_file(svg_path, NULL);
	int boxes = 0;

	cr_assert_not_null(svg);
	cr_assert(!strncmp(svg, "<?xml", 5));
	cr_assert(strstr(svg, "<svg ") && strstr(svg, "</svg>"));
	cr_assert(strstr(svg, "<script") && strstr(svg, "function zoom"));
	cr_assert(strstr(svg, "data-l=\"fetch_reply\""));
	cr_assert(strstr(svg, "data-l=\"compute\""));
	for (const char *p = svg; (p = strstr(p, "<g class=\"f\"")); p++)
		boxes++;
	cr_assert_gt(boxes, 10);
	if (tl_have("python3")) {
		const char *argv[] = {
		    "python3", "-c",
		    "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])", svg_path,
		    NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 30), 0);
		cr_assert(r.exited && r.code == 0, "not well-formed XML: %s", r.err);
	}
	tl_rm_rf(dir);
}

Test(formats, annotate_instructions_and_lines)
{
	char *dir = tl_tmpdir("tr-ann"), *save = NULL, *line;
	const char *cmd[] = {tl_prog("trace_cxx"), "0.6", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 500, NULL, cmd, NULL);
	const char *argv[] = {
	    tt_perftrace(), "annotate", "-i", file, "geo::Circle::area(double) const", NULL};
	double self_sum = 0, loop_line = 0;
	int insns = 0, n = 0;
	char *src, *srcpath, key[64];

	/* the line of the inner loop's multiply-add, wherever formatting put it */
	cr_assert(asprintf(&srcpath, "%s/tests/progs/trace_cxx.cc", tl_srcdir()) > 0);
	src = tl_read_file(srcpath, NULL);
	cr_assert_not_null(src, "cannot read %s", srcpath);
	for (char *p = src, *nl; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		n++;
		if (nl)
			*nl = 0;
		if (strstr(p, "3.14159"))
			break;
	}
	snprintf(key, sizeof(key), "trace_cxx.cc:%d", n);

	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	cr_assert(!strncmp(r.out, "geo::Circle::area(double) const (trace_cxx)", 42), "%s", r.out);
	cr_assert(strstr(r.out, "Per source line:"));
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		double self, total;
		char addr[32];

		if (sscanf(line, " %lf %lf %31[0-9a-f]:", &self, &total, addr) == 3) {
			insns++;
			self_sum += self;
		} else if (sscanf(line, " %lf %lf", &self, &total) == 2 && strstr(line, key)) {
			loop_line = self;
		}
	}
	cr_assert_gt(insns, 2);
	/* nearly every sample of area() executes in area() itself */
	cr_assert_gt(self_sum, 90, "self shares add up to %.2f", self_sum);
	cr_assert_leq(self_sum, 100.01);
	/* the multiply-add line of the inner loop holds most of it */
	cr_assert_gt(loop_line, 40, "%s has %.2f%%", key, loop_line);
	tl_rm_rf(dir);
}

Test(formats, annotate_unknown_or_ambiguous_function)
{
	char *dir = tl_tmpdir("tr-ann2");
	const char *cmd[] = {tl_prog("trace_cxx"), "0.3", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	const char *a1[] = {tt_perftrace(), "annotate", "-i", file, "no_such_function", NULL};
	const char *a2[] = {tt_perftrace(), "annotate", "-i", file, "area", NULL};

	cr_assert_eq(tl_run(&r, a1, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 1);
	cr_assert(strstr(r.err, "no samples in a function named 'no_such_function'"), "%s", r.err);
	cr_assert_eq(tl_run(&r, a2, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 1);
	cr_assert(strstr(r.err, "matches 2 functions"), "%s", r.err);
	tl_rm_rf(dir);
}

Test(formats, very_deep_stacks_stay_parseable)
{
	char *dir = tl_tmpdir("tr-deep");
	const char *cmd[] = {tl_prog("trace_stack"), "recurse", "900", "0.3", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *n;
	int depth = 0;

	cr_assert(r.exited && r.code == 0, "%s", r.err);
	/* 900 frames would nest JSON too deep for cJSON: the tree stops at 480 levels */
	rep = tt_report(file, dir);
	for (n = cJSON_GetObjectItem(rep, "tree");
	     cJSON_GetArraySize(cJSON_GetObjectItem(n, "children"));
	     n = cJSON_GetArrayItem(cJSON_GetObjectItem(n, "children"), 0))
		depth++;
	cr_assert_eq(depth, 480);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(n, "children_omitted")));
	cr_assert_gt(tt_num(n, "total_samples"), 20);
	cr_assert_gt(tt_num(tt_func(rep, "bottom"), "total_samples"), 40);
	tl_rm_rf(dir);
}
