/*
 * Phase 4: the classification of the bottleneck (seed:
 * bottleneck_classification.md), the top bottlenecks, and the wrong-tool
 * indicators, all from measured time.
 *
 * The largest activity of the run decides: CPU; a file (I/O-File); a peer
 * by its protocol (I/O-Network, I/O-DB, Cache) or External when it is
 * outside the machine and takes 90% of the run; Architecture when that
 * activity is I/O repeated in a loop (N+1) or lock waiting.  A wait on a
 * server that runs inside the profiled tree is explained by that server's
 * own activities (the depth-first rule) unless the client's loop is the
 * cause.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "error.h"
#include "jget.h"
#include "phases.h"
#include "steps.h"
#include "strbuf.h"
#include "suspect.h"
#include "trace.h"

static double pct(double a, double b)
{
	return b > 0 ? a / b * 100.0 : 0;
}

static int confirmed(const struct prof *p, const char *check)
{
	for (int i = 0; i < p->nsus; i++)
		if (p->sus[i].confirmed && !strcmp(p->sus[i].check, check))
			return 1;
	return 0;
}

static const char *req_noun(const struct activity *a)
{
	return a->http ? "HTTP requests" : a->kind == A_DB ? "queries" : "round trips";
}

/* The hottest function by self samples, for CPU details. */
static const struct tnode *hottest(const struct tnode *n, const struct tnode *best)
{
	if (!n)
		return best;
	if (n->parent && (!best || n->self > best->self))
		best = n;
	for (int i = 0; i < n->nkids; i++)
		best = hottest(n->kids[i], best);
	return best;
}

/* The sampled path inside a server of the tree, below the first step that
 * waits on it: "handle_request -> lookup_price -> sleep_ms take 279 ms";
 * malloc'd, or NULL when the steps do not reach into another service. */
static char *server_path(const cJSON *steps)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, steps)
	{
		const char *type = jstr(s, "type", "");
		const char *svc = jstr(s, "service", "");
		const cJSON *k, *best = NULL;

		if (strcmp(type, "http_call") && strcmp(type, "db_query") &&
		    strcmp(type, "cache_op") && strcmp(type, "network_call")) {
			char *r = server_path(jget(s, "children"));

			if (r)
				return r;
			continue;
		}
		cJSON_ArrayForEach(
		    k, jget(s, "children")) if (strcmp(jstr(k, "service", ""), svc) &&
						(!best || jnum(k, "wall_time_ms", 0) >
							      jnum(best, "wall_time_ms", 0))) best =
		    k;
		/* "[on CPU] ..." steps come from the shim alone: no path to tell */
		if (best && jstr(best, "function", "[")[0] == '[')
			return NULL;
		if (best) {
			struct strbuf sb = STRBUF_INIT;
			double ms = 0;

			sb_printf(&sb, "%s, ", jstr(best, "service", "?"));
			for (const cJSON *n = best; n;) {
				const cJSON *next = NULL, *c;

				sb_printf(&sb, "%s%s", n == best ? "" : " -> ",
					  jstr(n, "function", "?"));
				ms = jnum(n, "wall_time_ms", 0);
				cJSON_ArrayForEach(
				    c, jget(n, "children")) if (jnum(c, "wall_time_ms", 0) >=
								    0.5 * ms &&
								(!next ||
								 jnum(c, "wall_time_ms", 0) >
								     jnum(next, "wall_time_ms", 0)))
				    next = c;
				n = next;
			}
			sb_printf(&sb, " take %.0f ms", ms);
			return sb_detach(&sb);
		}
	}
	return NULL;
}

