/*
 * The run monitor: exit statuses, exec failures, time limits that end the
 * whole process group, processes left behind that are ended, and rusage of
 * the whole tree (orphans included, thanks to the subreaper).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "runner.h"
#include "testlib.h"

extern char **environ;

static int run(char *const *argv, double timeout, struct run_status *st, char **log)
{
	static char *dir;
	static int n;
	struct run_spec spec = {.argv = argv, .envp = environ, .timeout_s = timeout};

	if (!dir)
		dir = tl_tmpdir("runner");
	asprintf(log, "%s/%d.log", dir, n++);
	spec.log_path = *log;
	return run_cmd(&spec, st);
}

Test(runner, exit_status_and_output)
{
	char *const argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct run_status st;
	char *log;

	cr_assert_eq(run(argv, 10, &st, &log), 0);
	cr_assert(st.started && st.exited);
	cr_assert_eq(st.code, 3);
	cr_assert_not(run_ok(&st));
	cr_assert_str_eq(run_status_str(&st, 10), "exit 3");
	cr_assert_str_eq(run_tail(log, 5), "out\nerr");
	cr_assert_str_eq(run_tail(log, 1), "err");
}

Test(runner, exec_failure)
{
	char *const argv[] = {"/nonexistent/prog", NULL};
	struct run_status st;
	char *log;

	cr_assert_eq(run(argv, 10, &st, &log), -ENOENT);
	cr_assert_not(st.started);
	cr_assert_eq(st.exec_errno, ENOENT);
	cr_assert_str_eq(run_status_str(&st, 10), "not started: No such file or directory");
}

Test(runner, signal_status)
{
	char *const argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
	struct run_status st;
	char *log;

	cr_assert_eq(run(argv, 10, &st, &log), 0);
	cr_assert_not(st.exited);
	cr_assert_eq(st.signo, SIGSEGV);
}

Test(runner, timeout_ends_the_group)
{
	/* The shell and its child both ignore nothing: SIGTERM ends them. */
	char *const argv[] = {"sh", "-c", "sleep 30 & sleep 30; wait", NULL};
	struct run_status st;
	struct timespec a, b;
	char *log;

	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(run(argv, 0.5, &st, &log), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert(st.timed_out);
	cr_assert_str_eq(run_status_str(&st, 0.5), "timeout after 0.5 s");
	cr_assert_lt((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, 5.0);
	cr_assert_geq(st.reaped, 2, "every process of the group was reaped");
	cr_assert_float_eq(st.wall_ns / 1e9, 0.5, 0.3);
}

Test(runner, leftover_processes_are_ended)
{
	char *lprog = tl_prog("drv_linger");
	char *const argv[] = {lprog, NULL};
	struct run_status st;
	char *log, *out;
	int pid;

	cr_assert_eq(run(argv, 10, &st, &log), 0);
	cr_assert(run_ok(&st));
	cr_assert_eq(st.leftover, 1, "the child in its own session outlived the command");
	out = run_tail(log, 1);
	pid = atoi(out);
	cr_assert_gt(pid, 0);
	cr_assert_eq(kill(pid, 0), -1, "pid %d still exists", pid);
	cr_assert_eq(errno, ESRCH);
	cr_assert_eq(st.reaped, 2);
}

static double cpu_of(const char *workers)
{
	char *mprog = tl_prog("drv_multi");
	char *const argv[] = {mprog, "40", (char *)workers, NULL};
	struct run_status st;
	char *log;

	cr_assert_eq(run(argv, 60, &st, &log), 0);
	cr_assert(run_ok(&st));
	cr_assert_eq(st.reaped, 1, "the workers were reaped by their parent");
	return st.ru.ru_utime.tv_sec * 1e3 + st.ru.ru_utime.tv_usec / 1e3;
}

Test(runner, tree_rusage_counts_every_process)
{
	/* The same work in 1 and in 3 child processes: the tree's user time
	 * must triple (CPU time does not depend on the machine's load). */
	double one = cpu_of("1"), three = cpu_of("3");

	cr_assert_gt(one, 5.0, "one worker took %.1f ms", one);
	cr_assert_float_eq(three / one, 3.0, 0.8, "1 worker %.1f ms, 3 workers %.1f ms", one,
			   three);
}

Test(runner, orphans_are_counted)
{
	/* The worker is orphaned at once (its subshell exits without waiting)
	 * and finishes while the command still runs: only the subreaper can
	 * collect its rusage. */
	char *mprog = tl_prog("drv_cpu");
	char *cmd;
	struct run_status st;
	char *log;

	asprintf(&cmd, "(%s 20 >/dev/null &); sleep 1", mprog);
	{
		char *const argv[] = {"sh", "-c", cmd, NULL};

		cr_assert_eq(run(argv, 60, &st, &log), 0);
	}
	cr_assert(run_ok(&st));
	cr_assert_geq(st.reaped, 2);
	cr_assert_gt(st.ru.ru_utime.tv_sec * 1e3 + st.ru.ru_utime.tv_usec / 1e3, 5.0,
		     "the orphan's CPU is in the tree's rusage");
}
