/*
 * Process life cycles under the shim: fork, vfork, posix_spawn and exec
 * chains leave the right reports with the right ppids and end reasons;
 * every way of ending writes its report, and a SIGKILL'd process is
 * recovered by `perfprof recover`; signals, descriptors, threads, locks and
 * dlopen(RTLD_DEEPBIND) behave as without the shim.
 */
#include <signal.h>
#include <sys/wait.h>

#include "shimtest.h"

static struct tl_result proc(const char *dir, const char *const args[])
{
	const char *argv[8] = {tl_prog("shim_proc")};

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	return shim_run(dir, argv, NULL);
}

static struct tl_result bare(const char *const args[])
{
	const char *argv[8] = {tl_prog("shim_proc")};
	struct tl_result r;

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 60), 0);
	return r;
}

static int nreports(const char *dir)
{
	int n;

	tl_glob(dir, "perfshim.*.json", &n);
	return n;
}

Test(proc, fork_then_exec_gives_the_child_its_reports)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"forkexec", tl_prog("shim_io"), "null", "3", NULL});
	cJSON *parent, *child0, *child1;

	cr_assert(r.exited && r.code == 3, "%s %s", tl_status_str(&r), r.err);
	cr_assert_eq(nreports(dir), 3);
	parent = NULL;
	child1 = shim_report(dir, "/shim_io", 1);
	{
		int n;
		cJSON **all = shim_reports(dir, &n);

		for (int i = 0; i < n; i++)
			if (jnum(all[i], "pid") != jnum(child1, "pid"))
				parent = all[i];
	}
	cr_assert_not_null(parent);
	child0 = NULL;
	{
		int n;
		cJSON **all = shim_reports(dir, &n);

		for (int i = 0; i < n; i++)
			if (jnum(all[i], "pid") == jnum(child1, "pid") && jnum(all[i], "image") == 0)
				child0 = all[i];
	}
	cr_assert_not_null(child0, "the fork child's first image has no report");
	cr_expect_str_eq(tl_json_str(parent, "end_reason"), "exit");
	EXPECT_NUM(parent, "exit_status", 3);
	EXPECT_NUM(parent, "io.by_kind.other.write_calls", 1);
	EXPECT_NUM(child0, "ppid", jnum(parent, "pid"));
	cr_expect_str_eq(tl_json_str(child0, "end_reason"), "exec");
	cr_expect_str_eq(tl_json_str(child0, "exec_target"), tl_prog("shim_io"));
	/* The child counts from the fork: the parent's write is not in it. */
	EXPECT_NUM(child0, "io.by_kind.other.write_calls", 0);
	EXPECT_NUM(child1, "image", 1);
	EXPECT_NUM(child1, "ppid", jnum(parent, "pid"));
	cr_expect_str_eq(tl_json_str(child1, "end_reason"), "exit");
	EXPECT_NUM(child1, "io.by_kind.other.write_calls", 3);
	EXPECT_NUM(child1, "io.by_kind.other.write_bytes", 21);
	cr_expect_eq(tl_glob(dir, "*.shm", NULL)[0], NULL, "a counter file was left behind");
	tl_rm_rf(dir);
}

Test(proc, vfork_and_posix_spawn_children)
{
	char *dir = tl_tmpdir("proc"), *dir2 = tl_tmpdir("proc"), *dir3 = tl_tmpdir("proc");
	struct tl_result r;
	cJSON *parent, *child;

	r = proc(dir, (const char *[]){"vfork", tl_prog("shim_io"), "null", "2", NULL});
	cr_assert(r.exited && r.code == 3, "%s %s", tl_status_str(&r), r.err);
	cr_assert_eq(nreports(dir), 2);
	parent = shim_report(dir, "/shim_proc", 0);
	child = shim_report(dir, "/shim_io", 0);
	cr_expect_str_eq(tl_json_str(parent, "end_reason"), "exit");
	EXPECT_NUM(parent, "exit_status", 3);
	/* The vfork child ran on the parent's memory: nothing it did is in the parent's report. */
	EXPECT_NUM(parent, "io.by_kind.other.write_calls", 1);
	EXPECT_NUM(child, "ppid", jnum(parent, "pid"));
	EXPECT_NUM(child, "io.by_kind.other.write_calls", 2);

	r = proc(dir2, (const char *[]){"vforkfail", NULL});
	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	cr_assert_eq(nreports(dir2), 1);
	parent = shim_report(dir2, "/shim_proc", 0);
	cr_expect_str_eq(tl_json_str(parent, "end_reason"), "exit");
	EXPECT_NUM(parent, "exit_status", 0);

	r = proc(dir3, (const char *[]){"spawn", tl_prog("shim_io"), "null", "4", NULL});
	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	cr_assert_eq(nreports(dir3), 2);
	parent = shim_report(dir3, "/shim_proc", 0);
	child = shim_report(dir3, "/shim_io", 0);
	EXPECT_NUM(child, "ppid", jnum(parent, "pid"));
	EXPECT_NUM(child, "io.by_kind.other.write_calls", 4);
	tl_rm_rf(dir);
	tl_rm_rf(dir2);
	tl_rm_rf(dir3);
}

