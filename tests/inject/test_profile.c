/*
 * --from-profile: the hottest functions of a perftrace JSON report whose
 * sources lie in the tree are wrapped, mapped to definitions by name
 * (demangled C++, GCC clone suffixes) or, failing that, by line.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ti.h"

static void write_profile(const char *dir)
{
	char *path = ti_path(dir, "profile.json"), *json;

	cr_assert(
	    asprintf(
		&json,
		"{\"functions\": ["
		"{\"name\": \"printf\", \"module\": \"libc.so.6\", \"file\": "
		"\"/usr/include/stdio.h\","
		" \"line\": 1, \"self_samples\": 90, \"total_samples\": 90},"
		"{\"name\": \"fib\", \"module\": \"prog\", \"file\": \"%s/tricky.c\", \"line\": "
		"110,"
		" \"self_samples\": 50, \"total_samples\": 60},"
		"{\"name\": \"?\", \"module\": \"prog\", \"file\": null, \"line\": null,"
		" \"self_samples\": 45, \"total_samples\": 45},"
		"{\"name\": \"square.constprop.0\", \"module\": \"prog\", \"file\": \"./tricky.c\","
		" \"line\": 62, \"self_samples\": 40, \"total_samples\": 40},"
		"{\"name\": \"geo::Point::norm2() const\", \"module\": \"prog\", \"file\": "
		"\"tricky.cc\","
		" \"line\": 49, \"self_samples\": 30, \"total_samples\": 31},"
		"{\"name\": \"inlined_somewhere\", \"module\": \"prog\", \"file\": \"tricky.c\","
		" \"line\": 166, \"self_samples\": 10, \"total_samples\": 100}"
		"]}",
		dir) > 0);
	ti_write(path, json);
}

Test(profile, hottest_functions_in_the_tree)
{
	const char *files[] = {"tricky.c", "tricky.cc", NULL};
	char *dir = ti_tree("prof", files);
	const char *args[] = {"--json", "--from-profile", "profile.json", "--top", "3", NULL};
	struct tl_result r;
	cJSON *j;

	write_profile(dir);
	cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
	j = cJSON_Parse(r.out);
	cr_assert(j, "%s", r.out);
	cr_expect_str_eq(tl_json_str(j, "files[0].path"), "tricky.c");
	cr_expect_str_eq(tl_json_str(j, "files[0].functions[0].span"), "tricky.c:square");
	cr_expect_str_eq(tl_json_str(j, "files[0].functions[1].span"), "tricky.c:fib");
	cr_expect_eq(tl_json_at(j, "files[0].functions[2]"), NULL);
	cr_expect_str_eq(tl_json_str(j, "files[1].path"), "tricky.cc");
	cr_expect_str_eq(tl_json_str(j, "files[1].functions[0].span"), "geo::Point::norm2");
	cr_expect_eq(tl_json_at(j, "files[1].functions[1]"), NULL);
	cJSON_Delete(j);
	tl_result_free(&r);
	/* Past the top three, a name we cannot find maps by its line: main. */
	{
		const char *more[] = {"--json", "--from-profile", "profile.json", "--top", "4",
				      NULL};

		cr_assert_eq(ti_perfinject(&r, dir, more), 0, "%s", r.err);
		cr_expect(strstr(r.out, "\"tricky.c:main\""), "%s", r.out);
		tl_result_free(&r);
	}
	{
		const char *clean[] = {"--clean", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, clean), 0, "%s", r.err);
		tl_result_free(&r);
	}
	tl_rm_rf(dir);
}

Test(profile, bad_profiles)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("prof", files), *p = ti_path(dir, "p.json");
	const char *args[] = {"--from-profile", "p.json", NULL};
	struct tl_result r;

	ti_write(p,
		 "{\"functions\": [{\"name\": \"printf\", \"file\": \"/usr/include/stdio.h\"}]}");
	cr_assert_eq(ti_perfinject(&r, dir, args), 1);
	cr_expect(strstr(r.err, "p.json: no function of the profile has its source under"), "%s",
		  r.err);
	tl_result_free(&r);
	ti_write(p, "{\"threads\": []}");
	cr_assert_eq(ti_perfinject(&r, dir, args), 1);
	cr_expect(strstr(r.err, "no functions[] array"), "%s", r.err);
	tl_result_free(&r);
	{
		const char *missing[] = {"--from-profile", "nope.json", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, missing), 1);
		cr_expect(strstr(r.err, "nope.json: No such file or directory"), "%s", r.err);
		tl_result_free(&r);
	}
	tl_rm_rf(dir);
}

/* With the real tracer (branch tracer), a sample file is read through `perftrace report`. */
Test(profile, perftrace_sample_file)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("prof", files), *tracer = tl_bpath("perftrace"), *cmd;
	const char *args[] = {"--from-profile", "s.ptrace", "--top", "1", NULL};
	struct tl_result r;

	if (access(tracer, X_OK))
		cr_skip_test("build/perftrace is not built on this branch");
	cr_assert(asprintf(&cmd,
			   "sed -i 's/fib(10)/fib(32)/' tricky.c && gcc -O1 -g tricky.c -o prog && "
			   "%s record -F 2000 -o s.ptrace -- ./prog",
			   tracer) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
	cr_expect(strstr(r.out, "tricky.c:fib"), "the hottest function is not fib: %s", r.out);
	tl_result_free(&r);
	tl_rm_rf(dir);
}
