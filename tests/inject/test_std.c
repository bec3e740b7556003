/*
 * The injected code compiles cleanly from C89 to C23 and from C++98 to
 * C++23, with gcc and clang, under -Wall -Wextra -Werror -pedantic and the
 * stricter warnings projects commonly add, and the program's output and
 * recorded calls do not depend on the standard.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti.h"

#define WARN                                                                                       \
	"-Wall -Wextra -Werror -pedantic -Wshadow -Wundef -Wcast-qual -Wconversion "               \
	"-Wsign-conversion -Wredundant-decls -Wpadded -Wcast-align -Wwrite-strings -Winline"
/* K&R definitions are part of the cases, so no -Wold-style-definition / -Wstrict-prototypes. */
#define CWARN WARN " -Wmissing-prototypes -Wdeclaration-after-statement -Wnested-externs"
#define XWARN WARN " -Wold-style-cast -Wzero-as-null-pointer-constant -Wnon-virtual-dtor"

/*
 * Builds case `name` (injected) once per standard and checks each build's
 * output against the uninstrumented one, and the recorded calls of `span`.
 */
static void matrix(const char *name, const char *cc, const char *warn, const char *const stds[],
		   const char *span, long calls)
{
	const char *files[] = {name, NULL};
	char *dir = ti_tree("std", files), *cmd, *want;
	struct tl_result r;
	int i, built = 0;

	if (!tl_have(cc))
		cr_skip_test("%s is not installed", cc);
	/* The reference: the original, with the first standard, without our warnings. */
	cr_assert(asprintf(&cmd, "%s -std=%s %s -o ref && ./ref", cc, stds[0], name) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "%s", r.err);
	want = strdup(r.out);
	tl_result_free(&r);
	/* The case itself is clean under these warnings... */
	for (i = 0; stds[i]; i++) {
		if (!ti_cc_has_std(cc, stds[i]))
			continue;
		cr_assert(asprintf(&cmd, "%s -std=%s -O2 %s -fsyntax-only %s", cc, stds[i], warn,
				   name) > 0);
		cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0,
			     "the case %s is not clean: %s -std=%s:\n%s", name, cc, stds[i], r.err);
		tl_result_free(&r);
	}
	/* ...and stays clean instrumented. */
	{
		const char *args[] = {name, NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		tl_result_free(&r);
	}
	for (i = 0; stds[i]; i++) {
		char *rec, *pre, *out;
		const char *env[3];
		struct ti_span *v;
		const struct ti_span *s;
		int n;

		if (!ti_cc_has_std(cc, stds[i]))
			continue;
		cr_assert(asprintf(&cmd, "%s -std=%s -O2 %s %s -o prog-%s", cc, stds[i], warn, name,
				   stds[i]) > 0);
		cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "%s -std=%s:\n%s", cc, stds[i], r.err);
		tl_result_free(&r);
		rec = ti_path(dir, stds[i]);
		cr_assert(asprintf(&pre, "LD_PRELOAD=%s",
				   tl_bpath("tests/progs/libinject_spanrec.so")) > 0);
		cr_assert(asprintf(&out, "SPANREC_OUT=%s", rec) > 0);
		env[0] = pre;
		env[1] = out;
		env[2] = NULL;
		free(cmd);
		cr_assert(asprintf(&cmd, "./prog-%s", stds[i]) > 0);
		cr_assert_eq(ti_sh(&r, dir, cmd, env), 0, "%s", r.err);
		cr_expect_str_eq(r.out, want, "-std=%s changed the output", stds[i]);
		tl_result_free(&r);
		v = ti_recorded(rec, &n);
		s = ti_find(v, n, span);
		cr_assert(s, "-std=%s: no span %s", stds[i], span);
		cr_expect_eq((long)s->calls, calls, "-std=%s: %s has %.0f calls", stds[i], span,
			     s->calls);
		free(v);
		built++;
	}
	cr_assert_gt(built, 0, "%s accepts none of the standards", cc);
	tl_rm_rf(dir);
}

static const char *const c_stds[] = {"c99", "c11", "c17", "c2x", "gnu99", "gnu17", NULL};
static const char *const c89_stds[] = {"c89", "gnu89", "c99", "c2x", NULL};
static const char *const cxx98_stds[] = {"c++98", "c++03", "c++11", "c++14",
					 "c++17", "c++20", "c++2b", NULL};
static const char *const cxx14_stds[] = {"c++14", "c++17", "c++20", "c++2b", NULL};

Test(std, gcc_c99_to_c23)
{
	matrix("tricky.c", "gcc", CWARN, c_stds, "tricky.c:fib", 177);
}

Test(std, clang_c99_to_c23)
{
	matrix("tricky.c", "clang", CWARN, c_stds, "tricky.c:fib", 177);
}

Test(std, gcc_c89)
{
	matrix("c89.c", "gcc", CWARN, c89_stds, "c89.c:twice", 4);
}

Test(std, clang_c89)
{
	matrix("c89.c", "clang", CWARN, c89_stds, "c89.c:twice", 4);
}

Test(std, gxx_cxx98_to_cxx23)
{
	matrix("cxx98.cc", "g++", XWARN " -Wuseless-cast -Weffc++", cxx98_stds,
	       "lib::Counter::bump", 5);
}

Test(std, clangxx_cxx98_to_cxx23)
{
	matrix("cxx98.cc", "clang++", XWARN, cxx98_stds, "lib::Counter::bump", 5);
}

Test(std, gxx_tricky_cxx14_to_cxx23)
{
	matrix("tricky.cc", "g++", XWARN, cxx14_stds, "fact", 6);
}

Test(std, clangxx_tricky_cxx14_to_cxx23)
{
	matrix("tricky.cc", "clang++", XWARN, cxx14_stds, "fact", 6);
}
