/*
 * The span API: calls, inclusive and self time with nesting, recursion
 * counted once, spans closed by an outer exit after a longjmp.
 */
#include <math.h>

#include "shimtest.h"

static cJSON *span(cJSON *rep, const char *name)
{
	cJSON *s;

	cJSON_ArrayForEach(s, tl_json_at(rep, "spans")) if (!strcmp(tl_json_str(s, "name"), name))
		return s;
	cr_assert_fail("no span %s", name);
	return NULL;
}

Test(span, nesting_recursion_and_longjmp)
{
	char *dir = tl_tmpdir("span");
	struct tl_result r = shim_run(dir, (const char *[]){tl_prog("shim_span"), NULL}, NULL);
	cJSON *rep, *outer, *inner, *rec, *jump;
	double ms = 1e6;

	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	cr_assert_str_eq(r.out, "done\n");
	rep = shim_report(dir, "/shim_span", 0);
	outer = span(rep, "shim_span.c:outer");
	inner = span(rep, "shim_span.c:inner");
	rec = span(rep, "shim_span.c:rec");
	jump = span(rep, "shim_span.c:jumper");
	EXPECT_NUM(outer, "calls", 3);
	EXPECT_NUM(inner, "calls", 6);
	EXPECT_NUM(rec, "calls", 4);
	EXPECT_NUM(jump, "calls", 1);
	EXPECT_NUM(outer, "line", 30);
	cr_expect_str_eq(tl_json_str(outer, "file"), "shim_span.c");
	/* sleeps are at least as long as asked */
	cr_expect_geq(jnum(inner, "total_ns"), 6 * 2 * ms);
	cr_expect_geq(jnum(inner, "min_ns"), 2 * ms);
	cr_expect_leq(jnum(inner, "min_ns"), jnum(inner, "max_ns"));
	/* inner spans have no children: self is total */
	EXPECT_NUM(inner, "self_ns", jnum(inner, "total_ns"));
	/* outer's self excludes the inner spans nested in it (and the jumper span): exact in
	 * clock ticks; each figure is rounded to a nanosecond on its own, hence the 3 ns */
	cr_expect_geq(jnum(outer, "total_ns"), jnum(inner, "total_ns") + jnum(jump, "total_ns"));
	cr_expect(fabs(jnum(outer, "self_ns") + jnum(inner, "total_ns") + jnum(jump, "total_ns") -
		       jnum(outer, "total_ns")) <= 3,
		  "outer self %.0f + inner %.0f + jumper %.0f != outer total %.0f",
		  jnum(outer, "self_ns"), jnum(inner, "total_ns"), jnum(jump, "total_ns"),
		  jnum(outer, "total_ns"));
	cr_expect_geq(jnum(outer, "self_ns"), 2 * ms); /* its own 1 ms naps */
	/* recursion: total counts the outermost activation only, so it is the
	 * outermost's duration (>= 4 ms) and not the sum of the four (>= 10 ms) */
	cr_expect_geq(jnum(rec, "total_ns"), 4 * ms);
	cr_expect_lt(jnum(rec, "total_ns"), 9 * ms, "recursive total %.0f", jnum(rec, "total_ns"));
	cr_expect_eq(jnum(rec, "max_ns"), jnum(rec, "total_ns"));
	cr_expect_leq(jnum(rec, "self_ns"), jnum(rec, "total_ns") + 0.5 * ms);
	tl_rm_rf(dir);
}

Test(span, without_the_shim_the_program_runs_as_before)
{
	struct tl_result r;

	cr_assert_eq(tl_run(&r, (const char *[]){tl_prog("shim_span"), NULL}, NULL, NULL, NULL, 30), 0);
	cr_expect(r.exited && r.code == 0);
	cr_expect_str_eq(r.out, "no shim\n");
}