static void classify(struct prof *p, const struct activities *acts)
{
	const struct activity *t = act_top(acts);
	const struct tindex *tix = trace_get(p);
	double W = p->stats[M_WALL_MS].median;
	double cpu = p->stats[M_CPU_MS].median;

	if (!t) {
		/* No shim data: the sampled states, else rusage. */
		const struct tnode *e = trace_entry(p);
		double share;
		enum tstate d = e ? tnode_dominant(e, &share) : T_OTHER;

		if (e && e->total > 0) {
			static const char *const cls[T_NSTATES] = {
			    "CPU", "I/O-File", "I/O-Network", "Architecture", "Unknown", "Unknown"};

			p->classification = xstrdup(cls[d]);
			p->detail =
			    xasprintf("%.0f%% of the sampled time of %s is %s (%.0f ms wall); "
				      "no shim counts",
				      share * 100, e->name, tstate_names[d], W);
		} else if (cpu >= 0.5 * W) {
			p->classification = xstrdup("CPU");
			p->detail =
			    xasprintf("%.0f ms of CPU in %.0f ms wall (no I/O counts: %s)", cpu, W,
				      p->shim_problem ? p->shim_problem : "no shim");
		} else {
			p->classification = xstrdup("Unknown");
			p->detail =
			    xasprintf("%.0f ms of CPU in %.0f ms wall; where the rest went "
				      "was not measured (%s)",
				      cpu, W, p->shim_problem ? p->shim_problem : "no shim data");
		}
		return;
	}
	/* CPU spread over many processes (a build, a pool of workers) is one
	 * cost: their sum competes with the largest single activity. */
	{
		double cpu_sum = 0;
		int ncpu = 0;
		const struct activity *big = NULL;

		for (int i = 0; i < acts->n; i++)
			if (acts->a[i].kind == A_CPU) {
				cpu_sum += acts->a[i].ms;
				ncpu++;
				if (!big || acts->a[i].ms > big->ms)
					big = &acts->a[i];
			}
		if (ncpu > 1 && cpu_sum > t->ms && cpu_sum >= 0.1 * W) {
			p->classification = xstrdup("CPU");
			p->detail = xasprintf("%.0f ms on CPU across %d processes of %.0f ms wall "
					      "(largest: %s, %.0f ms)",
					      cpu_sum, ncpu, W, shim_service(big->owner), big->ms);
			return;
		}
	}
	if (t->ms < 0.1 * W) {
		p->classification = xstrdup("Unknown");
		p->detail = xasprintf("no measured activity explains the run: the largest, %s, "
				      "is %.1f ms of %.1f ms wall (the rest is sleep or waiting)",
				      t->what, t->ms, W);
		return;
	}
	switch (t->kind) {
	case A_CPU: {
		const struct tnode *h = tix ? hottest(tix->root, NULL) : NULL;

		p->classification = xstrdup("CPU");
		if (h && tix->root->total > 0)
			p->detail =
			    xasprintf("%.0f ms on CPU in %s of %.0f ms wall; hottest function "
				      "%s (%.0f%% of the samples on its own)",
				      t->ms, shim_service(t->owner), W, h->name,
				      pct(h->self, tix->root->total));
		else
			p->detail = xasprintf("%.0f ms on CPU in %s of %.0f ms wall", t->ms,
					      shim_service(t->owner), W);
		if (confirmed(p, "lock_wait")) {
			char *d = xasprintf("%s; lock waits confirmed", p->detail);

			free(p->detail);
			p->detail = d;
		}
		return;
	}
	case A_LOCK:
		p->classification = xstrdup("Architecture");
		p->detail = xasprintf("lock contention: %llu contended lock calls in %s waited "
				      "%.0f ms (summed over threads) of %.0f ms wall",
				      (unsigned long long)t->ops, shim_service(t->owner), t->ms, W);
		return;
	case A_FILE:
		if (t->connects >= SUS_LOOP_MIN) {
			p->classification = xstrdup("Architecture");
			p->detail =
			    xasprintf("%s opened %llu times (I/O in a loop), %.0f ms blocked "
				      "of %.0f ms wall",
				      t->what, (unsigned long long)t->connects, t->ms, W);
		} else {
			p->classification = xstrdup("I/O-File");
			p->detail =
			    xasprintf("%llu read/write calls on %s (%.0f bytes per call), "
				      "%.0f ms blocked of %.0f ms wall",
				      (unsigned long long)t->ops, t->what,
				      t->ops ? (double)t->bytes / (double)t->ops : 0, t->ms, W);
		}
		return;
	default:
		break;
	}
	/* A peer. */
	{
		char served[256] = "";
		enum act_kind sk = A_CPU;
		const struct activity *largest = NULL;
		double busy = 0;

		if (t->in_tree && t->server) {
			char *path = server_path(p->steps);

			busy = act_server_busy(acts, t->server, &sk, &largest);
			if (path) {
				snprintf(served, sizeof(served), "; in the server %s", path);
				free(path);
				largest = largest ? largest : t;
				goto have_served;
			}
			if (largest)
				snprintf(served, sizeof(served),
					 "; %s (pid %d) serves them, spending %.0f ms on %s%s%s",
					 shim_service_name(prof_analysis_set(p), t->server),
					 t->server->pid, largest->ms,
					 sk == A_CPU ? "CPU" : act_class(sk),
					 sk == A_CPU ? "" : " ", sk == A_CPU ? "" : largest->what);
		}
	have_served:
		if (t->ops >= SUS_LOOP_MIN) {
			p->classification = xstrdup("Architecture");
			p->detail = xasprintf("%llu %s%s to %s, %.0f ms of %.0f ms%s",
					      (unsigned long long)t->ops,
					      confirmed(p, "sequential_calls") ? "sequential " : "",
					      req_noun(t), t->what, t->ms, W, served);
		} else if (t->in_tree && largest && busy >= 0.5 * t->ms) {
			p->classification = xstrdup(act_class(sk));
			p->detail = xasprintf("%llu %s to %s take %.0f ms of %.0f ms%s",
					      (unsigned long long)t->ops, req_noun(t), t->what,
					      t->ms, W, served);
		} else if (t->external && t->ms >= 0.9 * W) {
			p->classification = xstrdup("External");
			p->detail =
			    xasprintf("%llu %s to the external %s take %.0f ms of %.0f ms",
				      (unsigned long long)t->ops, req_noun(t), t->what, t->ms, W);
		} else {
			p->classification = xstrdup(act_class(t->kind));
			p->detail = xasprintf("%llu %s to %s (%s) take %.0f ms of %.0f ms%s",
					      (unsigned long long)t->ops, req_noun(t), t->what,
					      t->cls, t->ms, W, served);
		}
	}
}

