/*
 * --clean and --status under everything that can happen between injection
 * and removal: user edits, formatters that alter markers, a lost manifest,
 * interrupted writes, running twice; and the errors of bad input, each one
 * clear line on stderr, a non-zero exit and no file touched.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ti.h"

static int run(const char *dir, struct tl_result *r, const char *a0, const char *a1, const char *a2)
{
	const char *args[] = {a0, a1, a2, NULL};

	return ti_perfinject(r, dir, args);
}

static void must(const char *dir, const char *a0, const char *a1)
{
	struct tl_result r;

	cr_assert_eq(run(dir, &r, a0, a1, NULL), 0, "perfinject %s %s: %s%s", a0, a1 ? a1 : "",
		     r.out, r.err);
	tl_result_free(&r);
}

static char *file(const char *dir, const char *rel)
{
	char *p = ti_path(dir, rel), *s = ti_read(p, NULL);

	free(p);
	return s;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = ti_path(dir, rel);

	ti_write(p, text);
	free(p);
}

/* s with the first occurrence of a replaced by b (which must exist). */
static char *replace(const char *s, const char *a, const char *b)
{
	const char *at = strstr(s, a);
	char *out;

	cr_assert(at, "'%s' not found", a);
	cr_assert(asprintf(&out, "%.*s%s%s", (int)(at - s), s, b, at + strlen(a)) > 0);
	return out;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The user edits between injection and clean: every edit survives, exactly. */
Test(clean, user_edits_survive_c)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("edit", files), *orig = file(dir, "tricky.c"), *inj, *edited, *want;
	struct tl_result r;

	must(dir, "tricky.c", NULL);
	inj = file(dir, "tricky.c");
	/* A new comment at the top, a changed body line, a new function at the end. */
	edited = replace(inj, "\treturn x * x;\n", "\treturn x * x * 1; /* tuned */\n");
	edited = replace(edited, "/*\n * perfinject test case",
			 "/* user's note */\n/*\n * perfinject test case");
	cr_assert(asprintf(&edited, "%sstatic int added(void) { return 1; }\n", edited) > 0);
	put(dir, "tricky.c", edited);
	want = replace(orig, "\treturn x * x;\n", "\treturn x * x * 1; /* tuned */\n");
	want = replace(want, "/*\n * perfinject test case",
		       "/* user's note */\n/*\n * perfinject test case");
	cr_assert(asprintf(&want, "%sstatic int added(void) { return 1; }\n", want) > 0);

	cr_assert_eq(run(dir, &r, "--status", "--json", NULL), 0);
	cr_expect(strstr(r.out, "\"state\":\t\"edited\""), "status: %s", r.out);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "cleaned tricky.c"), "%s", r.out);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "tricky.c"), want);
	tl_rm_rf(dir);
}

Test(clean, user_edits_survive_python)
{
	const char *files[] = {"tricky.py", NULL};
	char *dir = ti_tree("edit", files), *orig = file(dir, "tricky.py"), *inj, *want;
	struct tl_result r;

	must(dir, "tricky.py", NULL);
	inj = file(dir, "tricky.py");
	inj = replace(inj, "    return x + 1\n", "    return x + 2  # tuned\n");
	put(dir, "tricky.py", inj);
	want = replace(orig, "    return x + 1\n", "    return x + 2  # tuned\n");
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0, "%s", r.err);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "tricky.py"), want);
	tl_rm_rf(dir);
}

/* A formatter moved a span statement: the file is refused, untouched, and stays listed. */
Test(clean, altered_marker_is_refused)
{
	const char *files[] = {"tricky.c", "tricky.py", "c89.c", NULL};
	char *dir = ti_tree("alt", files), *c, *py, *orig89 = file(dir, "c89.c");
	struct tl_result r;

	must(dir, "tricky.c", "tricky.py");
	must(dir, "c89.c", NULL);
	c = replace(file(dir, "tricky.c"), "{ PERFINJECT_SPAN_(", "{\n\tPERFINJECT_SPAN_(");
	put(dir, "tricky.c", c);
	py = replace(file(dir, "tricky.py"), "@_perfinject_span(\"tricky.plain\"",
		     "@_perfinject_span('tricky.plain'");
	put(dir, "tricky.py", py);

	cr_assert_eq(run(dir, &r, "--status", "--json", NULL), 0);
	cr_expect(strstr(r.out, "\"state\":\t\"altered\""), "status: %s", r.out);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 3, "clean: %s", tl_status_str(&r));
	cr_expect(strstr(r.err, "tricky.c: line ") && strstr(r.err, "span statement was changed"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "tricky.py: line "), "%s", r.err);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "tricky.c"), c, "a refused file was modified");
	cr_assert_str_eq(file(dir, "tricky.py"), py, "a refused file was modified");
	cr_assert_str_eq(file(dir, "c89.c"), orig89, "the good file was not restored");
	/* Still refused the second time; the manifest still knows both. */
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 3);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--status", NULL, NULL), 0);
	cr_expect(strstr(r.out, "tricky.c: altered") && strstr(r.out, "tricky.py: altered") &&
		      !strstr(r.out, "c89.c"),
		  "%s", r.out);
	tl_result_free(&r);
	tl_rm_rf(dir);
}

