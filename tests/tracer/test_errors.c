/*
 * Bad input: one clear line on stderr and a non-zero exit, or a correct
 * result; never a crash, a hang, or a target left stopped.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exactly one line, starting "perftrace: ". */
static void one_line(const struct tl_result *r)
{
	cr_assert(!strncmp(r->err, "perftrace: ", 11), "stderr: %s", r->err);
	cr_assert(strchr(r->err, '\n') == r->err + r->err_len - 1, "not one line: %s", r->err);
}

static struct tl_result run(const char *const *argv, const char *dir)
{
	struct tl_result r;

	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 30), 0);
	cr_assert(!r.timed_out, "timed out");
	return r;
}

Test(errors, no_such_command)
{
	char *dir = tl_tmpdir("tr-nocmd");
	const char *argv[] = {tt_perftrace(), "record",		 "-o", "x.ptrace",
			      "--",	      "no-such-cmd-xyz", NULL};
	struct tl_result r = run(argv, dir);

	cr_assert(r.exited && r.code == 127, "%s", tl_status_str(&r));
	one_line(&r);
	cr_assert(strstr(r.err, "no-such-cmd-xyz") && strstr(r.err, "No such file"), "%s", r.err);
	cr_assert_neq(access("x.ptrace", F_OK), 0, "left an empty sample file behind");
	tl_rm_rf(dir);
}

Test(errors, no_such_pid)
{
	char *dir = tl_tmpdir("tr-nopid");
	const char *argv[] = {tt_perftrace(), "record", "-o", "x.ptrace", "-p", "999999999", NULL};
	struct tl_result r = run(argv, dir);

	cr_assert(r.exited && r.code != 0);
	one_line(&r);
	cr_assert(strstr(r.err, "no such process"), "%s", r.err);
	tl_rm_rf(dir);
}

Test(errors, ptrace_refused_says_why)
{
	char *dir = tl_tmpdir("tr-refused"), pidbuf[16];
	int pid = fork(), status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* traced by its parent (this test): nobody else may attach */
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		pause();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	const char *argv[] = {tt_perftrace(), "record", "-o", "x.ptrace", "-p", pidbuf, NULL};
	struct tl_result r = run(argv, dir);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert(r.exited && r.code != 0);
	one_line(&r);
	cr_assert(strstr(r.err, "ptrace refused") && strstr(r.err, "already traced"), "%s", r.err);
	tl_rm_rf(dir);
}

Test(errors, kernel_thread_cannot_be_traced)
{
	char *dir = tl_tmpdir("tr-kthread");
	const char *argv[] = {tt_perftrace(), "record", "-o", "x.ptrace", "-p", "2", NULL};
	struct tl_result r;
	char comm[64] = "";
	FILE *f = fopen("/proc/2/comm", "r");

	if (!f || !fgets(comm, sizeof(comm), f) || strncmp(comm, "kthreadd", 8))
		cr_skip_test("pid 2 is not kthreadd here (a container?)");
	fclose(f);
	r = run(argv, dir);
	cr_assert(r.exited && r.code != 0);
	one_line(&r);
	cr_assert(strstr(r.err, "kernel thread"), "%s", r.err);
	tl_rm_rf(dir);
}

Test(errors, target_that_exits_at_once)
{
	char *dir = tl_tmpdir("tr-true");
	const char *cmd[] = {"true", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 99, NULL, cmd, NULL);
	cJSON *rep;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = tt_report(file, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "complete")));
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "processes")), 1);
	cr_assert_eq(tt_num(tl_json_at(rep, "processes[0]"), "exit_status"), 0);
	tl_rm_rf(dir);
}

Test(errors, bad_options)
{
	char *dir = tl_tmpdir("tr-opts");
	const char *a1[] = {tt_perftrace(), "record", "-F", "0", "--", "true", NULL};
	const char *a2[] = {tt_perftrace(), "record", NULL};
	const char *a3[] = {tt_perftrace(), "report", "--format", "pdf", NULL};
	const char *a4[] = {tt_perftrace(), "frobnicate", NULL};
	const char *a5[] = {tt_perftrace(), "record", "--bogus", "--", "true", NULL};
	const char *a6[] = {tt_perftrace(), "report", "-i", NULL};
	const char *const *all[] = {a1, a2, a3, a4, a5, a6};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		struct tl_result r = run(all[i], dir);

		cr_assert(r.exited && r.code == 2, "case %zu: %s", i, tl_status_str(&r));
		one_line(&r);
	}
	tl_rm_rf(dir);
}

Test(errors, existing_output_is_not_clobbered_unless_named)
{
	char *dir = tl_tmpdir("tr-exist"), *path, *data;
	const char *a1[] = {tt_perftrace(), "record", "--", "true", NULL};
	struct tl_result r;

	cr_assert(asprintf(&path, "%s/perftrace.ptrace", dir) > 0);
	cr_assert_eq(tl_write_file(path, "keep", 4), 0);
	r = run(a1, dir);
	cr_assert(r.exited && r.code != 0);
	one_line(&r);
	data = tl_read_file(path, NULL);
	cr_assert_str_eq(data, "keep");
	tl_rm_rf(dir);
}