/* The class of one step's time. */
static const char *step_class(const struct prof *p, const struct step_info *s)
{
	const struct activity *a = s->act;

	if (a) {
		if ((a->kind == A_NET || a->kind == A_DB || a->kind == A_CACHE ||
		     a->kind == A_QUEUE) &&
		    a->ops >= SUS_LOOP_MIN)
			return "Architecture";
		if (a->kind == A_FILE && a->connects >= SUS_LOOP_MIN)
			return "Architecture";
		if (a->external && a->ms >= 0.9 * p->stats[M_WALL_MS].median)
			return "External";
		return act_class(a->kind);
	}
	if (!strcmp(s->type, "file_io"))
		return "I/O-File";
	return "CPU";
}

static void top_bottlenecks(struct prof *p, struct steps *st)
{
	int used[3] = {-1, -1, -1};

	p->top = cJSON_CreateArray();
	for (int k = 0; k < 3; k++) {
		int best = -1;
		double bv = 0;

		for (int i = 0; i < st->n; i++) {
			const struct step_info *s = &st->s[i];
			/* I/O steps by their whole share, function steps by what
			 * their own code spends (not their callees). */
			double v = s->act || strcmp(s->type, "function_call")
				       ? s->share
				       : s->self_share * s->cpu_frac;
			int skip = !s->act && !s->sampled;

			for (int u = 0; u < k; u++) {
				const char *uid = st->s[used[u]].id;
				size_t ul = strlen(uid), sl = strlen(s->id);

				if (used[u] == i)
					skip = 1;
				/* no ancestor or descendant of a chosen step */
				if (!strncmp(s->id, uid, ul) && (s->id[ul] == '.' || !s->id[ul]))
					skip = 1;
				if (!strncmp(uid, s->id, sl) && uid[sl] == '.')
					skip = 1;
			}
			if (!skip && v > bv && v >= 1.0) {
				bv = v;
				best = i;
			}
		}
		if (best < 0)
			break;
		used[k] = best;
		{
			const struct step_info *s = &st->s[best];
			cJSON *o = cJSON_CreateObject();
			const char *cls = step_class(p, s);
			char *desc;

			cJSON_AddStringToObject(o, "step", s->id);
			cJSON_AddStringToObject(o, "type", cls);
			jadd_round(o, "share", bv > 100 ? 100 : bv, 1);
			if (s->act && s->act->kind != A_CPU)
				desc = xasprintf("%s: %llu %s to %s, %.1f ms blocked", s->function,
						 (unsigned long long)s->act->ops,
						 s->act->kind == A_FILE ? "calls"
						 : s->act->http		? "HTTP requests"
									: "round trips",
						 s->act->what, s->act->ms);
			else
				desc = xasprintf("%s: %.0f%% of the run in its own code",
						 s->function, bv);
			cJSON_AddStringToObject(o, "priority",
						bv > 50	   ? "PRIMARY"
						: bv >= 20 ? "SECONDARY"
							   : "TERTIARY");
			cJSON_AddStringToObject(o, "description", desc);
			free(desc);
			cJSON_AddItemToArray(p->top, o);
		}
	}
}