/* The support block reformatted is altered too. */
Test(clean, altered_support_block_is_refused)
{
	const char *files[] = {"c89.c", NULL};
	char *dir = ti_tree("alt", files), *c;
	struct tl_result r;

	must(dir, "c89.c", NULL);
	c = replace(file(dir, "c89.c"), "#pragma GCC diagnostic push",
		    "#  pragma GCC diagnostic push");
	put(dir, "c89.c", c);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 3);
	cr_expect(strstr(r.err, "c89.c: line 1: a perfinject marker was changed or moved"), "%s",
		  r.err);
	cr_expect_eq(lines(r.err), 1, "not one line: %s", r.err);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "c89.c"), c);
	tl_rm_rf(dir);
}

/* Without the manifest, markers are found by scanning; files come back byte for byte. */
Test(clean, missing_manifest_scans)
{
	const char *files[] = {"tricky.c", "tricky.cc", "tricky.py", "crlf.c", "bom.c", NULL};
	char *dir = ti_tree("scan", files), *o[5], *m;
	struct tl_result r;
	int i;

	for (i = 0; files[i]; i++)
		o[i] = file(dir, files[i]);
	must(dir, ".", NULL);
	m = ti_path(dir, ".perfinject");
	tl_rm_rf(m);
	cr_assert_eq(run(dir, &r, "--status", NULL, NULL), 0);
	cr_expect(strstr(r.out, "no manifest; 5 files hold markers"), "%s", r.out);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "5 files with markers restored"), "%s", r.out);
	cr_expect(!strncmp(r.err, "perfinject: warning: no manifest under ", 39) &&
		      strstr(r.err, "; the insertions were found by their markers\n") &&
		      lines(r.err) == 1,
		  "%s", r.err);
	tl_result_free(&r);
	for (i = 0; files[i]; i++)
		cr_expect_str_eq(file(dir, files[i]), o[i], "%s is not restored", files[i]);
	tl_rm_rf(dir);
}

/* Running clean twice is harmless; so is injecting the same thing twice. */
Test(clean, twice_is_harmless)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("twice", files), *orig = file(dir, "tricky.c"), *once;
	struct tl_result r;

	must(dir, "tricky.c:square", NULL);
	once = file(dir, "tricky.c");
	must(dir, "tricky.c:square", NULL);
	cr_assert_str_eq(file(dir, "tricky.c"), once, "injecting twice changed the file");
	must(dir, "--clean", NULL);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0);
	cr_expect(strstr(r.out, "no manifest; 0 files"), "%s", r.out);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "tricky.c"), orig);
	tl_rm_rf(dir);
}

/* Injecting more later composes: the union is wrapped, clean restores the original. */
Test(clean, inject_again_adds_functions)
{
	const char *files[] = {"tricky.c", NULL};
	char *dir = ti_tree("again", files), *orig = file(dir, "tricky.c"), *s;
	struct tl_result r;

	must(dir, "tricky.c:square", NULL);
	must(dir, "tricky.c:fib", NULL);
	s = file(dir, "tricky.c");
	cr_expect(strstr(s, "\"tricky.c:square\"") && strstr(s, "\"tricky.c:fib\""),
		  "not both wrapped");
	cr_expect_eq(strstr(strstr(s, "perfinject:begin") + 1, "perfinject:begin"), NULL,
		     "two support blocks");
	cr_assert_eq(run(dir, &r, "--status", "--json", NULL), 0);
	cr_expect(strstr(r.out, "\"state\":\t\"injected\""), "%s", r.out);
	tl_result_free(&r);
	must(dir, "--clean", NULL);
	cr_assert_str_eq(file(dir, "tricky.c"), orig);
	tl_rm_rf(dir);
}

