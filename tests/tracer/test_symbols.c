/*
 * Where names come from: a stripped binary whose symbols and lines are in a
 * separate debug file (.gnu_debuglink), and a binary rebuilt after the
 * recording, whose build-id no longer matches and must not be misread.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_test.h"

static void sh(const char *dir, const char *script)
{
	struct tl_result r;
	const char *argv[] = {"/bin/sh", "-ec", script, NULL};

	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 60), 0);
	cr_assert(r.exited && r.code == 0, "%s: %s", script, r.err);
}

Test(symbols, separate_debug_file)
{
	char *dir, script[4096];

	if (!tl_have("objcopy") || !tl_have("strip"))
		cr_skip_test("objcopy and strip (binutils) are not installed");
	dir = tl_tmpdir("tr-debuglink");
	snprintf(script, sizeof(script),
		 "cp %s prog && objcopy --only-keep-debug prog prog.debug && strip prog && "
		 "objcopy --add-gnu-debuglink=prog.debug prog",
		 tl_prog("trace_nofp"));
	sh(dir, script);
	{
		char *prog;
		struct tl_result r;
		cJSON *rep, *f;

		cr_assert(asprintf(&prog, "%s/prog", dir) > 0);
		const char *cmd[] = {prog, "0.5", NULL};
		char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);

		cr_assert(r.exited && r.code == 0, "%s", r.err);
		rep = tt_report(file, dir);
		f = tt_func(rep, "inner_fn");
		cr_assert_not_null(f, "no inner_fn: the debug file was not used");
		cr_assert(strstr(tl_json_str(f, "file"), "trace_nofp.c"));
		cr_assert_gt(tt_num(f, "total_samples"), 50);
		cr_assert_not_null(tt_func(rep, "middle_fn"));
	}
	tl_rm_rf(dir);
}

Test(symbols, rebuilt_binary_is_reported_not_misread)
{
	char *dir = tl_tmpdir("tr-buildid"), *prog, script[4096];
	struct tl_result r;
	cJSON *rep, *pr;
	int found = 0;

	cr_assert(asprintf(&prog, "%s/prog", dir) > 0);
	snprintf(script, sizeof(script), "cp %s prog", tl_prog("trace_nofp"));
	sh(dir, script);
	const char *cmd[] = {prog, "0.4", NULL};
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);

	cr_assert(r.exited && r.code == 0);
	/* another program under the same name */
	snprintf(script, sizeof(script), "rm prog && cp %s prog", tl_prog("trace_fork"));
	sh(dir, script);
	rep = tt_report(file, dir);
	cJSON_ArrayForEach(pr, cJSON_GetObjectItem(rep, "problems"))
	{
		if (strstr(pr->valuestring, "prog has another build-id"))
			found = 1;
	}
	cr_assert(found, "no build-id problem reported");
	cr_assert_null(tt_func(rep, "inner_fn"));
	cr_assert_null(tt_func(rep, "parent_work"), "names read from the wrong binary");
	tl_rm_rf(dir);
}
