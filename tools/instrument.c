/*
 * Phase 3, steps 2 and 3: the escalation decision of the seed, and the
 * targeted instrumentation.  Wrappers go in with perfinject on the target
 * function, the hottest functions of the sampled tree and the functions of
 * unresolved suspicions; the counted runs are repeated and the shim's spans
 * give per-function medians.  The wrappers stay in place (listed in
 * instrumented_files) until `perfinject --clean`; if they break the test
 * they are removed at once and the non-invasive data is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jget.h"
#include "metrics.h"
#include "outfile.h"
#include "phases.h"
#include "strbuf.h"
#include "trace.h"

#define OVERHEAD_MAX_PCT 20.0
#define MAX_TARGETS	 8

/* Runs perfinject with args (its output in *out_text when not NULL).  0, or
 * -EIO when it failed (p->inject_problem says why), or the error of
 * starting it. */
static int run_inject(struct prof *p, char **args, const char *label, char **out_text)
{
	struct prof_run r;
	char *saved = p->shim_lib;
	int ok;

	p->shim_lib = NULL;
	if ((ok = prof_exec(p, &r, label, args)) < 0) {
		p->shim_lib = saved;
		prof_run_free(&r);
		return ok;
	}
	p->shim_lib = saved;
	ok = run_ok(&r.st);
	if (out_text)
		*out_text = run_tail(r.log, 2000);
	if (!ok) {
		char *tail = run_tail(r.log, 3);

		free(p->inject_problem);
		p->inject_problem = xasprintf("perfinject %s failed (%s): %s", args[1],
					      run_status_str(&r.st, p->o.timeout_s), tail);
		free(tail);
	}
	prof_run_free(&r);
	return ok ? 0 : -EIO;
}

/* "file:function" for a node the trace knows the file of, inside the
 * project; NULL otherwise. */
static char *target_of(const struct prof *p, const struct tnode *n)
{
	char *abs, *real;
	size_t rl = strlen(p->root);
	int inside;

	if (!n || !n->file || !n->name || !n->module)
		return NULL;
	{
		/* the C library's and the shim's functions are not ours to wrap */
		const char *m = strrchr(n->module, '/') ? strrchr(n->module, '/') + 1 : n->module;

		if ((!strncmp(m, "lib", 3) && strstr(m, ".so")) || !strncmp(m, "ld-linux", 8))
			return NULL;
	}
	abs = n->file[0] == '/' ? xstrdup(n->file) : out_path(p->root, n->file);
	real = realpath(abs, NULL);
	free(abs);
	inside = real && !strncmp(real, p->root, rl) && real[rl] == '/';
	if (!inside) {
		free(real);
		return NULL;
	}
	abs = xasprintf("%s:%s", real + rl + 1, n->name);
	free(real);
	return abs;
}

static int add_target(char **t, int n, char *s)
{
	if (!s)
		return n;
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i], s)) {
			free(s);
			return n;
		}
	if (n >= MAX_TARGETS) {
		free(s);
		return n;
	}
	t[n] = s;
	return n + 1;
}

static void collect_hot(const struct tnode *n, const struct tnode **best, int nb)
{
	const char *m =
	    n->module ? (strrchr(n->module, '/') ? strrchr(n->module, '/') + 1 : n->module) : "";
	int sys = (!strncmp(m, "lib", 3) && strstr(m, ".so")) || !strncmp(m, "ld-linux", 8);

	if (n->parent && n->file && !sys && strcmp(n->name, "main")) {
		for (int i = 0; i < nb; i++) {
			if (!best[i] || n->total > best[i]->total) {
				for (int k = nb - 1; k > i; k--)
					best[k] = best[k - 1];
				best[i] = n;
				break;
			}
			if (!strcmp(best[i]->name, n->name))
				break;
		}
	}
	for (int i = 0; i < n->nkids; i++)
		collect_hot(n->kids[i], best, nb);
}

