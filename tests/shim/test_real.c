/*
 * Real programs under the shim: python3, git, gzip and bash give the same
 * output and exit status as without it and leave sane reports; and the
 * shim's call counts agree with what strace counts for the same workload.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "shimtest.h"

static const char *python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Every report parses, ended cleanly, and no counter file is left. */
static int check_reports(const char *dir)
{
	int n;
	cJSON **all = shim_reports(dir, &n);

	for (int i = 0; i < n; i++) {
		const char *why = tl_json_str(all[i], "end_reason");

		cr_expect(why && (!strcmp(why, "exit") || !strcmp(why, "exec")), "end_reason %s",
			  why ? why : "(none)");
		cr_expect_str_eq(tl_json_str(all[i], "schema"), "perfshim-report");
		cr_expect_geq(jnum(all[i], "wall_ns"), 0);
	}
	cr_expect_eq(tl_glob(dir, "*.shm", NULL)[0], NULL, "counter files left in %s", dir);
	return n;
}

static void same_as_bare(const char *const argv[], const char *cwd_bare, const char *cwd_shim,
			 int *nrep)
{
	char *dir = tl_tmpdir("real"), *pre, *out;
	struct tl_result b, s;

	cr_assert(asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so", tl_build()) > 0);
	cr_assert(asprintf(&out, "PERFSHIM_OUT=%s", dir) > 0);
	cr_assert_eq(tl_run(&b, argv, NULL, cwd_bare, NULL, 60), 0);
	cr_assert_eq(tl_run(&s, argv, (const char *[]){pre, out, NULL}, cwd_shim, NULL, 60), 0);
	cr_expect_eq(s.exited, b.exited);
	cr_expect_eq(s.code, b.code, "%s: status %d under the shim, %d without", argv[0], s.code,
		     b.code);
	cr_expect_eq(s.signo, b.signo);
	cr_expect_eq(s.out_len, b.out_len, "%s: %zu bytes of output, %zu without", argv[0],
		     s.out_len, b.out_len);
	cr_expect(s.out_len == b.out_len && !memcmp(s.out, b.out, b.out_len), "%s: output differs",
		  argv[0]);
	cr_expect_str_eq(s.err, b.err);
	*nrep = check_reports(dir);
	tl_rm_rf(dir);
}

Test(real, python3)
{
	char *a = tl_tmpdir("py"), *b = tl_tmpdir("py");
	const char *argv[] = {python(), "-c",
			      "import json, sys, hashlib\n"
			      "d = [i * i for i in range(20000)]\n"
			      "open('out.json', 'w').write(json.dumps(d))\n"
			      "s = open('out.json').read()\n"
			      "print(len(s), hashlib.sha256(s.encode()).hexdigest())\n"
			      "sys.exit(3)\n",
			      NULL};
	char *fa, *fb, *ta, *tb;
	int n;

	same_as_bare(argv, a, b, &n);
	cr_expect_geq(n, 1);
	/* and the file it wrote is the same */
	cr_assert(asprintf(&fa, "%s/out.json", a) > 0 && asprintf(&fb, "%s/out.json", b) > 0);
	ta = tl_read_file(fa, NULL);
	tb = tl_read_file(fb, NULL);
	cr_assert(ta && tb);
	cr_expect_str_eq(ta, tb);
	tl_rm_rf(a);
	tl_rm_rf(b);
}

Test(real, git)
{
	char *a = tl_tmpdir("git"), *b = tl_tmpdir("git");
	int n;

	if (!tl_have("git"))
		cr_skip_test("git is not installed");
	for (int i = 0; i < 2; i++) {
		char *f;
		const char *d = i ? b : a;

		cr_assert(asprintf(&f, "%s/file.txt", d) > 0);
		tl_write_file(f, "hello perfprof\n", 15);
	}
	same_as_bare((const char *[]){"git", "init", "-q", "repo", NULL}, a, b, &n);
	same_as_bare((const char *[]){"git", "-C", "repo", "hash-object", "-w", "../file.txt", NULL},
		     a, b, &n);
	same_as_bare((const char *[]){"git", "-C", "repo", "cat-file", "-p",
				      "f2c8d7ad2d9c8f4fd05ba3b74b0a4bbd6ea16c3d", NULL},
		     a, b, &n);
	cr_expect_geq(n, 1);
	tl_rm_rf(a);
	tl_rm_rf(b);
}

Test(real, gzip_reads_exactly_its_input)
{
	char *dir = tl_tmpdir("gz"), *in;
	struct tl_result r, b;
	struct stat st;
	cJSON *rep;
	char *data = malloc(300000);
	int n;

	if (!tl_have("gzip"))
		cr_skip_test("gzip is not installed");
	for (int i = 0; i < 300000; i++)
		data[i] = "perfprof measures what a program costs\n"[i % 40];
	cr_assert(asprintf(&in, "%s/input.txt", dir) > 0);
	tl_write_file(in, data, 300000);
	cr_assert_eq(stat(in, &st), 0);
	cr_assert_eq(tl_run(&b, (const char *[]){"gzip", "-c", "-n", in, NULL}, NULL, NULL, NULL, 30),
		     0);
	r = shim_run(dir, (const char *[]){"gzip", "-c", "-n", in, NULL}, NULL);
	cr_assert(r.exited && r.code == 0);
	cr_assert_eq(r.out_len, b.out_len);
	cr_expect(!memcmp(r.out, b.out, b.out_len));
	rep = shim_report(dir, "/gzip", 0);
	/* gzip reads its input with read(2): the file bytes are exactly the file's size;
	 * what it wrote is exactly what the test received on the pipe. */
	EXPECT_NUM(rep, "io.by_kind.file.read_bytes", st.st_size);
	EXPECT_NUM(rep, "io.by_kind.pipe.write_bytes", b.out_len);
	EXPECT_NUM(rep, "io.reconcile.wchar_minus_write_bytes", 0);
	n = check_reports(dir);
	cr_expect_eq(n, 1);
	tl_rm_rf(dir);
}

Test(real, bash_pipelines_and_subshells)
{
	char *a = tl_tmpdir("sh"), *b = tl_tmpdir("sh");
	int n;

	same_as_bare((const char *[]){"bash", "-c",
				      "for i in 1 2 3; do echo $i; done | wc -l; "
				      "x=$(echo sub); echo $x >&2; (exit 2); echo $?; exit 7",
				      NULL},
		     a, b, &n);
	/* bash, the pipeline's subshells, wc, the command substitution */
	cr_expect_geq(n, 4);
	tl_rm_rf(a);
	tl_rm_rf(b);
}

/* Parses `strace -c` output into the number of calls of syscall `name`. */
static long strace_calls(const char *text, const char *name)
{
	const char *line = text;

	while (line && *line) {
		size_t len = strcspn(line, "\n");
		char buf[256], *tok[8], *save = NULL;
		int n = 0;

		/* "% time  seconds  usecs/call  calls  [errors]  syscall" */
		snprintf(buf, sizeof(buf), "%.*s", (int)(len < 255 ? len : 255), line);
		for (char *t = strtok_r(buf, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		if ((n == 5 || n == 6) && !strcmp(tok[n - 1], name))
			return atol(tok[3]);
		line += len + (line[len] == '\n');
	}
	return 0;
}

Test(real, counts_agree_with_strace)
{
	char *dir = tl_tmpdir("st"), *file, *trace, *text;
	struct tl_result r;
	cJSON *rep;
	long writes, pwrites, writevs, readvs;

	if (!tl_have("strace"))
		cr_skip_test("strace is not installed");
	cr_assert(asprintf(&file, "%s/d.bin", dir) > 0);
	cr_assert(asprintf(&trace, "%s/strace.txt", dir) > 0);
	/* strace sees the program alone (without the shim, whose own report writes it would count). */
	cr_assert_eq(tl_run(&r, (const char *[]){"strace", "-f", "-c", "-o", trace,
						 tl_prog("shim_io"), "sys", file, "25", "64", NULL},
			    NULL, NULL, NULL, 60),
		     0);
	cr_assert(r.exited && r.code == 0, "strace: %s", r.err);
	text = tl_read_file(trace, NULL);
	cr_assert_not_null(text);
	writes = strace_calls(text, "write");
	pwrites = strace_calls(text, "pwrite64");
	writevs = strace_calls(text, "writev");
	readvs = strace_calls(text, "readv");
	cr_assert_eq(writes, 25, "strace saw %ld writes:\n%s", writes, text);
	r = shim_run(dir, (const char *[]){tl_prog("shim_io"), "sys", file, "25", "64", NULL}, NULL);
	cr_assert(r.exited && r.code == 0);
	rep = shim_report(dir, "/shim_io", 0);
	EXPECT_NUM(rep, "io.write.calls", writes + pwrites + writevs);
	EXPECT_NUM(rep, "io.by_kind.file.write_calls", writes + pwrites + writevs);
	cr_expect_eq(readvs, 1);
	tl_rm_rf(dir);
}
