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
	cr_assert_eq(tt_num(node, "self_samples") + kids, tt_num(node, "total_samples"),
		     "node %s", tl_json_str(node, "name"));
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
