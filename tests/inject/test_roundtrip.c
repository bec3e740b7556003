/*
 * Round trips of the tricky case files: inject the whole file, build it
 * with -Werror (or run it, for Python), run it under the span recorder (or
 * the Python runtime), check the exact calls of every function the case's
 * EXPECT lines name and that inclusive >= self time, check that output,
 * exit status and __LINE__ are unchanged, then --clean and compare byte for
 * byte.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ti.h"

#define MAX_EXPECT 64

struct expect {
	char names[MAX_EXPECT][256];
	long calls[MAX_EXPECT];
	int skip[MAX_EXPECT];
	int n;
};

static void check_spans(const struct ti_span *v, int n, const struct expect *e,
			const char *main_name)
{
	int i, k;

	for (k = 0; k < e->n; k++) {
		const struct ti_span *s;

		if (e->skip[k])
			continue;
		s = ti_find(v, n, e->names[k]);
		if (!e->calls[k]) {
			cr_expect(!s || s->calls == 0, "%s: expected no calls, got %.0f",
				  e->names[k], s ? s->calls : 0);
			continue;
		}
		cr_assert(s, "no span %s was recorded", e->names[k]);
		cr_expect_eq((long)s->calls, e->calls[k], "%s: %.0f calls, expected %ld",
			     e->names[k], s->calls, e->calls[k]);
		cr_expect(s->total_ns >= s->self_ns, "%s: total %.0f < self %.0f", e->names[k],
			  s->total_ns, s->self_ns);
		cr_expect_eq(s->bad, 0, "%s: %.0f exits did not match their enter", e->names[k],
			     s->bad);
	}
	/* Nothing recorded that the case does not expect. */
	for (i = 0; i < n; i++) {
		for (k = 0; k < e->n; k++)
			if (!e->skip[k] && !strcmp(e->names[k], v[i].name))
				break;
		cr_expect(k < e->n, "unexpected span %s (%.0f calls)", v[i].name, v[i].calls);
	}
	if (main_name) {
		const struct ti_span *m = ti_find(v, n, main_name);

		cr_assert(m, "no span %s", main_name);
		cr_expect(m->total_ns > m->self_ns,
			  "%s: nested spans not subtracted (total %.0f, self %.0f)", main_name,
			  m->total_ns, m->self_ns);
	}
}

/* Every function perfinject reports sits on the line it names in the original. */
static void check_lines(const char *orig, const char *json_out)
{
	cJSON *j = cJSON_Parse(json_out), *f, *fn;

	cr_assert(j, "perfinject --json printed no JSON: %s", json_out);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "files"))
	{
		cJSON_ArrayForEach(fn, cJSON_GetObjectItem(f, "functions"))
		{
			const char *name = tl_json_str(fn, "name"), *leaf, *p = orig;
			int line = (int)tl_json_num(fn, "line"), l;
			char text[512];
			const char *end;

			leaf = strrchr(name, ':');
			leaf = leaf ? leaf + 1 : name;
			if (strrchr(leaf, '.'))
				leaf = strrchr(leaf, '.') + 1;
			if (!strncmp(leaf, "operator", 8))
				leaf = "operator";
			if (*leaf == '~')
				leaf++;
			for (l = 1; l < line && p; l++) {
				p = strchr(p, '\n');
				p = p ? p + 1 : NULL;
			}
			cr_assert(p, "%s: line %d is past the end", name, line);
			end = strchr(p, '\n');
			snprintf(text, sizeof(text), "%.*s", end ? (int)(end - p) : (int)strlen(p),
				 p);
			/* "spl\" + "iced": a splice may cut the name; compare its start. */
			cr_expect(strstr(text, leaf) || (strlen(leaf) > 3 && strstr(text, "spl")),
				  "%s: line %d is \"%s\"", name, line, text);
		}
	}
	cJSON_Delete(j);
}

struct build {
	const char *cc; /* compiler, or "python3" */
	const char *flags;
};

