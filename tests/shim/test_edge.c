/*
 * Corner cases found in review (tests/progs/shim_edge.c): each test pins one
 * behaviour that the main suites did not reach, with the exact outcome the
 * shim must produce.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "shimtest.h"

static struct tl_result edge(const char *dir, const char *const args[], const char *const env[])
{
	const char *argv[10] = {tl_prog("shim_edge")};

	for (int i = 0; args[i] && i < 8; i++)
		argv[i + 1] = args[i];
	return shim_run(dir, argv, env);
}

static struct tl_result edge_bare(const char *const args[])
{
	const char *argv[10] = {tl_prog("shim_edge")};
	struct tl_result r;

	for (int i = 0; args[i] && i < 8; i++)
		argv[i + 1] = args[i];
	cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 60), 0);
	return r;
}

/* Runs a mode that must exit 0 and returns its one report. */
static cJSON *edge_report(const char *const args[], char **out)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, args, NULL);
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_edge", 0);
	if (out)
		*out = r.out;
	tl_rm_rf(dir);
	return rep;
}

static cJSON *file_entry(cJSON *rep, const char *path)
{
	cJSON *f;

	cJSON_ArrayForEach(f, tl_json_at(rep, "io.files"))
	{
		const char *p = tl_json_str(f, "path");

		if (p && !strcmp(p, path))
			return f;
	}
	cr_assert_fail("no io.files entry for %s", path);
	return NULL;
}

Test(edge, inline_stdio_is_counted_after_a_thousand_fcloses)
{
	char *dir = tl_tmpdir("edge"), *file;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/f", dir) > 0);
	/* The FILE table of stdio_track.c has 1024 entries; closed FILEs must free theirs. */
	rep = edge_report((const char *[]){"ftab", file, "1100", "5000", NULL}, NULL);
	EXPECT_NUM(file_entry(rep, file), "write_bytes", 1100 + 5000);
	EXPECT_NUM(rep, "io.by_kind.file.write_bytes", 1100 + 5000);
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(edge, frees_in_thread_key_destructors_leave_live_bytes_exact)
{
	/* The same blocks freed by the thread itself or by its key destructor at its exit. */
	cJSON *own = edge_report((const char *[]){"keydtor", "20", "free", NULL}, NULL);
	cJSON *dtor = edge_report((const char *[]){"keydtor", "20", "dtor", NULL}, NULL);

	EXPECT_NUM(dtor, "heap.allocs", jnum(own, "heap.allocs"));
	EXPECT_NUM(dtor, "heap.frees", jnum(own, "heap.frees"));
	EXPECT_NUM(dtor, "heap.live_bytes", jnum(own, "heap.live_bytes"));
}

Test(edge, threads_past_the_slot_table_leave_live_bytes_exact)
{
	/* 300 threads alive at once, 45 of them in the shared overflow slot. */
	cJSON *none = edge_report((const char *[]){"threads", "300", "none", NULL}, NULL);
	cJSON *alloc = edge_report((const char *[]){"threads", "300", "alloc", NULL}, NULL);

	cr_expect_gt(jnum(alloc, "threads.slots_dropped"), 0);
	EXPECT_NUM(alloc, "heap.allocs", jnum(none, "heap.allocs") + 300);
	EXPECT_NUM(alloc, "heap.frees", jnum(none, "heap.frees") + 300);
	/* Each thread freed what it allocated. */
	EXPECT_NUM(alloc, "heap.live_bytes", jnum(none, "heap.live_bytes"));
}

Test(edge, an_overflowing_reallocarray_frees_nothing)
{
	/* n * size wraps to 0: glibc fails with ENOMEM and the block stays live. */
	cJSON *base = edge_report((const char *[]){"reallocarray", "0", NULL}, NULL);
	cJSON *rep = edge_report((const char *[]){"reallocarray", "5", NULL}, NULL);

	EXPECT_NUM(rep, "heap.allocs", jnum(base, "heap.allocs"));
	EXPECT_NUM(rep, "heap.frees", jnum(base, "heap.frees"));
	EXPECT_NUM(rep, "heap.live_bytes", jnum(base, "heap.live_bytes"));
}

Test(edge, a_vfork_child_killed_by_a_signal_dies_of_it)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"vforkkill", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);

	cr_expect_str_eq(b.out, "child signal 15\n");
	cr_expect_str_eq(r.out, b.out);
	cr_expect(r.exited && r.code == 0, "%s", tl_status_str(&r));
	tl_rm_rf(dir);
}

