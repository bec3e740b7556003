/*
 * End to end with the real libperfshim.so: instrumented programs report
 * their spans in the shim's JSON report (spans[]), with the exact calls the
 * cases state, inclusive >= self time, and min <= max; Python spans of a
 * process under the shim go to pyspans.<pid>.json in the same directory.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ti.h"

#define MAX_EXPECT 64

static char *shim(void)
{
	char *so = tl_bpath("libperfshim.so");

	if (access(so, R_OK))
		cr_skip_test("build/libperfshim.so is not built");
	return so;
}

static void e2e(const char *name, const char *build, const char *run)
{
	const char *files[] = {name, NULL};
	char *dir = ti_tree("shim", files), *src = ti_path(dir, name), *text = ti_read(src, NULL);
	char *out = ti_path(dir, "out"), *pre, *outenv, *pyenv, *cmd;
	char names[MAX_EXPECT][256];
	long calls[MAX_EXPECT];
	int skip[MAX_EXPECT], n, k, nspans;
	const char *env[4];
	struct tl_result r;
	struct ti_span *v;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s", shim()) > 0);
	n = ti_expectations(text, names, calls, skip, MAX_EXPECT);
	{
		const char *args[] = {name, NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		tl_result_free(&r);
	}
	if (build) {
		cr_assert_eq(ti_sh(&r, dir, build, NULL), 0, "%s", r.err);
		tl_result_free(&r);
	}
	cr_assert(asprintf(&cmd, "mkdir %s", out) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0);
	tl_result_free(&r);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", out) > 0);
	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	env[0] = pre;
	env[1] = outenv;
	env[2] = pyenv;
	env[3] = NULL;
	cr_assert_eq(ti_sh(&r, dir, run, env), 0, "%s", r.err);
	tl_result_free(&r);
	v = build ? ti_shim_spans(out, &nspans) : ti_py_spans(out, &nspans);
	for (k = 0; k < n; k++) {
		const struct ti_span *s;

		if (skip[k])
			continue;
		s = ti_find(v, nspans, names[k]);
		if (!calls[k]) {
			cr_expect(!s || !s->calls, "%s: calls recorded", names[k]);
			continue;
		}
		cr_assert(s, "%s: no span in the report", names[k]);
		cr_expect_eq((long)s->calls, calls[k], "%s: %.0f calls, expected %ld", names[k],
			     s->calls, calls[k]);
		cr_expect(s->total_ns >= s->self_ns, "%s: total %.0f < self %.0f", names[k],
			  s->total_ns, s->self_ns);
		cr_expect(s->min_ns <= s->max_ns, "%s: min > max", names[k]);
		cr_expect_str_eq(s->file, name);
	}
	for (k = 0; k < nspans; k++) {
		int j;

		for (j = 0; j < n && strcmp(names[j], v[k].name); j++)
			;
		cr_expect(j < n, "unexpected span %s", v[k].name);
	}
	{
		const char *args[] = {"--clean", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		tl_result_free(&r);
	}
	tl_rm_rf(dir);
}

Test(shim, c_spans)
{
	e2e("tricky.c", "gcc -std=c11 -O1 -Wall -Wextra -Werror -pedantic tricky.c -o prog",
	    "./prog");
}

Test(shim, cxx_spans)
{
	e2e("tricky.cc", "g++ -std=c++17 -O1 -Wall -Wextra -Werror -pedantic tricky.cc -o prog",
	    "./prog");
}

Test(shim, threads_and_longjmp)
{
	e2e("threads.c", "gcc -std=c11 -O1 -Wall -Wextra -Werror -pthread threads.c -o prog",
	    "./prog");
}

Test(shim, python_under_the_shim)
{
	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	e2e("tricky.py", NULL, "python3 tricky.py");
}

/* The nesting the shim reports: a parent's self time excludes its wrapped children. */
Test(shim, nesting_self_time)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("shim", files), *out = ti_path(dir, "out"), *pre, *outenv, *cmd;
	const char *env[3];
	struct tl_result r;
	struct ti_span *v;
	const struct ti_span *m, *fib, *sq;
	int n;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s", shim()) > 0);
	{
		const char *args[] = {"tricky.c", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		tl_result_free(&r);
	}
	cr_assert(asprintf(&cmd, "gcc -O1 tricky.c -o prog && mkdir %s", out) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", out) > 0);
	env[0] = pre;
	env[1] = outenv;
	env[2] = NULL;
	cr_assert_eq(ti_sh(&r, dir, "./prog", env), 0, "%s", r.err);
	tl_result_free(&r);
	v = ti_shim_spans(out, &n);
	m = ti_find(v, n, "tricky.c:main");
	fib = ti_find(v, n, "tricky.c:fib");
	sq = ti_find(v, n, "tricky.c:square");
	cr_assert(m && fib && sq);
	/* main's children ran inside it: its self time is its total minus theirs. */
	cr_expect(m->self_ns <= m->total_ns - fib->total_ns - sq->total_ns,
		  "main self %.0f, total %.0f, fib %.0f, square %.0f", m->self_ns, m->total_ns,
		  fib->total_ns, sq->total_ns);
	/* Recursion: fib's total counts the outermost activation only. */
	cr_expect(fib->total_ns <= m->total_ns, "fib total %.0f > main total %.0f", fib->total_ns,
		  m->total_ns);
	tl_rm_rf(dir);
}