/* What perfinject --status lists (JSON when it gives it, else lines). */
static void read_status(struct prof *p, char **asked, int nasked)
{
	char *args[] = {p->perfinject, "--root", p->root, "--status", "--json", NULL};
	char *text = NULL;
	cJSON *j = NULL, *arr, *it;

	if (run_inject(p, args, "inject status", &text) == 0 && text)
		j = cJSON_Parse(text);
	arr = j ? (cJSON_IsArray(j) ? j : jget(j, "files")) : NULL;
	cJSON_ArrayForEach(it, arr)
	{
		const char *f =
		    cJSON_IsString(it) ? it->valuestring : jstr(it, "path", jstr(it, "file", NULL));
		const char *state = cJSON_IsString(it) ? "injected" : jstr(it, "state", "injected");

		/* only files that hold wrappers now */
		if (!f || (strcmp(state, "injected") && strcmp(state, "edited")))
			continue;
		p->instrumented =
		    realloc(p->instrumented, sizeof(char *) * (size_t)(p->ninstrumented + 1));
		if (!p->instrumented)
			error_msg_and_die("out of memory");
		p->instrumented[p->ninstrumented++] = xstrdup(f);
	}
	if (!p->ninstrumented) {
		/* No machine-readable status: the files we asked for. */
		for (int i = 0; i < nasked; i++) {
			char *f = xstrdup(asked[i]), *c = strrchr(f, ':');
			int dup = 0;

			if (c)
				*c = 0;
			for (int k = 0; k < p->ninstrumented; k++)
				dup |= !strcmp(p->instrumented[k], f);
			if (dup) {
				free(f);
				continue;
			}
			p->instrumented = realloc(p->instrumented,
						  sizeof(char *) * (size_t)(p->ninstrumented + 1));
			if (!p->instrumented)
				error_msg_and_die("out of memory");
			p->instrumented[p->ninstrumented++] = f;
		}
	}
	if (j && jstr(j, "python_path", NULL) && !p->inject_pypath)
		p->inject_pypath = xstrdup(jstr(j, "python_path", NULL));
	cJSON_Delete(j);
	free(text);
}

struct span_acc {
	char *name, *file;
	char *service; /* the process that ran it (its service name), or NULL */
	int line;
	double total[256], self[256], calls[256];
	double min_ns, max_ns;
};

static void collect_spans(struct prof *p)
{
	struct span_acc *acc = NULL;
	int nacc = 0;

	for (int r = 0; r < p->ninst && r < 256; r++) {
		const struct shim_set *s = &p->inst[r].shim;
		cJSON *lists[512];
		const struct shim_proc *owner[512];
		int nl = 0;

		for (int i = 0; i < s->n && nl < 512; i++) {
			owner[nl] = &s->p[i];
			lists[nl++] = jget(s->p[i].j, "spans");
		}
		for (int i = 0; i < s->npyspans && nl < 512; i++) {
			owner[nl] = shim_find_pid(s, (int)jnum(s->pyspans[i], "pid", 0));
			lists[nl++] = jget(s->pyspans[i], "spans");
		}
		for (int l = 0; l < nl; l++) {
			const cJSON *sp;

			cJSON_ArrayForEach(sp, lists[l])
			{
				const char *name = jstr(sp, "name", "?");
				struct span_acc *a = NULL;

				for (int k = 0; k < nacc; k++)
					if (!strcmp(acc[k].name, name))
						a = &acc[k];
				if (!a) {
					acc = realloc(acc, sizeof(*acc) * (size_t)(nacc + 1));
					if (!acc)
						error_msg_and_die("out of memory");
					a = &acc[nacc++];
					memset(a, 0, sizeof(*a));
					a->name = xstrdup(name);
					a->file = xstrdup(jstr(sp, "file", ""));
					a->line = (int)jnum(sp, "line", 0);
					a->min_ns = -1;
				}
				/* a fork child lists its parent's sites, unused */
				if (jnum(sp, "calls", 0) <= 0)
					continue;
				if (!a->service && owner[l])
					a->service = xstrdup(shim_service_name(s, owner[l]));
				a->total[r] += jnum(sp, "total_ns", 0);
				a->self[r] += jnum(sp, "self_ns", 0);
				a->calls[r] += jnum(sp, "calls", 0);
				if (a->min_ns < 0 || jnum(sp, "min_ns", 0) < a->min_ns)
					a->min_ns = jnum(sp, "min_ns", 0);
				if (jnum(sp, "max_ns", 0) > a->max_ns)
					a->max_ns = jnum(sp, "max_ns", 0);
			}
		}
	}
	p->span_stats = cJSON_CreateArray();
	for (int k = 0; k < nacc; k++) {
		cJSON *o = cJSON_CreateObject();
		int n = p->ninst > 256 ? 256 : p->ninst;

		cJSON_AddStringToObject(o, "function", acc[k].name);
		{
			char *loc = acc[k].line ? xasprintf("%s:%d", acc[k].file, acc[k].line)
						: xstrdup(acc[k].file);

			cJSON_AddStringToObject(o, "location", loc);
			free(loc);
		}
		jadd_round(o, "calls_median", stat_median(acc[k].calls, n), 1);
		jadd_round(o, "total_ms_median", stat_median(acc[k].total, n) / 1e6, 3);
		jadd_round(o, "self_ms_median", stat_median(acc[k].self, n) / 1e6, 3);
		jadd_round(o, "min_call_ms", acc[k].min_ns / 1e6, 4);
		jadd_round(o, "max_call_ms", acc[k].max_ns / 1e6, 4);
		cJSON_AddNumberToObject(o, "runs", n);
		if (acc[k].service)
			cJSON_AddStringToObject(o, "service", acc[k].service);
		free(acc[k].service);
		cJSON_AddItemToArray(p->span_stats, o);
		free(acc[k].name);
		free(acc[k].file);
	}
	free(acc);
}

