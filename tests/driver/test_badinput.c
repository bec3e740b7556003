/*
 * Bad input: one clear line and a non-zero exit, never a crash or a hang,
 * and nothing left running.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "drv.h"

Test(bad, failing_test_command)
{
	struct drv d;

	drv_profile(&d, NULL,
		    (const char *const[]){"--", "sh", "-c",
					  "echo first line; echo boom >&2; exit 3", NULL});
	cr_assert(d.r.exited);
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "test fails before profiling - fix test first"), "%s", d.r.err);
	cr_assert(strstr(d.r.err, "exit 3"));
	cr_assert(strstr(d.r.err, "| boom"), "its last lines are shown: %s", d.r.err);
	cr_assert_null(d.result, "no report of a run that failed");
	tl_rm_rf(d.dir);
}

Test(bad, unknown_target)
{
	struct drv d;

	drv_profile(&d, NULL, (const char *const[]){"--target", "src/nosuch.c:handle", NULL});
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "file/function not found at src/nosuch.c"), "%s", d.r.err);
	tl_rm_rf(d.dir);
}

Test(bad, unknown_function_in_existing_file)
{
	char *dir = tl_tmpdir("badfn"), *p;
	struct drv d;

	asprintf(&p, "%s/a.c", dir);
	tl_write_file(p, "int main(void)\n{\n\treturn 0;\n}\n", 29);
	drv_profile(&d, dir, (const char *const[]){"--target", "a.c:nosuch", NULL});
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "file/function not found at a.c: no definition of nosuch()"),
		  "%s", d.r.err);
	tl_rm_rf(dir);
}

Test(bad, usage_errors)
{
	struct drv d;

	drv_profile(&d, NULL, (const char *const[]){"--runs", "zero", "--", "true", NULL});
	cr_assert_eq(d.r.code, 2);
	cr_assert(strstr(d.r.err, "--runs wants an integer"), "%s", d.r.err);
	tl_rm_rf(d.dir);
	drv_profile(&d, NULL, (const char *const[]){NULL});
	cr_assert_eq(d.r.code, 2);
	cr_assert(strstr(d.r.err, "nothing to profile"), "%s", d.r.err);
	tl_rm_rf(d.dir);
	drv_profile(&d, NULL, (const char *const[]){"--", "/no/such/program", NULL});
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "No such file or directory"), "%s", d.r.err);
	tl_rm_rf(d.dir);
}

Test(bad, run_over_its_time_limit)
{
	struct drv d;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	drv_profile(&d, NULL,
		    (const char *const[]){"--timeout", "1", "--", "sh", "-c",
					  "echo started; sleep 30 & sleep 30", NULL});
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "timeout after 1 s"), "%s", d.r.err);
	cr_assert(strstr(d.r.err, "| started"), "%s", d.r.err);
	cr_assert_lt(b.tv_sec - a.tv_sec, 10, "perfprof ended the run and its children");
	tl_rm_rf(d.dir);
}

Test(bad, static_binary_continues_without_shim)
{
	struct drv d;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--no-trace", "--",
					  tl_prog("drv_static"), NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert(strstr(d.r.err, "is statically linked: libperfshim.so cannot load"), "%s",
		  d.r.err);
	cr_assert_not_null(d.result);
	cr_assert(cJSON_IsNull(tl_json_at(d.result, "performance_map.baseline.io_write_bytes")),
		  "what the shim could not count is null");
	cr_assert_gt(tl_json_num(d.result, "performance_map.baseline.wall_time_ms"), 0);
	cr_assert(strstr(tl_json_str(d.baseline, "results[0].metrics.io_write_bytes.null_reason"),
			 "statically linked"));
	tl_rm_rf(d.dir);
}

Test(bad, ptrace_refused)
{
	struct drv d;
	const char *argv[] = {tl_prog("drv_noptrace"),
			      tl_bpath("perfprof"),
			      "-q",
			      "--slug",
			      "t",
			      "--runs",
			      "1",
			      "--warmup",
			      "0",
			      "--",
			      tl_prog("drv_cpu"),
			      "20",
			      NULL};
	const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};

	drv_need(1);
	memset(&d, 0, sizeof(d));
	d.dir = tl_tmpdir("noptrace");
	cr_assert_eq(tl_run(&d.r, argv, env, d.dir, NULL, 120), 0);
	cr_assert(d.r.exited);
	cr_assert_eq(d.r.code, 3, "%s", d.r.err);
	cr_assert(strstr(d.r.err, "ptrace refused"), "%s", d.r.err);
	tl_rm_rf(d.dir);
}

Test(bad, interrupted_session_ends_everything)
{
	char *dir = tl_tmpdir("intr"), *pidfile, *cmd, *s;
	int st, child_pid = 0;
	pid_t pp;

	asprintf(&pidfile, "%s/child.pid", dir);
	asprintf(&cmd, "sleep 60 & echo $! > %s; wait", pidfile);
	pp = fork();
	if (pp == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		if (chdir(dir) < 0)
			_exit(126);
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execl(tl_bpath("perfprof"), "perfprof", "-q", "--warmup", "0", "--", "sh", "-c",
		      cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !(s = tl_read_file(pidfile, NULL)); i++)
		usleep(50000);
	cr_assert_not_null(s, "the command did not start");
	child_pid = atoi(s);
	cr_assert_gt(child_pid, 0);
	kill(pp, SIGINT);
	cr_assert_eq(waitpid(pp, &st, 0), pp);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 130);
	cr_assert_eq(kill(child_pid, 0), -1, "the command's child %d survived", child_pid);
	tl_rm_rf(dir);
}

Test(bad, crashing_test_command)
{
	struct drv d;

	drv_profile(
	    &d, NULL,
	    (const char *const[]){"--", "sh", "-c", "echo about to crash; kill -SEGV $$", NULL});
	cr_assert_eq(d.r.code, 1);
	cr_assert(strstr(d.r.err, "test fails before profiling - fix test first"), "%s", d.r.err);
	cr_assert(strstr(d.r.err, "signal 11 (Segmentation fault)"), "%s", d.r.err);
	cr_assert(strstr(d.r.err, "| about to crash"), "%s", d.r.err);
	tl_rm_rf(d.dir);
}

Test(bad, option_without_its_argument)
{
	struct drv d;

	drv_profile(&d, NULL, (const char *const[]){"--timeout", NULL});
	cr_assert_eq(d.r.code, 2);
	cr_assert(strstr(d.r.err, "option '--timeout' needs an argument"), "%s", d.r.err);
	tl_rm_rf(d.dir);
	drv_profile(&d, NULL, (const char *const[]){"--frobnicate", "--", "true", NULL});
	cr_assert_eq(d.r.code, 2);
	cr_assert(strstr(d.r.err, "unknown option '--frobnicate'"), "%s", d.r.err);
	tl_rm_rf(d.dir);
}
