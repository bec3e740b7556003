/*
 * From samples to what the reports print (see profile.h): per-function self
 * and total counts with their state breakdown, the call tree, what blocked
 * samples waited on and in which functions, and the tracer's own cost.
 *
 * A function's total and states count each sample once, however often the
 * function appears in it (recursion), so that total_pct never exceeds 100.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "profile.h"

static int new_node(struct agg *a, uint32_t parent, uint32_t func, uint32_t pid, uint32_t *out)
{
	struct tnode *n;

	if (a->nnodes == a->capnodes) {
		size_t cap = a->capnodes ? a->capnodes * 2 : 1024;
		struct tnode *nn = reallocarray(a->nodes, cap, sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		a->nodes = nn;
		a->capnodes = cap;
	}
	n = &a->nodes[a->nnodes];
	memset(n, 0, sizeof(*n));
	n->func = func;
	n->pid = pid;
	n->parent = parent;
	n->first_child = n->next_sibling = UINT32_MAX;
	if (parent != UINT32_MAX) {
		n->next_sibling = a->nodes[parent].first_child;
		a->nodes[parent].first_child = a->nnodes;
	}
	*out = a->nnodes++;
	return 0;
}

static int child(struct agg *a, uint32_t parent, uint32_t func, uint32_t pid, uint32_t *out)
{
	/* process nodes are keyed by pid in the upper half of the func space */
	uint64_t key = (uint64_t)parent << 32 | (func == UINT32_MAX ? (1u << 31) | pid : func);
	int err;

	if (hmap_get(&a->child_map, key, out))
		return 0;
	err = new_node(a, parent, func, pid, out);
	return err ? err : hmap_put(&a->child_map, key, *out);
}

uint32_t waiting_func(const struct profile *p, const struct rframe *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!p->funcs[st[i].func].system)
			return st[i].func;
	return n ? st[0].func : UINT32_MAX;
}

