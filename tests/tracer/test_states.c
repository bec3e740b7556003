/*
 * What blocked threads wait on: a socket read from a local server, file
 * reads, a contended mutex, a sleep; each attributed to the function that
 * waited and to the thing waited on.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_test.h"

/* The share (percent) of a state among a function's samples. */
static double state_pct(const cJSON *f, const char *state)
{
	double total = tt_num(f, "total_samples");

	return total ? 100.0 * tt_num(cJSON_GetObjectItem(f, "states"), state) / total : 0;
}

Test(states, socket_read_from_local_server)
{
	char *dir = tl_tmpdir("tr-net"), target[64];
	const char *cmd[] = {tl_prog("trace_net"), "1.5", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *fetch, *w, *wf;
	int port = 0;
	double share;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_eq(sscanf(r.out, "port %d", &port), 1, "output: %s", r.out);
	rep = tt_report(file, dir);
	fetch = tt_func(rep, "fetch_reply");
	cr_assert_not_null(fetch, "no fetch_reply in the report");
	/* the client waits for the 5 ms answer after each 5 ms of work */
	share = 100.0 * tt_num(cJSON_GetObjectItem(fetch, "states"), "io_net") /
		tt_num(tt_func(rep, "main"), "total_samples");
	cr_assert(share > 35 && share < 65, "client blocked on the socket %.1f%% of its time",
		  share);
	cr_assert_gt(state_pct(fetch, "io_net"), 90, "fetch_reply is io_net %.1f%%",
		     state_pct(fetch, "io_net"));
	cr_assert_lt(state_pct(tt_func(rep, "compute"), "cpu"), 100.01);
	cr_assert_gt(state_pct(tt_func(rep, "compute"), "cpu"), 95);
	snprintf(target, sizeof(target), "tcp 127.0.0.1:%d", port);
	w = tt_wait(rep, "io_net", target);
	cr_assert_not_null(w, "no wait on %s", target);
	cr_assert_str_eq(tl_json_str(w, "target"), target);
	wf = tl_json_at(w, "functions[0]");
	cr_assert_not_null(wf);
	cr_assert_str_eq(tl_json_str(wf, "name"), "fetch_reply");
	cr_assert_gt(tt_num(w, "samples"), 50);
	tl_rm_rf(dir);
}

Test(states, unix_socket_named_by_its_server_path)
{
	char *dir = tl_tmpdir("tr-unix"), *path, *target;
	struct tl_result r;
	cJSON *rep, *w;

	cr_assert(asprintf(&path, "%s/app.sock", dir) > 0);
	cr_assert(asprintf(&target, "unix %s", path) > 0);
	const char *cmd[] = {tl_prog("trace_net"), "unix", path, "0.8", NULL};
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = tt_report(file, dir);
	/*
	 * Both ends wait on the path: the server's accepted socket carries it,
	 * the client's own socket has no name and is named by its peer's.
	 */
	w = tt_wait(rep, "io_net", target);
	cr_assert_not_null(w, "no wait on %s", target);
	cr_assert_str_eq(tl_json_str(w, "target"), target);
	{
		const cJSON *f;
		int client = 0, server = 0;

		cJSON_ArrayForEach(f, cJSON_GetObjectItem(w, "functions"))
		{
			const char *n = tl_json_str(f, "name");

			client |= n && !strcmp(n, "fetch_reply") && tt_num(f, "samples") > 30;
			server |= n && !strcmp(n, "server") && tt_num(f, "samples") > 30;
		}
		cr_assert(client && server, "client %d, server %d", client, server);
	}
	tl_rm_rf(dir);
}

Test(states, file_reads_are_io_file)
{
	char *dir = tl_tmpdir("tr-file"), *data, *path;
	struct tl_result r;
	cJSON *rep, *f, *w;

	cr_assert(asprintf(&path, "%s/big.bin", dir) > 0);
	data = calloc(1, 8 << 20);
	cr_assert_eq(tl_write_file(path, data, 8 << 20), 0);
	const char *cmd[] = {tl_prog("trace_waits"), "file", path, "0.8", NULL};
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = tt_report(file, dir);
	f = tt_func(rep, "read_file");
	cr_assert_not_null(f);
	cr_assert_gt(state_pct(f, "io_file"), 60, "read_file is io_file %.1f%%",
		     state_pct(f, "io_file"));
	w = tt_wait(rep, "io_file", path);
	cr_assert_not_null(w, "no wait on %s", path);
	cr_assert_str_eq(tl_json_str(w, "target"), path);
	cr_assert_str_eq(tl_json_str(w, "functions[0].name"), "read_file");
	tl_rm_rf(dir);
}

Test(states, contended_mutex_is_lock)
{
	char *dir = tl_tmpdir("tr-lock");
	const char *cmd[] = {tl_prog("trace_waits"), "lock", "0.8", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *f, *w;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = tt_report(file, dir);
	f = tt_func(rep, "wait_for_lock");
	cr_assert_not_null(f);
	/* the holder keeps it 20 ms at a time, the waiter then sleeps 0.5 ms */
	cr_assert_gt(state_pct(f, "lock"), 75, "wait_for_lock is lock %.1f%%",
		     state_pct(f, "lock"));
	w = tt_wait(rep, "lock", "futex");
	cr_assert_not_null(w);
	cr_assert_str_eq(tl_json_str(w, "functions[0].name"), "wait_for_lock");
	tl_rm_rf(dir);
}

Test(states, sleep_is_sleep)
{
	char *dir = tl_tmpdir("tr-sleep");
	const char *cmd[] = {tl_prog("trace_waits"), "sleep", "0.6", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *f, *w;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_str_eq(r.out, "slept\n");
	rep = tt_report(file, dir);
	f = tt_func(rep, "take_nap");
	cr_assert_not_null(f);
	cr_assert_gt(state_pct(f, "sleep"), 97, "take_nap is sleep %.1f%%", state_pct(f, "sleep"));
	w = tt_wait(rep, "sleep", "clock_nanosleep");
	cr_assert_not_null(w);
	cr_assert_gt(100.0 * tt_num(w, "samples") / tt_num(rep, "samples"), 90);
	/* asleep in one call, it need not be stopped again: most samples repeat the last */
	cr_assert_gt(tt_num(cJSON_GetObjectItem(rep, "tracer"), "samples_repeated"),
		     0.5 * tt_num(rep, "samples"));
	tl_rm_rf(dir);
}
