/*
 * Phase 2: the seed's suspicion checklist, each suspicion verified against
 * what the median counted run measured.  A check that finds nothing to
 * look at still leaves a dismissed entry saying so: the stack is the audit
 * trail of what was checked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "callchain.h"
#include "error.h"
#include "jget.h"
#include "phases.h"
#include "suspect.h"
#include "symbolize.h"
#include "trace.h"

struct suspicion *sus_add(struct prof *p, const char *check, const char *category,
			  const char *location, int confirmed, double share_pct,
			  const char *description, const char *evidence, const char *note)
{
	struct suspicion *s;

	p->sus = realloc(p->sus, sizeof(*p->sus) * (size_t)(p->nsus + 1));
	if (!p->sus)
		error_msg_and_die("out of memory");
	s = &p->sus[p->nsus++];
	memset(s, 0, sizeof(*s));
	s->check = xstrdup(check);
	s->category = xstrdup(category);
	s->location = xstrdup(location);
	s->confirmed = confirmed;
	s->share_pct = share_pct;
	s->description = xstrdup(description);
	s->evidence = xstrdup(evidence);
	s->note = xstrdup(note);
	return s;
}

void sus_add_step(struct suspicion *s, const char *id)
{
	for (int i = 0; i < s->nsteps; i++)
		if (!strcmp(s->steps[i], id))
			return;
	s->steps = realloc(s->steps, sizeof(char *) * (size_t)(s->nsteps + 1));
	if (!s->steps)
		error_msg_and_die("out of memory");
	s->steps[s->nsteps++] = xstrdup(id);
}

/* "fetch_item (src/client.c:42)" from the trace when it saw who waited on
 * target, else the target itself.  *fn gets the function (or NULL). */
static void note_source_loop(struct prof *p, struct suspicion *s, const char *fn, int net);

static struct activities deep_acts;
static int deep_built;

/* The same peer or file in the deep run, whose addresses the trace knows
 * (an ephemeral port changes from run to run). */
static const char *deep_target(const struct prof *p, const char *target)
{
	const struct shim_set *med = prof_analysis_set(p);
	struct activities acts;
	const struct activity *a = NULL;
	const char *res = target;

	if (!p->have_deep || !med)
		return target;
	if (!deep_built) {
		act_build(&deep_acts, &p->deep.shim, p->deep.m.v[M_WALL_MS]);
		deep_built = 1;
	}
	act_build(&acts, med, 0);
	for (int i = 0; i < acts.n && !a; i++)
		if (!strcmp(acts.a[i].what, target))
			a = &acts.a[i];
	for (int i = 0; a && i < deep_acts.n; i++) {
		const struct activity *d = &deep_acts.a[i];

		if (d->kind == a->kind && !strcmp(d->cls, a->cls) && d->owner && a->owner &&
		    !strcmp(d->owner->exe, a->owner->exe) && d->ops == a->ops) {
			res = d->what;
			break;
		}
	}
	act_free(&acts);
	return res;
}

static char *locate(const struct prof *p, const char *target, const char **fn)
{
	const struct tindex *t = trace_get(p);
	const char *w = t ? trace_waiter(t, target) : NULL;

	if (t && !w)
		w = trace_waiter(t, deep_target(p, target));
	const struct tnode *n = w ? trace_find(t, w, 0) : NULL;

	*fn = w;
	if (n && n->file && n->line) {
		size_t rl = strlen(p->root);
		const char *f = !strncmp(n->file, p->root, rl) && n->file[rl] == '/'
				    ? n->file + rl + 1
				    : n->file;

		return xasprintf("%s (%s:%d) -> %s", w, f, n->line, target);
	}
	if (w)
		return xasprintf("%s -> %s", w, target);
	return xstrdup(target);
}

static void set_fn(struct suspicion *s, const char *fn)
{
	if (fn)
		s->instrument_fn = xstrdup(fn);
}

static double pct(double part, double whole)
{
	return whole > 0 ? part / whole * 100.0 : 0;
}

static const char *noun(const struct activity *a)
{
	if (a->http)
		return "HTTP requests";
	if (a->kind == A_DB)
		return "queries";
	return "round trips";
}

