/*
 * Phase 0 helpers: test files, definitions, routes, the project's test
 * command; see discover.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "discover.h"
#include "error.h"
#include "outfile.h"
#include "prof.h"
#include "strbuf.h"

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < max)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

static int exists(const char *root, const char *rel)
{
	char *p = out_path(root, rel);
	struct stat st;
	int r = stat(p, &st) == 0;

	free(p);
	return r;
}

/* A Makefile target "name:" at the start of a line. */
static int make_has_target(const char *mk, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = mk; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && (l[n] == ':' || l[n] == ' ') && l[n + 1] != '=')
			return 1;
	return 0;
}

/* A backticked command on a line of tech_stack.md that mentions tests. */
static char *tech_stack_test(const char *root)
{
	char *p = out_path(root, "docs/project/tech_stack.md");
	char *s = slurp(p, 1 << 20), *res = NULL;

	free(p);
	if (!s)
		return NULL;
	for (char *l = s; l && *l && !res;) {
		char *nl = strchr(l, '\n'), *a, *b;

		if (nl)
			*nl = 0;
		if ((strcasestr(l, "test")) && (a = strchr(l, '`')) && (b = strchr(a + 1, '`')) &&
		    b > a + 1) {
			*b = 0;
			res = xstrdup(a + 1);
		}
		l = nl ? nl + 1 : NULL;
	}
	free(s);
	return res;
}

char *discover_project_tests(const char *root, const char **what)
{
	char *mk, *s;

	if ((s = tech_stack_test(root))) {
		*what = "docs/project/tech_stack.md";
		return s;
	}
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {"GNUmakefile", "makefile", "Makefile"};
		char *p = out_path(root, names[i]);

		mk = slurp(p, 4 << 20);
		free(p);
		if (!mk)
			continue;
		s = make_has_target(mk, "check")  ? "make check"
		    : make_has_target(mk, "test") ? "make test"
						  : NULL;
		free(mk);
		if (s) {
			*what = "Makefile";
			return xstrdup(s);
		}
	}
	if (exists(root, "meson.build")) {
		*what = "meson.build";
		return xstrdup("meson test -C build");
	}
	if (exists(root, "CMakeLists.txt")) {
		*what = "CMakeLists.txt";
		return xstrdup("ctest --test-dir build");
	}
	if (exists(root, "pytest.ini") || exists(root, "conftest.py") ||
	    exists(root, "pyproject.toml") || exists(root, "setup.cfg")) {
		*what = "pytest configuration";
		return xstrdup("python3 -m pytest");
	}
	if (exists(root, "package.json")) {
		*what = "package.json";
		return xstrdup("npm test");
	}
	if (exists(root, "go.mod")) {
		*what = "go.mod";
		return xstrdup("go test ./...");
	}
	if (exists(root, "Cargo.toml")) {
		*what = "Cargo.toml";
		return xstrdup("cargo test");
	}
	return NULL;
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* Finds "fn(" that starts a definition: at line start or after a type, and
 * followed (after the parameter list) by '{' rather than ';'.  Python:
 * "def fn(".  Returns the offset of the name or -1. */
static long find_def(const char *s, const char *fn)
{
	size_t n = strlen(fn);

	for (const char *q = s; (q = strstr(q, fn)); q += n) {
		const char *a = q + n, *line;
		int depth = 0;

		if ((q > s && is_ident((unsigned char)q[-1])) || is_ident((unsigned char)*a))
			continue;
		line = q;
		while (line > s && line[-1] != '\n')
			line--;
		while (*a == ' ' || *a == '\t')
			a++;
		if (*a != '(')
			continue;
		if (!strncmp(line, "def ", 4) || strstr(line, "def ") == q - 4 ||
		    !strncmp(line, "async def ", 10))
			return q - s;
		if (*line == ' ' || *line == '\t' || *line == '#')
			continue; /* C definitions start at column 0 in the styles we read */
		for (; *a; a++) {
			if (*a == '(')
				depth++;
			else if (*a == ')' && --depth == 0)
				break;
		}
		if (!*a)
			return -1;
		for (a++; *a && isspace((unsigned char)*a); a++)
			;
		if (*a == '{' || (*a != ';' && *a != ',' && *a != ')' && *a != '='))
			return q - s;
	}
	return -1;
}

int discover_find_definition(const char *file, const char *fn)
{
	char *s = slurp(file, 16 << 20);
	long off;
	int line = 1;

	if (!s)
		return -errno;
	off = find_def(s, fn);
	if (off < 0) {
		free(s);
		return 0;
	}
	for (long i = 0; i < off; i++)
		line += s[i] == '\n';
	free(s);
	return line;
}

int discover_routes(const char *file, const char *fn, char **out, int max)
{
	char *s = slurp(file, 16 << 20), *body, *end;
	long off;
	int n = 0;

	if (!s)
		return 0;
	off = find_def(s, fn);
	if (off < 0)
		goto out;
	body = strchr(s + off, '{');
	if (!body)
		body = s + off; /* python: to the next top-level def */
	end = body;
	{
		int depth = 0;

		for (; *end; end++) {
			if (*end == '{')
				depth++;
			else if (*end == '}' && --depth <= 0)
				break;
			else if (*body != '{' && end > body && end[-1] == '\n' &&
				 !strncmp(end, "def ", 4))
				break;
		}
	}
	for (char *q = body; q < end && n < max; q++) {
		char *c;

		if (*q != '"' || q[1] != '/' || !(isalnum((unsigned char)q[2]) || q[2] == '_'))
			continue;
		c = strchr(q + 1, '"');
		if (!c || c > end || c - q > 100)
			continue;
		out[n++] = strndup(q + 1, (size_t)(c - q - 1));
		q = c;
	}
out:
	free(s);
	return n;
}

