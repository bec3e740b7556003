/*
 * The step tree of the performance map; see steps.h.
 *
 * A step's wall_time_ms is its share of the samples of the run's main
 * thread times the baseline's median wall time: the tracer's slowdown does
 * not leak into the map, and every figure still comes from this run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jget.h"
#include "shimdata.h"
#include "steps.h"
#include "trace.h"

#define MIN_SHARE 1.0 /* % of the run a child step needs to be shown */
#define MAX_KIDS  8

struct ctx {
	struct prof *p;
	const struct activities *acts;
	const struct tindex *t;
	struct steps *info;
	double wall_ms, denom;
	int multi; /* more than one process took part */
};

static int add_info(struct ctx *c, cJSON *obj, const char *id, const char *fn, double share,
		    const char *type, int depth)
{
	struct steps *s = c->info;
	struct step_info *si;

	s->s = realloc(s->s, sizeof(*s->s) * (size_t)(s->n + 1));
	if (!s->s)
		error_msg_and_die("out of memory");
	si = &s->s[s->n++];
	memset(si, 0, sizeof(*si));
	si->obj = obj;
	snprintf(si->id, sizeof(si->id), "%s", id);
	si->function = fn;
	si->share = share;
	si->self_share = share;
	si->type = type;
	si->depth = depth;
	return s->n - 1;
}

static const char *service_of(const struct ctx *c, int pid)
{
	const struct shim_set *set = c->p->have_deep && c->p->deep.shim.n ? &c->p->deep.shim : NULL;
	const struct shim_proc *pr = set && pid > 0 ? shim_find_pid(set, pid) : NULL;

	if (!pr && set && set->n)
		pr = &set->p[0];
	return pr ? shim_service(pr) : NULL;
}

/* The activity whose waits the trace puts on function fn. */
static const struct activity *act_for_fn(const struct ctx *c, const char *fn)
{
	const struct activity *best = NULL;

	for (int i = 0; i < c->acts->n; i++) {
		const struct activity *a = &c->acts->a[i];
		const char *w;

		if (a->kind == A_CPU || a->kind == A_LOCK)
			continue;
		w = trace_waiter(c->t, a->what);
		if (w && !strcmp(w, fn) && (!best || a->ms > best->ms))
			best = a;
	}
	return best;
}

static cJSON *new_step(const char *id, const char *fn, const char *loc, const char *service,
		       double wall_ms, double share, const char *type)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "function", fn);
	if (loc)
		cJSON_AddStringToObject(o, "location", loc);
	else
		cJSON_AddNullToObject(o, "location");
	if (service)
		cJSON_AddStringToObject(o, "service", service);
	jadd_round(o, "wall_time_ms", wall_ms, 2);
	jadd_round(o, "time_share_pct", share > 100 ? 100 : share, 1);
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

/* Steps are referred to by index: the array moves as it grows. */
#define SI(c, i) (&(c)->info->s[i])

static void add_activity_steps(struct ctx *c, cJSON *kids, const char *parent_id, int depth,
			       int pid, int parent);