Test(edge, a_vfork_child_changing_a_disposition_leaves_the_parents_alone)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"vforksig", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);

	/* The child has its own dispositions; the parent's SIGPIPE is still its default. */
	cr_expect_str_eq(b.out, "SIGPIPE default flags 0\n");
	cr_expect_str_eq(r.out, b.out);
	tl_rm_rf(dir);
}

Test(edge, a_child_forked_inside_libc_gets_its_own_report)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"forkpty", NULL}, NULL);
	cJSON **all;
	cJSON *parent = NULL, *child = NULL;
	int n;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_expect_str_eq(r.out, "child exit 0\n");
	/* forkpty() forks with libc's internal fork, not through the exported one. */
	all = shim_reports(dir, &n);
	cr_assert_eq(n, 2, "expected the parent's and the child's reports, found %d", n);
	for (int i = 0; i < n; i++) {
		if (!strcmp(tl_json_str(all[i], "end_reason"), "exit") &&
		    jnum(all[i], "io.by_kind.other.write_calls") == 1)
			child = all[i];
		else
			parent = all[i];
	}
	cr_assert_not_null(child, "no report has the child's write");
	cr_assert_not_null(parent);
	EXPECT_NUM(child, "ppid", jnum(parent, "pid"));
	EXPECT_NUM(child, "io.by_kind.other.write_bytes", 3);
	EXPECT_NUM(parent, "io.by_kind.other.write_calls", 0);
	tl_rm_rf(dir);
}

static cJSON *find_peer(cJSON *rep, const char *addr, const char *role)
{
	cJSON *p;

	cJSON_ArrayForEach(p, tl_json_at(rep, "net.peers")) if (!strcmp(tl_json_str(p, "addr"),
								       addr) &&
							       !strcmp(tl_json_str(p, "role"),
								       role)) return p;
	return NULL;
}