/*
 * Interrupted at every write (the manifest first, then each source): every
 * file is either as before or as a complete run leaves it, and --clean then
 * brings everything back and removes the half-written temporary files.
 */
Test(clean, interrupted_writes)
{
	/* In sorted order: the order sources are written in. */
	const char *files[] = {"c89.c", "tricky.c", "tricky.py", NULL};
	char *ref = ti_tree("intr-ref", files), *want[3], *orig[3];
	int i, k;

	for (i = 0; i < 3; i++)
		orig[i] = file(ref, files[i]);
	must(ref, ".", NULL);
	for (i = 0; i < 3; i++)
		want[i] = file(ref, files[i]);
	for (k = 0; k <= 3; k++) {
		char *dir = ti_tree("intr", files), env[64], *bin = tl_bpath("perfinject");
		const char *argv[] = {bin, "--root", dir, ".", NULL}, *envp[] = {env, NULL};
		struct tl_result r;
		int count;
		char **temps;

		snprintf(env, sizeof(env), "PERFINJECT_TEST_CRASH_AFTER=%d", k);
		cr_assert_eq(tl_run(&r, argv, envp, dir, NULL, 30), 0);
		cr_assert(r.exited && r.code == 75, "write %d: not interrupted (%s)", k,
			  tl_status_str(&r));
		tl_result_free(&r);
		for (i = 0; i < 3; i++) {
			char *now = file(dir, files[i]);

			cr_assert(!strcmp(now, orig[i]) || !strcmp(now, want[i]),
				  "write %d: %s is half-written", k, files[i]);
			/* Sources are written in sorted order after the manifest. */
			cr_expect_str_eq(now, i < k - 1 ? want[i] : orig[i], "write %d: %s", k,
					 files[i]);
		}
		temps = tl_glob(dir, ".*.perfinject-*", &count);
		cr_expect_eq(count, k ? 1 : 0, "write %d: %d temporary files", k, count);
		cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0, "write %d: clean: %s", k,
			     r.err);
		tl_result_free(&r);
		for (i = 0; i < 3; i++)
			cr_expect_str_eq(file(dir, files[i]), orig[i], "write %d: %s not restored",
					 k, files[i]);
		temps = tl_glob(dir, ".*.perfinject-*", &count);
		cr_expect_eq(count, 0, "write %d: temporary files left after clean", k);
		(void)temps;
		tl_rm_rf(dir);
	}
	tl_rm_rf(ref);
}

/* An interrupted clean is finished by the next one. */
Test(clean, interrupted_clean_resumes)
{
	const char *files[] = {"tricky.c", "c89.c", NULL};
	char *dir = ti_tree("intr", files), *o0 = file(dir, files[0]), *o1 = file(dir, files[1]);
	char *bin = tl_bpath("perfinject");
	const char *argv[] = {bin, "--root", dir, "--clean", NULL};
	const char *envp[] = {"PERFINJECT_TEST_CRASH_AFTER=1", NULL};
	struct tl_result r;

	must(dir, ".", NULL);
	cr_assert_eq(tl_run(&r, argv, envp, dir, NULL, 30), 0);
	cr_assert(r.exited && r.code == 75, "%s", tl_status_str(&r));
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "c89.c"), o1,
			 "the first file was not restored before the crash");
	cr_assert_str_neq(file(dir, "tricky.c"), o0);
	must(dir, "--clean", NULL);
	cr_assert_str_eq(file(dir, "tricky.c"), o0);
	cr_assert_str_eq(file(dir, "c89.c"), o1);
	tl_rm_rf(dir);
}

