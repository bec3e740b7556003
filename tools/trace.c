/*
 * Reading perftrace's JSON report (docs/perftrace-format.md): the call
 * tree, the wait targets, the tracer's own cost.  Fields a report does not
 * have read as zero; the tree may be one root object or an array of roots,
 * and nodes may carry the pid of their process.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jget.h"
#include "prof.h"
#include "trace.h"

const char *const tstate_names[T_NSTATES] = {"cpu", "io_file", "io_net", "lock", "sleep", "other"};

static struct tindex tix;
static int tix_built;

static struct tnode *new_node(void)
{
	struct tnode *n = calloc(1, sizeof(*n));

	if (!n)
		error_msg_and_die("out of memory");
	return n;
}

static void add_kid(struct tnode *parent, struct tnode *kid)
{
	parent->kids = realloc(parent->kids, sizeof(*parent->kids) * (size_t)(parent->nkids + 1));
	if (!parent->kids)
		error_msg_and_die("out of memory");
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
}

static void read_states(const cJSON *j, double total, double *st)
{
	const cJSON *s = jget(j, "states");
	double sum = 0;

	for (int i = 0; i < T_NSTATES; i++) {
		st[i] = jnum(s, tstate_names[i], 0);
		sum += st[i];
	}
	/* Shares (0..1 or percents) rather than counts: scale to samples. */
	if (sum > 0 && total > 0 && sum < total * 0.5) {
		double f = total / sum;

		for (int i = 0; i < T_NSTATES; i++)
			st[i] *= f;
	} else if (sum > total * 1.5 && total > 0 && sum > 99 && sum < 101) {
		for (int i = 0; i < T_NSTATES; i++)
			st[i] = st[i] / 100.0 * total;
	}
	if (sum == 0)
		st[T_OTHER] = total;
}

static struct tnode *build(const cJSON *j, int pid)
{
	struct tnode *n = new_node();
	const cJSON *kid;

	n->name = jstr(j, "name", "?");
	n->module = jstr(j, "module", NULL);
	n->file = jstr(j, "file", NULL);
	n->line = (int)jnum(j, "line", 0);
	n->pid = (int)jnum(j, "pid", pid);
	n->self = jnum(j, "self_samples", jnum(j, "self", 0));
	n->total = jnum(j, "total_samples", jnum(j, "total", jnum(j, "samples", 0)));
	read_states(j, n->total, n->st);
	cJSON_ArrayForEach(kid, jget(j, "children")) add_kid(n, build(kid, n->pid));
	if (n->total == 0) {
		n->total = n->self;
		for (int i = 0; i < n->nkids; i++)
			n->total += n->kids[i]->total;
	}
	return n;
}

static void read_waits(const cJSON *arr)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, arr)
	{
		struct twait *tw;
		const cJSON *fns = jget(w, "functions"), *f;

		if (!fns)
			fns = jget(w, "top_functions");
		tix.waits = realloc(tix.waits, sizeof(*tix.waits) * (size_t)(tix.nwaits + 1));
		if (!tix.waits)
			error_msg_and_die("out of memory");
		tw = &tix.waits[tix.nwaits++];
		memset(tw, 0, sizeof(*tw));
		tw->kind = jstr(w, "kind", "");
		tw->target = jstr(w, "target", "");
		tw->samples = jnum(w, "samples", 0);
		cJSON_ArrayForEach(f, fns)
		{
			tw->fn = realloc(tw->fn, sizeof(*tw->fn) * (size_t)(tw->nfn + 1));
			tw->fn_samples = realloc(tw->fn_samples,
						 sizeof(*tw->fn_samples) * (size_t)(tw->nfn + 1));
			if (!tw->fn || !tw->fn_samples)
				error_msg_and_die("out of memory");
			tw->fn[tw->nfn] = cJSON_IsString(f) ? f->valuestring : jstr(f, "name", "?");
			tw->fn_samples[tw->nfn] = cJSON_IsString(f) ? 0 : jnum(f, "samples", 0);
			tw->nfn++;
		}
	}
}