Test(edge, datagrams_sent_with_sendmmsg_go_to_their_peer)
{
	char *out, addr[64];
	cJSON *rep = edge_report((const char *[]){"sendmmsg", NULL}, &out), *p;
	int port;

	cr_assert_eq(sscanf(out, "port %d", &port), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	EXPECT_NUM(rep, "io.by_kind.socket.write_calls", 1);
	EXPECT_NUM(rep, "io.by_kind.socket.write_bytes", 12);
	EXPECT_NUM(rep, "io.by_kind.socket.read_bytes", 12);
	p = find_peer(rep, addr, "client");
	cr_assert_not_null(p, "no client peer %s", addr);
	cr_expect_str_eq(tl_json_str(p, "transport"), "udp");
	EXPECT_NUM(p, "bytes_sent", 12);
}

Test(edge, http_requests_pipelined_in_separate_writes_are_each_counted)
{
	char *out, addr[64];
	cJSON *rep = edge_report((const char *[]){"http3", NULL}, &out), *c, *s;
	int port;

	cr_assert_eq(sscanf(out, "port %d", &port), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	c = find_peer(rep, addr, "client");
	cr_assert_not_null(c, "no client peer %s", addr);
	/* Three requests written one by one, then the three responses: one wait. */
	EXPECT_NUM(c, "http_requests", 3);
	EXPECT_NUM(c, "round_trips", 1);
	EXPECT_NUM(c, "http_round_trips", 1);
	s = find_peer(rep, addr, "server");
	cr_assert_not_null(s, "no server peer %s", addr);
	EXPECT_NUM(s, "http_requests", 3);
}

Test(edge, a_wildcard_server_is_keyed_by_its_listening_address)
{
	char *out, addr[64];
	cJSON *rep = edge_report((const char *[]){"wildcard", NULL}, &out), *s, *l;
	int port, found = 0;

	cr_assert_eq(sscanf(out, "port %d", &port), 1);
	snprintf(addr, sizeof(addr), "0.0.0.0:%d", port);
	cJSON_ArrayForEach(l, tl_json_at(rep, "net.listens")) found +=
		!strcmp(tl_json_str(l, "addr"), addr);
	cr_expect_eq(found, 1, "listening address %s not reported", addr);
	/* docs/shim-report.md: accepted connections are keyed by the listening address. */
	s = find_peer(rep, addr, "server");
	cr_assert_not_null(s, "no server peer %s", addr);
	EXPECT_NUM(s, "accepts", 1);
	EXPECT_NUM(s, "bytes_received", 4);
	EXPECT_NUM(s, "bytes_sent", 4);
}

Test(edge, files_opened_through_symlinks_have_one_entry_under_the_name_used)
{
	char *dir = tl_tmpdir("edge"), *f1, *f2;
	cJSON *rep, *f;
	int n = 0;

	cr_assert(asprintf(&f1, "%s/link/f1", dir) > 0);
	cr_assert(asprintf(&f2, "%s/real/f2", dir) > 0);
	rep = edge_report((const char *[]){"symlink", dir, NULL}, NULL);
	/* Opened as DIR/link/f1: that name, and no second entry for DIR/real/sub/f1. */
	EXPECT_NUM(file_entry(rep, f1), "opens", 1);
	EXPECT_NUM(file_entry(rep, f1), "write_bytes", 4);
	/* DIR/link/../f2 is DIR/real/sub/../f2, not DIR/f2: ".." after a symlink is not lexical. */
	EXPECT_NUM(file_entry(rep, f2), "opens", 1);
	EXPECT_NUM(file_entry(rep, f2), "write_bytes", 2);
	cJSON_ArrayForEach(f, tl_json_at(rep, "io.files"))
	{
		const char *p = tl_json_str(f, "path");

		if (!strncmp(p, dir, strlen(dir))) {
			n++;
			cr_expect_gt(jnum(f, "opens"), 0, "%s listed with no open", p);
		}
	}
	cr_expect_eq(n, 2, "%d entries under %s", n, dir);
	tl_rm_rf(dir);
}

Test(edge, an_exec_into_a_program_without_the_shim_leaves_only_the_report)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r;
	int n;

	/* The new image runs without LD_PRELOAD: nothing of ours in it removes the counter file. */
	r = edge(dir, (const char *[]){"execenv", "/bin/true", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	tl_glob(dir, "perfshim.*.json", &n);
	cr_expect_eq(n, 1, "%d reports", n);
	tl_glob(dir, "*", &n);
	cr_expect_eq(n, 1, "%d files in %s besides the report", n - 1, dir);
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, the_peak_is_within_the_stated_error_with_many_threads)
{
	char *out;
	cJSON *rep = edge_report((const char *[]){"peak", "60", NULL}, &out);
	double held = 0, peak = jnum(rep, "heap.peak_live_bytes");
	double err = jnum(rep, "heap.peak_error_bytes");

	/* Each thread holds back less than its fold limit, which depends on the
	 * threads alive when it last folded; together more than 64 KiB here. */
	cr_assert_eq(sscanf(out, "held %lf", &held), 1);
	cr_assert_gt(held, 100000);
	cr_expect_geq(peak, held - err, "peak %.0f, held %.0f, error bound %.0f", peak, held, err);
}

Test(edge, connect_again_to_check_a_non_blocking_connect_is_not_a_second_connect)
{
	char *out, addr[64];
	cJSON *rep = edge_report((const char *[]){"reconnect", NULL}, &out), *p;
	int port;

	cr_assert_eq(sscanf(out, "port %d", &port), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	EXPECT_NUM(rep, "net.connects", 1);
	p = find_peer(rep, addr, "client");
	cr_assert_not_null(p, "no client peer %s", addr);
	EXPECT_NUM(p, "connects", 1);
	EXPECT_NUM(p, "connect_errors", 0);
}

Test(edge, exit_status_is_what_the_parent_sees)
{
	const char *modes[] = {"exit", "_exit"};

	for (int m = 0; m < 2; m++) {
		const char *vals[] = {"-1", "259"};
		const int want[] = {255, 3};

		for (int i = 0; i < 2; i++) {
			char *dir = tl_tmpdir("edge");
			struct tl_result r = edge(dir, (const char *[]){modes[m], vals[i], NULL}, NULL);
			cJSON *rep;

			cr_assert(r.exited && r.code == want[i], "%s(%s): %s", modes[m], vals[i],
				  tl_status_str(&r));
			rep = shim_report(dir, "/shim_edge", 0);
			cr_expect_eq(jnum(rep, "exit_status"), want[i], "%s(%s): exit_status %.0f",
				     modes[m], vals[i], jnum(rep, "exit_status"));
			tl_rm_rf(dir);
		}
	}
}

Test(edge, a_file_size_limit_below_the_counter_file_does_not_kill_the_program)
{
	char *dir = tl_tmpdir("edge");
	struct rlimit lim = {1 << 20, 1 << 20};
	struct tl_result r;

	/* Inherited by the program: 1 MiB, less than a counter file. */
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = edge(dir, (const char *[]){"exit", "0", NULL}, NULL);
	cr_expect(r.exited && r.code == 0, "%s", tl_status_str(&r));
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, recover_is_not_stopped_by_the_temporary_file_of_a_report_cut_short)
{
	char *dir = tl_tmpdir("edge"), *tmp, **shm;
	struct tl_result r = edge(dir, (const char *[]){"sigkill", NULL}, NULL), rec;
	unsigned pid, image;
	cJSON *rep;

	cr_assert(!r.exited && r.signo == SIGKILL, "%s", tl_status_str(&r));
	shm = tl_glob(dir, "perfshim.*.shm", NULL);
	cr_assert_not_null(shm[0]);
	cr_assert_eq(sscanf(strrchr(shm[0], '/'), "/perfshim.%u.%u.shm", &pid, &image), 2);
	/* What a kill in the middle of writing the report leaves beside the counter file. */
	cr_assert(asprintf(&tmp, "%s/.perfshim.%u.%u.json.tmp", dir, pid, image) > 0);
	cr_assert_eq(tl_write_file(tmp, "{\"schema\": \"perfs", 17), 0);
	cr_assert_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", dir, NULL}, NULL,
			    NULL, NULL, 30),
		     0);
	cr_expect(rec.exited && rec.code == 0, "recover: %s %s", tl_status_str(&rec), rec.err);
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "recovered");
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 7);
	cr_expect_eq(tl_glob(dir, ".*.tmp", NULL)[0], NULL, "temporary file left");
	tl_rm_rf(dir);
}