static void check_network(struct prof *p, const struct activities *acts)
{
	int peers = 0;

	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];
		const char *fn;
		char *loc, *ev, *desc;
		struct suspicion *s;
		double share;

		if (a->kind != A_NET && a->kind != A_DB && a->kind != A_CACHE && a->kind != A_QUEUE)
			continue;
		peers++;
		loc = locate(p, a->what, &fn);
		share = pct(a->ms, acts->wall_ms);
		/* Connection management: a connect per request. */
		ev = xasprintf("%llu connects for %llu %s to %s (%s), %.1f ms blocked",
			       (unsigned long long)a->connects, (unsigned long long)a->ops, noun(a),
			       a->what, a->cls, a->ms);
		if (a->connects >= 2 && a->ops > 0 &&
		    (double)a->connects >= SUS_CONNECT_RATIO * (double)a->ops) {
			desc = xasprintf("New connection per request to %s: no connection reuse "
					 "or pooling",
					 a->what);
			s = sus_add(
			    p, "connection_per_request", "Connection management", loc, 1, share,
			    desc, ev,
			    "counted by the shim: every round trip opened its own connection");
			s->hint = xasprintf("reuse one connection (keep-alive or a pool) for the "
					    "%llu %s to %s",
					    (unsigned long long)a->ops, noun(a), a->what);
			set_fn(s, fn);
		} else {
			desc = xasprintf("New connection per request to %s", a->what);
			s = sus_add(p, "connection_per_request", "Connection management", loc, 0,
				    share, desc, ev,
				    a->connects <= 1
					? "one connection carried every request"
					: "connections are reused for several requests");
		}
		free(desc);
		free(ev);
		/* Architecture: the same request repeated, I/O inside a loop. */
		ev = xasprintf("%llu %s to %s in one run, %.1f ms of %.1f ms wall (%.0f%%)",
			       (unsigned long long)a->ops, noun(a), a->what, a->ms, acts->wall_ms,
			       share);
		desc = xasprintf("I/O inside a loop (N+1): %s to %s", noun(a), a->what);
		if (a->ops >= SUS_LOOP_MIN) {
			s = sus_add(p, "n_plus_one", "Architecture", loc, 1, share, desc, ev,
				    "the same peer was asked again and again within one run "
				    "(counted round trips)");
			note_source_loop(p, s, fn, 1);
			s->hint = xasprintf("batch the %llu %s to %s into one (or a few)",
					    (unsigned long long)a->ops, noun(a), a->what);
			set_fn(s, fn);
		} else {
			s = sus_add(p, "n_plus_one", "Architecture", loc, 0, share, desc, ev,
				    "too few repetitions for a loop of requests");
		}
		free(desc);
		free(ev);
		free(loc);
	}
	if (!peers)
		sus_add(p, "connection_per_request", "Connection management", "-", 0, 0,
			"New connection per request", "0 client connections in the run",
			"no network client activity to check");
}

/* Async patterns: requests that ran one after another. */
static void check_sequential(struct prof *p, const struct activities *acts)
{
	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];
		const struct shim_proc *owner = a->owner;
		double rt_ms = 0, wall;
		uint64_t n = 0;
		int npeers = 0, seen = 0;
		char *ev, *desc;
		const cJSON *peer;

		if (a->kind == A_CPU || a->kind == A_FILE || a->kind == A_LOCK || a->kind == A_DNS)
			continue;
		for (int k = 0; k < i; k++)
			if (acts->a[k].owner && owner && acts->a[k].owner->pid == owner->pid &&
			    acts->a[k].kind != A_CPU && acts->a[k].kind != A_FILE &&
			    acts->a[k].kind != A_LOCK && acts->a[k].kind != A_DNS)
				seen = 1;
		if (seen)
			continue; /* one verdict per process */
		cJSON_ArrayForEach(peer, jget(owner->j, "net.peers"))
		{
			if (strcmp(jstr(peer, "role", "client"), "client"))
				continue;
			rt_ms += jnum(peer, "round_trip_ns", 0) / 1e6;
			n += ju64(peer, "round_trips");
			npeers++;
		}
		wall = jnum(owner->j, "wall_ns", 0) / 1e6;
		if (n < 2 || wall <= 0)
			continue;
		ev = xasprintf("%llu round trips to %d peer(s) from pid %d took %.1f ms in total "
			       "over %.1f ms of process wall time (%.0f%%)",
			       (unsigned long long)n, npeers, owner->pid, rt_ms, wall,
			       pct(rt_ms, wall));
		desc =
		    xasprintf("Sequential requests without overlap from %s", shim_service(owner));
		if (rt_ms <= wall * 1.02 && rt_ms >= SUS_SEQ_SHARE * wall) {
			struct suspicion *s = sus_add(
			    p, "sequential_calls", "Async patterns", owner->exe, 1,
			    pct(rt_ms, acts->wall_ms), desc, ev,
			    "their summed durations fit inside the process's wall time, so no "
			    "two overlapped; whether they depend on each other's data is for "
			    "the code to tell");
			s->hint =
			    xstrdup("issue independent requests concurrently (or batch them)");
		} else {
			sus_add(p, "sequential_calls", "Async patterns", owner->exe, 0,
				pct(rt_ms, acts->wall_ms), desc, ev,
				rt_ms > wall * 1.02
				    ? "requests overlapped: they already run concurrently"
				    : "request time is too small a part of the run");
		}
		free(ev);
		free(desc);
	}
}

