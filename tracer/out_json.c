/*
 * perftrace report --format json: the machine-readable report the driver
 * reads (fields and units in docs/perftrace.md, "JSON report").
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "report.h"

static cJSON *states_obj(const uint64_t *st)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; i < TS_NR; i++)
		cJSON_AddNumberToObject(o, state_names[i], (double)st[i]);
	return o;
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_func_id(cJSON *o, const struct rfunc *f)
{
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "module", module_name(f->mod));
	add_str_or_null(o, "file", f->file);
	if (f->line > 0)
		cJSON_AddNumberToObject(o, "line", f->line);
	else
		cJSON_AddNullToObject(o, "line");
}

static double round2(double v)
{
	return (double)(long long)(v * 100 + 0.5) / 100;
}

/*
 * Each tree level nests two JSON values (the node, its children array);
 * cJSON and most other parsers refuse nesting deeper than 1000, so the tree
 * stops at TREE_MAX_DEPTH levels and marks where (totals stay whole).
 */
#define TREE_MAX_DEPTH 480

static cJSON *tree_node(const struct profile *p, const struct agg *a, uint32_t idx, int depth)
{
	const struct tnode *n = &a->nodes[idx];
	cJSON *o = cJSON_CreateObject(), *kids;
	char label[512];

	if (n->func != UINT32_MAX) {
		add_func_id(o, &p->funcs[n->func]);
	} else {
		node_label(p, n, label, sizeof(label));
		cJSON_AddStringToObject(o, "name", label);
		cJSON_AddStringToObject(o, "kind", n->parent == UINT32_MAX ? "root" : "process");
		if (n->parent != UINT32_MAX)
			cJSON_AddNumberToObject(o, "pid", n->pid);
	}
	cJSON_AddNumberToObject(o, "self_samples", (double)n->self);
	cJSON_AddNumberToObject(o, "total_samples", (double)n->total);
	cJSON_AddItemToObject(o, "states", states_obj(n->states));
	kids = cJSON_AddArrayToObject(o, "children");
	if (depth >= TREE_MAX_DEPTH && n->first_child != UINT32_MAX) {
		cJSON_AddBoolToObject(o, "children_omitted", 1);
		return o;
	}
	/* heaviest first */
	{
		size_t k = 0, cnt = 0;
		uint32_t *order;

		for (uint32_t c = n->first_child; c != UINT32_MAX; c = a->nodes[c].next_sibling)
			cnt++;
		order = malloc((cnt + 1) * sizeof(*order));
		if (!order)
			return o;
		for (uint32_t c = n->first_child; c != UINT32_MAX; c = a->nodes[c].next_sibling)
			order[k++] = c;
		for (size_t i = 1; i < cnt; i++) {
			uint32_t v = order[i];
			size_t j = i;

			while (j > 0 && a->nodes[order[j - 1]].total < a->nodes[v].total) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = v;
		}
		for (size_t i = 0; i < cnt; i++)
			cJSON_AddItemToArray(kids, tree_node(p, a, order[i], depth + 1));
		free(order);
	}
	return o;
}