Test(edge, fgets_counts_the_bytes_of_lines_with_nul_bytes)
{
	char *dir = tl_tmpdir("edge"), *file;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/nul", dir) > 0);
	rep = edge_report((const char *[]){"fgetsnul", file, NULL}, NULL);
	/* fgets() took all 11 bytes off the FILE; strlen() of each line sees 2 of 6 and 2 of 5. */
	EXPECT_NUM(file_entry(rep, file), "read_bytes", 11);
	EXPECT_NUM(rep, "io.stdio.read_bytes", 11);
	tl_rm_rf(dir);
}

Test(edge, an_exec_after_chdir_with_a_relative_out_dir_leaves_only_the_report)
{
	char *dir = tl_tmpdir("edge"), *other = tl_tmpdir("edge"), *pre, *out;
	struct tl_result r;
	int n;

	/* PERFSHIM_OUT=out: the new image, started in `other`, reports into other/out. */
	cr_assert(asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so", tl_build()) > 0);
	cr_assert(asprintf(&out, "%s/out", dir) > 0);
	cr_assert_eq(tl_run(&r,
			    (const char *[]){tl_prog("shim_edge"), "chdirexec", other, "/bin/true",
					     NULL},
			    (const char *[]){pre, "PERFSHIM_OUT=out", NULL}, dir, NULL, 30),
		     0);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	tl_glob(out, "*", &n);
	cr_expect_eq(n, 1, "%d files in %s, expected the report only", n, out);
	cr_expect_eq(tl_glob(out, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
	tl_rm_rf(other);
}

Test(edge, an_exec_into_a_static_program_leaves_only_the_report)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r;
	int n;

	/* The environment still has the shim; the static program cannot load it. */
	r = edge(dir, (const char *[]){"chdirexec", ".", tl_prog("shim_static"), NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_expect_str_eq(r.out, "static\n");
	tl_glob(dir, "*", &n);
	cr_expect_eq(n, 1, "%d files in %s, expected the report only", n, dir);
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, sigset_and_sigignore_replace_the_shims_handler_visibly)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"sigset", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);

	cr_expect_str_eq(b.out, "SIGTERM was default, is ours\nSIGUSR1 is ignored\n");
	cr_expect_str_eq(r.out, b.out);
	tl_rm_rf(dir);
}

Test(edge, daemon_writes_the_parents_report_and_the_daemons)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"daemon", NULL}, NULL);
	cJSON **all, *parent = NULL, *child = NULL;
	int n = 0;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	/* The daemon runs on in its own session: wait for its report. */
	for (int i = 0; i < 500 && n < 2; i++) {
		tl_glob(dir, "perfshim.*.json", &n);
		if (n < 2)
			usleep(10000);
	}
	all = shim_reports(dir, &n);
	cr_assert_eq(n, 2, "expected the parent's and the daemon's reports, found %d", n);
	for (int i = 0; i < n; i++) {
		if (jnum(all[i], "io.by_kind.other.write_calls") == 1)
			child = all[i];
		else
			parent = all[i];
	}
	cr_assert_not_null(child, "no report has the daemon's write");
	cr_assert_not_null(parent);
	cr_expect_str_eq(tl_json_str(parent, "end_reason"), "exit");
	EXPECT_NUM(parent, "exit_status", 0);
	EXPECT_NUM(child, "ppid", jnum(parent, "pid"));
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, live_bytes_at_the_end_include_what_running_threads_hold)
{
	/* 8 threads still alive at the exit, each holding a 1000-byte block, or nothing. */
	cJSON *none = edge_report((const char *[]){"holding", "8", "none", NULL}, NULL);
	cJSON *hold = edge_report((const char *[]){"holding", "8", "hold", NULL}, NULL);

	EXPECT_NUM(hold, "heap.allocs", jnum(none, "heap.allocs") + 8);
	/* glibc: malloc(1000) is a 1008-byte chunk, 1000 usable bytes. */
	EXPECT_NUM(hold, "heap.live_bytes", jnum(none, "heap.live_bytes") + 8 * 1000);
}