static int add_wait(struct agg *a, uint32_t wait_id, uint32_t func, uint32_t w)
{
	uint64_t key = (uint64_t)wait_id << 32 | func;
	uint32_t i;

	if (hmap_get(&a->wf_map, key, &i)) {
		a->wf[i].samples += w;
		return 0;
	}
	if (a->nwf == a->capwf) {
		size_t cap = a->capwf ? a->capwf * 2 : 64;
		struct wfunc *n = reallocarray(a->wf, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->wf = n;
		a->capwf = cap;
	}
	a->wf[a->nwf] = (struct wfunc){.wait_id = wait_id, .func = func, .samples = w};
	return hmap_put(&a->wf_map, key, a->nwf++);
}

static const struct profile *sort_p;

static int cmp_self(const void *x, const void *y)
{
	const struct rfunc *a = &sort_p->funcs[*(const uint32_t *)x];
	const struct rfunc *b = &sort_p->funcs[*(const uint32_t *)y];

	if (a->self != b->self)
		return a->self < b->self ? 1 : -1;
	if (a->total != b->total)
		return a->total < b->total ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int cmp_total(const void *x, const void *y)
{
	const struct rfunc *a = &sort_p->funcs[*(const uint32_t *)x];
	const struct rfunc *b = &sort_p->funcs[*(const uint32_t *)y];

	if (a->total != b->total)
		return a->total < b->total ? 1 : -1;
	if (a->self != b->self)
		return a->self < b->self ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_wf(const void *x, const void *y)
{
	const struct wfunc *a = *(struct wfunc *const *)x, *b = *(struct wfunc *const *)y;

	if (a->wait_id != b->wait_id)
		return a->wait_id < b->wait_id ? -1 : 1;
	if (a->samples != b->samples)
		return a->samples < b->samples ? 1 : -1;
	return a->func < b->func ? -1 : a->func > b->func;
}

static int cmp_ws(const void *x, const void *y)
{
	const struct wsum *a = x, *b = y;

	if (a->samples != b->samples)
		return a->samples < b->samples ? 1 : -1;
	return a->wait_id < b->wait_id ? -1 : a->wait_id > b->wait_id;
}

static int summarize_waits(struct agg *a)
{
	struct wfunc **order = calloc(a->nwf + 1, sizeof(*order));
	size_t i = 0;

	if (!order)
		return -ENOMEM;
	for (size_t k = 0; k < a->nwf; k++)
		order[k] = &a->wf[k];
	qsort(order, a->nwf, sizeof(*order), cmp_wf);
	a->ws = calloc(a->nwf + 1, sizeof(*a->ws));
	if (!a->ws) {
		free(order);
		return -ENOMEM;
	}
	while (i < a->nwf) {
		struct wsum *w = &a->ws[a->nws++];
		size_t j = i;

		w->wait_id = order[i]->wait_id;
		while (j < a->nwf && order[j]->wait_id == w->wait_id)
			w->samples += order[j++]->samples;
		w->top = malloc((j - i) * sizeof(*w->top));
		if (!w->top) {
			free(order);
			return -ENOMEM;
		}
		memcpy(w->top, order + i, (j - i) * sizeof(*w->top));
		w->ntop = j - i;
		i = j;
	}
	free(order);
	qsort(a->ws, a->nws, sizeof(*a->ws), cmp_ws);
	return 0;
}

/* Median, nearest-rank p99, max and mean of one field of every sample. */
static void dist(const struct profile *p, size_t field, uint64_t *med, uint64_t *p99, uint64_t *max,
		 double *mean)
{
	uint32_t *v = malloc((p->nsamples + 1) * sizeof(*v));
	size_t n = p->nsamples;
	double sum = 0;

	if (!v || !n) {
		free(v);
		return;
	}
	n = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		/* a sample that held nothing has no cost to count */
		if (p->samples[i].flags & TFS_NOT_HELD)
			continue;
		memcpy(&v[n], (const char *)&p->samples[i] + field, sizeof(v[n]));
		sum += v[n++];
	}
	if (!n) {
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	*med = n % 2 ? v[n / 2] : ((uint64_t)v[n / 2 - 1] + v[n / 2]) / 2;
	*p99 = v[(n * 99 + 99) / 100 - 1];
	if (max)
		*max = v[n - 1];
	if (mean)
		*mean = sum / n;
	free(v);
}

int profile_aggregate(struct profile *p, struct agg *a)
{
	struct rframe *scratch = NULL;
	size_t scap = 0;
	uint32_t root;
	uint64_t thread_time = 0, thread_samples = 0;
	int err;

	memset(a, 0, sizeof(*a));
	err = profile_symbolize(p);
	if (err)
		return err;
	err = new_node(a, UINT32_MAX, UINT32_MAX, 0, &root);
	if (err)
		return err;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct rsample *s = &p->samples[i];
		const struct rframe *st;
		size_t n = profile_stack(p, s, &st, &scratch, &scap);
		uint32_t node, w = s->weight;

		if (!st && s->nlocs) {
			err = -ENOMEM;
			goto out;
		}
		a->samples += w;
		a->states[s->state] += w;
		if (s->flags & TFS_LATE)
			a->late++;
		if (s->flags & TFS_TRUNCATED)
			a->truncated_stacks++;
		if (s->flags & TFS_RESTARTED)
			a->restarted++;
		if (s->flags & TFS_REPEATED)
			a->repeated++;
		for (size_t k = 0; k < n; k++) {
			struct rfunc *f = &p->funcs[st[k].func];

			if (f->mark == i)
				continue;
			f->mark = i;
			f->total += w;
			f->states[s->state] += w;
		}
		if (n)
			p->funcs[st[0].func].self += w;
		a->nodes[root].total += w;
		a->nodes[root].states[s->state] += w;
		err = child(a, root, UINT32_MAX, s->pid, &node);
		if (err)
			goto out;
		a->nodes[node].total += w;
		a->nodes[node].states[s->state] += w;
		for (size_t k = n; k-- > 0;) {
			err = child(a, node, st[k].func, 0, &node);
			if (err)
				goto out;
			a->nodes[node].total += w;
			a->nodes[node].states[s->state] += w;
		}
		a->nodes[node].self += w;
		if (s->state != TS_CPU && s->wait_id) {
			err = add_wait(a, s->wait_id, waiting_func(p, st, n), w);
			if (err)
				goto out;
		}
	}
	a->by_self = malloc((p->nfuncs + 1) * sizeof(uint32_t));
	a->by_total = malloc((p->nfuncs + 1) * sizeof(uint32_t));
	if (!a->by_self || !a->by_total) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < p->nfuncs; i++)
		a->by_self[i] = a->by_total[i] = i;
	sort_p = p;
	qsort(a->by_self, p->nfuncs, sizeof(uint32_t), cmp_self);
	qsort(a->by_total, p->nfuncs, sizeof(uint32_t), cmp_total);
	err = summarize_waits(a);
	if (err)
		goto out;
	dist(p, offsetof(struct rsample, stop_ns), &a->stop_median_ns, &a->stop_p99_ns,
	     &a->stop_max_ns, &a->stop_mean_ns);
	dist(p, offsetof(struct rsample, hold_ns), &a->hold_median_ns, &a->hold_p99_ns, NULL, NULL);
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct rthread *t = &p->threads[i];

		a->lost += t->lost;
		if (t->samples) {
			thread_time += t->end_ns - t->start_ns;
			thread_samples += t->samples;
		}
	}
	a->period_ns = thread_samples ? (double)thread_time / thread_samples : 0;
	a->duration_ns = p->truncated ? p->last_ns : p->end.time_ns;
out:
	free(scratch);
	return err;
}

void agg_free(struct agg *a)
{
	for (size_t i = 0; i < a->nws; i++)
		free(a->ws[i].top);
	free(a->ws);
	free(a->nodes);
	free(a->wf);
	free(a->by_self);
	free(a->by_total);
	hmap_free(&a->child_map);
	hmap_free(&a->wf_map);
	memset(a, 0, sizeof(*a));
}