static void round_trip(const char *name, const struct build *b, const char *main_name)
{
	const char *files[] = {name, NULL};
	char *dir = ti_tree("rt", files), *src = ti_path(dir, name), *cmd, *rec;
	char *orig = ti_read(src, NULL), *orig_out, *text;
	size_t orig_len, len;
	struct tl_result r;
	struct expect e;
	int py = !strcmp(b->cc, "python3");

	free(orig);
	orig = ti_read(src, &orig_len);
	e.n = ti_expectations(orig, e.names, e.calls, e.skip, MAX_EXPECT);
	cr_assert_gt(e.n, 0, "%s states no EXPECT lines", name);
	if (py)
		cr_assert(asprintf(&cmd, "python3 %s", name) > 0);
	else
		cr_assert(asprintf(&cmd, "%s %s %s -o prog && ./prog", b->cc, b->flags, name) > 0);
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "original does not build or run: %s", r.err);
	orig_out = strdup(r.out);
	tl_result_free(&r);

	{
		const char *args[] = {"--json", name, NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "perfinject failed: %s", r.err);
	}
	check_lines(orig, r.out);
	for (int k = 0; k < e.n; k++)
		if (e.skip[k])
			cr_expect(strstr(r.err, "skipped") && strstr(r.err, e.names[k]),
				  "%s was not reported as skipped: %s", e.names[k], r.err);
	tl_result_free(&r);
	text = ti_read(src, &len);
	cr_assert(len > orig_len, "nothing was inserted");
	free(text);

	/* Without the shim (or the runtime) the program behaves as before. */
	cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "instrumented build failed: %s", r.err);
	cr_expect_str_eq(r.out, orig_out, "output changed without the shim");
	tl_result_free(&r);

	rec = ti_path(dir, "spans.rec");
	if (py) {
		char *pyenv, *outenv;
		const char *env[3];
		struct ti_span *v;
		int n;

		cr_assert(asprintf(&pyenv, "PYTHONPATH=%s", tl_bpath("python")) > 0);
		cr_assert(asprintf(&outenv, "PERFSHIM_OUT=%s", dir) > 0);
		env[0] = pyenv;
		env[1] = outenv;
		env[2] = NULL;
		cr_assert_eq(ti_sh(&r, dir, cmd, env), 0, "run with the runtime: %s", r.err);
		cr_expect_str_eq(r.out, orig_out);
		tl_result_free(&r);
		v = ti_py_spans(dir, &n);
		check_spans(v, n, &e, main_name);
		free(v);
	} else {
		char *pre, *outenv, *run;
		const char *env[3];
		struct ti_span *v;
		int n;

		cr_assert(asprintf(&pre, "LD_PRELOAD=%s",
				   tl_bpath("tests/progs/libinject_spanrec.so")) > 0);
		cr_assert(asprintf(&outenv, "SPANREC_OUT=%s", rec) > 0);
		env[0] = pre;
		env[1] = outenv;
		env[2] = NULL;
		cr_assert(asprintf(&run, "./prog") > 0);
		cr_assert_eq(ti_sh(&r, dir, run, env), 0, "run under the recorder: %s", r.err);
		cr_expect_str_eq(r.out, orig_out, "output changed under the recorder");
		tl_result_free(&r);
		v = ti_recorded(rec, &n);
		check_spans(v, n, &e, main_name);
		free(v);
	}

	{
		const char *args[] = {"--clean", NULL};

		cr_assert_eq(ti_perfinject(&r, dir, args), 0, "clean failed: %s", r.err);
		tl_result_free(&r);
	}
	text = ti_read(src, &len);
	cr_assert_eq(len, orig_len, "%s: %zu bytes after --clean, %zu before", name, len, orig_len);
	cr_assert(!memcmp(text, orig, len), "%s differs after --clean", name);
	{
		char *m = ti_path(dir, ".perfinject");

		cr_expect(access(m, F_OK) != 0, ".perfinject is left behind");
	}
	tl_rm_rf(dir);
}

#define STRICT "-Wall -Wextra -Werror -pedantic"

