/*
 * perftrace record as a wrapper and as an attacher: the target behaves as
 * without it (output, exit status, signals, waits), children are followed,
 * a detached target runs on, and nothing is left stopped.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_test.h"

Test(record, exit_status_and_output_pass_through)
{
	char *dir = tl_tmpdir("tr-exit");
	const char *cmd[] = {tl_prog("trace_fork"), "child", "0.4", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep;
	struct stat st;

	cr_assert(r.exited, "%s", tl_status_str(&r));
	cr_assert_eq(r.code, 7, "exit %d, stderr %s", r.code, r.err);
	cr_assert_eq(r.err_len, 0, "stderr: %s", r.err);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "sample file mode %o", st.st_mode & 0777);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "complete")));
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "processes")), 1);
	cr_assert_eq(tt_num(tl_json_at(rep, "processes[0]"), "exit_status"), 7);
	cr_assert_eq(tl_json_num(rep, "command.exit_status"), 7);
	cr_assert_str_eq(tl_json_str(rep, "command.end"), "exited");
	cr_assert_str_eq(tl_json_str(rep, "processes[0].argv[1]"), "child");
	cr_assert_gt(tt_num(tt_func(rep, "child_work"), "total_samples"), 40);
	tl_rm_rf(dir);
}

Test(record, death_by_signal_passes_through)
{
	char *dir = tl_tmpdir("tr-sig");
	const char *cmd[] = {"/bin/sh", "-c", "kill -USR1 $$", NULL};
	struct tl_result r;

	tt_record(&r, dir, 200, NULL, cmd, NULL);
	cr_assert(!r.exited && r.signo == SIGUSR1, "perftrace ended with %s", tl_status_str(&r));
	tl_rm_rf(dir);
}

Test(record, waits_and_signals_behave_as_without_us)
{
	char *dir = tl_tmpdir("tr-ticker");
	const char *bare[] = {tl_prog("trace_ticker"), "30", NULL};
	struct tl_result b, r;

	cr_assert_eq(tl_run(&b, bare, NULL, dir, NULL, 60), 0);
	cr_assert(b.exited && b.code == 0, "bare run: %s %s", tl_status_str(&b), b.out);
	/* at 1000 Hz every wait of the ticker is interrupted many times */
	tt_record(&r, dir, 1000, NULL, bare, NULL);
	cr_assert(r.exited && r.code == 0, "traced: %s\n%s%s", tl_status_str(&r), r.out, r.err);
	cr_assert_str_eq(r.out, b.out);
	tl_rm_rf(dir);
}

Test(record, follows_fork_and_exec)
{
	char *dir = tl_tmpdir("tr-fork");
	const char *cmd[] = {tl_prog("trace_fork"), tl_prog("trace_fork"), "0.6", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *procs, *p, *parent = NULL, *child = NULL;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_str_eq(r.out, "child exited 7\n");
	rep = tt_report(file, dir);
	procs = cJSON_GetObjectItem(rep, "processes");
	cr_assert_eq(cJSON_GetArraySize(procs), 2);
	cJSON_ArrayForEach(p, procs)
	{
		if (tt_num(p, "execs") == 0)
			parent = p;
		else
			child = p;
	}
	cr_assert_not_null(parent);
	cr_assert_not_null(child);
	cr_assert_eq(tt_num(child, "ppid"), tt_num(parent, "pid"));
	cr_assert_str_eq(tl_json_str(child, "argv[1]"), "child");
	cr_assert_str_eq(tl_json_str(child, "exe"), tl_json_str(parent, "exe"));
	cr_assert_eq(tt_num(child, "exit_status"), 7);
	cr_assert_gt(tt_num(child, "samples"), 50);
	cr_assert(tt_tree_has(tt_tree_proc(rep, (int)tt_num(child, "pid")), "child_work"));
	cr_assert(!tt_tree_has(tt_tree_proc(rep, (int)tt_num(child, "pid")), "parent_work"));
	cr_assert(tt_tree_has(tt_tree_proc(rep, (int)tt_num(parent, "pid")), "parent_work"));
	tl_rm_rf(dir);
}

Test(record, no_children)
{
	char *dir = tl_tmpdir("tr-nochild");
	const char *cmd[] = {tl_prog("trace_fork"), tl_prog("trace_fork"), "0.3", NULL};
	const char *extra[] = {"--no-children", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, extra, cmd, NULL);
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = tt_report(file, dir);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "processes")), 1);
	cr_assert_null(tt_func(rep, "child_work"));
	tl_rm_rf(dir);
}

