/*
 * One run of the test command under the shim: its environment, its
 * directories, its log, and reading back what the shim left.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "gpu.h"
#include "outfile.h"
#include "phases.h"
#include "strbuf.h"

extern char **environ;

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		error_msg_and_die("out of memory");
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		error_msg_and_die("out of memory");
	return s;
}

void prof_concern(struct prof *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		error_msg_and_die("out of memory");
	va_end(ap);
	for (int i = 0; i < p->nconcerns; i++)
		if (!strcmp(p->concerns[i], s)) {
			free(s);
			return;
		}
	p->concerns = realloc(p->concerns, sizeof(char *) * (size_t)(p->nconcerns + 1));
	if (!p->concerns)
		error_msg_and_die("out of memory");
	p->concerns[p->nconcerns++] = s;
}

void prof_progress(const struct prof *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char *s;

	/* Progress is for people watching a terminal; logs get the summary. */
	if (p->o.quiet || !isatty(STDERR_FILENO))
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	sb_printf(&sb, "perfprof: %s\n", s);
	if (fwrite(sb.buf, 1, sb.len, stderr) != sb.len)
		clearerr(stderr);
	fflush(stderr);
	free(s);
	sb_free(&sb);
}

/* The environment of a run: ours, with the shim preloaded in front of what
 * the user preloads, PERFSHIM_OUT, and perfinject's Python runtime on
 * PYTHONPATH when wrappers are in place. */
static char **build_env(const struct prof *p, const char *shim_dir)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof(char *));
	if (!env)
		error_msg_and_die("out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];

		if (p->shim_lib &&
		    (!strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "PERFSHIM_OUT=", 13)))
			continue;
		if (p->ninstrumented && p->inject_pypath && !strncmp(e, "PYTHONPATH=", 11))
			continue;
		env[k++] = (char *)e;
	}
	if (p->shim_lib) {
		const char *old = getenv("LD_PRELOAD");

		env[k++] = old && *old ? xasprintf("LD_PRELOAD=%s %s", p->shim_lib, old)
				       : xasprintf("LD_PRELOAD=%s", p->shim_lib);
		env[k++] = xasprintf("PERFSHIM_OUT=%s", shim_dir);
	}
	if (p->ninstrumented && p->inject_pypath) {
		const char *old = getenv("PYTHONPATH");

		env[k++] = old && *old ? xasprintf("PYTHONPATH=%s:%s", p->inject_pypath, old)
				       : xasprintf("PYTHONPATH=%s", p->inject_pypath);
	}
	env[k] = NULL;
	return env;
}

static void free_env(char **env)
{
	for (size_t i = 0; env[i]; i++)
		if (!strncmp(env[i], "LD_PRELOAD=", 11) || !strncmp(env[i], "PERFSHIM_OUT=", 13) ||
		    !strncmp(env[i], "PYTHONPATH=", 11)) {
			/* ours are the ones that are not in environ */
			int ours = 1;

			for (size_t k = 0; environ[k]; k++)
				if (environ[k] == env[i])
					ours = 0;
			if (ours)
				free(env[i]);
		}
	free(env);
}

int prof_exec(struct prof *p, struct prof_run *r, const char *label, char *const *argv)
{
	char name[64], **env = NULL;
	int ret;
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	snprintf(name, sizeof(name), "%s", label);
	for (i = 0; name[i]; i++)
		if (name[i] == ' ')
			name[i] = '-';
	r->dir = out_path(p->raw_dir, name);
	r->log = xasprintf("%s.log", r->dir);
	ret = out_mkdirs(r->dir);
	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot create %s", r->dir);
		return ret;
	}
	env = build_env(p, r->dir);
	{
		struct run_spec spec = {
		    .argv = argv ? argv : p->argv,
		    .envp = env,
		    .cwd = p->root,
		    .log_path = r->log,
		    .timeout_s = p->o.timeout_s,
		};

		if (p->gpu) {
			gpu_reset(p->gpu);
			spec.tick = gpu_tick;
			spec.tick_ctx = p->gpu;
			spec.tick_ms = 100;
		}

		ret = run_cmd(&spec, &r->st);
	}
	free_env(env);
	if (!r->st.started) {
		/* reported by the caller with the status string */
		return ret < 0 ? ret : -ENOEXEC;
	}
	shim_load(r->dir, &r->shim);
	return 0;
}

void prof_run_free(struct prof_run *r)
{
	shim_free(&r->shim);
	free(r->dir);
	free(r->log);
	memset(r, 0, sizeof(*r));
}

void prof_report_failure(const struct prof *p, const struct prof_run *r, const char *headline)
{
	char *tail = run_tail(r->log, 20);

	error_msg("%s (%s: %s)", headline, r->label, run_status_str(&r->st, p->o.timeout_s));
	if (*tail) {
		struct strbuf sb = STRBUF_INIT;

		sb_printf(&sb, "  last lines of its output (%s):\n", r->log);
		for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n"))
			sb_printf(&sb, "  | %s\n", line);
		if (fwrite(sb.buf, 1, sb.len, stderr) != sb.len)
			clearerr(stderr);
		sb_free(&sb);
	}
	free(tail);
}