static void check_files(struct prof *p, const struct activities *acts)
{
	int files = 0;

	for (int i = 0; i < acts->n; i++) {
		const struct activity *a = &acts->a[i];
		double share = pct(a->ms, acts->wall_ms), mean;
		const char *fn;
		char *loc, *ev, *desc;
		struct suspicion *s;

		/* a file read once or twice (a config, a module) is no suspect */
		if (a->kind != A_FILE || (a->ops < 10 && a->connects < 3))
			continue;
		files++;
		loc = locate(p, a->what, &fn);
		/* Data flow: the same file opened again and again. */
		ev = xasprintf("%s opened %llu times, %llu calls, %llu bytes, %.1f ms blocked",
			       a->what, (unsigned long long)a->connects, (unsigned long long)a->ops,
			       (unsigned long long)a->bytes, a->ms);
		desc = xasprintf("Same file opened repeatedly: %s", a->what);
		if (a->connects >= SUS_LOOP_MIN) {
			s = sus_add(p, "file_reopened", "Data flow", loc, 1, share, desc, ev,
				    "opens counted by the shim per path");
			note_source_loop(p, s, fn, 0);
			s->hint = xasprintf("open %s once (or cache its contents) instead of %llu "
					    "times",
					    a->what, (unsigned long long)a->connects);
			set_fn(s, fn);
		} else if (a->connects >= 2 || a->ops >= SUS_SMALL_IO_CALLS) {
			sus_add(p, "file_reopened", "Data flow", loc, 0, share, desc, ev,
				"opened only a few times");
		}
		free(desc);
		/* Small I/O sizes: unbuffered access. */
		mean = a->ops ? (double)a->bytes / (double)a->ops : 0;
		desc = xasprintf("Small I/O sizes (unbuffered) on %s", a->what);
		free(ev);
		ev = xasprintf(
		    "%llu read/write calls on %s moving %llu bytes: %.1f bytes per call, "
		    "%.1f ms blocked",
		    (unsigned long long)a->ops, a->what, (unsigned long long)a->bytes, mean, a->ms);
		if (a->ops >= SUS_SMALL_IO_CALLS && mean < SUS_SMALL_IO_BYTES) {
			double sysw = jnum(a->owner->j, "io.kernel.syscw", 0) +
				      jnum(a->owner->j, "io.kernel.syscr", 0);
			double kb = jnum(a->owner->j, "io.kernel.wchar", 0) +
				    jnum(a->owner->j, "io.kernel.rchar", 0);
			double kmean = sysw > 0 ? kb / sysw : 0;

			if (sysw > 0 && kmean >= SUS_SMALL_IO_BYTES * 4) {
				char *ev2 =
				    xasprintf("%s; the kernel saw %.0f syscalls of %.0f bytes "
					      "on average for the whole process",
					      ev, sysw, kmean);

				sus_add(
				    p, "small_io", "Data flow", loc, 0, share, desc, ev2,
				    "the small calls are buffered before they reach the kernel");
				free(ev2);
			} else {
				s = sus_add(p, "small_io", "Data flow", loc, 1, share, desc, ev,
					    "call sizes counted by the shim; the kernel's syscall "
					    "counters agree (no buffering in between)");
				s->hint =
				    xasprintf("buffer the I/O on %s (e.g. 64 KiB), %llu calls of "
					      "%.0f bytes now",
					      a->what, (unsigned long long)a->ops, mean);
				set_fn(s, fn);
			}
		} else if (a->ops >= 2) {
			sus_add(p, "small_io", "Data flow", loc, 0, share, desc, ev,
				a->ops < SUS_SMALL_IO_CALLS ? "too few calls to matter"
							    : "calls move enough bytes each");
		}
		free(desc);
		free(ev);
		free(loc);
	}
	if (!files)
		sus_add(p, "small_io", "Data flow", "-", 0, 0, "Small I/O sizes (unbuffered)",
			"no file read or written by path in the run", "no file I/O to check");
}

