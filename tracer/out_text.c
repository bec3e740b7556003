/*
 * perftrace report --format text: for people.  The top functions by self and
 * by total samples, each with the share of its samples spent in each state,
 * what blocked threads waited on, the processes, the tracer's own cost, and
 * with --threads the same per thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"

static void fmt_ns(char *buf, size_t len, double ns)
{
	if (ns >= 1e9)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%.0f ns", ns);
}

static void func_row(FILE *f, const struct rfunc *fn, uint64_t samples)
{
	fprintf(f, "  %6.2f %7.2f %8llu ", pct(fn->self, samples), pct(fn->total, samples),
		(unsigned long long)fn->total);
	for (int s = 0; s < TS_NR; s++)
		fprintf(f, " %6.1f", pct(fn->states[s], fn->total));
	fprintf(f, "  %s (%s)", fn->name, module_name(fn->mod));
	if (fn->file)
		fprintf(f, " %s:%d", fn->file, fn->line);
	fputc('\n', f);
}

static void func_table(FILE *f, const struct profile *p, const struct agg *a, const uint32_t *order,
		       const char *title, int top, int by_self)
{
	fprintf(f, "\n%s\n   self%%  total%%  samples ", title);
	for (int s = 0; s < TS_NR; s++)
		fprintf(f, " %6.6s", state_names[s]);
	fprintf(f, "  function (module) file:line\n");
	for (size_t i = 0, shown = 0; i < p->nfuncs && (int)shown < top; i++) {
		const struct rfunc *fn = &p->funcs[order[i]];

		if (!(by_self ? fn->self : fn->total))
			break;
		func_row(f, fn, a->samples);
		shown++;
	}
}

static void waits_table(FILE *f, const struct profile *p, const struct agg *a, int top)
{
	if (!a->nws)
		return;
	fprintf(f, "\nBlocked samples by what they waited on (%% of all samples):\n");
	for (size_t i = 0; i < a->nws && (int)i < top; i++) {
		const struct wsum *w = &a->ws[i];
		const struct rwait *rw = profile_wait(p, w->wait_id);

		if (!rw)
			continue;
		fprintf(f, "  %6.2f%%  %-8s %s\n", pct(w->samples, a->samples),
			state_names[rw->state], rw->target);
		for (size_t k = 0; k < w->ntop && k < 3; k++) {
			const struct wfunc *wf = w->top[k];

			if (wf->func == UINT32_MAX)
				continue;
			fprintf(f, "             %5.1f%% in %s\n", pct(wf->samples, w->samples),
				p->funcs[wf->func].name);
		}
	}
}

static void processes(FILE *f, const struct profile *p)
{
	fprintf(f, "\nProcesses:\n     pid    ppid  samples  exit     command\n");
	for (size_t i = 0; i < p->nprocs; i++) {
		const struct rproc *pr = &p->procs[i];
		char st[32] = "-";

		if (pr->ended && pr->status != -1 && WIFEXITED(pr->status))
			snprintf(st, sizeof(st), "%d", WEXITSTATUS(pr->status));
		else if (pr->ended && pr->status != -1 && WIFSIGNALED(pr->status))
			snprintf(st, sizeof(st), "sig %d", WTERMSIG(pr->status));
		fprintf(f, "  %6u  %6u %8llu  %-7s ", pr->pid, pr->ppid,
			(unsigned long long)pr->samples, st);
		for (uint32_t k = 0; k < pr->argc && k < 8; k++)
			fprintf(f, " %s", pr->argv[k]);
		if (pr->argc > 8)
			fprintf(f, " ...");
		fputc('\n', f);
	}
}

/* Per thread: its states and its top functions by self samples. */
static int thread_sections(FILE *f, struct profile *p, int top)
{
	uint64_t *self = calloc(p->nfuncs + 1, sizeof(*self));
	uint32_t *order = malloc((p->nfuncs + 1) * sizeof(*order));
	struct rframe *scratch = NULL;
	size_t scap = 0;

	if (!self || !order) {
		free(self);
		free(order);
		return -ENOMEM;
	}
	for (size_t ti = 0; ti < p->nthreads; ti++) {
		const struct rthread *t = &p->threads[ti];
		char dur[32];
		size_t n = 0;

		memset(self, 0, p->nfuncs * sizeof(*self));
		for (size_t i = 0; i < p->nsamples; i++) {
			const struct rsample *s = &p->samples[i];
			const struct rframe *st;

			if (s->tid == t->tid && s->pid == t->pid &&
			    profile_stack(p, s, &st, &scratch, &scap) > 0)
				self[st[0].func]++;
		}
		fmt_ns(dur, sizeof(dur), (double)(t->end_ns - t->start_ns));
		fprintf(f, "\nThread %u (%s) of process %u: %llu samples over %s;", t->tid, t->comm,
			t->pid, (unsigned long long)t->samples, dur);
		for (int s = 0; s < TS_NR; s++)
			if (t->states[s])
				fprintf(f, " %s %.1f%%", state_names[s],
					pct(t->states[s], t->samples));
		fputc('\n', f);
		for (uint32_t i = 0; i < p->nfuncs; i++)
			if (self[i])
				order[n++] = i;
		/* a short selection sort: only the top rows matter */
		for (size_t i = 0; i < n && (int)i < top; i++) {
			size_t best = i;

			for (size_t j = i + 1; j < n; j++)
				if (self[order[j]] > self[order[best]])
					best = j;
			uint32_t tmp = order[i];
			order[i] = order[best];
			order[best] = tmp;
			fprintf(f, "  %6.2f%% %8llu  %s (%s)\n", pct(self[order[i]], t->samples),
				(unsigned long long)self[order[i]], p->funcs[order[i]].name,
				module_name(p->funcs[order[i]].mod));
		}
	}
	free(scratch);
	free(self);
	free(order);
	return 0;
}