Test(record, attach_then_detach_leaves_target_running)
{
	char *dir = tl_tmpdir("tr-attach"), *bare_out, *traced_out, *a, *b;
	const char *cmd[] = {tl_prog("trace_ticker"), "40", NULL};
	char pidbuf[16], *file;
	struct tl_result r;
	int status, pid;
	char st;

	cr_assert(asprintf(&bare_out, "%s/bare.out", dir) > 0);
	cr_assert(asprintf(&traced_out, "%s/traced.out", dir) > 0);
	cr_assert(asprintf(&file, "%s/attach.ptrace", dir) > 0);
	pid = tt_spawn(cmd, bare_out);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	pid = tt_spawn(cmd, traced_out);
	usleep(200000);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	const char *rec[] = {tt_perftrace(), "record", "-q",   "-F",	     "500", "-o",
			     file,	     "-p",     pidbuf, "--duration", "0.4", NULL};
	cr_assert_eq(tl_run(&r, rec, NULL, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	st = tt_proc_state(pid);
	cr_assert(st && st != 'T' && st != 't', "target in state %c after detach", st);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "target status %x", status);
	a = tl_read_file(bare_out, NULL);
	b = tl_read_file(traced_out, NULL);
	cr_assert_str_eq(b, a);
	{
		cJSON *rep = tt_report(file, dir);

		cr_assert_str_eq(tl_json_str(rep, "mode"), "attach");
		cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "threads")), 2);
		cr_assert_gt(tt_num(rep, "samples"), 200);
		cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "complete")));
	}
	tl_rm_rf(dir);
}

Test(record, sigterm_stops_the_workload_as_perf_does)
{
	char *dir = tl_tmpdir("tr-term"), *file;
	const char *cmd[] = {tl_prog("trace_waits"), "sleep", "20", NULL};
	int pid, status;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/t.ptrace", dir) > 0);
	const char *rec[] = {tt_perftrace(), "record", "-q",   "-o",   file,
			     "--",	     cmd[0],   cmd[1], cmd[2], NULL};
	pid = tt_spawn(rec, "/dev/null");
	usleep(500000);
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	/* the workload died of the SIGTERM, and perftrace reports it the same way */
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %x", status);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "complete")));
	cr_assert_eq(tt_num(tl_json_at(rep, "processes[0]"), "exit_signal"), SIGTERM);
	cr_assert_eq(tl_json_num(rep, "command.exit_signal"), SIGTERM);
	cr_assert_str_eq(tl_json_str(rep, "command.end"), "perftrace stopped");
	cr_assert_gt(tt_num(rep, "samples"), 20);
	tl_rm_rf(dir);
}

Test(record, killed_tracer_leaves_a_readable_file_and_a_running_target)
{
	char *dir = tl_tmpdir("tr-kill"), *file, *out;
	const char *cmd[] = {tl_prog("trace_ticker"), "40", NULL};
	char pidbuf[16], st;
	int target, tracer, status;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/k.ptrace", dir) > 0);
	cr_assert(asprintf(&out, "%s/k.out", dir) > 0);
	target = tt_spawn(cmd, out);
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	const char *rec[] = {tt_perftrace(), "record", "-q", "-F",   "997",
			     "-o",	     file,     "-p", pidbuf, NULL};
	tracer = tt_spawn(rec, "/dev/null");
	usleep(400000);
	kill(tracer, SIGKILL);
	cr_assert_eq(waitpid(tracer, &status, 0), tracer);
	usleep(50000);
	st = tt_proc_state(target);
	cr_assert(st && st != 'T' && st != 't', "target in state %c", st);
	cr_assert_eq(waitpid(target, &status, 0), target);
	cr_assert(WIFEXITED(status), "target status %x", status);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "truncated")));
	cr_assert_gt(tt_num(rep, "samples"), 50, "only %.0f samples survived",
		     tt_num(rep, "samples"));
	tl_rm_rf(dir);
}

Test(record, under_the_preload_shim)
{
	char *shim = tl_bpath("libperfshim.so"), *dir, *env0, *env1, *file, target[64];
	const char *cmd[] = {tl_prog("trace_net"), "0.8", NULL};
	struct tl_result r;
	cJSON *rep, *w;
	int port = 0;

	if (access(shim, R_OK) != 0)
		cr_skip_test("build/libperfshim.so is not built in this tree");
	{
		size_t len;
		char *bin = tl_read_file(tt_perftrace(), &len);

		/* ASan must be the first library of a process: it cannot host a preload */
		if (bin && memmem(bin, len, "libasan.so", 10))
			cr_skip_test(
			    "a sanitizer build of perftrace cannot run with the shim preloaded");
	}
	dir = tl_tmpdir("tr-shim");
	cr_assert(asprintf(&env0, "LD_PRELOAD=%s", shim) > 0);
	cr_assert(asprintf(&env1, "PERFSHIM_OUT=%s", dir) > 0);
	/* as the driver runs it: perftrace itself has the shim preloaded too */
	const char *env[] = {env0, env1, NULL};
	file = tt_record(&r, dir, 200, NULL, cmd, env);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_eq(sscanf(r.out, "port %d", &port), 1, "output: %s", r.out);
	snprintf(target, sizeof(target), "tcp 127.0.0.1:%d", port);
	rep = tt_report(file, dir);
	/* the wait happens inside the shim's read(), and counts for its caller */
	w = tt_wait(rep, "io_net", target);
	cr_assert_not_null(w, "no wait on %s", target);
	cr_assert_str_eq(tl_json_str(w, "functions[0].name"), "fetch_reply");
	tl_rm_rf(dir);
}

