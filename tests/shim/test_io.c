/*
 * I/O accounting: exact calls and bytes per kind of descriptor, through
 * system calls and through stdio (inline macros included), the per-file
 * table, agreement with the kernel's own counters, and the shim's
 * invisibility (errno, output, files it leaves).
 */
#include <sys/stat.h>

#include "shimtest.h"

static cJSON *file_entry(cJSON *rep, const char *path)
{
	cJSON *files = tl_json_at(rep, "io.files"), *f;

	cJSON_ArrayForEach(f, files)
	{
		const char *p = tl_json_str(f, "path");

		if (p && !strcmp(p, path))
			return f;
	}
	cr_assert_fail("no io.files entry for %s", path);
	return NULL;
}

Test(io, syscalls_to_a_file_are_exact)
{
	char *dir = tl_tmpdir("shim"), *file;
	struct tl_result r;
	cJSON *rep, *f;

	cr_assert(asprintf(&file, "%s/data.bin", dir) > 0);
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "sys", file, "10", "100", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_io", 0);
	/* 10 writes + pwrite + writev; 10 reads + readv + EOF read + pread */
	EXPECT_NUM(rep, "io.by_kind.file.write_calls", 12);
	EXPECT_NUM(rep, "io.by_kind.file.write_bytes", 1000 + 100 + 200);
	EXPECT_NUM(rep, "io.by_kind.file.read_calls", 13);
	EXPECT_NUM(rep, "io.by_kind.file.read_bytes", 1000 + 200 + 0 + 100);
	EXPECT_NUM(rep, "io.by_kind.file.opens", 2);
	EXPECT_NUM(rep, "io.write.calls", 12);
	EXPECT_NUM(rep, "io.read.calls", 13);
	EXPECT_NUM(rep, "io.stdio.write_calls", 0);
	f = file_entry(rep, file);
	EXPECT_NUM(f, "opens", 2);
	EXPECT_NUM(f, "write_calls", 12);
	EXPECT_NUM(f, "write_bytes", 1300);
	EXPECT_NUM(f, "read_calls", 13);
	EXPECT_NUM(f, "read_bytes", 1300);
	cr_expect_gt(jnum(f, "blocked_ns"), 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "exit");
	EXPECT_NUM(rep, "exit_status", 0);
	/* What the kernel moved for this process equals what the shim attributed. */
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(io, pipes_and_other_devices_are_their_own_kinds)
{
	char *dir = tl_tmpdir("shim");
	struct tl_result r;
	cJSON *rep;

	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "pipe", "20", "64", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = shim_report(dir, "/shim_io", 0);
	EXPECT_NUM(rep, "io.by_kind.pipe.write_calls", 20);
	EXPECT_NUM(rep, "io.by_kind.pipe.write_bytes", 1280);
	EXPECT_NUM(rep, "io.by_kind.pipe.read_calls", 20);
	EXPECT_NUM(rep, "io.by_kind.pipe.read_bytes", 1280);
	EXPECT_NUM(rep, "io.by_kind.pipe.opens", 2);
	EXPECT_NUM(rep, "io.by_kind.file.write_calls", 0);
	tl_rm_rf(dir);

	dir = tl_tmpdir("shim");
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "null", "5", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = shim_report(dir, "/shim_io", 0);
	/* /dev/null is a character device that is not a terminal */
	EXPECT_NUM(rep, "io.by_kind.other.write_calls", 5);
	EXPECT_NUM(rep, "io.by_kind.other.write_bytes", 35);
	EXPECT_NUM(rep, "io.by_kind.other.opens", 1);
	EXPECT_NUM(rep, "io.by_kind.tty.write_calls", 0);
	tl_rm_rf(dir);
}

Test(io, terminals_are_ttys)
{
	char *dir = tl_tmpdir("shim");
	struct tl_result r;
	cJSON *rep;

	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "tty", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = shim_report(dir, "/shim_io", 0);
	EXPECT_NUM(rep, "io.by_kind.tty.write_calls", 1);
	EXPECT_NUM(rep, "io.by_kind.tty.write_bytes", 5);
	EXPECT_NUM(rep, "io.by_kind.tty.opens", 1);
	tl_rm_rf(dir);
}

Test(io, stdio_bytes_are_attributed_to_the_files_kind)
{
	char *dir = tl_tmpdir("shim"), *file;
	struct tl_result r;
	cJSON *rep, *f;

	cr_assert(asprintf(&file, "%s/lines.txt", dir) > 0);
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "stdio", file, NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	cr_expect_str_eq(r.out, "stdio done\n");
	rep = shim_report(dir, "/shim_io", 0);
	/* see stdio_mode() in tests/progs/shim_io.c for the arithmetic */
	EXPECT_NUM(rep, "io.by_kind.file.write_calls", 15);
	EXPECT_NUM(rep, "io.by_kind.file.write_bytes", 81);
	EXPECT_NUM(rep, "io.by_kind.file.read_calls", 11);
	EXPECT_NUM(rep, "io.by_kind.file.read_bytes", 81);
	EXPECT_NUM(rep, "io.by_kind.file.opens", 2);
	/* stdout is the pipe the test reads */
	EXPECT_NUM(rep, "io.by_kind.pipe.write_calls", 1);
	EXPECT_NUM(rep, "io.by_kind.pipe.write_bytes", 11);
	EXPECT_NUM(rep, "io.stdio.write_calls", 16);
	EXPECT_NUM(rep, "io.stdio.write_bytes", 92);
	EXPECT_NUM(rep, "io.stdio.read_bytes", 81);
	f = file_entry(rep, file);
	EXPECT_NUM(f, "write_bytes", 81);
	EXPECT_NUM(f, "read_bytes", 81);
	/* stdio flushed everything it was handed: the kernel wrote exactly that */
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(io, inline_stdio_macros_are_counted)
{
	char *dir = tl_tmpdir("shim"), *file;
	struct tl_result r;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/inline.txt", dir) > 0);
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "inline", file, "10000", NULL},
		     NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = shim_report(dir, "/shim_io", 0);
	EXPECT_NUM(rep, "io.by_kind.file.write_bytes", 10000);
	EXPECT_NUM(rep, "io.by_kind.file.read_bytes", 10000);
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	tl_rm_rf(dir);
}

Test(io, opens_are_counted_per_path)
{
	char *dir = tl_tmpdir("shim"), *file;
	struct tl_result r;
	cJSON *rep;

	cr_assert(asprintf(&file, "%s/again", dir) > 0);
	tl_write_file(file, "x", 1);
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "reopen", file, "7", NULL}, NULL);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	rep = shim_report(dir, "/shim_io", 0);
	EXPECT_NUM(file_entry(rep, file), "opens", 7);
	EXPECT_NUM(rep, "io.by_kind.file.opens", 7);
	tl_rm_rf(dir);
}