static void clean_wrappers(struct prof *p)
{
	char *args[] = {p->perfinject, "--root", p->root, "--clean", NULL};

	if (run_inject(p, args, "inject clean", NULL) < 0)
		error_msg("perfinject --clean failed: wrappers may remain, see %s", p->raw_dir);
	for (int i = 0; i < p->ninstrumented; i++)
		free(p->instrumented[i]);
	p->ninstrumented = 0;
}

/* Level 2 and 3 of the hierarchy, which need no code change. */
static void escalate_levels(struct prof *p, struct strbuf *why)
{
	const struct tindex *t = trace_get(p);
	const struct tnode *best[1] = {NULL};

	if (t && t->root) {
		double share;

		collect_hot(t->root, best, 1);
		if (best[0] && (tnode_dominant(best[0], &share), share < 0.7)) {
			char *text = NULL;

			sb_printf(why,
				  "hotspot %s mixes states (largest %.0f%%): level 2, per-line "
				  "annotate; ",
				  best[0]->name, share * 100);
			if (deep_annotate(p, best[0]->name, &text) == 0 && text) {
				p->line_profile = cJSON_CreateObject();
				cJSON_AddStringToObject(p->line_profile, "function", best[0]->name);
				cJSON_AddStringToObject(p->line_profile, "annotate", text);
			}
			free(text);
		}
	}
	{
		const struct metric_stats *d = &p->stats[M_MEM_DELTA_MB];
		const struct metric_stats *h = &p->stats[M_HEAP_PEAK_MB];

		if (d->valid && h->valid && h->median >= 1 && d->median >= 0.5 * h->median)
			sb_printf(why,
				  "memory abnormal (%.1f MB of a %.1f MB heap peak still held at "
				  "exit): level 3, allocation sites from the shim; ",
				  d->median, h->median);
	}
}

