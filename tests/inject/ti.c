/*
 * Test helpers for perfinject; see ti.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ti.h"

/*
 * The suites leak on purpose (each test is its own process, see testlib.h);
 * in a sanitizer build only perfinject itself, run as a child, is checked
 * for leaks, and ti_perfinject() fails the test when it reports any.
 */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "detect_leaks=0";
}

static char *dirs[64];
static int ndirs;

static void remove_dirs(void)
{
	const char *keep = getenv("PERFINJECT_TEST_KEEP");
	int i;

	for (i = 0; i < ndirs; i++) {
		if (keep && *keep)
			fprintf(stderr, "kept %s\n", dirs[i]);
		else
			tl_rm_rf(dirs[i]);
	}
	ndirs = 0;
}

char *ti_tmpdir(const char *tag)
{
	char *d = tl_tmpdir(tag);

	if (!ndirs)
		atexit(remove_dirs);
	if (ndirs < (int)(sizeof(dirs) / sizeof(dirs[0])))
		dirs[ndirs++] = strdup(d);
	return d;
}

const char *ti_srcdir(void)
{
	const char *s = getenv("PERFPROF_SRC");

	if (s && *s)
		return s;
#ifdef TI_SRCDIR
	return TI_SRCDIR; /* the tree this suite was built from, whatever B= was */
#else
	return tl_srcdir();
#endif
}

char *ti_case(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/tests/inject/cases/%s", ti_srcdir(), name) < 0)
		abort();
	return p;
}

char *ti_path(const char *dir, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	return p;
}

char *ti_read(const char *path, size_t *len)
{
	char *s = tl_read_file(path, len);

	cr_assert(s, "cannot read %s", path);
	return s;
}

void ti_write(const char *path, const char *data)
{
	cr_assert_eq(tl_write_file(path, data, strlen(data)), 0, "cannot write %s", path);
}

char *ti_tree(const char *tag, const char *const names[])
{
	char *dir = ti_tmpdir(tag);
	int i;

	for (i = 0; names && names[i]; i++) {
		size_t len;
		char *src = ti_case(names[i]), *data = ti_read(src, &len);
		const char *base = strrchr(names[i], '/');
		char *dst = ti_path(dir, base ? base + 1 : names[i]);

		cr_assert_eq(tl_write_file(dst, data, len), 0);
		free(src);
		free(data);
		free(dst);
	}
	return dir;
}

int ti_perfinject(struct tl_result *r, const char *dir, const char *const args[])
{
	const char *argv[64];
	char *bin = tl_bpath("perfinject");
	int n = 0, i;

	argv[n++] = bin;
	argv[n++] = "--root";
	argv[n++] = dir;
	for (i = 0; args && args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cr_assert_eq(tl_run(r, argv, NULL, dir, NULL, 60), 0, "cannot run %s", bin);
	cr_assert(!strstr(r->err, "Sanitizer"), "perfinject: %s", r->err);
	return r->exited ? r->code : -1;
}

int ti_sh(struct tl_result *r, const char *dir, const char *cmd, const char *const env[])
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};

	cr_assert_eq(tl_run(r, argv, env, dir, NULL, 120), 0);
	return r->exited ? r->code : -1;
}

static struct ti_span *add_span(struct ti_span *v, int *n, const char *name, const char *file,
				unsigned int line, double calls, double total, double self,
				double mn, double mx, double bad)
{
	int i;

	for (i = 0; i < *n; i++) {
		if (strcmp(v[i].name, name))
			continue;
		v[i].calls += calls;
		v[i].total_ns += total;
		v[i].self_ns += self;
		v[i].bad += bad;
		if (mn < v[i].min_ns)
			v[i].min_ns = mn;
		if (mx > v[i].max_ns)
			v[i].max_ns = mx;
		return v;
	}
	v = realloc(v, (*n + 1) * sizeof(*v));
	cr_assert(v);
	memset(&v[*n], 0, sizeof(v[0]));
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	snprintf(v[*n].file, sizeof(v[*n].file), "%s", file);
	v[*n].line = line;
	v[*n].calls = calls;
	v[*n].total_ns = total;
	v[*n].self_ns = self;
	v[*n].min_ns = mn;
	v[*n].max_ns = mx;
	v[*n].bad = bad;
	(*n)++;
	return v;
}

struct ti_span *ti_recorded(const char *path, int *n)
{
	char *data = tl_read_file(path, NULL), *line, *save = NULL;
	struct ti_span *v = NULL;

	*n = 0;
	if (!data)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[256], file[256];
		unsigned int ln;
		double calls, total, self, bad;

		if (sscanf(line, "%255[^\t]\t%255[^\t]\t%u\t%lf\t%lf\t%lf\t%lf", name, file, &ln,
			   &calls, &total, &self, &bad) != 7)
			cr_assert_fail("bad recorder line: %s", line);
		v = add_span(v, n, name, file, ln, calls, total, self, 0, 0, bad);
	}
	free(data);
	return v;
}

static struct ti_span *json_spans(const char *dir, const char *glob, const char *key, int *n)
{
	int count, i;
	char **files = tl_glob(dir, glob, &count);
	struct ti_span *v = NULL;

	*n = 0;
	for (i = 0; i < count; i++) {
		cJSON *j = tl_json_load(files[i]), *s;

		cr_assert(j, "%s does not parse", files[i]);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(j, key))
		{
			v = add_span(v, n, tl_json_str(s, "name"), tl_json_str(s, "file"),
				     (unsigned int)tl_json_num(s, "line"), tl_json_num(s, "calls"),
				     tl_json_num(s, "total_ns"), tl_json_num(s, "self_ns"),
				     tl_json_num(s, "min_ns"), tl_json_num(s, "max_ns"), 0);
		}
		cJSON_Delete(j);
	}
	return v;
}

struct ti_span *ti_shim_spans(const char *dir, int *n)
{
	return json_spans(dir, "perfshim.*.json", "spans", n);
}

struct ti_span *ti_py_spans(const char *dir, int *n)
{
	return json_spans(dir, "pyspans.*.json", "spans", n);
}

const struct ti_span *ti_find(const struct ti_span *v, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

int ti_expectations(const char *text, char names[][256], long *calls, int *is_skip, int max)
{
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, "EXPECT ")) && n < max) {
		const char *q = p + 7;
		size_t k = 0;

		p += 7;
		if (!strncmp(q, "span \"", 6))
			is_skip[n] = 0;
		else if (!strncmp(q, "skip \"", 6))
			is_skip[n] = 1;
		else
			continue;
		for (q += 6; *q && *q != '"' && k < 255; q++) {
			if (*q == '\\' && q[1])
				q++;
			names[n][k++] = *q;
		}
		names[n][k] = 0;
		cr_assert_eq(*q, '"', "bad EXPECT line: %.60s", p - 7);
		calls[n] = 0;
		if (!is_skip[n])
			cr_assert_eq(sscanf(q + 1, " %ld", &calls[n]), 1, "bad EXPECT: %.60s",
				     p - 7);
		n++;
	}
	return n;
}

int ti_cc_has_std(const char *cc, const char *std)
{
	struct tl_result r;
	char *cmd;
	int ok;

	if (asprintf(&cmd, "echo 'int main(void){return 0;}' | %s -std=%s -x %s -fsyntax-only -",
		     cc, std, strstr(cc, "++") ? "c++" : "c") < 0)
		abort();
	ok = ti_sh(&r, "/", cmd, NULL) == 0;
	free(cmd);
	tl_result_free(&r);
	return ok;
}