Test(proc, exec_continues_as_the_next_image_and_a_failed_exec_changes_nothing)
{
	char *dir = tl_tmpdir("proc"), *dir2 = tl_tmpdir("proc");
	struct tl_result r;
	cJSON *img0, *img1;

	r = proc(dir, (const char *[]){"exec", tl_prog("shim_io"), "null", "1", NULL});
	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	img0 = shim_report(dir, "/shim_proc", 0);
	img1 = shim_report(dir, "/shim_io", 1);
	EXPECT_NUM(img0, "pid", jnum(img1, "pid"));
	cr_expect_str_eq(tl_json_str(img0, "end_reason"), "exec");
	cr_expect(cJSON_IsNull(tl_json_at(img0, "exit_status")));
	cr_expect_str_eq(tl_json_str(img1, "end_reason"), "exit");
	EXPECT_NUM(img1, "io.by_kind.other.write_calls", 1);
	cr_expect_eq(tl_glob(dir, "*.shm", NULL)[0], NULL, "the old image's counter file remains");

	r = proc(dir2, (const char *[]){"execfail", NULL});
	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	cr_assert_eq(nreports(dir2), 1);
	img0 = shim_report(dir2, "/shim_proc", 0);
	cr_expect_str_eq(tl_json_str(img0, "end_reason"), "exit");
	EXPECT_NUM(img0, "io.by_kind.other.write_calls", 1);
	tl_rm_rf(dir);
	tl_rm_rf(dir2);
}

Test(proc, every_way_of_exiting_writes_the_report)
{
	struct {
		const char *mode;
		int code;
	} cases[] = {{"_exit", 5}, {"threadexit", 4}, {"closeall", 0}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = tl_tmpdir("proc");
		struct tl_result r = proc(dir, (const char *[]){cases[i].mode, NULL});
		cJSON *rep;

		cr_assert(r.exited && r.code == cases[i].code, "%s: %s", cases[i].mode,
			  tl_status_str(&r));
		rep = shim_report(dir, "/shim_proc", 0);
		cr_expect_str_eq(tl_json_str(rep, "end_reason"), "exit", "%s", cases[i].mode);
		EXPECT_NUM(rep, "exit_status", cases[i].code);
		EXPECT_NUM(rep, "io.by_kind.other.write_calls",
			   strcmp(cases[i].mode, "closeall") ? 1 : 2);
		tl_rm_rf(dir);
	}
}

Test(proc, fatal_signals_end_the_process_as_before_and_are_reported)
{
	int sigs[] = {SIGTERM, SIGABRT, SIGSEGV};

	for (size_t i = 0; i < 3; i++) {
		char *dir = tl_tmpdir("proc"), num[8];
		const char *args[3] = {"raise", num, NULL};
		struct tl_result r, b;
		cJSON *rep;

		snprintf(num, sizeof(num), "%d", sigs[i]);
		if (sigs[i] == SIGSEGV)
			args[0] = "segv", args[1] = NULL;
		r = proc(dir, args);
		b = bare(args);
		cr_expect(!r.exited && r.signo == sigs[i], "signal %d: %s", sigs[i],
			  tl_status_str(&r));
		cr_expect_eq(r.signo, b.signo);
		rep = shim_report(dir, "/shim_proc", 0);
		cr_expect_str_eq(tl_json_str(rep, "end_reason"), "signal");
		EXPECT_NUM(rep, "signal", sigs[i]);
		EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 7);
		tl_rm_rf(dir);
	}
}

Test(proc, a_program_installing_its_own_handler_sees_the_default)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"handler", NULL});
	struct tl_result b = bare((const char *[]){"handler", NULL});

	cr_expect_str_eq(r.out, b.out);
	cr_expect_str_eq(r.out, "before: default\nhandled\n");
	cr_expect(r.exited && r.code == 0);
	cr_expect_str_eq(tl_json_str(shim_report(dir, "/shim_proc", 0), "end_reason"), "exit");
	tl_rm_rf(dir);
}