int phase_instrument(struct prof *p)
{
	struct strbuf why = STRBUF_INIT;
	char *targets[MAX_TARGETS];
	int nt = 0, unresolved = 0, want = p->o.instrument;

	for (int i = 0; i < p->nsus; i++)
		unresolved += p->sus[i].confirmed && !p->sus[i].instrument_fn;
	escalate_levels(p, &why);
	if (p->o.instrument)
		sb_puts(&why, "--instrument given; ");
	if (!p->trace) {
		sb_printf(&why, "no sampled profile (%s): targeted instrumentation; ",
			  p->trace_problem ? p->trace_problem : "none");
		want = 1;
	} else if (p->tracer_overhead_pct > OVERHEAD_MAX_PCT) {
		sb_printf(&why,
			  "tracer overhead %.0f%% > %.0f%% of wall time: targeted "
			  "instrumentation; ",
			  p->tracer_overhead_pct, OVERHEAD_MAX_PCT);
		want = 1;
	} else if (unresolved >= 2) {
		sb_printf(&why,
			  "%d confirmed suspicions without a function: targeted "
			  "instrumentation; ",
			  unresolved);
		want = 1;
	}
	if (!want) {
		sb_puts(&why, "hotspot identified with its cause: no instrumentation");
		p->escalation = sb_detach(&why);
		return 0;
	}
	/* what to wrap */
	if (p->o.target)
		nt = add_target(targets, nt, xstrdup(p->o.target));
	{
		const struct tindex *t = trace_get(p);
		const struct tnode *hot[3] = {NULL, NULL, NULL};

		if (t && t->root)
			collect_hot(t->root, hot, 3);
		for (int i = 0; i < 3; i++)
			nt = add_target(targets, nt, target_of(p, hot[i]));
		for (int i = 0; i < p->nsus; i++)
			if (p->sus[i].confirmed && p->sus[i].instrument_fn)
				nt = add_target(
				    targets, nt,
				    target_of(p, trace_find(t, p->sus[i].instrument_fn, 0)));
		/* Without samples, the instrumentation points come from the
		 * static analysis (seed Phase 2, Step 3): the functions the
		 * entry point calls, read from the source. */
		if (!t && p->call_chain) {
			const cJSON *c;

			cJSON_ArrayForEach(c, jget(p->call_chain, "calls"))
			{
				const char *loc = jstr(c, "location", NULL);
				const char *colon = loc ? strrchr(loc, ':') : NULL;

				if (colon)
					nt = add_target(targets, nt,
							xasprintf("%.*s:%s", (int)(colon - loc),
								  loc, jstr(c, "function", "?")));
			}
		}
	}
	if (!p->perfinject || !nt) {
		sb_printf(&why, "%s",
			  !p->perfinject ? "perfinject not found: instrumentation skipped"
					 : "no function with a known source file to wrap");
		p->escalation = sb_detach(&why);
		return 0;
	}
	{
		char **args = calloc((size_t)nt + 4, sizeof(char *));

		if (!args)
			error_msg_and_die("out of memory");
		args[0] = p->perfinject;
		args[1] = "--root";
		args[2] = p->root;
		for (int i = 0; i < nt; i++)
			args[3 + i] = targets[i];
		prof_progress(p, "phase 3 instrumentation: perfinject on %d function(s)", nt);
		if (run_inject(p, args, "inject", NULL) < 0) {
			sb_printf(&why, "%s", p->inject_problem);
			free(args);
			p->escalation = sb_detach(&why);
			goto out;
		}
		free(args);
	}
	read_status(p, targets, nt);
	p->inst = calloc((size_t)p->o.runs, sizeof(*p->inst));
	if (!p->inst)
		error_msg_and_die("out of memory");
	for (int i = 0; i < p->o.runs; i++) {
		char label[32];

		snprintf(label, sizeof(label), "instrumented %d", i + 1);
		prof_progress(p, "  %s of %d", label, p->o.runs);
		prof_exec(p, &p->inst[i], label, NULL);
		p->ninst = i + 1;
		if (p->inst[i].st.interrupted) {
			p->escalation = sb_detach(&why);
			return 130;
		}
		if (!run_ok(&p->inst[i].st)) {
			prof_report_failure(p, &p->inst[i],
					    "instrumentation breaks the test: wrappers removed, "
					    "keeping the non-invasive data");
			clean_wrappers(p);
			sb_puts(&why, "instrumentation broke the test: reverted");
			p->escalation = sb_detach(&why);
			p->ninst = 0;
			goto out;
		}
	}
	/* The functional gate: a separate e2e test must still pass with the
	 * wrappers in (the seed: instrumentation that breaks tests is
	 * reverted). */
	if (p->e2e_command && strcmp(p->e2e_command, p->test_command)) {
		char *gate[] = {"/bin/sh", "-c", p->e2e_command, NULL};
		struct prof_run g;

		prof_progress(p, "  e2e gate: %s", p->e2e_command);
		prof_exec(p, &g, "e2e gate", gate);
		if (!run_ok(&g.st)) {
			prof_report_failure(
			    p, &g,
			    "instrumentation breaks the e2e test: wrappers removed, "
			    "keeping the non-invasive data");
			clean_wrappers(p);
			sb_puts(&why, "instrumentation broke the e2e test: reverted");
			p->escalation = sb_detach(&why);
			prof_run_free(&g);
			p->ninst = 0;
			goto out;
		}
		prof_run_free(&g);
		sb_puts(&why, "the e2e test passes with the wrappers; ");
	}
	collect_spans(p);
	{
		/* The wrappers' own cost, as the family checks it: instrumented
		 * runs within 10% of the baseline confirm it. */
		double w[256];
		int n = p->ninst > 256 ? 256 : p->ninst;

		for (int i = 0; i < n; i++)
			w[i] = (double)p->inst[i].st.wall_ns / 1e6;
		p->inst_wall_ms = stat_median(w, n);
		if (p->stats[M_WALL_MS].valid && p->stats[M_WALL_MS].median > 0) {
			double d = (p->inst_wall_ms - p->stats[M_WALL_MS].median) /
				   p->stats[M_WALL_MS].median * 100.0;

			if (d > 10.0 || d < -10.0)
				prof_concern(
				    p,
				    "CONCERNS: the instrumented runs' median wall time (%.1f ms) "
				    "is %+.0f%% off the baseline (%.1f ms)",
				    p->inst_wall_ms, d, p->stats[M_WALL_MS].median);
		}
	}
	if (!cJSON_GetArraySize(p->span_stats))
		prof_concern(p, "timing wrappers are in place but the instrumented runs reported "
				"no spans (does the test command rebuild the program?)");
	sb_printf(&why, "%d function(s) wrapped, %d instrumented runs", nt, p->ninst);
	p->escalation = sb_detach(&why);
out:
	for (int i = 0; i < nt; i++)
		free(targets[i]);
	return 0;
}