int report_text(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o)
{
	const char *probs[64];
	char pbuf[16384], period[32], dur[32], med[32], p99[32], mx[32], hmed[32], hp99[32];
	size_t np = report_problems(p, probs, 64, pbuf, sizeof(pbuf));
	int top = o->top > 0 ? o->top : 25;

	fmt_ns(period, sizeof(period), a->period_ns);
	fmt_ns(dur, sizeof(dur), (double)a->duration_ns);
	fmt_ns(med, sizeof(med), (double)a->stop_median_ns);
	fmt_ns(p99, sizeof(p99), (double)a->stop_p99_ns);
	fmt_ns(mx, sizeof(mx), (double)a->stop_max_ns);
	fmt_ns(hmed, sizeof(hmed), (double)a->hold_median_ns);
	fmt_ns(hp99, sizeof(hp99), (double)a->hold_p99_ns);
	fprintf(f, "perftrace report of %s (%s)\n", o->input,
		p->malformed   ? "damaged"
		: p->truncated ? "truncated"
			       : "complete");
	for (size_t i = 0; i < np; i++)
		fprintf(f, "warning: %s\n", probs[i]);
	fprintf(f,
		"%s, %u Hz per thread requested, one sample per %s measured; %s, "
		"%zu processes, %zu threads, %llu samples\n",
		p->hdr.flags & TF_F_LAUNCH ? "launched" : "attached", p->hdr.hz, period, dur,
		p->nprocs, p->nthreads, (unsigned long long)a->samples);
	fprintf(f, "states:");
	for (int s = 0; s < TS_NR; s++)
		fprintf(f, " %s %.1f%%", state_names[s], pct(a->states[s], a->samples));
	fprintf(f,
		"\ntracer: each sample held its thread %s (median), %s (p99), %s (max), "
		"of which perftrace's own work (registers, stack copy) took %s (median), %s (p99); "
		"%llu late, %llu lost, %llu stacks truncated, %llu calls restarted, %llu samples "
		"repeated without a stop\n",
		med, p99, mx, hmed, hp99, (unsigned long long)a->late, (unsigned long long)a->lost,
		(unsigned long long)a->truncated_stacks, (unsigned long long)a->restarted,
		(unsigned long long)a->repeated);
	if (!a->samples) {
		fprintf(f, "\nno samples\n");
		return ferror(f) ? -EIO : 0;
	}
	func_table(f, p, a, a->by_self,
		   "Top functions by self samples (state columns: % of the "
		   "function's samples):",
		   top, 1);
	func_table(f, p, a, a->by_total, "Top functions by total samples:", top, 0);
	waits_table(f, p, a, top);
	processes(f, p);
	if (o->threads && thread_sections(f, p, top) < 0)
		return -ENOMEM;
	return ferror(f) ? -EIO : 0;
}