static void check_procs(struct prof *p, const struct shim_set *set, double wall_ms)
{
	for (int i = 0; i < set->n; i++) {
		const struct shim_proc *pr = &set->p[i];
		double live = jnum(pr->j, "heap.live_bytes", 0);
		double peak = jnum(pr->j, "heap.peak_live_bytes", 0);
		double alloc = jnum(pr->j, "heap.bytes_allocated", 0);
		double pwall = jnum(pr->j, "wall_ns", 0) / 1e6;
		double lock_ms = jnum(pr->j, "locks.wait_ns", 0) / 1e6;
		double lookups = jnum(pr->j, "net.dns.lookups", 0);
		double connects = jnum(pr->j, "net.connects", 0);
		char *site_s = sym_site_name(jget(pr->j, "heap.sites[0].frames"));
		const char *site = site_s;
		char *loc =
		    site ? xasprintf("%s (pid %d), top allocation site %s", pr->exe, pr->pid, site)
			 : xasprintf("%s (pid %d)", pr->exe, pr->pid);
		char *ev, *desc;
		struct suspicion *s;

		/* Resource lifecycle: memory accumulating. */
		if (alloc > 0) {
			ev = xasprintf("heap peak %.1f MB, %.1f MB still held at exit of %.1f MB "
				       "allocated (%llu allocs, %llu frees)",
				       peak / 1048576.0, live / 1048576.0, alloc / 1048576.0,
				       (unsigned long long)ju64(pr->j, "heap.allocs"),
				       (unsigned long long)ju64(pr->j, "heap.frees"));
			desc = xasprintf("Heap growing without bound in %s", shim_service(pr));
			/* a fork child starts with its parent's blocks: only what
			 * the process allocated itself can make it grow */
			if (live >= SUS_HEAP_MIN_BYTES && alloc >= SUS_HEAP_MIN_BYTES &&
			    live >= SUS_HEAP_HELD * alloc && live >= 0.9 * peak) {
				s = sus_add(p, "heap_growth", "Resource lifecycle", loc, 1, -1,
					    desc, ev,
					    "the heap only grew: its peak is what is still held at "
					    "exit");
				s->hint =
				    xasprintf("free or bound what accumulates%s%s",
					      site ? " (allocated in " : "", site ? site : "");
				if (site) {
					char *h = xasprintf("%s)", s->hint);

					free(s->hint);
					s->hint = h;
				}
				if (site) {
					/* the function alone, without "(file:line)" */
					char *fn = strndup(site, strcspn(site, " +"));

					set_fn(s, fn);
					free(fn);
				}
			} else if (peak >= SUS_HEAP_MIN_BYTES) {
				sus_add(p, "heap_growth", "Resource lifecycle", loc, 0, -1, desc,
					ev,
					"memory is released: less than half of it is held at exit");
			}
			free(ev);
			free(desc);
		}
		/* Lock wait. */
		if (lock_ms > 0 || jnum(pr->j, "locks.contended", 0) > 0) {
			ev = xasprintf(
			    "%llu contended lock calls waited %.1f ms in total (%.0f%% of "
			    "the process's %.1f ms wall, summed over its threads)",
			    (unsigned long long)ju64(pr->j, "locks.contended"), lock_ms,
			    pct(lock_ms, pwall), pwall);
			desc = xasprintf("Lock contention in %s", shim_service(pr));
			if (pwall > 0 && lock_ms >= SUS_LOCK_SHARE * pwall) {
				s = sus_add(p, "lock_wait", "Architecture", loc, 1,
					    pct(lock_ms, wall_ms), desc, ev,
					    "lock waits timed by the shim");
				s->hint = xstrdup("shorten the critical section or split the lock");
			} else {
				sus_add(p, "lock_wait", "Architecture", loc, 0,
					pct(lock_ms, wall_ms), desc, ev,
					"lock waits are a small part of the run");
			}
			free(ev);
			free(desc);
		}
		/* DNS per request. */
		if (lookups > 0) {
			ev = xasprintf("%.0f DNS lookups for %.0f connects, %.1f ms", lookups,
				       connects, jnum(pr->j, "net.dns.blocked_ns", 0) / 1e6);
			desc = xasprintf("DNS lookup per request in %s", shim_service(pr));
			if (lookups >= 2 && lookups >= 0.5 * connects) {
				s = sus_add(
				    p, "dns_per_request", "Connection management", loc, 1,
				    pct(jnum(pr->j, "net.dns.blocked_ns", 0) / 1e6, wall_ms), desc,
				    ev, "lookups counted by the shim");
				s->hint = xstrdup(
				    "resolve once and reuse the address (or the connection)");
			} else {
				sus_add(p, "dns_per_request", "Connection management", loc, 0, -1,
					desc, ev, "lookups are not repeated per connection");
			}
			free(ev);
			free(desc);
		}
		free(loc);
		free(site_s);
	}
}