void trace_index(struct prof *p)
{
	const cJSON *tree, *t;
	const cJSON *procs;

	memset(&tix, 0, sizeof(tix));
	tix_built = 0;
	if (!p->trace)
		return;
	tix.root = new_node();
	tix.root->name = "[all]";
	tree = jget(p->trace, "tree");
	if (cJSON_IsArray(tree)) {
		cJSON_ArrayForEach(t, tree) add_kid(tix.root, build(t, 0));
	} else if (cJSON_IsObject(tree)) {
		struct tnode *r = build(tree, 0);

		/* The tracer's own root ("kind": "root"): take its children, the
		 * processes ("kind": "process", with their pid). */
		if (!strcmp(jstr(tree, "kind", ""), "root") ||
		    (!r->file && (!strcmp(r->name, "all") || !strcmp(r->name, "[all]")))) {
			for (int i = 0; i < r->nkids; i++)
				add_kid(tix.root, r->kids[i]);
		} else {
			add_kid(tix.root, r);
		}
	}
	for (int i = 0; i < tix.root->nkids; i++) {
		tix.root->total += tix.root->kids[i]->total;
		for (int s = 0; s < T_NSTATES; s++)
			tix.root->st[s] += tix.root->kids[i]->st[s];
	}
	tix.period_ns = jnum(p->trace, "sample_period_ns", 0);
	tix.samples = jnum(p->trace, "samples", tix.root->total);
	if (cJSON_IsObject(jget(p->trace, "samples")))
		tix.samples = jnum(p->trace, "samples.total", tix.root->total);
	tix.stop_median_ns = jnum(p->trace, "tracer.stop_ns.median", -1);
	tix.stop_p99_ns = jnum(p->trace, "tracer.stop_ns.p99", -1);
	read_waits(jget(p->trace, "waits"));
	procs = jget(p->trace, "processes");
	if (cJSON_GetArraySize(procs) > 0)
		tix.root_pid = (int)jnum(cJSON_GetArrayItem(procs, 0), "pid", 0);
	/* The main thread of the root process: its samples span the run. */
	{
		const cJSON *th;

		cJSON_ArrayForEach(th, jget(p->trace, "threads"))
		{
			int pid = (int)jnum(th, "pid", 0), tid = (int)jnum(th, "tid", 0);

			if (tix.root_pid && pid == tix.root_pid && tid == pid)
				tix.main_samples = jnum(th, "samples", 0);
		}
		if (tix.main_samples <= 0) {
			cJSON_ArrayForEach(th,
					   jget(p->trace, "threads")) if (jnum(th, "samples", 0) >
									  tix.main_samples)
			    tix.main_samples = jnum(th, "samples", 0);
		}
		if (tix.main_samples <= 0)
			tix.main_samples = tix.root->total;
	}
	tix_built = 1;
}

const struct tindex *trace_get(const struct prof *p)
{
	(void)p;
	return tix_built ? &tix : NULL;
}

static void find_rec(const struct tnode *n, const char *fn, int pid, const struct tnode **best)
{
	if (n->name && !strcmp(n->name, fn) && (pid <= 0 || n->pid == pid || !n->pid) &&
	    (!*best || n->total > (*best)->total))
		*best = n;
	for (int i = 0; i < n->nkids; i++)
		find_rec(n->kids[i], fn, pid, best);
}

const struct tnode *trace_find(const struct tindex *t, const char *fn, int pid)
{
	const struct tnode *best = NULL;

	if (t && t->root && fn)
		find_rec(t->root, fn, pid, &best);
	return best;
}

const struct tnode *trace_entry(const struct prof *p)
{
	const struct tindex *t = trace_get(p);
	const struct tnode *n = NULL;

	if (!t)
		return NULL;
	if (p->o.target && p->entry_function)
		n = trace_find(t, p->entry_function, 0);
	if (!n)
		n = trace_find(t, "main", t->root_pid);
	if (!n)
		n = trace_find(t, "main", 0);
	return n ? n : t->root;
}

enum tstate tnode_dominant(const struct tnode *n, double *share)
{
	enum tstate best = T_CPU;
	double sum = 0;

	for (int i = 0; i < T_NSTATES; i++) {
		sum += n->st[i];
		if (n->st[i] > n->st[best])
			best = (enum tstate)i;
	}
	if (share)
		*share = sum > 0 ? n->st[best] / sum : 0;
	return best;
}

static void proot_rec(const struct tnode *n, int pid, const struct tnode **out)
{
	if (*out)
		return;
	if (n->pid == pid && (!n->parent || n->parent->pid != pid)) {
		*out = n;
		return;
	}
	for (int i = 0; i < n->nkids; i++)
		proot_rec(n->kids[i], pid, out);
}

const struct tnode *trace_process_root(const struct tindex *t, int pid)
{
	const struct tnode *r = NULL;

	if (t && t->root && pid > 0)
		proot_rec(t->root, pid, &r);
	return r;
}

const struct twait *trace_wait_for(const struct tindex *t, const char *addr)
{
	size_t n = strlen(addr);

	if (!t)
		return NULL;
	for (int i = 0; i < t->nwaits; i++) {
		size_t m = strlen(t->waits[i].target);

		/* "tcp 127.0.0.1:8080" is a connection to the peer; "tcp listen
		 * 127.0.0.1:8080" a server waiting for one. */
		if (m >= n && !strcmp(t->waits[i].target + m - n, addr) &&
		    !strstr(t->waits[i].target, "listen") &&
		    (m == n || t->waits[i].target[m - n - 1] == ' '))
			return &t->waits[i];
	}
	return NULL;
}

const char *trace_waiter(const struct tindex *t, const char *addr)
{
	const struct twait *w = trace_wait_for(t, addr);
	int best = -1;

	if (!w)
		return NULL;
	for (int i = 0; i < w->nfn; i++)
		if (best < 0 || w->fn_samples[i] > w->fn_samples[best])
			best = i;
	return best >= 0 ? w->fn[best] : NULL;
}