static cJSON *processes(const struct profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < p->nprocs; i++) {
		const struct rproc *pr = &p->procs[i];
		cJSON *o = cJSON_CreateObject(), *av;

		cJSON_AddNumberToObject(o, "pid", pr->pid);
		cJSON_AddNumberToObject(o, "ppid", pr->ppid);
		add_str_or_null(o, "exe", pr->exe);
		add_str_or_null(o, "comm", pr->comm);
		av = cJSON_AddArrayToObject(o, "argv");
		for (uint32_t k = 0; k < pr->argc; k++)
			cJSON_AddItemToArray(av, cJSON_CreateString(pr->argv[k]));
		cJSON_AddNumberToObject(o, "execs", pr->image);
		cJSON_AddNumberToObject(o, "samples", (double)pr->samples);
		cJSON_AddNumberToObject(o, "start_ns", (double)pr->start_ns);
		if (pr->ended)
			cJSON_AddNumberToObject(o, "end_ns", (double)pr->end_ns);
		else
			cJSON_AddNullToObject(o, "end_ns");
		if (pr->ended && pr->status != -1 && WIFEXITED(pr->status))
			cJSON_AddNumberToObject(o, "exit_status", WEXITSTATUS(pr->status));
		else
			cJSON_AddNullToObject(o, "exit_status");
		if (pr->ended && pr->status != -1 && WIFSIGNALED(pr->status))
			cJSON_AddNumberToObject(o, "exit_signal", WTERMSIG(pr->status));
		else
			cJSON_AddNullToObject(o, "exit_signal");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *threads(const struct profile *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < p->nthreads; i++) {
		const struct rthread *t = &p->threads[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "tid", t->tid);
		cJSON_AddNumberToObject(o, "pid", t->pid);
		cJSON_AddStringToObject(o, "comm", t->comm);
		cJSON_AddNumberToObject(o, "samples", (double)t->samples);
		cJSON_AddNumberToObject(o, "duration_ns", (double)(t->end_ns - t->start_ns));
		cJSON_AddNumberToObject(o, "start_ns", (double)t->start_ns);
		cJSON_AddNumberToObject(o, "end_ns", (double)t->end_ns);
		cJSON_AddNumberToObject(o, "lost", (double)t->lost);
		cJSON_AddItemToObject(o, "states", states_obj(t->states));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *functions(const struct profile *p, const struct agg *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct rfunc *f = &p->funcs[a->by_total[i]];
		cJSON *o;

		if (!f->total)
			continue;
		o = cJSON_CreateObject();
		add_func_id(o, f);
		cJSON_AddNumberToObject(o, "self_samples", (double)f->self);
		cJSON_AddNumberToObject(o, "total_samples", (double)f->total);
		cJSON_AddNumberToObject(o, "self_pct", round2(pct(f->self, a->samples)));
		cJSON_AddNumberToObject(o, "total_pct", round2(pct(f->total, a->samples)));
		cJSON_AddBoolToObject(o, "system", f->system);
		cJSON_AddItemToObject(o, "states", states_obj(f->states));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *waits(const struct profile *p, const struct agg *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < a->nws; i++) {
		const struct wsum *w = &a->ws[i];
		const struct rwait *rw = profile_wait(p, w->wait_id);
		cJSON *o = cJSON_CreateObject(), *fa;

		if (!rw) {
			cJSON_Delete(o);
			continue;
		}
		cJSON_AddStringToObject(o, "kind", state_names[rw->state]);
		cJSON_AddStringToObject(o, "target", rw->target);
		cJSON_AddNumberToObject(o, "samples", (double)w->samples);
		cJSON_AddNumberToObject(o, "pct", round2(pct(w->samples, a->samples)));
		fa = cJSON_AddArrayToObject(o, "functions");
		for (size_t k = 0; k < w->ntop && k < 10; k++) {
			cJSON *fo = cJSON_CreateObject();

			if (w->top[k]->func != UINT32_MAX)
				add_func_id(fo, &p->funcs[w->top[k]->func]);
			cJSON_AddNumberToObject(fo, "samples", (double)w->top[k]->samples);
			cJSON_AddItemToArray(fa, fo);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int report_json(FILE *f, struct profile *p, struct agg *a, const struct report_opts *opts)
{
	cJSON *root = cJSON_CreateObject(), *tr, *st, *pa;
	const char *probs[64];
	char pbuf[16384];
	size_t np = report_problems(p, probs, 64, pbuf, sizeof(pbuf));
	char *text;
	int err = 0;

	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "format", "perftrace-report");
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "input", opts->input);
	cJSON_AddNumberToObject(root, "file_version", p->hdr.version);
	cJSON_AddBoolToObject(root, "complete", !p->truncated && !p->malformed);
	cJSON_AddBoolToObject(root, "truncated", p->truncated);
	cJSON_AddBoolToObject(root, "damaged", p->malformed);
	pa = cJSON_AddArrayToObject(root, "problems");
	for (size_t i = 0; i < np; i++)
		cJSON_AddItemToArray(pa, cJSON_CreateString(probs[i]));
	cJSON_AddStringToObject(root, "mode", p->hdr.flags & TF_F_LAUNCH ? "launch" : "attach");
	cJSON_AddBoolToObject(root, "floor", !!(p->hdr.flags & TF_F_FLOOR));
	cJSON_AddNumberToObject(root, "requested_hz", p->hdr.hz);
	/* how the launched command ended, as perftrace's own exit status also says */
	{
		cJSON *c = cJSON_AddObjectToObject(root, "command");
		int wst = p->end.exit_status,
		    known = !p->truncated && (p->hdr.flags & TF_F_LAUNCH) && wst != -1;

		if (known && WIFEXITED(wst))
			cJSON_AddNumberToObject(c, "exit_status", WEXITSTATUS(wst));
		else
			cJSON_AddNullToObject(c, "exit_status");
		if (known && WIFSIGNALED(wst))
			cJSON_AddNumberToObject(c, "exit_signal", WTERMSIG(wst));
		else
			cJSON_AddNullToObject(c, "exit_signal");
		cJSON_AddStringToObject(c, "end",
					p->truncated			 ? "unknown"
					: p->end.reason == TFE_SIGNALLED ? "perftrace stopped"
					: p->end.reason == TFE_DURATION	 ? "duration elapsed"
									 : "exited");
	}
	cJSON_AddNumberToObject(root, "sample_period_ns", (double)(uint64_t)(a->period_ns + 0.5));
	cJSON_AddNumberToObject(root, "duration_ns", (double)a->duration_ns);
	cJSON_AddNumberToObject(root, "samples", (double)a->samples);
	cJSON_AddItemToObject(root, "states", states_obj(a->states));
	tr = cJSON_AddObjectToObject(root, "tracer");
	st = cJSON_AddObjectToObject(tr, "stop_ns");
	cJSON_AddNumberToObject(st, "median", (double)a->stop_median_ns);
	cJSON_AddNumberToObject(st, "p99", (double)a->stop_p99_ns);
	cJSON_AddNumberToObject(st, "max", (double)a->stop_max_ns);
	cJSON_AddNumberToObject(st, "mean", (double)(uint64_t)(a->stop_mean_ns + 0.5));
	st = cJSON_AddObjectToObject(tr, "hold_ns");
	cJSON_AddNumberToObject(st, "median", (double)a->hold_median_ns);
	cJSON_AddNumberToObject(st, "p99", (double)a->hold_p99_ns);
	cJSON_AddNumberToObject(tr, "samples_late", (double)a->late);
	cJSON_AddNumberToObject(tr, "samples_lost", (double)a->lost);
	cJSON_AddNumberToObject(tr, "stacks_truncated", (double)a->truncated_stacks);
	cJSON_AddNumberToObject(tr, "calls_restarted", (double)a->restarted);
	cJSON_AddNumberToObject(tr, "samples_repeated", (double)a->repeated);
	cJSON_AddItemToObject(root, "processes", processes(p));
	cJSON_AddItemToObject(root, "threads", threads(p));
	cJSON_AddItemToObject(root, "functions", functions(p, a));
	cJSON_AddItemToObject(root, "waits", waits(p, a));
	cJSON_AddItemToObject(root, "tree", tree_node(p, a, 0, 0));
	text = cJSON_PrintBuffered(root, 1 << 16, 1);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
		err = -EIO;
	free(text);
	return err;
}