/* The reports the analysis reads: the median counted run's. */
const struct shim_set *prof_analysis_set(const struct prof *p)
{
	if (p->nruns > p->median_run && p->runs[p->median_run].shim.n)
		return &p->runs[p->median_run].shim;
	return NULL;
}

/* Phase 2, Step 1: the call chain from the entry point, read from the
 * source: the --target function, else the main() the trace saw. */
static void read_call_chain(struct prof *p)
{
	const struct tindex *t = trace_get(p);
	const char *fn = p->o.target ? p->entry_function : "main";
	const char *file = p->o.target ? p->entry_file : NULL;
	const struct tnode *e = NULL;

	if (!p->o.target) {
		e = t ? trace_find(t, "main", t->root_pid) : NULL;
		if (!e || !e->file) {
			p->call_chain_problem =
			    "no entry point to read the source from (give --target, "
			    "or a sampled main with its source file)";
			return;
		}
		file = e->file;
	}
	p->call_chain = callchain_build(p->root, file, fn, &p->call_chain_problem);
}

/* What the source says about the calls of fn: appended to a confirmed
 * loop suspicion's verification note. */
static void note_source_loop(struct prof *p, struct suspicion *s, const char *fn, int net)
{
	const char *caller = NULL, *loc = NULL;
	int in_loop = 0, line = 0;
	char *n;

	if (!p->call_chain)
		return;
	if (!fn) {
		/* no sampled waiter: any I/O of that kind in a loop of the chain */
		const char *callee;

		if (callchain_find_io_loop(p->call_chain, net, &caller, &loc, &callee, &line) < 0)
			return;
		n = xasprintf("%s; in the source %s (%s) calls %s inside a loop at line %d, which "
			      "does %s I/O",
			      s->note, caller, loc, callee, line, net ? "network" : "file");
		free(s->note);
		s->note = n;
		return;
	}
	if (callchain_find_call(p->call_chain, fn, &caller, &loc, &line, &in_loop) < 0)
		n = xasprintf(
		    "%s; the source read from the entry point (depth %d) does not call %s", s->note,
		    CALLCHAIN_MAX_DEPTH, fn);
	else if (in_loop)
		n = xasprintf(
		    "%s; the source confirms it: %s (%s) calls %s inside a loop at line %d",
		    s->note, caller, loc, fn, line);
	else
		n = xasprintf("%s; in the source %s (%s) calls %s outside any loop (line %d): the "
			      "repetition comes from further out",
			      s->note, caller, loc, fn, line);
	free(s->note);
	s->note = n;
}

void phase_suspicions(struct prof *p)
{
	const struct shim_set *set = prof_analysis_set(p);
	struct activities acts;

	read_call_chain(p);

	if (!set) {
		sus_add(p, "shim", "Measurement", "-", 0, -1, "I/O, network, heap and lock checks",
			p->shim_problem ? p->shim_problem : "no shim report",
			"not verifiable without the shim's counts");
		return;
	}
	act_build(&acts, set, p->stats[M_WALL_MS].median);
	check_network(p, &acts);
	check_sequential(p, &acts);
	check_files(p, &acts);
	check_procs(p, set, acts.wall_ms);
	act_free(&acts);
}