static void from_node(struct ctx *c, const struct tnode *n, cJSON *arr, const char *id, int depth,
		      int parent)
{
	double share = n->total / c->denom * 100.0, dshare;
	enum tstate dom = tnode_dominant(n, &dshare);
	const char *type = "function_call";
	const struct activity *a = NULL;
	char *loc = n->file && n->line ? xasprintf("%s:%d", n->file, n->line)
		    : n->file	       ? xstrdup(n->file)
				       : NULL;
	cJSON *o, *kids;
	int si;
	const struct tnode *sorted[MAX_KIDS];
	int nk = 0;

	if (dom == T_IO_NET || dom == T_IO_FILE)
		a = act_for_fn(c, n->name);
	if (a && dshare >= 0.5)
		type = act_step_type(a);
	else if (dom == T_IO_FILE && dshare >= 0.5)
		type = "file_io";
	o = new_step(id, n->name, loc, c->multi ? service_of(c, n->pid) : NULL,
		     share / 100.0 * c->wall_ms, share, type);
	free(loc);
	if (a && a->http && !strcmp(type, "http_call"))
		cJSON_AddNumberToObject(o, "http_round_trips", (double)a->http);
	else if (a && a->ops && strcmp(type, "function_call") && strcmp(type, "file_io"))
		cJSON_AddNumberToObject(o, "round_trips", (double)a->ops);
	cJSON_AddItemToArray(arr, o);
	si = add_info(c, o, id, n->name, share, type, depth);
	SI(c, si)->act = a;
	SI(c, si)->sampled = 1;
	if (parent >= 0)
		SI(c, parent)->self_share -= share;
	/* children, heaviest first */
	for (int i = 0; i < n->nkids; i++) {
		const struct tnode *k = n->kids[i];

		if (k->total / c->denom * 100.0 < MIN_SHARE || k->total < 2)
			continue;
		if (nk < MAX_KIDS) {
			sorted[nk++] = k;
		} else if (k->total > sorted[nk - 1]->total) {
			sorted[nk - 1] = k;
		} else {
			continue;
		}
		for (int j = nk - 1; j > 0 && sorted[j]->total > sorted[j - 1]->total; j--) {
			const struct tnode *tmp = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = tmp;
		}
	}
	if (!nk && !(a && a->in_tree))
		return;
	if (depth >= STEPS_MAX_DEPTH) {
		c->info->truncated = 1;
		return;
	}
	kids = cJSON_AddArrayToObject(o, "children");
	for (int i = 0; i < nk; i++) {
		char kid[64];

		snprintf(kid, sizeof(kid), "%s.%d", id, i + 1);
		from_node(c, sorted[i], kids, kid, depth + 1, si);
	}
	/* The depth-first rule: a wait on a server of the tree continues into
	 * that server. */
	if (a && a->in_tree && a->server)
		add_activity_steps(c, kids, id, 0, a->server->pid, si);
}

static int is_server(const struct activities *acts, int pid)
{
	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];

		if (a->in_tree && a->server && a->server->pid == pid && a->owner &&
		    a->owner->pid != pid)
			return 1;
	}
	return 0;
}

/* Steps for the activities of process pid (all when pid <= 0), as children
 * of parent_id.  Used without a trace, and for servers of the tree. */
static void add_activity_steps(struct ctx *c, cJSON *kids, const char *parent_id, int depth,
			       int pid, int parent)
{
	int idx = cJSON_GetArraySize(kids);

	for (int pass = 0; pass < c->acts->n; pass++) {
		const struct activity *a = NULL;
		double best = -1;

		/* next heaviest activity not yet shown */
		for (int i = 0; i < c->acts->n; i++) {
			const struct activity *x = &c->acts->a[i];
			int shown = 0;

			if (pid > 0 && (!x->owner || x->owner->pid != pid))
				continue;
			/* At the top, a server's activities wait to be listed
			 * under the request that reached it. */
			if (pid <= 0 && x->owner && is_server(c->acts, x->owner->pid))
				continue;
			for (int k = 0; k < c->info->n; k++)
				if (c->info->s[k].act == x)
					shown = 1;
			if (!shown && x->ms > best && x->ms / c->wall_ms * 100.0 >= MIN_SHARE) {
				best = x->ms;
				a = x;
			}
		}
		if (!a)
			break;
		{
			char id[64], *fn;
			double share = a->ms / c->wall_ms * 100.0;
			const char *type = act_step_type(a);
			cJSON *o;
			int si;

			snprintf(id, sizeof(id), "%s.%d", parent_id, ++idx);
			if (a->kind == A_CPU)
				fn = xasprintf("[on CPU] %s", shim_service(a->owner));
			else if (a->kind == A_LOCK)
				fn = xasprintf("[lock wait] %s", shim_service(a->owner));
			else
				fn = xasprintf("[%s] %s", type, a->what);
			o = new_step(id, fn, NULL,
				     c->multi && a->owner ? shim_service(a->owner) : NULL, a->ms,
				     share, type);
			if (a->http && !strcmp(type, "http_call"))
				cJSON_AddNumberToObject(o, "http_round_trips", (double)a->http);
			else if (a->ops && a->kind != A_CPU && a->kind != A_FILE)
				cJSON_AddNumberToObject(
				    o, a->kind == A_LOCK ? "contended" : "round_trips",
				    (double)a->ops);
			cJSON_AddItemToArray(kids, o);
			si = add_info(c, o, id, cJSON_GetObjectItem(o, "function")->valuestring,
				      share, type, depth + 1);
			SI(c, si)->act = a;
			free(fn);
			if (parent >= 0 && SI(c, parent)->act != a)
				SI(c, parent)->self_share -= share;
			if (a->in_tree && a->server && a->server->pid != pid &&
			    depth < STEPS_MAX_DEPTH) {
				cJSON *sub = cJSON_AddArrayToObject(o, "children");

				add_activity_steps(c, sub, id, depth + 1, a->server->pid, si);
				if (!cJSON_GetArraySize(sub))
					cJSON_DeleteItemFromObject(o, "children");
			}
		}
	}
}

