/*
 * --from-profile FILE [--top N]: the hottest functions of a perftrace
 * profile whose source lies under the root.
 *
 * FILE is perftrace's JSON report (`perftrace report --format json`), or a
 * sample file, which is turned into that report by running the perftrace
 * found beside perfinject or on PATH.  The report's functions[] give name,
 * file, line and self/total samples (docs/perftrace.md on branch tracer;
 * BRIEF.md).  Each is mapped to a definition perfinject can parse: by its
 * name (parameters, template arguments and GCC clone suffixes such as
 * `.constprop.0` dropped), else by the definition whose lines hold `line`.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "fsutil.h"
#include "internal.h"

struct hot {
	const cJSON *fn;
	double self, total;
};

static int by_heat(const void *a, const void *b)
{
	const struct hot *x = a, *y = b;

	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return 0;
}

/* Runs `perftrace report -i file --format json`; its stdout, or NULL. */
static char *perftrace_report(const char *file, size_t *len)
{
	char exe[PATH_MAX], tracer[PATH_MAX + 16];
	const char *prog = "perftrace";
	struct buf out = BUF_INIT;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(tracer, sizeof(tracer), "%s/perftrace", exe);
		if (access(tracer, X_OK) == 0)
			prog = tracer;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		execlp(prog, prog, "report", "-i", file, "--format", "json", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char chunk[65536];

		n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&out, chunk, (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || buf_ok(&out) || !out.p) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			error_msg("%s: not a JSON report, and perftrace was not found to read it",
				  file);
		else
			error_msg("%s: `%s report --format json` failed", file, prog);
		buf_free(&out);
		return NULL;
	}
	*len = out.len;
	return buf_steal(&out);
}

/* "ns::A<int>::f(int) const" -> "ns::A::f"; "f.constprop.0" -> "f". */
static char *clean_name(const char *name)
{
	struct buf b = BUF_INIT;
	int depth = 0;
	const char *p;

	for (p = name; *p; p++) {
		if (!strncmp(p, "operator", 8)) {
			/* keep operator names whole, up to their parameters */
			const char *q = p + 8;

			if (q[0] == '(' && q[1] == ')')
				q += 2;
			while (*q && *q != '(')
				q++;
			buf_add(&b, p, (size_t)(q - p));
			break;
		}
		if (*p == '<') {
			depth++;
			continue;
		}
		if (*p == '>' && depth) {
			depth--;
			continue;
		}
		if (depth)
			continue;
		if (*p == '(' || *p == ' ')
			break;
		buf_addc(&b, *p);
	}
	if (b.p) {
		static const char *const sfx[] = {".constprop", ".isra",  ".part",	".cold",
						  ".lto_priv",	".clone", ".localalias"};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(sfx); i++) {
			char *s = strstr(b.p, sfx[i]);

			if (s) {
				*s = 0;
				b.len = (size_t)(s - b.p);
			}
		}
	}
	return buf_ok(&b) ? (buf_free(&b), NULL) : buf_steal(&b);
}

/* The qualified name of the definition in rel matching name or holding line; NULL if none. */
static char *resolve(const struct opts *o, const char *rel, const char *name, unsigned int line)
{
	const struct lang *lang = lang_for_path(rel, 1);
	struct source src = {0}, base = {0};
	struct buf stripped = BUF_INIT, why = BUF_INIT;
	struct scan sc = {0};
	char *full = root_path(o, rel), *data = NULL, *found = NULL;
	size_t len, removed, i;

	if (!lang || !full || fs_read(full, &data, &len, NULL))
		goto out;
	src.path = base.path = rel;
	src.data = data;
	src.len = len;
	src.lang = base.lang = lang;
	source_detect(&src);
	if (lang->strip(&src, &stripped, &removed, &why))
		goto out;
	base.data = stripped.p;
	base.len = stripped.len;
	source_detect(&base);
	if (lang->parse(&base, &sc, &why))
		goto out;
	for (i = 0; i < sc.nfuncs && !found; i++)
		if (name && name_matches(sc.funcs[i].qname, name))
			found = strdup(sc.funcs[i].qname);
	for (i = 0; i < sc.nfuncs && !found && line; i++)
		if (sc.funcs[i].line <= line && line <= sc.funcs[i].end_line)
			found = strdup(sc.funcs[i].qname);
out:
	scan_free(&sc);
	free(full);
	free(data);
	buf_free(&stripped);
	buf_free(&why);
	return found;
}

