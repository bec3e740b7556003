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

#include "callchain.h"
#include "error.h"
#include "jget.h"
#include "shimdata.h"
#include "phases.h"
#include "steps.h"
#include "trace.h"

#define MIN_SHARE 1.0 /* % of the run a child step needs to be shown */
#define MAX_KIDS  8

/* Milliseconds per sample, per state, of one sampled process. */
struct calib {
	int pid;
	double f[T_NSTATES];
};

struct ctx {
	struct prof *p;
	const struct activities *acts;	/* of the median counted run */
	const struct activities *dacts; /* of the deep run (its pids and ports are the trace's) */
	const struct tindex *t;
	struct steps *info;
	double wall_ms, denom;
	int multi; /* more than one process took part */
	struct calib *cal;
	int ncal;
};

static double sum_pid(const struct shim_set *s, int pid, const char *path)
{
	double v = 0;

	for (int i = 0; i < s->n; i++)
		if (s->p[i].pid == pid)
			v += jnum(s->p[i].j, path, 0);
	return v;
}

/* The process of the median run that corresponds to deep-run process dp:
 * the same executable, started in the same order. */
static const struct shim_proc *counterpart(const struct shim_set *med, const struct shim_set *deep,
					   const struct shim_proc *dp)
{
	int k = 0, seen[1024], nseen = 0;

	for (int i = 0; i < deep->n && &deep->p[i] != dp; i++) {
		int dup = 0;

		for (int j = 0; j < nseen; j++)
			dup |= seen[j] == deep->p[i].pid;
		if (!dup && nseen < 1024) {
			seen[nseen++] = deep->p[i].pid;
			k += !strcmp(deep->p[i].exe, dp->exe);
		}
	}
	for (int i = 0, m = 0; med && i < med->n; i++) {
		int first = 1;

		for (int j = 0; j < i; j++)
			if (med->p[j].pid == med->p[i].pid)
				first = 0;
		if (!first || strcmp(med->p[i].exe, dp->exe))
			continue;
		if (m++ == k)
			return shim_find_pid(med, med->p[i].pid);
	}
	return NULL;
}

/*
 * The sampled tree says where the time went, the shim and rusage how much
 * there was: per process, each state's measured time (CPU outside I/O
 * calls, blocked on sockets, on files, on locks, and the rest of the wall
 * time for sleep and other) divided by the samples of that state.  The
 * measured times are the median counted run's, so the tracer's slowdown of
 * one state more than another does not distort the map.
 */
static void calibrate(struct ctx *c)
{
	const struct shim_set *deep = &c->p->deep.shim;
	const struct shim_set *med =
	    c->p->nruns > c->p->median_run ? &c->p->runs[c->p->median_run].shim : NULL;

	for (int i = 0; c->t && i < c->t->root->nkids; i++) {
		const struct tnode *pn = c->t->root->kids[i];
		const struct shim_proc *dp = pn->pid > 0 ? shim_find_pid(deep, pn->pid) : NULL;
		const struct shim_proc *mp;
		const struct shim_set *ms;
		double cpu, net, file, lock, wall, io, rest, ns[T_NSTATES];
		struct calib *k;

		if (!dp)
			continue;
		mp = counterpart(med, deep, dp);
		ms = mp ? med : deep;
		if (!mp)
			mp = dp;
		io = sum_pid(ms, mp->pid, "io.read.blocked_ns") +
		     sum_pid(ms, mp->pid, "io.write.blocked_ns") +
		     sum_pid(ms, mp->pid, "net.connect_ns");
		cpu = jnum(mp->j, "cpu.user_ns", 0) + MAX(0, jnum(mp->j, "cpu.sys_ns", 0) - io);
		net = sum_pid(ms, mp->pid, "io.by_kind.socket.blocked_ns") +
		      sum_pid(ms, mp->pid, "net.connect_ns");
		file = sum_pid(ms, mp->pid, "io.by_kind.file.blocked_ns");
		lock = sum_pid(ms, mp->pid, "locks.wait_ns");
		wall = jnum(mp->j, "wall_ns", 0);
		rest = MAX(0, wall - cpu - net - file - lock);
		ns[T_CPU] = cpu;
		ns[T_IO_NET] = net;
		ns[T_IO_FILE] = file;
		ns[T_LOCK] = lock;
		c->cal = realloc(c->cal, sizeof(*c->cal) * (size_t)(c->ncal + 1));
		if (!c->cal)
			error_msg_and_die("out of memory");
		k = &c->cal[c->ncal++];
		k->pid = pn->pid;
		for (int st = 0; st < T_NSTATES; st++)
			k->f[st] = 0;
		for (int st = T_CPU; st <= T_LOCK; st++)
			k->f[st] = pn->st[st] > 0 ? ns[st] / 1e6 / pn->st[st] : 0;
		if (pn->st[T_SLEEP] + pn->st[T_OTHER] > 0)
			k->f[T_SLEEP] = k->f[T_OTHER] =
			    rest / 1e6 / (pn->st[T_SLEEP] + pn->st[T_OTHER]);
	}
}