Test(roundtrip, c_tricky)
{
	struct build b = {"gcc", "-std=c11 -O1 " STRICT};

	round_trip("tricky.c", &b, "tricky.c:main");
}

Test(roundtrip, c89_kr)
{
	struct build b = {"gcc", "-std=c89 -O1 " STRICT};

	round_trip("c89.c", &b, "c89.c:main");
}

Test(roundtrip, c_gcc_nested_functions)
{
	struct build b = {"gcc", "-std=gnu11 -O1 -Wall -Wextra -Werror"};

	round_trip("nested.c", &b, "nested.c:main");
}

Test(roundtrip, c_crlf_tabs_no_final_newline)
{
	struct build b = {"gcc", "-std=c11 " STRICT};

	round_trip("crlf.c", &b, "crlf.c:main");
}

Test(roundtrip, c_utf8_bom)
{
	struct build b = {"gcc", "-std=c11 " STRICT};

	round_trip("bom.c", &b, "bom.c:main");
}

Test(roundtrip, cxx_tricky)
{
	struct build b = {"g++", "-std=c++17 -O1 " STRICT};

	round_trip("tricky.cc", &b, "main");
}

Test(roundtrip, cxx_crlf_bom_tabs_no_final_newline)
{
	struct build b = {"g++", "-std=c++11 " STRICT};

	round_trip("crlf.cc", &b, "main");
}

Test(roundtrip, python_tricky)
{
	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	struct build b = {"python3", ""};

	round_trip("tricky.py", &b, "tricky.main");
}

Test(roundtrip, python_crlf_bom_tabs)
{
	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	struct build b = {"python3", ""};

	round_trip("crlf_bom.py", &b, "crlf_bom.main");
}

/* Debuggers and profiles see the same lines: DWARF puts every function where it was. */
Test(roundtrip, c_dwarf_lines_unchanged)
{
	const char *files[] = {"tricky.c", NULL}, *args[] = {"tricky.c", NULL};
	const char *syms[] = {"square", "fib", "early", "kr_style", "make_pt", "main", NULL};
	char *dir = ti_tree("dwarf", files), *cmd, *before[8];
	struct tl_result r;
	int i;

	if (!tl_have("addr2line") || !tl_have("nm"))
		cr_skip_test("binutils (nm, addr2line) are not installed");
	for (int pass = 0; pass < 2; pass++) {
		cr_assert_eq(ti_sh(&r, dir, "gcc -O0 -g tricky.c -o prog", NULL), 0, "%s", r.err);
		tl_result_free(&r);
		for (i = 0; syms[i]; i++) {
			cr_assert(
			    asprintf(
				&cmd,
				"addr2line -e prog 0x$(nm prog | awk '$3 == \"%s\" { print $1 }') "
				"| sed 's/.*://'",
				syms[i]) > 0);
			cr_assert_eq(ti_sh(&r, dir, cmd, NULL), 0, "%s", r.err);
			if (!pass)
				before[i] = strdup(r.out);
			else
				cr_expect_str_eq(r.out, before[i],
						 "%s: line %s before, %s instrumented", syms[i],
						 before[i], r.out);
			tl_result_free(&r);
		}
		if (!pass) {
			cr_assert_eq(ti_perfinject(&r, dir, args), 0, "%s", r.err);
			tl_result_free(&r);
		}
	}
	/*
	 * Optimized, the support code is inlined into each function: its lines
	 * are numbered from 32000, never one of the user's (square is 58-61).
	 */
	cr_assert_eq(ti_sh(&r, dir,
			   "gcc -O2 -g -c tricky.c -o t.o && objdump -dl --no-show-raw-insn t.o | "
			   "awk '/<square>:/,/^$/' | grep -o 'tricky.c:[0-9]*' | sed 's/.*://' | "
			   "sort -n | uniq | awk '$1 < 58 || ($1 > 62 && $1 < 32000)'",
			   NULL),
		     0, "%s", r.err);
	cr_expect_str_eq(r.out, "", "support code on user lines: %s", r.out);
	tl_result_free(&r);
	tl_rm_rf(dir);
}
