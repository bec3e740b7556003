/*
 * Targeted instrumentation (seed Phase 3, step 3): perfprof --instrument
 * wraps the target function with perfinject, re-runs the counted runs and
 * reports exact per-function figures from the shim's spans; the wrappers
 * stay listed in instrumented_files until perfinject --clean, which gives
 * the file back byte for byte.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv.h"

static const char prog_c[] = "#include <stdio.h>\n"
			     "\n"
			     "static unsigned long work(unsigned long n)\n"
			     "{\n"
			     "\tunsigned long x = 1;\n"
			     "\n"
			     "\tfor (unsigned long i = 0; i < n; i++)\n"
			     "\t\tx = x * 6364136223846793005ul + 1;\n"
			     "\treturn x;\n"
			     "}\n"
			     "\n"
			     "int main(void)\n"
			     "{\n"
			     "\tunsigned long s = 0;\n"
			     "\n"
			     "\tfor (int i = 0; i < 7; i++)\n"
			     "\t\ts += work(2000000);\n"
			     "\tprintf(\"%lu\\n\", s);\n"
			     "\treturn 0;\n"
			     "}\n";

static const char makefile[] = "prog: prog.c\n\tcc -O1 -g -o prog prog.c -ldl\n"
			       "run: prog\n\t./prog\n";

Test(instrument, wrappers_give_per_function_medians)
{
	char *dir = tl_tmpdir("inst"), *p, *data;
	struct drv d;
	const cJSON *f, *hit = NULL;
	struct tl_result r;
	size_t len;

	drv_need(0);
	if (!tl_have("cc"))
		cr_skip_test("no C compiler");
	{
		struct stat st;

		if (stat(tl_bpath("perfinject"), &st) < 0)
			cr_skip_test("build/perfinject is not built (inject/ not merged yet)");
	}
	asprintf(&p, "%s/prog.c", dir);
	tl_write_file(p, prog_c, strlen(prog_c));
	asprintf(&p, "%s/Makefile", dir);
	tl_write_file(p, makefile, strlen(makefile));
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "2", "--warmup", "1", "--instrument",
					  "--target", "prog.c:work", "--", "make", "-s", "run",
					  NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(d.result, "instrumented_files")), 1);
	cr_assert_str_eq(tl_json_str(d.result, "instrumented_files[0]"), "prog.c");
	cJSON_ArrayForEach(f, tl_json_at(d.details, "function_timings"))
	{
		const char *n = tl_json_str(f, "function");
		size_t l = strlen(n);

		if (l >= 4 && !strcmp(n + l - 4, "work"))
			hit = f;
	}
	cr_assert_not_null(hit, "no span for work(): %s",
			   cJSON_Print(tl_json_at(d.details, "function_timings")));
	cr_assert_eq(tl_json_num(hit, "calls_median"), 7, "work() runs exactly 7 times");
	cr_assert_gt(tl_json_num(hit, "total_ms_median"), 0);
	cr_assert_eq(tl_json_num(hit, "runs"), 2);
	/* The wrappers stay until the executor removes them. */
	asprintf(&p, "%s/prog.c", dir);
	data = tl_read_file(p, &len);
	cr_assert(len != strlen(prog_c) || memcmp(data, prog_c, len), "the wrapper is in place");
	{
		const char *argv[] = {tl_bpath("perfinject"), "--root", dir, "--clean", NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 60), 0);
	}
	cr_assert_eq(r.code, 0, "%s", r.err);
	data = tl_read_file(p, &len);
	cr_assert_eq(len, strlen(prog_c));
	cr_assert_eq(memcmp(data, prog_c, len), 0, "perfinject --clean restores the file");
	tl_rm_rf(dir);
}

static const cJSON *step_named(const cJSON *steps, const char *fn)
{
	const cJSON *s, *k;

	cJSON_ArrayForEach(s, steps)
	{
		if (!strcmp(tl_json_str(s, "function"), fn))
			return s;
		if ((k = step_named(tl_json_at(s, "children"), fn)))
			return k;
	}
	return NULL;
}