static int is_test_path(const char *rel)
{
	static const char *const pats[] = {
	    "*/test/*", "*/tests/*", "*/e2e/*",	 "*/integration/*", "*/spec/*",
	    "test/*",	"tests/*",   "e2e/*",	 "integration/*",   "spec/*",
	    "*test_*",	"*_test.*",  "*.test.*", "*_spec.*",	    "*-test.*",
	};
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
		if (!fnmatch(pats[i], rel, 0))
			return 1;
	return 0;
}

static int is_e2e_path(const char *rel)
{
	return strstr(rel, "e2e") || strstr(rel, "integration");
}

struct walk {
	char **files;
	int n, cap;
};

static void walk_dir(const char *root, const char *rel, struct walk *w, int depth)
{
	char *dir = *rel ? out_path(root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;

	free(dir);
	if (!d || depth > 12) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		char *sub;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "build") ||
		    !strcmp(de->d_name, "node_modules") || !strcmp(de->d_name, "__pycache__") ||
		    !strcmp(de->d_name, "target") || !strcmp(de->d_name, "venv"))
			continue;
		sub = *rel ? out_path(rel, de->d_name) : xstrdup(de->d_name);
		if (de->d_type == DT_DIR) {
			walk_dir(root, sub, w, depth + 1);
			free(sub);
		} else if (de->d_type == DT_REG && is_test_path(sub)) {
			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 64;
				w->files = realloc(w->files, sizeof(char *) * (size_t)w->cap);
				if (!w->files)
					error_msg_and_die("out of memory");
			}
			w->files[w->n++] = sub;
		} else {
			free(sub);
		}
	}
	closedir(d);
}

static int cmp_tests(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int ex = !!is_e2e_path(x), ey = !!is_e2e_path(y);

	if (ex != ey)
		return ey - ex;
	return strcmp(x, y);
}

/* A whole-word occurrence of needle; for a module, only on include/import
 * lines or as "<module>.c"/"<module>.h"/"<module>.py". */
static int matches(const char *s, const char *needle, int module_ref)
{
	size_t n = strlen(needle);

	for (const char *q = s; (q = strstr(q, needle)); q += n) {
		const char *line;
		int word =
		    (q == s || !is_ident((unsigned char)q[-1])) && !is_ident((unsigned char)q[n]);

		if (!word && needle[0] != '/')
			continue;
		if (needle[0] == '/' && is_ident((unsigned char)q[n]))
			continue;
		if (!module_ref)
			return 1;
		line = q;
		while (line > s && line[-1] != '\n')
			line--;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!strncmp(line, "#include", 8) || !strncmp(line, "import ", 7) ||
		    !strncmp(line, "from ", 5) || strstr(line, "require(") ||
		    (q[n] == '.' && strchr("chp", q[n + 1])))
			return 1;
	}
	return 0;
}

char *discover_grep_tests(const char *root, const char *needle, int module_ref)
{
	struct walk w = {0};
	char *found = NULL;

	walk_dir(root, "", &w, 0);
	if (w.n)
		qsort(w.files, (size_t)w.n, sizeof(char *), cmp_tests);
	for (int i = 0; i < w.n && !found; i++) {
		char *abs = out_path(root, w.files[i]);
		char *s = slurp(abs, 4 << 20);

		free(abs);
		if (s && matches(s, needle, module_ref))
			found = xstrdup(w.files[i]);
		free(s);
	}
	for (int i = 0; i < w.n; i++)
		free(w.files[i]);
	free(w.files);
	return found;
}

char *discover_join_argv(char *const *argv)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; argv[i]; i++) {
		const char *a = argv[i];
		int plain = *a != 0;

		for (const char *c = a; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-_./=:,+@%", *c))
				plain = 0;
		if (i)
			sb_putc(&sb, ' ');
		if (plain) {
			sb_puts(&sb, a);
			continue;
		}
		sb_putc(&sb, '\'');
		for (const char *c = a; *c; c++) {
			if (*c == '\'')
				sb_puts(&sb, "'\\''");
			else
				sb_putc(&sb, *c);
		}
		sb_putc(&sb, '\'');
	}
	return sb_detach(&sb);
}

char *discover_sanitize(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	int dash = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '.' || c == '_' || c == '-') {
			if (dash && sb.len)
				sb_putc(&sb, '-');
			dash = 0;
			sb_putc(&sb, (char)tolower(c));
		} else {
			dash = 1;
		}
	}
	/* no leading dots or dashes: the slug names a directory */
	while (sb.len && (sb.buf[0] == '.' || sb.buf[0] == '-'))
		memmove(sb.buf, sb.buf + 1, sb.len--);
	if (sb.len > 64) {
		sb.buf[64] = 0;
		sb.len = 64;
	}
	if (!sb.len)
		sb_puts(&sb, "run");
	return sb_detach(&sb);
}
