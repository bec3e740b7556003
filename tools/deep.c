/*
 * Phase 3 step 1: one run under `perftrace record`, with the shim still
 * preloaded, and its reports: the JSON profile we analyse, stacks.folded
 * and the flame graph.  Also the level-2 escalation (perftrace annotate of
 * the hotspot, by source line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jget.h"
#include "outfile.h"
#include "phases.h"
#include "strbuf.h"
#include "trace.h"
#include "writers.h"

/* Runs `perftrace report` (or annotate); 0, or -EIO when it failed (it
 * says why on stderr), or the error of starting it. */
static int tracer_tool(struct prof *p, char *const *args, const char *label)
{
	struct prof_run r;
	char *saved = p->shim_lib;
	int ret;

	/* The reporting step is ours, not the target's: no shim there. */
	p->shim_lib = NULL;
	ret = prof_exec(p, &r, label, args);
	p->shim_lib = saved;
	if (ret == 0 && !run_ok(&r.st)) {
		char *tail = run_tail(r.log, 3);

		warning_msg("perftrace %s failed (%s): %s", args[1],
			    run_status_str(&r.st, p->o.timeout_s), tail);
		free(tail);
		ret = -EIO;
	}
	prof_run_free(&r);
	return ret;
}

static const char *refusal_reason(const char *tail)
{
	if (strstr(tail, "ptrace") &&
	    (strstr(tail, "Operation not permitted") || strstr(tail, "EPERM") ||
	     strstr(tail, "refused") || strstr(tail, "denied") || strstr(tail, "ptrace_scope")))
		return "ptrace refused";
	return NULL;
}

int phase_deep(struct prof *p)
{
	char hz[16], **argv, *preload = NULL, *out = NULL, *shim_dir = NULL, *saved;
	int n = 0, ret, k;

	if (!p->perftrace) {
		p->trace_problem = xstrdup(p->o.no_trace ? "--no-trace given"
							 : "perftrace not found beside perfprof");
		return 0;
	}
	prof_progress(p, "phase 3 deep profile: perftrace record (%d Hz)", p->o.freq);
	p->trace_file = out_path(p->raw_dir, "deep.ptrace");
	snprintf(hz, sizeof(hz), "%d", p->o.freq);
	for (n = 0; p->argv[n]; n++)
		;
	argv = calloc((size_t)n + 12, sizeof(char *));
	if (!argv)
		error_msg_and_die("out of memory");
	argv[0] = p->perftrace;
	argv[1] = "record";
	argv[2] = "-F";
	argv[3] = hz;
	argv[4] = "-o";
	argv[5] = p->trace_file;
	argv[6] = "--";
	k = 7;
	/* The shim goes into the command, not into perftrace: env(1) sets it
	 * for the traced process only (perftrace must not be measured, and a
	 * sanitizer build of it refuses preloads). */
	if (p->shim_lib) {
		const char *old = getenv("LD_PRELOAD");

		shim_dir = out_path(p->raw_dir, "deep");
		preload = old && *old ? xasprintf("LD_PRELOAD=%s %s", p->shim_lib, old)
				      : xasprintf("LD_PRELOAD=%s", p->shim_lib);
		out = xasprintf("PERFSHIM_OUT=%s", shim_dir);
		argv[k++] = "env";
		argv[k++] = preload;
		argv[k++] = out;
	}
	for (int i = 0; i < n; i++)
		argv[k++] = p->argv[i];
	saved = p->shim_lib;
	p->shim_lib = NULL;
	ret = prof_exec(p, &p->deep, "deep", argv);
	p->shim_lib = saved;
	free(argv);
	free(preload);
	free(out);
	free(shim_dir);
	if (ret < 0 && !p->deep.st.started) {
		p->trace_problem =
		    xasprintf("perftrace could not start: %s", strerror(p->deep.st.exec_errno));
		error_msg("%s", p->trace_problem);
		return 3;
	}
	p->have_deep = 1;
	if (p->deep.st.interrupted)
		return 130;
	if (!run_ok(&p->deep.st)) {
		char *tail = run_tail(p->deep.log, 5);
		const char *why = refusal_reason(tail);
		char *last = strrchr(tail, '\n') ? strrchr(tail, '\n') + 1 : tail;

		if (why)
			p->trace_problem = xasprintf("%s: %s", why, last);
		else
			p->trace_problem =
			    xasprintf("the run under perftrace failed (%s): %s",
				      run_status_str(&p->deep.st, p->o.timeout_s), last);
		error_msg("deep profile impossible, %s; the map holds the baseline data only",
			  p->trace_problem);
		free(tail);
		return 3;
	}
	metrics_from_run(&p->deep.m, &p->deep.st, &p->deep.shim, p->shim_problem, -1, NULL);
	if (p->stats[M_WALL_MS].valid && p->stats[M_WALL_MS].median > 0)
		p->tracer_overhead_pct = (p->deep.m.v[M_WALL_MS] - p->stats[M_WALL_MS].median) /
					 p->stats[M_WALL_MS].median * 100.0;
	{
		char *json = out_path(p->raw_dir, "deep.trace.json");
		char *args[] = {p->perftrace, "report", "-i", p->trace_file, "--format",
				"json",	      "-o",	json, NULL};

		int err = 0;

		if (tracer_tool(p, args, "report json") == 0) {
			p->trace = jload(json, &err);
			if (!p->trace)
				p->trace_problem =
				    xasprintf("cannot read perftrace's JSON report %s: %s", json,
					      err == -EINVAL
						  ? "not JSON, or nested deeper than cJSON's limit "
						    "of 1000 levels"
						  : strerror(-err));
		} else {
			p->trace_problem = xstrdup("perftrace report --format json failed");
		}
		if (!p->trace) {
			error_msg(
			    "deep profile impossible, %s; the map holds the baseline data only",
			    p->trace_problem);
			free(json);
			return 3;
		}
		free(json);
	}
	trace_index(p);
	/* Now, before instrumentation may rebuild the program: perftrace
	 * symbolizes from the binaries, which must be the ones it sampled. */
	if (deep_export(p, "folded", "stacks.folded", NULL) < 0)
		prof_concern(p, "perftrace could not write stacks.folded");
	if (deep_export(p, "svg", "flamegraph.svg", NULL) < 0) {
		struct strbuf sb = STRBUF_INIT;

		if (flame_svg(p, &sb, 1) == 0) {
			char *path = out_path(p->out_dir, "flamegraph.svg");

			if (out_write(path, sb.buf, sb.len) < 0)
				prof_concern(p, "cannot write %s", path);
			free(path);
		}
		sb_free(&sb);
	}
	return 0;
}

