/*
 * perfinject on real code found on the machine: the Python standard library
 * (every function of ~650 modules: each injected module still compiles, and
 * --clean gives every file back byte for byte) and googletest's sources
 * (templates, macros and all: injected, built with -Werror -pedantic, its
 * sample tests pass and report spans under the shim, and --clean restores
 * the tree).  Skipped where the corpus is not installed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ti.h"

Test(corpus, python_stdlib)
{
	char *dir = ti_tmpdir("stdlib"), *cmd;
	const char *args[] = {".", NULL}, *clean[] = {"--clean", NULL};
	struct tl_result r;

	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	cr_assert(
	    asprintf(
		&cmd,
		"lib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()[\"stdlib\"])') && "
		"cd \"$lib\" && find . -name '*.py' -size -400k -not -path '*test*' "
		"-not -path '*site-packages*' -not -path '*lib2to3*' -not -path '*idlelib*' "
		"| sort > %s/list && tar cf - -T %s/list | (cd %s && tar xf -) && "
		"echo \"$lib\" > %s/libdir",
		dir, dir, dir, dir) > 0);
	cr_assert_eq(ti_sh(&r, "/", cmd, NULL), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
	cr_expect_str_eq(r.err, "", "warnings on the standard library: %s", r.err);
	cr_expect(strstr(r.out, "functions wrapped in"), "%s", r.out);
	tl_result_free(&r);
	/* Every injected module is still valid Python. */
	cr_assert_eq(ti_sh(&r, dir,
			   "python3 -c 'import sys\n"
			   "bad = 0\n"
			   "for p in open(\"list\").read().split():\n"
			   "    try:\n"
			   "        compile(open(p, \"rb\").read(), p, \"exec\")\n"
			   "    except SyntaxError as e:\n"
			   "        bad += 1; print(p, e)\n"
			   "sys.exit(bad != 0)'",
			   NULL),
		     0, "injected modules do not compile:\n%s%s", r.out, r.err);
	tl_result_free(&r);
	cr_assert_eq(ti_perfinject(&r, dir, clean), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(
	    ti_sh(&r, dir,
		  "lib=$(cat libdir); n=0; for f in $(cat list); do "
		  "cmp -s \"$f\" \"$lib/$f\" || { echo \"differs: $f\"; n=$((n+1)); }; done; "
		  "test $n = 0",
		  NULL),
	    0, "%s", r.out);
	tl_result_free(&r);
	tl_rm_rf(dir);
}

Test(corpus, googletest)
{
	const char *src = "/usr/src/googletest";
	char *dir = ti_tmpdir("gtest"), *cmd, *out, *pre, *outenv, *want;
	const char *args[] = {"googletest/src", "googlemock/src", NULL},
		   *clean[] = {"--clean", NULL};
	const char *env[3];
	struct tl_result r;
	struct ti_span *v;
	int n;

	if (access(src, R_OK) || !tl_have("g++"))
		cr_skip_test("%s (Debian package googletest) is not installed", src);
	cr_assert(asprintf(&cmd, "cp -a %s/. %s/", src, dir) > 0);
	cr_assert_eq(ti_sh(&r, "/", cmd, NULL), 0, "%s", r.err);
	tl_result_free(&r);
	{
		const char *build =
		    "g++ -std=c++17 -O0 -Wall -Wextra -Werror -pedantic "
		    "-Igoogletest/include -Igoogletest -c googletest/src/gtest-all.cc "
		    "-o /dev/null";

		/* The original builds cleanly with these flags... */
		cr_assert_eq(ti_sh(&r, dir, build, NULL), 0, "%s", r.err);
		tl_result_free(&r);
	}
	cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
	tl_result_free(&r);
	/* ...and so does the instrumented one; the samples pass under the shim. */
	cr_assert_eq(
	    ti_sh(&r, dir,
		  "g++ -std=c++17 -O0 -Wall -Wextra -Werror -pedantic -Igoogletest/include "
		  "-Igoogletest googletest/src/gtest-all.cc googletest/src/gtest_main.cc "
		  "googletest/samples/sample1.cc googletest/samples/sample1_unittest.cc "
		  "-lpthread -o s1 && mkdir out",
		  NULL),
	    0, "%s", r.err);
	tl_result_free(&r);
	out = ti_path(dir, "out");
	pre = tl_bpath("libperfshim.so");
	cr_assert(asprintf(&want, "LD_PRELOAD=%s", pre) > 0);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", out) > 0);
	env[0] = access(pre, R_OK) ? NULL : want;
	env[1] = outenv;
	env[2] = NULL;
	cr_assert_eq(ti_sh(&r, dir, "./s1", env[0] ? env : NULL), 0, "%s", r.out);
	cr_expect(strstr(r.out, "[  PASSED  ] 6 tests."), "%s", r.out);
	tl_result_free(&r);
	if (env[0]) {
		const struct ti_span *s;

		v = ti_shim_spans(out, &n);
		cr_expect_gt(n, 50, "only %d spans", n);
		s = ti_find(v, n, "testing::UnitTest::GetInstance");
		cr_expect(s && s->calls > 0, "no calls of testing::UnitTest::GetInstance");
	}
	cr_assert_eq(ti_sh(&r, dir, "rm -rf s1 out", NULL), 0);
	tl_result_free(&r);
	cr_assert_eq(ti_perfinject(&r, dir, clean), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert(asprintf(&cmd, "diff -r --no-dereference %s %s", src, dir) > 0);
	cr_expect_eq(ti_sh(&r, "/", cmd, NULL), 0, "the tree differs after --clean:\n%s", r.out);
	tl_result_free(&r);
	tl_rm_rf(dir);
}