/* Reference latency ranges of latency_estimation.md, per operation: used
 * only to say whether a measured mean is inside the expected range. */
static const struct {
	enum act_kind kind;
	int local;
	const char *what;
	double lo_ms, hi_ms;
} norms[] = {
    {A_NET, 1, "HTTP (localhost/internal)", 1, 50},
    {A_NET, 0, "HTTP (external API)", 100, 5000},
    {A_DB, 1, "simple query (indexed)", 0.5, 10},
    {A_DB, 0, "simple query (indexed)", 0.5, 10},
    {A_CACHE, 1, "Redis GET", 0.1, 2},
    {A_CACHE, 0, "Redis GET", 0.1, 2},
    {A_FILE, 1, "file read (< 1KB)", 0.1, 5},
    {A_DNS, 1, "DNS lookup", 1, 100},
};

static void wrong_tool(struct prof *p, const struct activities *acts)
{
	const struct activity *t = act_top(acts);
	double W = p->stats[M_WALL_MS].median;
	int nconf = 0;

	p->wrong_tool = cJSON_CreateArray();
	p->wrong_tool_evidence = cJSON_CreateArray();
	for (int i = 0; i < p->nsus; i++)
		nconf += p->sus[i].confirmed;
#define INDICATE(name, ...)                                                                        \
	do {                                                                                       \
		char *ev_ = xasprintf(__VA_ARGS__);                                                \
		cJSON *o_ = cJSON_CreateObject();                                                  \
		cJSON_AddItemToArray(p->wrong_tool, cJSON_CreateString(name));                     \
		cJSON_AddStringToObject(o_, "indicator", name);                                    \
		cJSON_AddStringToObject(o_, "evidence", ev_);                                      \
		cJSON_AddItemToArray(p->wrong_tool_evidence, o_);                                  \
		free(ev_);                                                                         \
	} while (0)

	if (t && t->external && t->ms >= 0.9 * W && t->ops < SUS_LOOP_MIN && t->ops <= 2)
		INDICATE("external_service_no_alternative",
			 "%.0f%% of the wall time (%.0f of %.0f ms) waits on the external %s over "
			 "%llu request(s): nothing to batch, cache or parallelize",
			 pct(t->ms, W), t->ms, W, t->what, (unsigned long long)t->ops);
	if (t && t->kind != A_CPU && t->kind != A_LOCK && t->ops > 0 && t->ops < SUS_LOOP_MIN &&
	    t->ms >= 0.5 * W) {
		double mean = t->ms / (double)t->ops;
		int local = !t->external;

		for (size_t i = 0; i < ARRAY_SIZE(norms); i++) {
			if (norms[i].kind != t->kind || norms[i].local != local)
				continue;
			if (mean >= norms[i].lo_ms && mean <= norms[i].hi_ms)
				INDICATE("within_industry_norm",
					 "measured %.2f ms per operation on %s (%llu operations); "
					 "reference range for %s: %g-%g ms (latency_estimation.md)",
					 mean, t->what, (unsigned long long)t->ops, norms[i].what,
					 norms[i].lo_ms, norms[i].hi_ms);
			break;
		}
	}
	/* Runnable but not running: the tracer saw the threads on CPU far more
	 * than the kernel gave them CPU time. */
	{
		const struct tnode *e = trace_entry(p);

		if (e && e->total > 0 && p->have_deep && p->deep.m.v[M_WALL_MS] > 0) {
			double on_cpu = e->st[T_CPU] / e->total;
			double got = p->deep.m.v[M_CPU_MS] / p->deep.m.v[M_WALL_MS];

			if (on_cpu >= 0.5 && got < 0.6 * on_cpu)
				INDICATE(
				    "infrastructure_bound",
				    "samples put %.0f%% of the time on CPU but the tree got %.0f%% "
				    "of one CPU (%.0f ms CPU in %.0f ms): the machine is "
				    "oversubscribed",
				    on_cpu * 100, got * 100, p->deep.m.v[M_CPU_MS],
				    p->deep.m.v[M_WALL_MS]);
		}
	}
	{
		uint64_t majflt = 0;

		for (int i = p->o.warmup; i < p->nruns; i++)
			if (p->runs[i].st.ru.ru_majflt > (long)majflt)
				majflt = (uint64_t)p->runs[i].st.ru.ru_majflt;
		if (majflt >= 1000)
			INDICATE("infrastructure_bound",
				 "%llu major page faults in one run: the working set does not fit "
				 "in memory",
				 (unsigned long long)majflt);
	}
	if (t && t->kind != A_CPU && !nconf && p->nsus >= 2 && t->ms >= 0.5 * W)
		INDICATE("already_optimized",
			 "every suspicion checked (%d) was dismissed by the measurements while "
			 "%s takes %.0f%% of the run",
			 p->nsus, t->what, pct(t->ms, W));
#undef INDICATE
}