/* Path of a profile's file relative to the root, or NULL when outside it. */
static char *under_root(const struct opts *o, const char *file)
{
	size_t rl = strlen(o->root);
	char real[PATH_MAX];
	struct stat st;
	char *full;

	if (file[0] == '/') {
		if (!realpath(file, real))
			return NULL;
	} else {
		while (!strncmp(file, "./", 2))
			file += 2;
		full = root_path(o, file);
		if (!full || !realpath(full, real)) {
			free(full);
			return NULL;
		}
		free(full);
	}
	if (strncmp(real, o->root, rl) || real[rl] != '/' || stat(real, &st) ||
	    !S_ISREG(st.st_mode))
		return NULL;
	return strdup(real + rl + 1);
}

int profile_targets(const struct opts *o, const char *file, int top, char ***out, int *n)
{
	struct hot *hot = NULL;
	char *data = NULL;
	size_t len, nh = 0, i;
	cJSON *j = NULL;
	const cJSON *fns, *f;
	int err = 0;

	*out = NULL;
	*n = 0;
	err = fs_read(file, &data, &len, NULL);
	if (err) {
		errno = -err;
		perror_msg("%s", file);
		return err;
	}
	j = cJSON_ParseWithLength(data, len);
	if (!j) {
		free(data);
		data = perftrace_report(file, &len);
		if (!data)
			return -EINVAL;
		j = cJSON_ParseWithLength(data, len);
	}
	fns = cJSON_GetObjectItemCaseSensitive(j, "functions");
	if (!cJSON_IsArray(fns)) {
		error_msg("%s: no functions[] array: not a perftrace JSON report", file);
		err = -EINVAL;
		goto out;
	}
	hot = calloc((size_t)cJSON_GetArraySize(fns) + 1, sizeof(*hot));
	if (!hot) {
		err = -ENOMEM;
		goto out;
	}
	cJSON_ArrayForEach(f, fns)
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(f, "self_samples");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "total_samples");

		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "file")))
			continue;
		hot[nh].fn = f;
		hot[nh].self = cJSON_IsNumber(s) ? s->valuedouble : 0;
		hot[nh].total = cJSON_IsNumber(t) ? t->valuedouble : 0;
		nh++;
	}
	qsort(hot, nh, sizeof(*hot), by_heat);
	for (i = 0; i < nh && *n < top; i++) {
		const cJSON *fn = hot[i].fn, *jl = cJSON_GetObjectItemCaseSensitive(fn, "line");
		const char *name =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fn, "name"));
		const char *src =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fn, "file"));
		char *rel = under_root(o, src), *clean = name ? clean_name(name) : NULL, *q = NULL;
		struct buf t = BUF_INIT;
		int k, dup = 0;

		if (rel && lang_for_path(rel, 1))
			q = resolve(o, rel, clean,
				    cJSON_IsNumber(jl) ? (unsigned int)jl->valuedouble : 0);
		if (rel && lang_for_path(rel, 1) && !q)
			warning_msg("%s: %s: no definition of %s found; skipped", file, rel,
				    name ? name : "?");
		if (q) {
			buf_printf(&t, "%s:%s", rel, q);
			for (k = 0; k < *n && t.p; k++)
				dup |= !strcmp((*out)[k], t.p);
			if (!dup && t.p) {
				char **v = realloc(*out, (size_t)(*n + 1) * sizeof(*v));

				if (v) {
					*out = v;
					v[(*n)++] = buf_steal(&t);
				} else {
					err = -ENOMEM;
				}
			}
		}
		buf_free(&t);
		free(rel);
		free(clean);
		free(q);
		if (err)
			break;
	}
out:
	if (err == -ENOMEM)
		error_msg("out of memory");
	free(hot);
	free(data);
	cJSON_Delete(j);
	return err;
}