Test(instrument, without_samples_the_wrappers_and_the_source_make_the_map)
{
	char *dir = tl_tmpdir("inst-shop"), *src, *data, *p;
	struct drv d;
	const cJSON *m, *br, *fetch, *sign, *f;
	size_t len;
	int calls35 = 0;

	drv_need(0);
	if (!tl_have("cc"))
		cr_skip_test("no C compiler");
	{
		struct stat st;

		if (stat(tl_bpath("perfinject"), &st) < 0)
			cr_skip_test("build/perfinject is not built (inject/ not merged yet)");
	}
	src = drv_source_file("examples/shop.c");
	data = tl_read_file(src, &len);
	cr_assert_not_null(data, "cannot read the example");
	asprintf(&p, "%s/examples", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/examples/shop.c", dir);
	tl_write_file(p, data, len);
	asprintf(&p, "%s/Makefile", dir);
	{
		static const char mk[] = "check: shop\n\t./shop\nshop: examples/shop.c\n"
					 "\tcc -O1 -g -o shop examples/shop.c -ldl\n";

		tl_write_file(p, mk, strlen(mk));
	}
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "2", "--warmup", "1", "--no-trace", "--target",
					  "examples/shop.c:build_report", "--", "make", "-rs",
					  "check", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	drv_check_map(&d);
	cr_assert_str_eq(tl_json_str(d.result, "instrumented_files[0]"), "examples/shop.c");
	cJSON_ArrayForEach(
	    f, tl_json_at(d.details, "function_timings")) if (strstr(tl_json_str(f, "function"),
								     "fetch_price")) calls35 =
	    tl_json_num(f, "calls_median") == 35;
	cr_assert(calls35, "fetch_price ran exactly 35 times: %s",
		  cJSON_Print(tl_json_at(d.details, "function_timings")));
	m = tl_json_at(d.result, "performance_map");
	br = step_named(tl_json_at(m, "steps"), "build_report");
	cr_assert_not_null(br);
	/* nested as the source nests them, typed by the counts that match */
	fetch = step_named(tl_json_at(br, "children"), "fetch_price");
	sign = step_named(tl_json_at(br, "children"), "sign_report");
	cr_assert_not_null(fetch);
	cr_assert_not_null(sign);
	cr_assert_str_eq(tl_json_str(fetch, "type"), "http_call");
	cr_assert_eq(tl_json_num(fetch, "http_round_trips"), 35);
	cr_assert_str_eq(tl_json_str(sign, "type"), "function_call");
	cr_assert(strstr(tl_json_str(d.result, "suspicion_stack[1].verification_note"),
			 "calls fetch_price inside a loop at line 125") ||
		      strstr(cJSON_PrintUnformatted(tl_json_at(d.result, "suspicion_stack")),
			     "calls fetch_price inside a loop at line 125"),
		  "the source confirms the loop");
	tl_rm_rf(dir);
}

Test(instrument, wrappers_that_break_the_e2e_test_are_removed)
{
	char *dir = tl_tmpdir("inst-break"), *p, *data;
	struct drv d;
	size_t len;
	/* an e2e test that fails as soon as the source changes: what a
	 * wrapper that breaks a test looks like to the driver */
	static const char e2e[] = "#!/bin/sh\n# checks work() output and that the source is "
				  "pristine\ncmp -s prog.c tests/prog.c.orig && ./prog\n";

	drv_need(0);
	if (!tl_have("cc"))
		cr_skip_test("no C compiler");
	{
		struct stat st;

		if (stat(tl_bpath("perfinject"), &st) < 0)
			cr_skip_test("build/perfinject is not built (inject/ not merged yet)");
	}
	asprintf(&p, "%s/prog.c", dir);
	tl_write_file(p, prog_c, strlen(prog_c));
	asprintf(&p, "%s/Makefile", dir);
	tl_write_file(p, makefile, strlen(makefile));
	asprintf(&p, "%s/tests", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/tests/prog.c.orig", dir);
	tl_write_file(p, prog_c, strlen(prog_c));
	asprintf(&p, "%s/tests/e2e_work.sh", dir);
	tl_write_file(p, e2e, strlen(e2e));
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--instrument",
					  "--target", "prog.c:work", "--", "make", "-s", "run",
					  NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert_str_eq(tl_json_str(d.result, "e2e_test.source"), "function");
	cr_assert(strstr(d.r.err, "instrumentation breaks the e2e test: wrappers removed"), "%s",
		  d.r.err);
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(d.result, "instrumented_files")), 0);
	cr_assert(strstr(tl_json_str(d.details, "escalation"), "reverted"));
	asprintf(&p, "%s/prog.c", dir);
	data = tl_read_file(p, &len);
	cr_assert_eq(len, strlen(prog_c));
	cr_assert_eq(memcmp(data, prog_c, len), 0, "the source is back as it was");
	tl_rm_rf(dir);
}