/* Has perftrace render format into raw/, then copies it to the output
 * directory safely.  *text gets the contents when text != NULL.  0, or
 * -ENOENT without a profile, -EIO when perftrace failed, -errno of the
 * copy. */
int deep_export(struct prof *p, const char *format, const char *dest_name, char **text)
{
	char *tmp, *dest, *data = NULL, label[40];
	size_t len = 0;
	int ret = -EIO;

	if (!p->trace_file || !p->trace)
		return -ENOENT;
	tmp = xasprintf("%s/deep.%s", p->raw_dir, format);
	dest = out_path(p->out_dir, dest_name);
	snprintf(label, sizeof(label), "report %s", format);
	{
		char *args[] = {p->perftrace,	"report", "-i", p->trace_file, "--format",
				(char *)format, "-o",	  tmp,	NULL};

		if ((ret = tracer_tool(p, args, label)) < 0)
			goto out;
		ret = -EIO;
	}
	{
		FILE *f = fopen(tmp, "re");
		struct strbuf_local {
			char *b;
			size_t n;
		} s = {NULL, 0};

		if (!f)
			goto out;
		{
			char buf[65536];
			size_t k;

			while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
				char *nb = realloc(s.b, s.n + k + 1);

				if (!nb)
					error_msg_and_die("out of memory");
				s.b = nb;
				memcpy(s.b + s.n, buf, k);
				s.n += k;
				s.b[s.n] = 0;
			}
		}
		fclose(f);
		data = s.b;
		len = s.n;
	}
	if (!data)
		goto out;
	if ((ret = out_write(dest, data, len)) < 0)
		goto out;
	if (text) {
		*text = data;
		data = NULL;
	}
out:
	free(data);
	free(tmp);
	free(dest);
	return ret;
}

/* Level 2 of the seed's hierarchy: per-line shares of one function
 * (*text, malloc'd).  0, -ENOENT without a sample file, -EIO when
 * perftrace annotate failed. */
int deep_annotate(struct prof *p, const char *function, char **text)
{
	int ret = -EIO;
	char *args[] = {p->perftrace, "annotate", "-i", p->trace_file, (char *)function, NULL};
	struct prof_run r;
	char *saved = p->shim_lib;

	*text = NULL;
	if (!p->trace_file)
		return -ENOENT;
	p->shim_lib = NULL;
	if (prof_exec(p, &r, "annotate", args) == 0 && run_ok(&r.st)) {
		*text = run_tail(r.log, 400);
		ret = 0;
	}
	p->shim_lib = saved;
	prof_run_free(&r);
	return ret;
}