/* Modes of user files are kept; what we create is private. */
Test(clean, modes)
{
	const char *files[] = {"c89.c", NULL};
	char *dir = ti_tree("mode", files), *src = ti_path(dir, "c89.c");
	char *man = ti_path(dir, ".perfinject/manifest.json"), *mdir = ti_path(dir, ".perfinject");
	struct stat st;

	cr_assert_eq(chmod(src, 0751), 0);
	must(dir, "c89.c", NULL);
	cr_assert_eq(stat(src, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0751, "injected mode %o", st.st_mode & 07777);
	cr_assert_eq(stat(man, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600, "manifest mode %o", st.st_mode & 07777);
	cr_assert_eq(stat(mdir, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0700, ".perfinject mode %o", st.st_mode & 07777);
	must(dir, "--clean", NULL);
	cr_assert_eq(stat(src, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0751, "restored mode %o", st.st_mode & 07777);
	tl_rm_rf(dir);
}

/* Bad input: one line on stderr naming the problem, exit 1, nothing touched. */
static void refused(const char *case_name, const char *target, const char *msg)
{
	const char *files[] = {case_name, NULL};
	char *dir = ti_tree("bad", files), *before = file(dir, case_name), *m;
	struct tl_result r;

	cr_assert_eq(run(dir, &r, target, NULL, NULL), 1, "%s: %s", target, tl_status_str(&r));
	cr_expect(strstr(r.err, msg), "%s: stderr is: %s", target, r.err);
	cr_expect_eq(lines(r.err), 1, "%s: not one line: %s", target, r.err);
	cr_expect(!strncmp(r.err, "perfinject: ", 12), "%s", r.err);
	tl_result_free(&r);
	cr_expect_str_eq(file(dir, case_name), before, "%s: the file changed", target);
	m = ti_path(dir, ".perfinject");
	cr_expect(access(m, F_OK) != 0, "%s: .perfinject was left behind", target);
	tl_rm_rf(dir);
}

Test(errors, missing_file)
{
	refused("c89.c", "nope.c", "nope.c: No such file or directory");
}

Test(errors, missing_function)
{
	refused("c89.c", "c89.c:nope",
		"c89.c: no function named 'nope' (found: twice, old_style, main)");
}

Test(errors, unwrappable_function)
{
	refused("tricky.cc", "tricky.cc:constexpr_fn",
		"constexpr_fn cannot be wrapped: constexpr function");
}

Test(errors, unparsable_source)
{
	const char *files[] = {NULL};
	char *dir = ti_tree("bad", files);
	struct tl_result r;

	put(dir, "broken.c", "int f(void) { return 1; }\n/* never closed\n");
	put(dir, "broken.py", "def f():\n    return '''never closed\n");
	cr_assert_eq(run(dir, &r, "broken.c", NULL, NULL), 1);
	cr_expect(strstr(r.err, "broken.c: cannot be parsed safely (line 2: unterminated comment"),
		  "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "broken.py", NULL, NULL), 1);
	cr_expect(strstr(r.err, "broken.py: cannot be parsed safely (line 2: unterminated string"),
		  "%s", r.err);
	tl_result_free(&r);
	cr_expect_str_eq(file(dir, "broken.c"), "int f(void) { return 1; }\n/* never closed\n");
	/* Walking a directory, an unparsable file is skipped and reported, the rest wrapped. */
	put(dir, "good.c", "int g(void) { return 2; }\n");
	cr_assert_eq(run(dir, &r, ".", NULL, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.err, "warning: broken.c: cannot be parsed safely") &&
		      strstr(r.err, "warning: broken.py: cannot be parsed safely"),
		  "%s", r.err);
	cr_expect(strstr(r.out, "good.c:1: good.c:g"), "%s", r.out);
	tl_result_free(&r);
	{
		const char *args[] = {"--json", ".", NULL};
		cJSON *j;

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
		j = cJSON_Parse(r.out);
		cr_assert(j, "%s", r.out);
		cr_expect_str_eq(tl_json_str(j, "skipped_files[0].path"), "broken.c");
		cr_expect(
		    strstr(tl_json_str(j, "skipped_files[0].reason"), "unterminated comment"));
		cr_expect_str_eq(tl_json_str(j, "skipped_files[1].path"), "broken.py");
		cr_expect_str_eq(tl_json_str(j, "files[0].path"), "good.c");
		cJSON_Delete(j);
		tl_result_free(&r);
	}
	must(dir, "--clean", NULL);
	cr_expect_str_eq(file(dir, "good.c"), "int g(void) { return 2; }\n");
	tl_rm_rf(dir);
}

Test(errors, outside_root_symlink_and_usage)
{
	const char *files[] = {"c89.c", NULL};
	char *dir = ti_tree("bad", files), *link = ti_path(dir, "link.c"),
	     *src = ti_path(dir, "c89.c");
	struct tl_result r;

	cr_assert_eq(run(dir, &r, "/etc/hostname", NULL, NULL), 1);
	cr_expect(strstr(r.err, "outside the root"), "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(symlink(src, link), 0);
	cr_assert_eq(run(dir, &r, "link.c", NULL, NULL), 1);
	cr_expect(strstr(r.err, "link.c: a symlink"), "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, NULL, NULL, NULL), 2);
	cr_expect(strstr(r.err, "no target") && lines(r.err) == 1, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--clean", "c89.c", NULL), 2);
	cr_expect_eq(lines(r.err), 1, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--top", "x", "c89.c"), 2);
	cr_expect_eq(lines(r.err), 1, "%s", r.err);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--frobnicate", NULL, NULL), 2);
	cr_expect_str_eq(r.err,
			 "perfinject: unknown option --frobnicate (see perfinject --help)\n");
	tl_result_free(&r);
	tl_rm_rf(dir);
}

Test(errors, corrupt_manifest)
{
	const char *files[] = {"c89.c", NULL};
	char *dir = ti_tree("bad", files), *inj;
	struct tl_result r;

	must(dir, "c89.c", NULL);
	inj = file(dir, "c89.c");
	put(dir, ".perfinject/manifest.json", "{\"schema\": \"something-else\"}");
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 1);
	cr_expect(strstr(r.err, "manifest.json is not a perfinject manifest"), "%s", r.err);
	cr_expect_eq(lines(r.err), 1, "%s", r.err);
	tl_result_free(&r);
	cr_expect_str_eq(file(dir, "c89.c"), inj);
	tl_rm_rf(dir);
}

/* Directory targets follow .gitignore; headers only when named. */
Test(targets, directory_walk_and_gitignore)
{
	const char *files[] = {NULL};
	char *dir = ti_tree("walk", files), *p;
	struct tl_result r;

	p = ti_path(dir, "src");
	mkdir(p, 0755);
	p = ti_path(dir, "build");
	mkdir(p, 0755);
	p = ti_path(dir, "src/gen");
	mkdir(p, 0755);
	put(dir, ".gitignore", "build/\n*.gen.c\n/top.c\n!keep.gen.c\n");
	put(dir, "src/gen/.gitignore", "*.c\n");
	put(dir, "src/a.c", "int a(void) { return 1; }\n");
	put(dir, "src/x.gen.c", "int x(void) { return 1; }\n");
	put(dir, "src/keep.gen.c", "int k(void) { return 1; }\n");
	put(dir, "src/gen/g.c", "int g(void) { return 1; }\n");
	put(dir, "src/h.h", "static inline int h(void) { return 1; }\n");
	put(dir, "build/b.c", "int b(void) { return 1; }\n");
	put(dir, "top.c", "int t(void) { return 1; }\n");
	put(dir, "src/top.c", "int t2(void) { return 1; }\n");
	put(dir, "m.py", "def m():\n    pass\n");
	cr_assert_eq(run(dir, &r, "--json", ".", NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"src/a.c\"") && strstr(r.out, "\"src/keep.gen.c\"") &&
		      strstr(r.out, "\"src/top.c\"") && strstr(r.out, "\"m.py\""),
		  "%s", r.out);
	cr_expect(!strstr(r.out, "x.gen.c") && !strstr(r.out, "g.c\"") && !strstr(r.out, "h.h") &&
		      !strstr(r.out, "build/") && !strstr(r.out, "\"top.c\""),
		  "%s", r.out);
	tl_result_free(&r);
	/* A header named explicitly is fine. */
	must(dir, "src/h.h:h", NULL);
	cr_expect(strstr(file(dir, "src/h.h"), "PERFINJECT_SPAN_(1, \"h\", \"src/h.h\", 1);"));
	must(dir, "--clean", NULL);
	cr_expect_str_eq(file(dir, "src/h.h"), "static inline int h(void) { return 1; }\n");
	cr_expect_str_eq(file(dir, "m.py"), "def m():\n    pass\n");
	tl_rm_rf(dir);
}

/* --clean --json says what happened to each file, for the driver. */
Test(clean, json_outcomes)
{
	const char *files[] = {"c89.c", "tricky.c", "tricky.py", NULL};
	char *dir = ti_tree("json", files), *c;
	struct tl_result r;
	cJSON *j;

	must(dir, ".", NULL);
	c = replace(file(dir, "tricky.c"), "{ PERFINJECT_SPAN_(", "{  PERFINJECT_SPAN_(");
	put(dir, "tricky.c", c);
	put(dir, "tricky.py",
	    replace(file(dir, "tricky.py"), "    return x + 1\n", "    return x + 3\n"));
	cr_assert_eq(run(dir, &r, "--clean", "--json", NULL), 3);
	j = cJSON_Parse(r.out);
	cr_assert(j, "%s", r.out);
	cr_expect_str_eq(tl_json_str(j, "schema"), "perfinject-clean");
	cr_expect(cJSON_IsFalse(tl_json_at(j, "complete")));
	cr_expect_str_eq(tl_json_str(j, "files[0].path"), "c89.c");
	cr_expect_str_eq(tl_json_str(j, "files[0].outcome"), "restored");
	cr_expect_str_eq(tl_json_str(j, "files[1].path"), "tricky.c");
	cr_expect_str_eq(tl_json_str(j, "files[1].outcome"), "altered");
	cr_expect(strstr(tl_json_str(j, "files[1].problem"), "span statement was changed"));
	cr_expect_str_eq(tl_json_str(j, "files[2].path"), "tricky.py");
	cr_expect_str_eq(tl_json_str(j, "files[2].outcome"), "kept_edits");
	cJSON_Delete(j);
	tl_result_free(&r);
	tl_rm_rf(dir);
}

/* A file renamed or copied since the injection is found by its markers. */
Test(clean, renamed_and_copied_files)
{
	const char *files[] = {"c89.c", "tricky.py", NULL};
	char *dir = ti_tree("ren", files), *o89 = file(dir, "c89.c"), *opy = file(dir, "tricky.py");
	char *from = ti_path(dir, "c89.c"), *to = ti_path(dir, "renamed.c");
	struct tl_result r;

	must(dir, ".", NULL);
	cr_assert_eq(rename(from, to), 0);
	put(dir, "copy.py", file(dir, "tricky.py"));
	cr_assert_eq(run(dir, &r, "--status", NULL, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.out, "c89.c: missing") && strstr(r.out, "renamed.c: unlisted") &&
		      strstr(r.out, "copy.py: unlisted") && strstr(r.out, "tricky.py: injected"),
		  "%s", r.out);
	tl_result_free(&r);
	cr_assert_eq(run(dir, &r, "--clean", NULL, NULL), 0, "%s", r.err);
	cr_expect(strstr(r.err, "c89.c: deleted since the injection"), "%s", r.err);
	cr_expect(strstr(r.out, "restored renamed.c") && strstr(r.out, "restored copy.py") &&
		      strstr(r.out, "restored tricky.py"),
		  "%s", r.out);
	tl_result_free(&r);
	cr_expect_str_eq(file(dir, "renamed.c"), o89);
	cr_expect_str_eq(file(dir, "copy.py"), opy);
	cr_expect_str_eq(file(dir, "tricky.py"), opy);
	tl_rm_rf(dir);
}

/* An edit made while perfinject works is never overwritten, injecting or cleaning. */
Test(clean, concurrent_edit_is_kept)
{
	const char *files[] = {"c89.c", NULL};
	char *dir = ti_tree("race", files), *orig = file(dir, "c89.c"),
	     *bin = tl_bpath("perfinject");
	const char *inj[] = {bin, "--root", dir, "c89.c", NULL};
	const char *cln[] = {bin, "--root", dir, "--clean", NULL};
	const char *env[] = {"PERFINJECT_TEST_RACE=1", NULL};
	struct tl_result r;
	char *want;

	cr_assert(asprintf(&want, "%s/* edit */\n", orig) > 0);
	cr_assert_eq(tl_run(&r, inj, env, dir, NULL, 30), 0);
	cr_expect(r.exited && r.code == 1, "%s", tl_status_str(&r));
	cr_expect(strstr(r.err, "c89.c: changed while perfinject worked; left as it is"), "%s",
		  r.err);
	tl_result_free(&r);
	cr_assert_str_eq(file(dir, "c89.c"), want, "the edit was overwritten");
	must(dir, "--clean", NULL);
	cr_assert_str_eq(file(dir, "c89.c"), want);

	/* Now during --clean. */
	must(dir, "c89.c", NULL);
	cr_assert_eq(tl_run(&r, cln, env, dir, NULL, 30), 0);
	cr_expect(r.exited && r.code == 1, "%s", tl_status_str(&r));
	cr_expect(strstr(r.err, "it changed while perfinject worked"), "%s", r.err);
	tl_result_free(&r);
	cr_assert(strstr(file(dir, "c89.c"), "PERFINJECT_SPAN_"), "the file was cleaned anyway");
	must(dir, "--clean", NULL);
	cr_assert(asprintf(&want, "%s/* edit */\n/* edit */\n", orig) > 0);
	cr_assert_str_eq(file(dir, "c89.c"), want, "the edits of both races are not all kept");
	tl_rm_rf(dir);
}
