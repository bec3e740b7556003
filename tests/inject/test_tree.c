/*
 * A realistic tree (tests/inject/cases/tree: C sources, a header, a
 * Makefile building with -Werror, a C test suite and a Python package with
 * unittest tests): instrument everything, build and run the project's own
 * tests with identical results and exact call counts, clean, and the tree
 * is identical to the original, file for file and byte for byte.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti.h"

static const struct {
	const char *name;
	long calls;
} want[] = {
    {"src/parse.c:calc_eval", 7},
    {"src/parse.c:calc_tokenize", 7},
    {"src/parse.c:term", 13},
    {"src/calc.c:calc_apply", 10},
    {"src/calc.c:add", 6},
    {"src/calc.c:mul", 4},
    {"calc_clamp", 7},
    {"tests/test_calc.c:check", 6},
    {"tests/test_calc.c:main", 1},
    {"src/main.c:main", 1},
    {"calcpy.ops.evaluate", 3},
    {"calcpy.ops.Evaluator.__init__", 3},
    {"calcpy.ops.Evaluator.run", 3},
    {"calcpy.ops.apply", 3},
    {"calcpy.ops.tokens", 3},
    {"tests.test_ops.TestOps.test_add", 1},
    {"tests.test_ops.TestOps.test_chain", 1},
    {"tests.test_ops.TestOps.test_single", 1},
};

Test(tree, inject_build_test_clean)
{
	char *pristine = ti_tmpdir("tree-orig"), *dir = ti_tmpdir("tree"), *cmd, *base_out;
	char *pre, *rec, *recenv, *pyenv, *outenv, *spans_dir;
	const char *env[5];
	struct tl_result r;
	struct ti_span *v, *pv;
	int n, pn;
	size_t i;

	if (!tl_have("python3") || !tl_have("make"))
		cr_skip_test("needs make and python3");
	cr_assert(asprintf(&cmd, "cp -a %s/tests/inject/cases/tree/. %s/ && cp -a %s/. %s/",
			   ti_srcdir(), pristine, pristine, dir) > 0);
	cr_assert_eq(ti_sh(&r, "/", cmd, NULL), 0, "%s", r.err);
	tl_result_free(&r);

	/* The project as it is. */
	cr_assert_eq(ti_sh(&r, dir, "make -s test && make -s clean", NULL), 0, "%s%s", r.out,
		     r.err);
	base_out = strdup(r.out);
	tl_result_free(&r);
	cr_assert(strstr(base_out, "6 checks, 0 failures") && strstr(base_out, "OK"), "%s",
		  base_out);

	{
		const char *args[] = {"--json", ".", "include/calc.h:calc_clamp", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		tl_result_free(&r);
	}

	/* Instrumented, with the recorder for C and the runtime for Python. */
	spans_dir = ti_path(dir, "spans");
	cr_assert(asprintf(&cmd, "mkdir -p %s", spans_dir) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0);
	tl_result_free(&r);
	rec = ti_path(spans_dir, "c.rec");
	cr_assert(asprintf(&pre, "LD_PRELOAD=%s", tl_bpath("tests/progs/libinject_spanrec.so")) >
		  0);
	cr_assert(asprintf(&recenv, "SPANREC_OUT=%s", rec) > 0);
	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", spans_dir) > 0);
	env[0] = pre;
	env[1] = recenv;
	env[2] = pyenv;
	env[3] = outenv;
	env[4] = NULL;
	cr_assert_eq(ti_sh(&r, dir, "make -s all", NULL), 0, "instrumented build: %s", r.err);
	tl_result_free(&r);
	cr_assert_eq(ti_sh(&r, dir, "make -s test", env), 0, "instrumented tests: %s%s", r.out,
		     r.err);
	cr_expect_str_eq(r.out, base_out, "the project's tests give other results instrumented");
	tl_result_free(&r);

	v = ti_recorded(rec, &n);
	pv = ti_py_spans(spans_dir, &pn);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ti_span *s = ti_find(v, n, want[i].name);

		if (!s)
			s = ti_find(pv, pn, want[i].name);
		cr_assert(s, "no span %s", want[i].name);
		cr_expect_eq((long)s->calls, want[i].calls, "%s: %.0f calls, expected %ld",
			     want[i].name, s->calls, want[i].calls);
		cr_expect(s->total_ns >= s->self_ns, "%s: total < self", want[i].name);
		cr_expect_eq(s->bad, 0, "%s: unmatched exits", want[i].name);
	}
	cr_expect_eq(n + pn, (int)(sizeof(want) / sizeof(want[0])), "%d spans recorded", n + pn);

	/* Clean, and the tree is what it was. */
	cr_assert_eq(ti_sh(&r, dir,
			   "make -s clean && rm -rf spans && find . -name __pycache__ -prune -exec "
			   "rm -rf {} +",
			   NULL),
		     0);
	tl_result_free(&r);
	{
		const char *args[] = {"--clean", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		cr_expect(strstr(r.out, "7 files restored"), "%s", r.out);
		tl_result_free(&r);
	}
	cr_assert(
	    asprintf(&cmd,
		     "diff -r --no-dereference %s %s && cd %s && find . | sort > /tmp/a.$$ && "
		     "cd %s && find . | sort | diff /tmp/a.$$ - ; s=$?; rm -f /tmp/a.$$; exit $s",
		     pristine, dir, pristine, dir) > 0);
	cr_expect_eq(ti_sh(&r, "/", cmd, NULL), 0, "the tree differs after --clean:\n%s%s", r.out,
		     r.err);
	tl_result_free(&r);
	tl_rm_rf(dir);
	tl_rm_rf(pristine);
}