/* A function of the C library, the loader or the shim: its time stays
 * with the program's function that called it. */
static int system_node(const struct tnode *n)
{
	/* the C runtime's entry points are linked into every executable */
	static const char *const rt[] = {"_start",
					 "__libc_start_main",
					 "__libc_start_call_main",
					 "_dl_start_user",
					 "__clone3",
					 "__clone",
					 "start_thread",
					 "_init",
					 "frame_dummy",
					 "__libc_csu_init",
					 "[unknown]",
					 NULL};
	const char *m = n->module;

	for (int i = 0; n->name && rt[i]; i++)
		if (!strcmp(n->name, rt[i]))
			return 1;
	if (!m)
		return 1;
	m = strrchr(m, '/') ? strrchr(m, '/') + 1 : m;
	return (!strncmp(m, "lib", 3) && strstr(m, ".so")) || !strncmp(m, "ld-linux", 8) ||
	       !strcmp(m, "[vdso]");
}

/* The wrappers' exact time of fn (median of the instrumented runs), or -1. */
static double span_ms(const struct ctx *c, const char *fn)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, c->p->span_stats)
	{
		const char *name = jstr(f, "function", ""), *colon = strrchr(name, ':');

		if (!strcmp(name, fn) || (colon && !strcmp(colon + 1, fn)))
			return jnum(f, "total_ms_median", -1);
	}
	return -1;
}

/* Measured milliseconds under a node (see calibrate()). */
static double node_ms(const struct ctx *c, const struct tnode *n)
{
	double ms = n->name ? span_ms(c, n->name) : -1;

	if (ms >= 0)
		return ms;
	for (int i = 0; i < c->ncal; i++) {
		if (c->cal[i].pid != n->pid)
			continue;
		ms = 0;
		for (int st = 0; st < T_NSTATES; st++)
			ms += n->st[st] * c->cal[i].f[st];
		return ms;
	}
	return n->total / c->denom * c->wall_ms;
}

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
	si->cpu_frac = 1;
	return s->n - 1;
}

static const char *service_of(const struct ctx *c, int pid)
{
	const struct shim_set *set = c->p->have_deep && c->p->deep.shim.n ? &c->p->deep.shim : NULL;
	const struct shim_proc *pr = set && pid > 0 ? shim_find_pid(set, pid) : NULL;

	if (!pr && set && set->n)
		pr = &set->p[0];
	return pr ? shim_service_name(set, pr) : NULL;
}

/* The activity whose waits the trace puts on function fn. */
static const struct activity *act_for_fn(const struct ctx *c, const char *fn)
{
	const struct activities *acts = c->dacts ? c->dacts : c->acts;
	const struct activity *best = NULL;

	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];
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

/* Functions a server waits in for its next client: its idle time. */
static int idle_fn(const char *name)
{
	static const char *const idle[] = {"accept", "accept4", "__libc_accept", "poll",
					   "ppoll",  "__poll",	"epoll_wait",	 "epoll_pwait",
					   "select", "pselect", "__select",	 "__GI___poll",
					   NULL};

	for (int i = 0; idle[i]; i++)
		if (!strcmp(name, idle[i]))
			return 1;
	return 0;
}

static double idle_samples(const struct tnode *n)
{
	double s = 0;

	if (n->name && idle_fn(n->name))
		return n->total;
	for (int i = 0; i < n->nkids; i++)
		s += idle_samples(n->kids[i]);
	return s;
}

static void from_node(struct ctx *c, const struct tnode *n, cJSON *arr, const char *id, int depth,
		      int parent);

/* "file:line" of a node, relative to the project root when inside it;
 * malloc'd, or NULL. */
static char *node_location(const struct ctx *c, const struct tnode *n)
{
	const char *f = n->file;
	size_t rl = strlen(c->p->root);

	if (!f)
		return NULL;
	if (!strncmp(f, c->p->root, rl) && f[rl] == '/')
		f += rl + 1;
	return n->line ? xasprintf("%s:%d", f, n->line) : xstrdup(f);
}

/* The program's functions called by n, looking through frames of system
 * libraries and the shim (their time stays with n): at most MAX_KIDS with
 * at least MIN_SHARE of the run, heaviest first.  Returns how many. */