Test(edge, the_report_is_written_where_rename_cannot_refuse_to_replace)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"norename", NULL}, NULL);
	int n;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	tl_glob(dir, "perfshim.*.json", &n);
	cr_expect_eq(n, 1, "%d reports", n);
	tl_glob(dir, "*", &n);
	cr_expect_eq(n, 1, "%d files in %s, expected the report only", n, dir);
	tl_rm_rf(dir);
}

Test(edge, leaving_signal_handlers_with_longjmp_does_not_stop_the_counting)
{
	/* Some of the 500 signals arrive while a hook is recording the open() or close(). */
	cJSON *rep = edge_report((const char *[]){"longjmp", "500", NULL}, NULL);

	EXPECT_NUM(rep, "io.by_kind.other.write_calls", 100);
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 100);
}

Test(edge, calls_that_fail_with_efault_fail_the_same_under_the_shim)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"efault", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);

	cr_assert(b.exited && b.code == 0, "bare: %s", tl_status_str(&b));
	cr_expect(r.exited && r.code == 0, "%s (bare: exit 0)", tl_status_str(&r));
	cr_expect_str_eq(r.out, b.out);
	tl_rm_rf(dir);
}

Test(edge, inline_stdio_after_fflush_of_every_stream_is_counted)
{
	char *dir = tl_tmpdir("edge"), *file;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/f", dir) > 0);
	rep = edge_report((const char *[]){"fflushall", file, NULL}, NULL);
	/* fflush(NULL) empties the buffer behind the pointers the shim remembered. */
	EXPECT_NUM(file_entry(rep, file), "write_bytes", 100 + 150);
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(edge, inline_stdio_before_freopen_is_counted_for_the_old_file)
{
	char *dir = tl_tmpdir("edge"), *a, *b;
	cJSON *rep;

	cr_assert(asprintf(&a, "%s/a", dir) > 0);
	cr_assert(asprintf(&b, "%s/b", dir) > 0);
	rep = edge_report((const char *[]){"freopen", a, b, NULL}, NULL);
	/* freopen() flushes what inline code put into the buffer, to a. */
	EXPECT_NUM(file_entry(rep, a), "write_bytes", 50);
	EXPECT_NUM(file_entry(rep, b), "write_bytes", 70);
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(edge, a_file_under_a_working_directory_longer_than_path_max_is_not_misnamed)
{
	char *dir = tl_tmpdir("edge");
	cJSON *rep = edge_report((const char *[]){"deepcwd", dir, NULL}, NULL), *f;
	int found = 0;

	/* getcwd(2) fails there: the shim cannot know the absolute name, but /leaf.txt is wrong. */
	cJSON_ArrayForEach(f, tl_json_at(rep, "io.files"))
	{
		const char *p = tl_json_str(f, "path");
		size_t n = strlen(p);

		cr_expect_str_neq(p, "/leaf.txt");
		if (n > 9 && !strcmp(p + n - 9, "/leaf.txt") && !strncmp(p, "...", 3)) {
			found++;
			EXPECT_NUM(f, "opens", 1);
			EXPECT_NUM(f, "write_bytes", 5);
		}
	}
	cr_expect_eq(found, 1, "no entry .../leaf.txt");
	/* Too deep for nftw(): rm -rf walks it by descriptors. */
	{
		struct tl_result rm;

		tl_run(&rm, (const char *[]){"rm", "-rf", dir, NULL}, NULL, NULL, NULL, 30);
	}
}

Test(edge, after_a_failed_exec_into_no_shim_a_kill_is_still_recovered)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"execfailkill", NULL}, NULL), rec;
	cJSON *rep;
	int n;

	/* The exec took the counter file's name away and put the file back when it failed. */
	cr_assert(!r.exited && r.signo == SIGKILL, "%s", tl_status_str(&r));
	tl_glob(dir, "perfshim.*.json", &n);
	cr_assert_eq(n, 0, "%d reports before recover", n);
	cr_assert_eq(tl_run(&rec, (const char *[]){tl_bpath("perfprof"), "recover", dir, NULL}, NULL,
			    NULL, NULL, 30),
		     0);
	cr_expect(rec.exited && rec.code == 0, "recover: %s", rec.err);
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "recovered");
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 7);
	EXPECT_NUM(rep, "io.by_kind.other.opens", 1);
	tl_rm_rf(dir);
}