Test(proc, sigkill_leaves_counters_that_recover_turns_into_a_report)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"sigkill", NULL}), rec;
	cJSON *rep;
	int n;

	cr_assert(!r.exited && r.signo == SIGKILL, "%s", tl_status_str(&r));
	cr_assert_eq(nreports(dir), 0);
	tl_glob(dir, "perfshim.*.shm", &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", dir, NULL}, NULL,
			    NULL, NULL, 30),
		     0);
	cr_assert(rec.exited && rec.code == 0, "recover: %s", rec.err);
	cr_expect_eq(strncmp(rec.out, "recovered 1 report in ", 22), 0, "%s", rec.out);
	rep = shim_report(dir, "/shim_proc", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "recovered");
	EXPECT_NUM(rep, "io.by_kind.other.write_calls", 1);
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 7);
	EXPECT_NUM(rep, "io.by_kind.other.opens", 1);
	cr_expect_gt(jnum(rep, "wall_ns"), 0);
	cr_expect(cJSON_IsNull(tl_json_at(rep, "io.kernel")));
	tl_glob(dir, "perfshim.*.shm", &n);
	cr_expect_eq(n, 0, "the counter file was not removed");
	/* Nothing left to do the second time. */
	cr_assert_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", dir, NULL}, NULL,
			    NULL, NULL, 30),
		     0);
	cr_expect(rec.exited && rec.code == 0);
	cr_expect_eq(strncmp(rec.out, "recovered 0 reports", 19), 0, "%s", rec.out);
	tl_rm_rf(dir);
}

Test(proc, recover_rejects_what_is_not_a_counter_file)
{
	char *dir = tl_tmpdir("proc"), *bad;
	struct tl_result rec;

	cr_assert(asprintf(&bad, "%s/perfshim.1.0.shm", dir) > 0);
	tl_write_file(bad, "garbage", 7);
	cr_assert_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", dir, NULL}, NULL,
			    NULL, NULL, 30),
		     0);
	cr_expect(rec.exited && rec.code == 1, "%s", tl_status_str(&rec));
	cr_expect_not_null(strstr(rec.err, "perfshim.1.0.shm"), "%s", rec.err);
	cr_expect_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", "/nonexistent", NULL},
			    NULL, NULL, NULL, 30),
		     0);
	cr_expect(rec.exited && rec.code == 1);
	cr_expect_not_null(strstr(rec.err, "/nonexistent"));
	tl_rm_rf(dir);
}

Test(proc, stdout_dup_d_onto_a_file_is_file_io)
{
	char *dir = tl_tmpdir("proc"), *file;
	struct tl_result r;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/out.txt", dir) > 0);
	r = proc(dir, (const char *[]){"dup1", file, NULL});
	cr_assert(r.exited && r.code == 0);
	cr_expect_str_eq(tl_read_file(file, NULL), "hello\n");
	rep = shim_report(dir, "/shim_proc", 0);
	EXPECT_NUM(rep, "io.by_kind.file.write_bytes", 6);
	EXPECT_NUM(rep, "io.by_kind.pipe.write_bytes", 0);
	tl_rm_rf(dir);
}

Test(proc, malloc_in_signal_handlers_is_safe)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"sigmalloc", "300", NULL});
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s", tl_status_str(&r));
	cr_expect_str_eq(r.out, "ticks 1\n");
	rep = shim_report(dir, "/shim_proc", 0);
	cr_expect_gt(jnum(rep, "heap.allocs"), 1000);
	/* Each loop iteration and each handler frees what it allocated. */
	cr_expect_leq(jnum(rep, "heap.allocs") - jnum(rep, "heap.frees"), 10);
	tl_rm_rf(dir);
}

Test(proc, threads_are_counted_exactly)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"threads", "8", "1000", NULL});
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s", tl_status_str(&r));
	rep = shim_report(dir, "/shim_proc", 0);
	EXPECT_NUM(rep, "io.by_kind.other.write_calls", 8 * 1000 + 1);
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 8 * 8000 + 7);
	EXPECT_NUM(rep, "io.by_kind.other.opens", 9);
	cr_expect_geq(jnum(rep, "heap.allocs"), 8000);
	cr_expect_geq(jnum(rep, "threads.seen"), 9);
	EXPECT_NUM(rep, "threads.slots_dropped", 0);
	tl_rm_rf(dir);
}

Test(proc, contended_locks_are_timed)
{
	char *dir = tl_tmpdir("proc");
	struct tl_result r = proc(dir, (const char *[]){"lock", "100", NULL});
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s", tl_status_str(&r));
	rep = shim_report(dir, "/shim_proc", 0);
	EXPECT_NUM(rep, "locks.contended", 1);
	/* The holder sleeps 100 ms with the lock; main waits for most of it. */
	cr_expect_geq(jnum(rep, "locks.wait_ns"), 50e6, "wait %.0f ns", jnum(rep, "locks.wait_ns"));
	cr_expect_leq(jnum(rep, "locks.wait_ns"), jnum(rep, "wall_ns"));
	tl_rm_rf(dir);
}

Test(proc, dlopen_with_deepbind_works)
{
	char *dir = tl_tmpdir("proc");
	const char *args[] = {"deepbind", tl_prog("libshimdeep.so"), NULL};
	struct tl_result r = proc(dir, args), b = bare(args);

	cr_assert(r.exited && r.code == 0, "%s %s", tl_status_str(&r), r.err);
	cr_expect_str_eq(r.out, b.out);
	cr_expect_str_eq(r.out, "deep 100\n");
	tl_rm_rf(dir);
}
