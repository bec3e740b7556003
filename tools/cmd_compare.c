/*
 * perfprof compare DIR_A DIR_B [--json]: the before/after table of two
 * sessions, per baseline metric (medians from baseline.json) and per
 * function (step wall times from profile_result.json, and the wrappers'
 * medians from profile_details.json when both sessions had them).
 * Delta is (after - before) / before in percent; x is after / before.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "jget.h"
#include "outfile.h"
#include "strbuf.h"

struct row {
	char *name;
	double a, b;
	int has_a, has_b;
};

struct table {
	struct row *r;
	int n;
};

static struct row *row_get(struct table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->r[i].name, name))
			return &t->r[i];
	t->r = realloc(t->r, sizeof(*t->r) * (size_t)(t->n + 1));
	if (!t->r)
		error_msg_and_die("out of memory");
	memset(&t->r[t->n], 0, sizeof(t->r[0]));
	t->r[t->n].name = strdup(name);
	return &t->r[t->n++];
}

static void put(struct table *t, const char *name, int side, double v)
{
	struct row *r = row_get(t, name);

	if (side == 0) {
		r->a = r->has_a ? fmax(r->a, v) : v;
		r->has_a = 1;
	} else {
		r->b = r->has_b ? fmax(r->b, v) : v;
		r->has_b = 1;
	}
}

static void walk_steps(struct table *t, const cJSON *steps, int side)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, steps)
	{
		if (jhas(s, "wall_time_ms"))
			put(t, jstr(s, "function", "?"), side, jnum(s, "wall_time_ms", 0));
		walk_steps(t, jget(s, "children"), side);
	}
}

static cJSON *load(const char *dir, const char *name, int required)
{
	char *path = out_path(dir, name);
	int err = 0;
	cJSON *j = jload(path, &err);

	if (!j && required)
		error_msg("cannot read %s: %s", path,
			  err == -22 ? "not valid JSON"
				     : "missing (is it a perfprof output directory?)");
	free(path);
	return j;
}

static void print_table(struct strbuf *sb, const char *title, const struct table *t, cJSON *js)
{
	cJSON *arr = js ? cJSON_AddArrayToObject(js, title) : NULL;

	if (!js)
		sb_printf(sb, "\n%-40s %14s %14s %10s %8s\n", title, "Before", "After", "Delta",
			  "x");
	for (int i = 0; i < t->n; i++) {
		const struct row *r = &t->r[i];
		int both = r->has_a && r->has_b;
		double d = both && r->a != 0 ? (r->b - r->a) / r->a * 100.0 : NAN;
		double x = both && r->a != 0 ? r->b / r->a : NAN;

		if (js) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", r->name);
			jadd_num_or_null(o, "before", r->has_a, r->a);
			jadd_num_or_null(o, "after", r->has_b, r->b);
			jadd_num_or_null(o, "delta_pct", isfinite(d), d);
			jadd_num_or_null(o, "ratio", isfinite(x), x);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		sb_printf(sb, "%-40.40s ", r->name);
		if (r->has_a)
			sb_printf(sb, "%14.2f ", r->a);
		else
			sb_printf(sb, "%14s ", "-");
		if (r->has_b)
			sb_printf(sb, "%14.2f ", r->b);
		else
			sb_printf(sb, "%14s ", "-");
		if (isfinite(d))
			sb_printf(sb, "%+9.1f%% %7.2fx\n", d, x);
		else
			sb_printf(sb, "%10s %8s\n", "-", "-");
	}
}

int cmd_compare(int argc, char **argv)
{
	struct table metrics = {0}, funcs = {0}, wrapped = {0};
	const char *dirs[2] = {NULL, NULL};
	int json = 0, nd = 0, ret = EXIT_ERROR;
	cJSON *base[2] = {NULL, NULL}, *res[2] = {NULL, NULL}, *det[2] = {NULL, NULL};
	struct strbuf sb = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-') {
			error_msg("compare: unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else if (nd < 2)
			dirs[nd++] = argv[i];
		else {
			error_msg("compare takes two directories");
			return EXIT_USAGE;
		}
	}
	if (nd != 2) {
		error_msg("usage: perfprof compare DIR_BEFORE DIR_AFTER [--json]");
		return EXIT_USAGE;
	}
	for (int s = 0; s < 2; s++) {
		const cJSON *m;

		base[s] = load(dirs[s], "baseline.json", 1);
		res[s] = load(dirs[s], "profile_result.json", 1);
		det[s] = load(dirs[s], "profile_details.json", 0);
		if (!base[s] || !res[s])
			goto out;
		cJSON_ArrayForEach(m, jget(base[s], "results[0].metrics")) if (jhas(m, "median"))
		    put(&metrics, m->string, s, jnum(m, "median", 0));
		else row_get(&metrics, m->string);
		walk_steps(&funcs, jget(res[s], "performance_map.steps"), s);
		cJSON_ArrayForEach(m, jget(det[s], "function_timings"))
		    put(&wrapped, jstr(m, "function", "?"), s, jnum(m, "total_ms_median", 0));
	}
	{
		cJSON *js = json ? cJSON_CreateObject() : NULL;

		if (js) {
			cJSON_AddStringToObject(js, "before", dirs[0]);
			cJSON_AddStringToObject(js, "after", dirs[1]);
		} else {
			sb_printf(&sb, "before: %s\nafter:  %s\n", dirs[0], dirs[1]);
		}
		print_table(&sb, "metrics", &metrics, js);
		print_table(&sb, "functions (step wall ms)", &funcs, js);
		if (wrapped.n)
			print_table(&sb, "functions (wrapper total ms, median)", &wrapped, js);
		if (js) {
			char *s = jprint(js);

			sb_puts(&sb, s);
			free(s);
			cJSON_Delete(js);
		}
	}
	if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len)
		goto out;
	ret = 0;
out:
	for (int s = 0; s < 2; s++) {
		cJSON_Delete(base[s]);
		cJSON_Delete(res[s]);
		cJSON_Delete(det[s]);
	}
	for (int i = 0; i < metrics.n; i++)
		free(metrics.r[i].name);
	for (int i = 0; i < funcs.n; i++)
		free(funcs.r[i].name);
	for (int i = 0; i < wrapped.n; i++)
		free(wrapped.r[i].name);
	free(metrics.r);
	free(funcs.r);
	free(wrapped.r);
	sb_free(&sb);
	return ret;
}