Test(edge, a_fatal_signal_during_the_exit_report_waits_for_the_report)
{
	/*
	 * A second thread sends itself SIGTERM as soon as the exit report's
	 * temporary file appears; whether it sees it in time depends on the
	 * scheduler, so this tries a few times and judges the runs in which it
	 * did (it leaves a file saying so).  The process then ends with
	 * SIGTERM, or with its exit if the report was still being written: the
	 * same race as without the shim.
	 */
	for (int attempt = 0; attempt < 10; attempt++) {
		char *dir = tl_tmpdir("edge"), *files, *mark;
		struct tl_result r;
		struct stat st;
		int n;

		cr_assert(asprintf(&files, "%s/files", dir) > 0);
		cr_assert(asprintf(&mark, "%s/signalled", files) > 0);
		cr_assert_eq(mkdir(files, 0700), 0);
		r = edge(dir, (const char *[]){"exitsignal", files, NULL}, NULL);
		if (stat(mark, &st)) {
			tl_rm_rf(dir);
			continue;
		}
		cr_expect((r.exited && r.code == 0) || r.signo == SIGTERM, "%s", tl_status_str(&r));
		tl_glob(dir, "perfshim.*.json", &n);
		cr_expect_eq(n, 1, "the signal cut the exit report short (attempt %d)", attempt + 1);
		cr_expect_eq(tl_glob(dir, ".*.tmp", NULL)[0], NULL, "temporary report left");
		tl_rm_rf(dir);
		return;
	}
	cr_skip_test("the signal never arrived during the report");
}

