/*
 * The Python runtime (inject/python/perfprof_spans.py): reports survive
 * fork, os._exit and exec; the files are private and never overwritten; an
 * instrumented program runs unchanged when the runtime is missing or broken.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ti.h"

static char *inject(const char *name)
{
	const char *files[] = {name, NULL}, *args[] = {name, NULL};
	char *dir = ti_tree("py", files);
	struct tl_result r;

	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
	tl_result_free(&r);
	return dir;
}

Test(pyruntime, fork_exit_and_exec)
{
	char *dir = inject("pyexit.py"), *pyenv, *outenv, **files;
	const char *env[3];
	struct tl_result r;
	int n, i;
	long calls[2];

	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", dir) > 0);
	env[0] = pyenv;
	env[1] = outenv;
	env[2] = NULL;
	cr_assert_eq(ti_sh(&r, dir, "python3 pyexit.py", env), 0, "%s", r.err);
	tl_result_free(&r);
	files = tl_glob(dir, "pyspans.*.json", &n);
	cr_assert_eq(n, 2, "%d pyspans files", n);
	for (i = 0; i < 2; i++) {
		cJSON *j = tl_json_load(files[i]);
		struct stat st;

		cr_assert(j);
		cr_expect_str_eq(tl_json_str(j, "schema"), "perfinject-pyspans");
		cr_expect_eq(tl_json_num(j, "version"), 1);
		cr_expect_str_eq(tl_json_str(j, "spans[0].name"), "pyexit.work");
		cr_expect_str_eq(tl_json_str(j, "spans[0].file"), "pyexit.py");
		cr_expect_eq(tl_json_num(j, "spans[0].line"), 10);
		calls[i] = (long)tl_json_num(j, "spans[0].calls");
		cr_assert_eq(stat(files[i], &st), 0);
		cr_expect_eq(st.st_mode & 0777, 0600);
		cJSON_Delete(j);
	}
	cr_expect((calls[0] == 3 && calls[1] == 2) || (calls[0] == 2 && calls[1] == 3),
		  "calls %ld and %ld", calls[0], calls[1]);
	tl_rm_rf(dir);
}

/* A taken name is never overwritten: the next number is used. */
Test(pyruntime, no_overwrite)
{
	char *dir = inject("tricky.py"), *pyenv, *outenv, *code, **files;
	const char *env[3];
	struct tl_result r;
	int n;

	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", dir) > 0);
	env[0] = pyenv;
	env[1] = outenv;
	env[2] = NULL;
	/* Pre-create the file the process would take, as another process with its pid would. */
	cr_assert(asprintf(&code, "python3 -c 'import os, runpy; open(\"pyspans.%%d.json\" %% "
				  "os.getpid(), \"w\").write(\"x\"); "
				  "runpy.run_path(\"tricky.py\", run_name=\"__main__\")'") > 0);
	cr_assert_eq(ti_sh(&r, dir, code, env), 0, "%s", r.err);
	tl_result_free(&r);
	files = tl_glob(dir, "pyspans.*.json", &n);
	cr_assert_eq(n, 2);
	cr_expect(strstr(files[0], ".1.json") || strstr(files[1], ".1.json"), "%s %s", files[0],
		  files[1]);
	tl_rm_rf(dir);
}

/* Without the runtime, or with a broken one, the program runs as before. */
Test(pyruntime, missing_or_broken_runtime)
{
	char *dir = inject("tricky.py"), *bad = ti_path(dir, "badrt"), *badpy, *pyenv;
	const char *env[] = {NULL, "PERFSHIM_OUT=/nonexistent", NULL};
	struct tl_result r;
	char *want;

	cr_assert_eq(ti_sh(&r, dir, "python3 tricky.py", NULL), 0, "%s", r.err);
	want = strdup(r.out);
	cr_expect(strstr(want, "s=129"), "%s", want);
	tl_result_free(&r);
	cr_assert_eq(mkdir(bad, 0700), 0);
	badpy = ti_path(bad, "perfprof_spans.py");
	ti_write(badpy, "raise RuntimeError('broken runtime')\n");
	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", bad) > 0);
	env[0] = pyenv;
	cr_assert_eq(ti_sh(&r, dir, "python3 tricky.py", env), 0, "%s", r.err);
	cr_expect_str_eq(r.out, want);
	cr_expect_str_eq(r.err, "");
	tl_result_free(&r);
	/* The real runtime with an unwritable PERFSHIM_OUT: no report, no error. */
	free(pyenv);
	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	env[0] = pyenv;
	cr_assert_eq(ti_sh(&r, dir, "python3 tricky.py", env), 0, "%s", r.err);
	cr_expect_str_eq(r.out, want);
	cr_expect_str_eq(r.err, "");
	tl_result_free(&r);
	tl_rm_rf(dir);
}

/*
 * Threads record exactly; concurrent tasks do not nest in one another:
 * each fetch() took at least its sleep, and the fetches, run by their own
 * tasks, are not subtracted from gather_all.
 */
Test(pyruntime, threads_and_tasks)
{
	char *dir = inject("pyconc.py"), *pyenv, *outenv;
	const char *env[3];
	struct tl_result r;
	struct ti_span *v;
	const struct ti_span *s;
	int n;

	cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
	cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", dir) > 0);
	env[0] = pyenv;
	env[1] = outenv;
	env[2] = NULL;
	cr_assert_eq(ti_sh(&r, dir, "python3 pyconc.py", env), 0, "%s", r.err);
	cr_expect_str_eq(r.out, "[0.02, 0.01, 0.03]\n");
	tl_result_free(&r);
	v = ti_py_spans(dir, &n);
	cr_assert_eq(n, 5, "%d spans", n);
	cr_expect_eq(ti_find(v, n, "pyconc.step")->calls, 4000);
	cr_expect_eq(ti_find(v, n, "pyconc.worker")->calls, 4);
	s = ti_find(v, n, "pyconc.fetch");
	cr_expect_eq(s->calls, 3);
	cr_expect_geq(s->min_ns, 10e6, "fetch min %.0f ns < its 10 ms sleep", s->min_ns);
	cr_expect_geq(s->max_ns, 30e6, "fetch max %.0f ns < its 30 ms sleep", s->max_ns);
	s = ti_find(v, n, "pyconc.gather_all");
	cr_expect_eq(s->calls, 1);
	cr_expect_geq(s->total_ns, 30e6);
	/* The fetches ran in their own tasks, not nested in gather_all's resumes. */
	cr_expect_geq(s->self_ns, 25e6, "gather_all self %.0f ns", s->self_ns);
	cr_expect_leq(s->self_ns, s->total_ns);
	tl_rm_rf(dir);
}