static int gather(const struct ctx *c, const struct tnode *n, const struct tnode **out, int nk)
{
	for (int i = 0; i < n->nkids; i++) {
		const struct tnode *k = n->kids[i];
		double ms;

		if (system_node(k)) {
			nk = gather(c, k, out, nk);
			continue;
		}
		ms = node_ms(c, k);
		if (ms / c->wall_ms * 100.0 < MIN_SHARE || k->total < 2)
			continue;
		if (nk == MAX_KIDS) {
			if (ms <= node_ms(c, out[nk - 1]))
				continue;
			nk--;
		}
		out[nk++] = k;
		for (int j = nk - 1; j > 0 && node_ms(c, out[j]) > node_ms(c, out[j - 1]); j--) {
			const struct tnode *tmp = out[j];

			out[j] = out[j - 1];
			out[j - 1] = tmp;
		}
	}
	return nk;
}

/* The work of a server process, as steps under the request that reached
 * it (the seed's depth-first rule; depth starts again).  From the process
 * down through the C library's frames and its main when main hands the
 * work to one function: at a function that also waits for clients (accept,
 * poll, ...) its other callees are the handlers, else that function is the
 * step.  Returns how many steps were added. */
static int follow_server(struct ctx *c, cJSON *kids, const char *id, int pid, int parent)
{
	const struct tnode *n = c->t ? trace_process_root(c->t, pid) : NULL;
	int added = 0, idx = cJSON_GetArraySize(kids);

	for (int guard = 0; n && guard < 64; guard++) {
		const struct tnode *busiest = NULL;
		double best = 0, active = n->total - idle_samples(n);
		int has_idle = 0;

		for (int i = 0; i < n->nkids; i++) {
			const struct tnode *k = n->kids[i];
			double a = k->total - idle_samples(k);

			if (k->total > 0 && idle_samples(k) >= 0.5 * k->total)
				has_idle = 1;
			if (a > best) {
				best = a;
				busiest = k;
			}
		}
		if (has_idle && !system_node(n)) {
			for (int i = 0; i < n->nkids; i++) {
				const struct tnode *k = n->kids[i];
				char kid[64];

				if (idle_samples(k) >= 0.5 * k->total || system_node(k) ||
				    node_ms(c, k) / c->wall_ms * 100.0 < MIN_SHARE)
					continue;
				snprintf(kid, sizeof(kid), "%s.%d", id, ++idx);
				from_node(c, k, kids, kid, 1, parent);
				added++;
			}
			return added;
		}
		/* The first function of the program below its main (the server
		 * loop, or main itself when the work is split or main does it):
		 * its subtree is the server's side of the request. */
		if (!system_node(n) && (strcmp(n->name, "main") || !busiest ||
					system_node(busiest) || best < 0.9 * active)) {
			char kid[64];

			if (node_ms(c, n) / c->wall_ms * 100.0 < MIN_SHARE)
				return 0;
			snprintf(kid, sizeof(kid), "%s.%d", id, ++idx);
			from_node(c, n, kids, kid, 1, parent);
			return 1;
		}
		if (!busiest)
			break;
		n = busiest;
	}
	return added;
}