/* Without samples, the wrappers' exact per-function times (medians of the
 * instrumented runs) are the function steps; their nesting is not known,
 * so they are listed under the entry point, heaviest first. */
static void add_span_steps(struct ctx *c, cJSON *kids, int parent)
{
	const cJSON *f;
	int n = cJSON_GetArraySize(kids);

	cJSON_ArrayForEach(f, c->p->span_stats)
	{
		double ms = jnum(f, "total_ms_median", 0), share = ms / c->wall_ms * 100.0;
		const char *fn = jstr(f, "function", "?"), *colon = strrchr(fn, ':');
		char id[64];
		cJSON *o;

		if (share < MIN_SHARE)
			continue;
		snprintf(id, sizeof(id), "1.%d", ++n);
		o = new_step(id, colon ? colon + 1 : fn, jstr(f, "location", NULL), NULL, ms, share,
			     "function_call");
		cJSON_AddItemToArray(kids, o);
		add_info(c, o, id, jstr(o, "function", fn), share, "function_call", 2);
		SI(c, c->info->n - 1)->sampled = 1; /* measured, not inferred */
		(void)parent;
	}
}

void steps_build(struct prof *p, const struct activities *acts, struct steps *info)
{
	struct ctx c = {.p = p, .acts = acts, .info = info};
	const struct shim_set *set = p->have_deep && p->deep.shim.n ? &p->deep.shim : NULL;
	const struct tnode *entry;

	memset(info, 0, sizeof(*info));
	p->steps = cJSON_CreateArray();
	c.t = trace_get(p);
	c.wall_ms = p->stats[M_WALL_MS].median;
	if (c.wall_ms <= 0)
		c.wall_ms = 1e-9;
	if (!set && p->nruns > p->median_run)
		set = &p->runs[p->median_run].shim;
	c.multi = set && shim_npids(set) > 1;
	entry = trace_entry(p);
	if (c.t && entry && entry->total > 0) {
		c.denom = c.t->main_samples > 0 ? c.t->main_samples : c.t->root->total;
		if (p->o.target)
			c.denom = c.t->main_samples > 0 ? c.t->main_samples : entry->total;
		else if (entry->total > c.denom)
			c.denom = entry->total;
		from_node(&c, entry, p->steps, "1", 1, -1);
		return;
	}
	/* No sampled tree: the command as a whole (where the target function
	 * sits in it is not known without samples), the wrappers' functions
	 * and the shim's activities. */
	{
		const char *exe =
		    strrchr(p->argv[0], '/') ? strrchr(p->argv[0], '/') + 1 : p->argv[0];
		cJSON *root = new_step("1", "main", exe,
				       c.multi && set && set->n ? shim_service(&set->p[0]) : NULL,
				       c.wall_ms, 100, "function_call");
		cJSON *kids = cJSON_AddArrayToObject(root, "children");
		int si;

		cJSON_AddItemToArray(p->steps, root);
		si = add_info(&c, root, "1", "main", 100, "function_call", 1);
		add_span_steps(&c, kids, si);
		add_activity_steps(&c, kids, "1", 1, 0, si);
		/* Activities of servers were listed under their clients. */
		if (!cJSON_GetArraySize(kids))
			cJSON_DeleteItemFromObject(root, "children");
	}
}

void steps_free(struct steps *info)
{
	free(info->s);
	memset(info, 0, sizeof(*info));
}