static void affected_steps(struct prof *p, const struct steps *st)
{
	for (int i = 0; i < p->nsus; i++) {
		struct suspicion *s = &p->sus[i];

		for (int k = 0; k < st->n; k++) {
			const struct step_info *si = &st->s[k];
			int hit = 0;

			if (s->instrument_fn && si->function &&
			    !strcmp(si->function, s->instrument_fn))
				hit = 1;
			if (si->act && si->act->kind != A_CPU && strstr(s->location, si->act->what))
				hit = 1;
			if (si->act && (si->act->kind == A_CPU || si->act->kind == A_LOCK) &&
			    strstr(s->location, si->act->owner->exe) &&
			    (!strcmp(s->check, "lock_wait")
				 ? si->act->kind == A_LOCK
				 : !strcmp(s->check, "heap_growth") && si->act->kind == A_CPU))
				hit = 1;
			if (hit)
				sus_add_step(s, si->id);
		}
	}
}

static const cJSON *step_of_fn(const cJSON *steps, const char *fn)
{
	const cJSON *s, *k;

	cJSON_ArrayForEach(s, steps)
	{
		if (!strcmp(jstr(s, "function", ""), fn))
			return s;
		if ((k = step_of_fn(jget(s, "children"), fn)))
			return k;
	}
	return NULL;
}

/* The source's chain meets the measured steps: each function of the chain
 * that is a step gets its id and measured time. */
static void merge_chain(cJSON *node, const cJSON *steps)
{
	const cJSON *st = step_of_fn(steps, jstr(node, "function", ""));
	cJSON *c;

	if (st) {
		cJSON_AddStringToObject(node, "step", jstr(st, "id", ""));
		cJSON_AddNumberToObject(node, "wall_time_ms", jnum(st, "wall_time_ms", 0));
	}
	cJSON_ArrayForEach(c, jget(node, "calls")) merge_chain(c, steps);
}

void phase_map(struct prof *p)
{
	const struct shim_set *set = prof_analysis_set(p);
	struct activities acts;
	struct steps st;

	act_build(&acts, set, p->stats[M_WALL_MS].median);
	steps_build(p, &acts, &st);
	if (st.truncated)
		prof_concern(p, "call chain deeper than %d levels: truncated at depth %d",
			     STEPS_MAX_DEPTH, STEPS_MAX_DEPTH);
	affected_steps(p, &st);
	if (p->call_chain)
		merge_chain(p->call_chain, p->steps);
	sus_dedup(p);
	classify(p, &acts);
	top_bottlenecks(p, &st);
	wrong_tool(p, &acts);
	steps_free(&st);
	act_free(&acts);
}