/* Runs shim_edge MODE with libshimtrap.so preloaded after the shim, SHIM_TRAP=trap. */
static struct tl_result edge_trapped(const char *dir, const char *mode, const char *trap)
{
	char *pre, *out, *what;
	struct tl_result r;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so %s", tl_build(),
			   tl_prog("libshimtrap.so")) > 0);
	cr_assert(asprintf(&out, "PERFSHIM_OUT=%s", dir) > 0);
	cr_assert(asprintf(&what, "SHIM_TRAP=%s", trap) > 0);
	cr_assert_eq(tl_run(&r, (const char *[]){tl_prog("shim_edge"), mode, NULL},
			    (const char *[]){pre, out, what, "PERFSHIM_HEAP_SAMPLE=4096", NULL},
			    NULL, NULL, 30),
		     0);
	return r;
}

Test(edge, _exit_while_the_shim_is_busy_still_writes_the_report)
{
	char *dir = tl_tmpdir("edge");
	/* _exit(3) from inside the shim's recording of accept(), as a signal handler would. */
	struct tl_result r = edge_trapped(dir, "accept", "_exit");
	cJSON *rep;

	cr_assert(r.exited && r.code == 3, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "exit");
	EXPECT_NUM(rep, "exit_status", 3);
	tl_rm_rf(dir);
}

Test(edge, exec_while_the_shim_is_busy_still_ends_the_image)
{
	char *dir = tl_tmpdir("edge");
	/* execl("/bin/true") from inside the shim's recording of accept(). */
	struct tl_result r = edge_trapped(dir, "accept", "exec");
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "exec");
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, a_fatal_signal_during_its_own_exit_report_is_reported)
{
	char *dir = tl_tmpdir("edge");
	/* SIGTERM while the exiting thread writes its report (as a pool's terminate() does). */
	struct tl_result r = edge_trapped(dir, "allocs", "term");
	cJSON *rep;

	cr_assert(!r.exited && r.signo == SIGTERM, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "signal");
	EXPECT_NUM(rep, "signal", SIGTERM);
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	cr_expect_eq(tl_glob(dir, ".*.tmp", NULL)[0], NULL, "temporary report left");
	tl_rm_rf(dir);
}

Test(edge, a_program_that_lowers_its_file_size_limit_is_not_killed_at_exit)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"fsizelimit", NULL}, NULL);
	cJSON *rep;

	/* Its limit (1000 bytes, the hard one unchanged) is less than its report. */
	cr_assert(r.exited && r.code == 0, "%s (bare: exit 0)", tl_status_str(&r));
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "exit");
	tl_rm_rf(dir);
}

Test(edge, an_exec_with_a_bad_environment_pointer_fails_with_efault)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"execbadenv", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);

	cr_assert(b.exited && b.code == 0, "bare: %s", tl_status_str(&b));
	cr_expect_str_eq(b.out, "execve = -1 errno 14\nexecve = -1 errno 14\nexecv = -1 errno 14\n"
				"fexecve = -1 errno 14\n");
	cr_expect(r.exited && r.code == 0, "%s (bare: exit 0)", tl_status_str(&r));
	cr_expect_str_eq(r.out, b.out);
	tl_rm_rf(dir);
}