Test(io, errno_and_output_are_unchanged)
{
	char *dir = tl_tmpdir("shim");
	const char *argv[] = {tl_prog("shim_io"), "errno", NULL};
	struct tl_result bare, shim;

	cr_assert_eq(tl_run(&bare, argv, NULL, NULL, NULL, 30), 0);
	shim = shim_run(dir, argv, NULL);
	cr_expect_str_eq(shim.out, bare.out);
	cr_expect_str_eq(bare.out, "errno 9 2 9 1234\n");
	cr_expect_eq(shim.code, bare.code);
	tl_rm_rf(dir);
}

Test(io, reports_are_private_and_nothing_else_is_left)
{
	char *dir = tl_tmpdir("shim");
	struct tl_result r;
	char **all;
	struct stat st;
	int n;

	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "null", "1", NULL}, NULL);
	cr_assert(r.exited && r.code == 0);
	all = tl_glob(dir, "*", &n);
	cr_assert_eq(n, 1, "expected only the report in %s, found %d files", dir, n);
	cr_assert_eq(lstat(all[0], &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_expect_eq(tl_glob(dir, ".*tmp*", NULL)[0], NULL);
	tl_rm_rf(dir);
}

Test(io, without_perfshim_out_nothing_is_written)
{
	char *dir = tl_tmpdir("shim"), *pre;
	const char *argv[] = {tl_prog("shim_io"), "stdio", "lines.txt", NULL};
	struct tl_result r;
	int n;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so", tl_build()) > 0);
	cr_assert_eq(tl_run(&r, argv, (const char *[]){pre, "PERFSHIM_OUT=", NULL}, dir, NULL, 30),
		     0);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	cr_expect_str_eq(r.out, "stdio done\n");
	tl_glob(dir, "*", &n);
	cr_expect_eq(n, 1, "only the program's own file may exist, found %d", n);
	cr_expect_eq(tl_glob(dir, "perfshim*", NULL)[0], NULL);
	tl_rm_rf(dir);
}

Test(io, relative_out_dir_is_taken_from_the_start_directory)
{
	char *dir = tl_tmpdir("shim"), *pre, *sub;
	struct tl_result r;
	int n;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so", tl_build()) > 0);
	cr_assert(asprintf(&sub, "%s/out", dir) > 0);
	cr_assert_eq(tl_run(&r, (const char *[]){tl_prog("shim_io"), "null", "2", NULL},
			    (const char *[]){pre, "PERFSHIM_OUT=out", NULL}, dir, NULL, 30),
		     0);
	cr_assert(r.exited && r.code == 0, "%s", r.err);
	tl_glob(sub, "perfshim.*.json", &n);
	cr_expect_eq(n, 1);
	tl_rm_rf(dir);
}