static void from_node(struct ctx *c, const struct tnode *n, cJSON *arr, const char *id, int depth,
		      int parent)
{
	double ms = node_ms(c, n), share = ms / c->wall_ms * 100.0, dshare;
	enum tstate dom = tnode_dominant(n, &dshare);
	const char *type = "function_call";
	const struct activity *a = NULL;
	char *loc = node_location(c, n);
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
	o = new_step(id, n->name, loc, c->multi ? service_of(c, n->pid) : NULL, ms, share, type);
	free(loc);
	if (a && a->http && !strcmp(type, "http_call"))
		cJSON_AddNumberToObject(o, "http_round_trips", (double)a->http);
	else if (a && a->ops && strcmp(type, "function_call") && strcmp(type, "file_io"))
		cJSON_AddNumberToObject(o, "round_trips", (double)a->ops);
	cJSON_AddItemToArray(arr, o);
	si = add_info(c, o, id, n->name, share, type, depth);
	SI(c, si)->act = a;
	SI(c, si)->sampled = 1;
	SI(c, si)->cpu_frac = n->total > 0 ? n->st[T_CPU] / n->total : 0;
	if (parent >= 0)
		SI(c, parent)->self_share -= share;
	/* children, heaviest first, seen through the C library's frames */
	nk = gather(c, n, sorted, 0);
	if (depth == 1 && !c->p->o.target && n->name && !strcmp(n->name, "main")) {
		/* the threads main started run beside it, under start_thread */
		const struct tnode *proc = c->t ? trace_process_root(c->t, n->pid) : NULL;
		const struct tnode *more[MAX_KIDS];
		int nm = proc ? gather(c, proc, more, 0) : 0;

		for (int i = 0; i < nm && nk < MAX_KIDS; i++) {
			int dup = !strcmp(more[i]->name, n->name);

			for (int k = 0; k < nk; k++)
				dup |= !strcmp(sorted[k]->name, more[i]->name);
			if (!dup)
				sorted[nk++] = more[i];
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
	 * that server, its sampled handlers when the trace has them. */
	if (a && a->in_tree && a->server && !follow_server(c, kids, id, a->server->pid, si))
		add_activity_steps(c, kids, id, 0, a->server->pid, si);
	if (!cJSON_GetArraySize(kids))
		cJSON_DeleteItemFromObject(o, "children");
}

/* The service name of a median-run process (static buffer). */
static const char *xsvc(const struct ctx *c, const struct shim_proc *owner)
{
	return shim_service_name(prof_analysis_set(c->p), owner);
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
				fn = xasprintf("[on CPU] %s", xsvc(c, a->owner));
			else if (a->kind == A_LOCK)
				fn = xasprintf("[lock wait] %s", xsvc(c, a->owner));
			else
				fn = xasprintf("[%s] %s", type, a->what);
			o = new_step(id, fn, NULL, c->multi && a->owner ? xsvc(c, a->owner) : NULL,
				     a->ms, share, type);
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
 * instrumented runs) are the function steps, nested as the source's call
 * chain nests them.  A wrapped function whose source makes network or file
 * calls takes the shim's activity whose count matches its calls (35 calls
 * of fetch_price, 35 connects to one peer): the counts join them, not a
 * guess.  Wrapped functions outside the chain are listed under the root. */
static int span_index(const struct ctx *c, const char *fn)
{
	int i = 0;
	const cJSON *f;

	cJSON_ArrayForEach(f, c->p->span_stats)
	{
		const char *name = jstr(f, "function", ""), *colon = strrchr(name, ':');
		const char *dot = strrchr(name, '.');

		if (!strcmp(name, fn) || (colon && !strcmp(colon + 1, fn)) ||
		    (dot && !strcmp(dot + 1, fn)))
			return i;
		i++;
	}
	return -1;
}

static const struct activity *act_by_count(const struct ctx *c, const cJSON *node, double calls)
{
	for (int i = 0; i < c->acts->n; i++) {
		const struct activity *a = &c->acts->a[i];
		int shown = 0, net = a->kind == A_NET || a->kind == A_DB || a->kind == A_CACHE ||
				     a->kind == A_QUEUE;

		for (int k = 0; k < c->info->n; k++)
			shown |= c->info->s[k].act == a;
		if (shown || (!net && a->kind != A_FILE) || !callchain_does_io(node, net))
			continue;
		if ((double)a->connects == calls || (double)a->ops == calls)
			return a;
	}
	return NULL;
}

static void add_chain_spans(struct ctx *c, cJSON *kids, const cJSON *node, const char *parent_id,
			    int depth, int parent, unsigned char *used)
{
	int si = span_index(c, jstr(node, "function", ""));
	const cJSON *f, *call;
	const struct activity *a;
	double ms, share;
	char id[64];
	const char *type = "function_call";
	cJSON *o, *sub;
	int me;

	if (si < 0 || used[si] || depth > STEPS_MAX_DEPTH) {
		/* not wrapped: its wrapped callees hang from our parent */
		if (depth <= STEPS_MAX_DEPTH)
			cJSON_ArrayForEach(call, jget(node, "calls"))
			    add_chain_spans(c, kids, call, parent_id, depth, parent, used);
		return;
	}
	used[si] = 1;
	f = cJSON_GetArrayItem(c->p->span_stats, si);
	ms = jnum(f, "total_ms_median", 0);
	share = ms / c->wall_ms * 100.0;
	if (share < MIN_SHARE)
		return;
	a = act_by_count(c, node, jnum(f, "calls_median", -1));
	if (a)
		type = act_step_type(a);
	snprintf(id, sizeof(id), "%s.%d", parent_id, cJSON_GetArraySize(kids) + 1);
	o = new_step(id, jstr(node, "function", "?"), jstr(f, "location", NULL),
		     c->multi ? jstr(f, "service", NULL) : NULL, ms, share, type);
	if (a && a->http && !strcmp(type, "http_call"))
		cJSON_AddNumberToObject(o, "http_round_trips", (double)a->http);
	else if (a && a->ops && a->kind != A_FILE)
		cJSON_AddNumberToObject(o, "round_trips", (double)a->ops);
	cJSON_AddItemToArray(kids, o);
	me = add_info(c, o, id, jstr(o, "function", "?"), share, type, depth);
	/* exact times, but what they were spent on is not known: no step of
	 * this kind is named a CPU hotspot */
	SI(c, me)->cpu_frac = 0;
	SI(c, me)->act = a;
	if (parent >= 0)
		SI(c, parent)->self_share -= share;
	sub = cJSON_AddArrayToObject(o, "children");
	cJSON_ArrayForEach(call, jget(node, "calls"))
	    add_chain_spans(c, sub, call, id, depth + 1, me, used);
	if (a && a->in_tree && a->server)
		add_activity_steps(c, sub, id, depth, a->server->pid, me);
	if (!cJSON_GetArraySize(sub))
		cJSON_DeleteItemFromObject(o, "children");
}

static void add_span_steps(struct ctx *c, cJSON *kids, int parent)
{
	int nspans = cJSON_GetArraySize(c->p->span_stats), i = 0;
	unsigned char *used = calloc((size_t)nspans + 1, 1);
	const cJSON *f;

	if (!used)
		error_msg_and_die("out of memory");
	if (c->p->call_chain)
		add_chain_spans(c, kids, c->p->call_chain, "1", 2, parent, used);
	cJSON_ArrayForEach(f, c->p->span_stats)
	{
		double ms = jnum(f, "total_ms_median", 0), share = ms / c->wall_ms * 100.0;
		const char *fn = jstr(f, "function", "?"), *colon = strrchr(fn, ':');
		char id[64];
		cJSON *o;

		if (used[i++] || share < MIN_SHARE)
			continue;
		snprintf(id, sizeof(id), "1.%d", cJSON_GetArraySize(kids) + 1);
		o = new_step(id, colon ? colon + 1 : fn, jstr(f, "location", NULL),
			     c->multi ? jstr(f, "service", NULL) : NULL, ms, share,
			     "function_call");
		cJSON_AddItemToArray(kids, o);
		add_info(c, o, id, jstr(o, "function", fn), share, "function_call", 2);
		SI(c, c->info->n - 1)->cpu_frac = 0;
	}
	free(used);
}

/* The median run's activity that is deep-run activity d (same kind,
 * class and owner executable, the same count of operations when several
 * match), or NULL. */
static const struct activity *match_act(const struct activities *acts, const struct activity *d)
{
	const struct activity *best = NULL;

	if (!d)
		return NULL;
	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];

		if (a->kind != d->kind || strcmp(a->cls, d->cls) || !a->owner || !d->owner ||
		    strcmp(a->owner->exe, d->owner->exe) || a->in_tree != d->in_tree)
			continue;
		if (a->kind == A_FILE && strcmp(a->what, d->what))
			continue;
		if (!best || (a->ops == d->ops && best->ops != d->ops))
			best = a;
	}
	return best;
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
	if (c.t && p->o.target && entry && (!entry->name || strcmp(entry->name, p->entry_function)))
		prof_concern(p, "the target %s was never on a sampled stack: the steps start at %s",
			     p->entry_function, entry->name ? entry->name : "the root");
	if (c.t && entry && entry->total > 0) {
		struct activities dacts;

		act_build(&dacts, &p->deep.shim, p->deep.m.v[M_WALL_MS]);
		c.dacts = &dacts;
		calibrate(&c);
		c.denom = c.t->main_samples > 0 ? c.t->main_samples : c.t->root->total;
		if (p->o.target)
			c.denom = c.t->main_samples > 0 ? c.t->main_samples : entry->total;
		else if (entry->total > c.denom)
			c.denom = entry->total;
		from_node(&c, entry, p->steps, "1", 1, -1);
		/* The steps keep pointers to the deep activities: copy what the
		 * classification needs (the median run's own activity). */
		for (int i = 0; i < info->n; i++)
			info->s[i].act = match_act(acts, info->s[i].act);
		act_free(&dacts);
		free(c.cal);
		return;
	}
	/* No sampled tree: the command as a whole (where the target function
	 * sits in it is not known without samples), the wrappers' functions
	 * and the shim's activities. */
	{
		const char *exe =
		    strrchr(p->argv[0], '/') ? strrchr(p->argv[0], '/') + 1 : p->argv[0];
		cJSON *root =
		    new_step("1", "main", exe,
			     c.multi && set && set->n ? shim_service_name(set, &set->p[0]) : NULL,
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