Test(edge, an_exec_under_a_file_size_limit_the_shim_cannot_start_in_leaves_only_the_report)
{
	char *dir = tl_tmpdir("edge");
	struct tl_result r = edge(dir, (const char *[]){"fsizeexec", "/bin/true", NULL}, NULL);
	int n;

	/* /bin/true runs with the shim in its environment, but 1 MiB keeps it off. */
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	tl_glob(dir, "*", &n);
	cr_expect_eq(n, 1, "%d files in %s, expected the report only", n, dir);
	cr_expect_eq(tl_glob(dir, "perfshim.*.shm", NULL)[0], NULL, "counter file left behind");
	tl_rm_rf(dir);
}

Test(edge, ungetc_of_a_character_never_read_does_not_take_a_byte_off_the_count)
{
	char *dir = tl_tmpdir("edge"), *file;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/u", dir) > 0);
	rep = edge_report((const char *[]){"ungetc", file, NULL}, NULL);
	/* 5 bytes read from the file; the '#' pushed back and dropped was never read. */
	EXPECT_NUM(file_entry(rep, file), "read_bytes", 5);
	EXPECT_NUM(rep, "io.by_kind.file.read_bytes", 5);
	EXPECT_NUM(rep, "io.stdio.read_bytes", 5);
	tl_rm_rf(dir);
}

Test(edge, stdio_from_several_threads_on_one_file_is_counted_once)
{
	/* The threads' calls interleave differently each time: five runs, all exact. */
	for (int run = 0; run < 5; run++) {
		char *dir = tl_tmpdir("edge"), *file;
		struct stat st;
		cJSON *rep;

		cr_assert(asprintf(&file, "%s/shared", dir) > 0);
		rep = edge_report((const char *[]){"mtstdio", file, NULL}, NULL);
		cr_assert_eq(stat(file, &st), 0);
		/* stdio is thread-safe: the bytes the threads handed to the FILE are the file's. */
		cr_assert_eq(jnum(file_entry(rep, file), "write_bytes"), (double)st.st_size,
			     "run %d: write_bytes %.0f of a %lld-byte file", run + 1,
			     jnum(file_entry(rep, file), "write_bytes"), (long long)st.st_size);
		EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
		tl_rm_rf(dir);
	}
}

Test(edge, a_handler_that_restores_the_default_and_raises_again_leaves_a_report)
{
	char *dir = tl_tmpdir("edge");
	const char *args[] = {"cleanup", NULL};
	struct tl_result b = edge_bare(args), r = edge(dir, args, NULL);
	cJSON *rep;

	cr_assert(!b.exited && b.signo == SIGTERM, "bare: %s", tl_status_str(&b));
	cr_assert(!r.exited && r.signo == SIGTERM, "%s", tl_status_str(&r));
	cr_expect_str_eq(r.out, b.out);
	/* The handler gave SIGTERM back to SIG_DFL: to the shim, which writes the report. */
	rep = shim_report(dir, "/shim_edge", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "signal");
	EXPECT_NUM(rep, "signal", SIGTERM);
	tl_rm_rf(dir);
}

Test(edge, bytes_peeked_at_are_not_received_twice)
{
	char *out, addr[64];
	cJSON *rep = edge_report((const char *[]){"peek", NULL}, &out), *s;
	int port;

	cr_assert_eq(sscanf(out, "port %d", &port), 1);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	/* MSG_PEEK leaves the bytes in the socket: they are received once, by the second call. */
	EXPECT_NUM(rep, "io.by_kind.socket.read_bytes", 10);
	EXPECT_NUM(rep, "io.by_kind.socket.read_calls", 2);
	s = find_peer(rep, addr, "server");
	cr_assert_not_null(s, "no server peer %s", addr);
	EXPECT_NUM(s, "bytes_received", 10);
}