Test(errors, symlinked_output_is_refused)
{
	char *dir = tl_tmpdir("tr-link"), *link, *victim, *data;
	struct tl_result r;

	cr_assert(asprintf(&link, "%s/out.ptrace", dir) > 0);
	cr_assert(asprintf(&victim, "%s/victim", dir) > 0);
	cr_assert_eq(tl_write_file(victim, "precious", 8), 0);
	cr_assert_eq(symlink(victim, link), 0);
	const char *argv[] = {tt_perftrace(), "record", "-o", link, "--", "true", NULL};
	r = run(argv, dir);
	cr_assert(r.exited && r.code != 0, "%s", tl_status_str(&r));
	one_line(&r);
	data = tl_read_file(victim, NULL);
	cr_assert_str_eq(data, "precious");
	tl_rm_rf(dir);
}

/* The ticks a record stands for: a TF_SAMPLE's weight, 0 for other records. */
static int sample_weight(const char *rec)
{
	uint16_t type, weight;

	memcpy(&type, rec, 2);
	if (type != 8) /* TF_SAMPLE */
		return 0;
	memcpy(&weight, rec + 8 + 36, 2); /* struct tf_sample.weight */
	return weight ? weight : 1;
}

static char *good_file(const char *dir, size_t *len)
{
	const char *cmd[] = {tl_prog("trace_waits"), "sleep", "0.5", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL), *data;

	cr_assert(r.exited && r.code == 0);
	data = tl_read_file(file, len);
	cr_assert_not_null(data);
	return data;
}

Test(errors, not_a_sample_file)
{
	char *dir = tl_tmpdir("tr-garbage"), *path;
	struct tl_result r;

	cr_assert(asprintf(&path, "%s/garbage", dir) > 0);
	cr_assert_eq(
	    tl_write_file(path, "this is not a sample file at all, not even close...\n", 52), 0);
	const char *argv[] = {tt_perftrace(), "report", "-i", path, NULL};
	r = run(argv, dir);
	cr_assert(r.exited && r.code == 1, "%s", tl_status_str(&r));
	one_line(&r);
	cr_assert(strstr(r.err, "not a perftrace sample file"), "%s", r.err);
	const char *a2[] = {tt_perftrace(), "report", "-i", "/nonexistent/x", NULL};
	r = run(a2, dir);
	cr_assert(r.exited && r.code == 1);
	one_line(&r);
	tl_rm_rf(dir);
}

Test(errors, truncated_file_reports_what_it_holds)
{
	char *dir = tl_tmpdir("tr-trunc"), *path;
	size_t len;
	char *data = good_file(dir, &len);
	cJSON *rep;

	size_t cut = len * 2 / 3 + 3, off = 64;
	int samples = 0;

	cr_assert(asprintf(&path, "%s/cut.ptrace", dir) > 0);
	/* cut anywhere, even inside a record: every whole sample before it counts */
	while (off + 8 <= cut) {
		uint32_t size;

		memcpy(&size, data + off + 4, 4);
		if (off + size > cut)
			break;
		samples += sample_weight(data + off);
		off += size;
	}
	cr_assert_eq(tl_write_file(path, data, cut), 0);
	rep = tt_report(path, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "truncated")));
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(rep, "damaged")));
	cr_assert_gt(samples, 3);
	cr_assert_eq(tt_num(rep, "samples"), samples);
	cr_assert_not_null(tt_func(rep, "take_nap"));
	tl_rm_rf(dir);
}

Test(errors, damaged_record_stops_the_reader_there)
{
	char *dir = tl_tmpdir("tr-damage"), *path;
	size_t len, off = 64;
	char *data = good_file(dir, &len);
	cJSON *rep;
	int n = 0, samples = 0;

	cr_assert(asprintf(&path, "%s/bad.ptrace", dir) > 0);
	/* damage the size of the 50th record, counting the samples before it */
	while (off + 8 <= len && n < 50) {
		uint32_t size;

		memcpy(&size, data + off + 4, 4);
		samples += sample_weight(data + off);
		off += size;
		n++;
	}
	cr_assert_lt(off + 8, len);
	data[off + 4] = 3;
	cr_assert_eq(tl_write_file(path, data, len), 0);
	rep = tt_report(path, dir);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(rep, "damaged")));
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(rep, "complete")));
	cr_assert_gt(samples, 5);
	cr_assert_eq(tt_num(rep, "samples"), samples);
	tl_rm_rf(dir);
}

Test(errors, random_bytes_after_a_good_header_never_crash)
{
	char *dir = tl_tmpdir("tr-fuzz"), *path;
	size_t len;
	char *data = good_file(dir, &len);

	cr_assert(asprintf(&path, "%s/fuzz.ptrace", dir) > 0);
	srand(1234);
	for (int round = 0; round < 20; round++) {
		char *copy = malloc(len);
		struct tl_result r;

		memcpy(copy, data, len);
		for (int k = 0; k < 8; k++)
			copy[64 + rand() % (len - 64)] = (char)rand();
		cr_assert_eq(tl_write_file(path, copy, len), 0);
		const char *argv[] = {tt_perftrace(), "report", "-i",	     path, "--format",
				      "json",	      "-o",	"/dev/null", NULL};
		r = run(argv, dir);
		cr_assert(r.exited, "round %d: %s", round, tl_status_str(&r));
		cr_assert(r.code == 0 || r.code == 1, "round %d: exit %d", round, r.code);
		free(copy);
	}
	tl_rm_rf(dir);
}