Test(record, sigint_in_attach_mode_detaches_and_the_target_runs_on)
{
	char *dir = tl_tmpdir("tr-int"), *file, *out;
	const char *cmd[] = {tl_prog("trace_ticker"), "40", NULL};
	char pidbuf[16], st;
	int target, tracer, status;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/i.ptrace", dir) > 0);
	cr_assert(asprintf(&out, "%s/i.out", dir) > 0);
	target = tt_spawn(cmd, out);
	snprintf(pidbuf, sizeof(pidbuf), "%d", target);
	const char *rec[] = {tt_perftrace(), "record", "-q", "-F",   "500",
			     "-o",	     file,     "-p", pidbuf, NULL};
	tracer = tt_spawn(rec, "/dev/null");
	usleep(400000);
	kill(tracer, SIGINT);
	cr_assert_eq(waitpid(tracer, &status, 0), tracer);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "perftrace status %x", status);
	st = tt_proc_state(target);
	cr_assert(st && st != 'T' && st != 't', "target in state %c", st);
	cr_assert_eq(waitpid(target, &status, 0), target);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "target status %x", status);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "complete")));
	cr_assert_gt(tt_num(rep, "samples"), 100);
	tl_rm_rf(dir);
}

Test(record, job_control_stops_stay_stops_and_count_as_time)
{
	char *dir = tl_tmpdir("tr-jobctl"), *file, *out, *bare_out, *a, *b;
	const char *cmd[] = {tl_prog("trace_ticker"), "60", NULL};
	int tracer, target, status;
	double stopped_s;
	cJSON *rep, *w;
	char st;

	cr_assert(asprintf(&file, "%s/j.ptrace", dir) > 0);
	cr_assert(asprintf(&out, "%s/j.out", dir) > 0);
	cr_assert(asprintf(&bare_out, "%s/bare.out", dir) > 0);
	target = tt_spawn(cmd, bare_out);
	cr_assert_eq(waitpid(target, &status, 0), target);
	const char *rec[] = {tt_perftrace(), "record", "-q",   "-F",   "200", "-o",
			     file,	     "--",     cmd[0], cmd[1], NULL};
	tracer = tt_spawn(rec, out);
	usleep(400000);
	/* the ticker is perftrace's only child */
	{
		char path[64], buf[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", tracer, tracer);
		f = fopen(path, "r");
		cr_assert_not_null(f);
		cr_assert_not_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		target = atoi(buf);
		cr_assert_gt(target, 0);
	}
	kill(target, SIGSTOP);
	usleep(500000);
	st = tt_proc_state(target);
	kill(target, SIGCONT);
	/* a traced process in a group stop shows as 't' */
	cr_assert(st == 'T' || st == 't', "stopped target in state %c", st);
	cr_assert_eq(waitpid(tracer, &status, 0), tracer);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %x", status);
	a = tl_read_file(bare_out, NULL);
	b = tl_read_file(out, NULL);
	cr_assert_str_eq(b, a);
	rep = tt_report(file, dir);
	w = tt_wait(rep, "other", "stopped (job control)");
	cr_assert_not_null(w, "the stopped time is missing");
	/* two threads, stopped about half a second */
	stopped_s = tt_num(w, "samples") * tt_num(rep, "sample_period_ns") / 2 / 1e9;
	cr_assert(stopped_s > 0.35 && stopped_s < 0.75, "stopped for %.3f s", stopped_s);
	tl_rm_rf(dir);
}

Test(record, timed_waits_time_out_on_time)
{
	char *dir = tl_tmpdir("tr-timeouts");
	const char *cmd[] = {tl_prog("trace_timeouts"), NULL};
	const int rates[] = {99, 997};
	struct tl_result b, r;

	cr_assert_eq(tl_run(&b, cmd, NULL, dir, NULL, 30), 0);
	cr_assert(b.exited && b.code == 0, "bare run: %s%s", b.out, b.err);
	for (size_t i = 0; i < 2; i++) {
		char *file = tt_record(&r, dir, rates[i], NULL, cmd, NULL);

		/* socket, signal, semaphore and epoll timeouts, each 0.3 s */
		cr_assert(r.exited && r.code == 0, "at %d Hz: %s%s", rates[i], r.out, r.err);
		cr_assert_str_eq(r.out, b.out);
		unlink(file);
	}
	tl_rm_rf(dir);
}

Test(record, floor_mode_takes_no_stacks)
{
	char *dir = tl_tmpdir("tr-floor");
	const char *cmd[] = {tl_prog("trace_nofp"), "0.4", NULL};
	const char *extra[] = {"--floor", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 500, extra, cmd, NULL), *folded, *save = NULL;
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "floor")));
	cr_assert_gt(tt_num(rep, "samples"), 100);
	/* where the thread was (with the functions inlined there), none of its callers */
	folded = tt_folded(file, dir);
	for (char *line = strtok_r(folded, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cr_assert_null(strstr(line, ";main"), "a caller in: %s", line);
		cr_assert_null(strstr(line, "middle_fn"), "a caller in: %s", line);
	}
	cr_assert_not_null(tt_func(rep, "inner_fn"));
	tl_rm_rf(dir);
}
