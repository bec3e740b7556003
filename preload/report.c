/*
 * The shim's JSON report, from a counter file; see report.h and
 * docs/shim-report.md.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compiler.h"
#include "report.h"

struct totals {
	struct io_counters io[IO_NKINDS], stdio[IO_NKINDS];
	uint64_t poll_calls, poll_blocked;
	uint64_t allocs, frees, reallocs, bytes;
	uint64_t hist[SHM_HIST_BUCKETS];
	uint64_t lock_contended, lock_wait;
	uint64_t dns_lookups, dns_failures, dns_blocked;
	uint64_t spans_dropped;
	uint64_t last_tick;
};

static const char *const kind_names[IO_NKINDS] = {"file", "socket", "pipe", "tty", "other"};
static const char *const class_names[PC_NCLASSES] = {
	"unknown", "http", "postgres", "mysql", "redis", "memcached", "mongodb", "dns"};
static const char *const transport_names[] = {"none", "tcp", "udp", "unix"};

struct conv {
	double ns_per_tick;
	int valid;
};

static uint64_t ns(const struct conv *c, uint64_t ticks)
{
	return (uint64_t)((double)ticks * c->ns_per_tick + 0.5);
}

static void w_ns(struct jsonw *w, const struct conv *c, const char *key, uint64_t ticks)
{
	if (c->valid)
		jsonw_u64(w, key, ns(c, ticks));
	else
		jsonw_null(w, key);
}

static void add_io(struct io_counters *d, const struct io_counters *s)
{
	d->read_calls += s->read_calls;
	d->read_bytes += s->read_bytes;
	d->write_calls += s->write_calls;
	d->write_bytes += s->write_bytes;
	d->read_blocked += s->read_blocked;
	d->write_blocked += s->write_blocked;
	d->opens += s->opens;
}

/*
 * The slots to read: those ever claimed, then the shared overflow slot.
 * Returns the number of entries in idx.
 */
static int slots(const struct shm_header *h, uint32_t *idx)
{
	uint32_t n = MIN(h->threads_hwm, (uint32_t)SHM_MAX_THREADS - 1);
	int k = 0;

	for (uint32_t i = 0; i < n; i++)
		idx[k++] = i;
	idx[k++] = SHM_MAX_THREADS - 1;
	return k;
}

static void sum(struct shm_header *h, struct totals *t)
{
	struct shm_thread *th = shm_threads(h);
	uint32_t idx[SHM_MAX_THREADS];
	int n = slots(h, idx);

	memset(t, 0, sizeof(*t));
	for (int j = 0; j < n; j++) {
		struct shm_thread *s = &th[idx[j]];

		for (int k = 0; k < IO_NKINDS; k++) {
			add_io(&t->io[k], &s->io[k]);
			add_io(&t->stdio[k], &s->stdio[k]);
		}
		t->poll_calls += s->poll_calls;
		t->poll_blocked += s->poll_blocked;
		t->frees += s->heap_frees;
		t->reallocs += s->heap_reallocs;
		t->bytes += s->heap_bytes;
		for (int b = 0; b < SHM_HIST_BUCKETS; b++) {
			t->hist[b] += s->hist[b];
			t->allocs += s->hist[b];
		}
		t->lock_contended += s->lock_contended;
		t->lock_wait += s->lock_wait;
		t->dns_lookups += s->dns_lookups;
		t->dns_failures += s->dns_failures;
		t->dns_blocked += s->dns_blocked;
		t->spans_dropped += s->spans_dropped;
		if (s->last_tick > t->last_tick)
			t->last_tick = s->last_tick;
	}
}

static void w_hex(struct jsonw *w, const char *key, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char b[20];
	int n = 0, i;

	b[n++] = '0';
	b[n++] = 'x';
	for (i = 60; i > 0 && !((v >> i) & 15); i -= 4)
		;
	for (; i >= 0; i -= 4)
		b[n++] = digits[(v >> i) & 15];
	jsonw_strn(w, key, b, (size_t)n);
}

static void w_counters(struct jsonw *w, const struct conv *c, const char *key,
		       const struct io_counters *x, int opens)
{
	jsonw_obj_begin(w, key);
	jsonw_u64(w, "read_calls", x->read_calls);
	jsonw_u64(w, "read_bytes", x->read_bytes);
	jsonw_u64(w, "write_calls", x->write_calls);
	jsonw_u64(w, "write_bytes", x->write_bytes);
	w_ns(w, c, "blocked_ns", x->read_blocked + x->write_blocked);
	if (opens)
		jsonw_u64(w, "opens", x->opens);
	jsonw_obj_end(w);
}

static void w_argv(struct jsonw *w, const struct shm_header *h)
{
	uint32_t len = h->argv_len < sizeof(h->argv) ? h->argv_len : sizeof(h->argv);
	uint32_t i = 0;

	jsonw_arr_begin(w, "argv");
	while (i < len) {
		size_t n = strnlen(h->argv + i, len - i);

		jsonw_strn(w, NULL, h->argv + i, n);
		i += (uint32_t)n + 1;
	}
	jsonw_arr_end(w);
}

static void w_io(struct jsonw *w, const struct conv *c, struct shm_header *h,
		 const struct totals *t, const struct report_end *e)
{
	struct io_counters all = {0}, stdio = {0};
	struct shm_file *f = shm_files(h);
	struct shm_thread *th = shm_threads(h);
	uint32_t idx[SHM_MAX_THREADS], nf = MIN(h->nfiles, (uint32_t)SHM_MAX_FILES);
	int nslots = slots(h, idx);

	for (int k = 0; k < IO_NKINDS; k++) {
		add_io(&all, &t->io[k]);
		add_io(&stdio, &t->stdio[k]);
	}
	jsonw_obj_begin(w, "io");
	jsonw_obj_begin(w, "read");
	jsonw_u64(w, "calls", all.read_calls);
	jsonw_u64(w, "bytes", all.read_bytes);
	w_ns(w, c, "blocked_ns", all.read_blocked);
	jsonw_obj_end(w);
	jsonw_obj_begin(w, "write");
	jsonw_u64(w, "calls", all.write_calls);
	jsonw_u64(w, "bytes", all.write_bytes);
	w_ns(w, c, "blocked_ns", all.write_blocked);
	jsonw_obj_end(w);
	jsonw_obj_begin(w, "by_kind");
	for (int k = 0; k < IO_NKINDS; k++)
		w_counters(w, c, kind_names[k], &t->io[k], 1);
	jsonw_obj_end(w);
	jsonw_obj_begin(w, "stdio");
	jsonw_u64(w, "read_calls", stdio.read_calls);
	jsonw_u64(w, "read_bytes", stdio.read_bytes);
	jsonw_u64(w, "write_calls", stdio.write_calls);
	jsonw_u64(w, "write_bytes", stdio.write_bytes);
	w_ns(w, c, "blocked_ns", stdio.read_blocked + stdio.write_blocked);
	jsonw_obj_begin(w, "by_kind");
	for (int k = 0; k < IO_NKINDS; k++)
		w_counters(w, c, kind_names[k], &t->stdio[k], 0);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	jsonw_obj_begin(w, "poll");
	jsonw_u64(w, "calls", t->poll_calls);
	w_ns(w, c, "blocked_ns", t->poll_blocked);
	jsonw_obj_end(w);
	if (e->have_kernel) {
		jsonw_obj_begin(w, "kernel");
		jsonw_u64(w, "rchar", e->kio.rchar);
		jsonw_u64(w, "wchar", e->kio.wchar);
		jsonw_u64(w, "syscr", e->kio.syscr);
		jsonw_u64(w, "syscw", e->kio.syscw);
		jsonw_u64(w, "read_bytes", e->kio.read_bytes);
		jsonw_u64(w, "write_bytes", e->kio.write_bytes);
		jsonw_u64(w, "cancelled_write_bytes", e->kio.cancelled_write_bytes);
		jsonw_obj_end(w);
		jsonw_obj_begin(w, "reconcile");
		jsonw_i64(w, "rchar_minus_read_bytes", (int64_t)(e->kio.rchar - all.read_bytes));
		jsonw_i64(w, "wchar_minus_write_bytes", (int64_t)(e->kio.wchar - all.write_bytes));
		jsonw_obj_end(w);
	} else {
		jsonw_null(w, "kernel");
		jsonw_str(w, "kernel_error", e->kernel_error[0] ? e->kernel_error : "not available");
		jsonw_null(w, "reconcile");
	}
	jsonw_arr_begin(w, "files");
	for (uint32_t o = 0; o < nf; o++) {
		struct io_counters x = {0};
		int i = shm_order_get(shm_order(h)->files, o);

		if (i < 0 || f[i].used != 2)
			continue;
		x.read_calls = f[i].read_calls;
		x.read_bytes = f[i].read_bytes;
		x.write_calls = f[i].write_calls;
		x.write_bytes = f[i].write_bytes;
		x.read_blocked = f[i].blocked;
		for (int s = 0; s < nslots; s++) {
			const struct file_pending *p = &th[idx[s]].fpend;

			if (p->file != (uint32_t)i + 1)
				continue;
			x.read_calls += p->read_calls;
			x.read_bytes += p->read_bytes;
			x.write_calls += p->write_calls;
			x.write_bytes += p->write_bytes;
			x.read_blocked += p->blocked;
		}
		jsonw_obj_begin(w, NULL);
		jsonw_str(w, "path", f[i].path);
		jsonw_u64(w, "opens", f[i].opens);
		jsonw_u64(w, "read_calls", x.read_calls);
		jsonw_u64(w, "read_bytes", x.read_bytes);
		jsonw_u64(w, "write_calls", x.write_calls);
		jsonw_u64(w, "write_bytes", x.write_bytes);
		w_ns(w, c, "blocked_ns", x.read_blocked);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_u64(w, "files_dropped", h->files_dropped);
	jsonw_obj_end(w);
}

static void w_net(struct jsonw *w, const struct conv *c, struct shm_header *h,
		  const struct totals *t)
{
	struct shm_peer *p = shm_peers(h);
	struct shm_listen *l = shm_listens(h);
	uint64_t rt = 0, http_rt = 0;
	uint32_t np = MIN(h->npeers, (uint32_t)SHM_MAX_PEERS);

	for (uint32_t o = 0; o < np; o++) {
		int i = shm_order_get(shm_order(h)->peers, o);

		if (i >= 0 && p[i].used == 2) {
			rt += p[i].round_trips;
			http_rt += p[i].http_round_trips;
		}
	}
	jsonw_obj_begin(w, "net");
	jsonw_u64(w, "connects", h->net_connects);
	jsonw_u64(w, "connect_errors", h->net_connect_errors);
	w_ns(w, c, "connect_ns", h->net_connect_ticks);
	jsonw_u64(w, "accepts", h->net_accepts);
	jsonw_u64(w, "round_trips", rt);
	jsonw_u64(w, "http_round_trips", http_rt);
	jsonw_obj_begin(w, "dns");
	jsonw_u64(w, "lookups", t->dns_lookups);
	jsonw_u64(w, "failures", t->dns_failures);
	w_ns(w, c, "blocked_ns", t->dns_blocked);
	jsonw_obj_end(w);
	jsonw_arr_begin(w, "listens");
	for (int i = 0; i < SHM_MAX_LISTENS; i++) {
		if (l[i].used != 2)
			continue;
		jsonw_obj_begin(w, NULL);
		jsonw_str(w, "addr", l[i].addr);
		jsonw_str(w, "transport", transport_names[l[i].transport & 3]);
		jsonw_str(w, "class", class_names[l[i].pclass < PC_NCLASSES ? l[i].pclass : 0]);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_arr_begin(w, "peers");
	for (uint32_t o = 0; o < np; o++) {
		int i = shm_order_get(shm_order(h)->peers, o);
		struct shm_peer *x = i >= 0 ? &p[i] : NULL;

		if (!x || x->used != 2)
			continue;
		jsonw_obj_begin(w, NULL);
		jsonw_str(w, "addr", x->addr);
		jsonw_str(w, "transport", transport_names[x->transport & 3]);
		jsonw_str(w, "role", x->role == ROLE_SERVER ? "server" : "client");
		jsonw_str(w, "class", class_names[x->pclass < PC_NCLASSES ? x->pclass : 0]);
		jsonw_u64(w, "connects", x->connects);
		jsonw_u64(w, "connect_errors", x->connect_errors);
		w_ns(w, c, "connect_ns", x->connect_ticks);
		jsonw_u64(w, "accepts", x->accepts);
		jsonw_u64(w, "round_trips", x->round_trips);
		w_ns(w, c, "round_trip_ns", x->round_trip_ticks);
		jsonw_u64(w, "http_requests", x->http_requests);
		jsonw_u64(w, "http_round_trips", x->http_round_trips);
		jsonw_u64(w, "served", x->served);
		jsonw_u64(w, "send_calls", x->send_calls);
		jsonw_u64(w, "bytes_sent", x->bytes_sent);
		jsonw_u64(w, "recv_calls", x->recv_calls);
		jsonw_u64(w, "bytes_received", x->bytes_received);
		w_ns(w, c, "blocked_ns", x->blocked);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

static const struct shm_module *module_of(struct shm_header *h, uint64_t a)
{
	const struct shm_module *m = shm_modules(h);
	uint32_t n = h->nmodules < SHM_MAX_MODULES ? h->nmodules : SHM_MAX_MODULES;

	for (uint32_t i = 0; i < n; i++)
		if (a >= m[i].start && a < m[i].end)
			return &m[i];
	return NULL;
}

static void w_frame(struct jsonw *w, struct shm_header *h, uint64_t a, int symbolize)
{
	const struct shm_module *m = module_of(h, a);

	jsonw_obj_begin(w, NULL);
	w_hex(w, "addr", a);
	if (m) {
		jsonw_str(w, "module", m->path);
		w_hex(w, "offset", a - m->start + m->offset);
	} else {
		jsonw_null(w, "module");
		jsonw_null(w, "offset");
	}
	if (symbolize) {
		Dl_info info;

		/* Return addresses point after the call: look up a byte before. */
		if (dladdr((void *)(uintptr_t)(a - 1), &info) && info.dli_sname) {
			char sym[SHM_NAME_LEN + 24];
			size_t n = 0;
			char num[24];

			n = strlen(info.dli_sname);
			if (n > SHM_NAME_LEN)
				n = SHM_NAME_LEN;
			memcpy(sym, info.dli_sname, n);
			memcpy(sym + n, "+0x", 3);
			n += 3;
			{
				static const char digits[] = "0123456789abcdef";
				uint64_t off = a - (uint64_t)(uintptr_t)info.dli_saddr;
				int i, k = 0;

				for (i = 60; i > 0 && !((off >> i) & 15); i -= 4)
					;
				for (; i >= 0; i -= 4)
					num[k++] = digits[(off >> i) & 15];
				memcpy(sym + n, num, (size_t)k);
				n += (size_t)k;
			}
			jsonw_strn(w, "symbol", sym, n);
		} else {
			jsonw_null(w, "symbol");
		}
	} else {
		jsonw_null(w, "symbol");
	}
	jsonw_obj_end(w);
}

#define REPORT_MAX_HSITES 200

static void w_heap(struct jsonw *w, struct shm_header *h, const struct totals *t,
		   const struct report_end *e)
{
	struct shm_hsite *s = shm_hsites(h);
	uint16_t top[REPORT_MAX_HSITES];
	int ntop = 0;
	int64_t live = h->heap_live, peak = h->heap_peak;
	uint32_t idx[SHM_MAX_THREADS];
	int nslots = slots(h, idx);

	/* What threads that are still running have not folded in yet. */
	for (int i = 0; i < nslots; i++) {
		const struct shm_thread *th = &shm_threads(h)[idx[i]];

		if (th->state == 1)
			live += (int64_t)(th->heap_biased - th->heap_bias);
	}
	jsonw_obj_begin(w, "heap");
	jsonw_u64(w, "allocs", t->allocs);
	jsonw_u64(w, "frees", t->frees);
	jsonw_u64(w, "reallocs", t->reallocs);
	jsonw_u64(w, "bytes_allocated", t->bytes);
	/* Frees of blocks allocated before the shim started can take the sum below 0. */
	jsonw_u64(w, "live_bytes", live > 0 ? (uint64_t)live : 0);
	jsonw_u64(w, "peak_live_bytes", peak > 0 ? (uint64_t)peak : 0);
	/* 64 KiB, or the largest sum of the threads' fold limits when more (heap.c). */
	jsonw_u64(w, "peak_error_bytes", h->heap_peak_error > 65536 ? h->heap_peak_error : 65536);
	jsonw_arr_begin(w, "histogram");
	for (int b = 0; b < SHM_HIST_BUCKETS; b++) {
		if (!t->hist[b])
			continue;
		jsonw_obj_begin(w, NULL);
		jsonw_u64(w, "le", 1ULL << b);
		jsonw_u64(w, "count", t->hist[b]);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_u64(w, "sample_interval_bytes", h->heap_sample_interval);
	/* The sites with the most estimated bytes, largest first. */
	for (uint32_t o = 0; o < MIN(h->nhsites, (uint32_t)SHM_MAX_HSITES); o++) {
		int i = shm_order_get(shm_order(h)->hsites, o), j;

		if (i < 0 || !s[i].used)
			continue;
		if (ntop == REPORT_MAX_HSITES && s[i].est_bytes <= s[top[ntop - 1]].est_bytes)
			continue;
		j = ntop < REPORT_MAX_HSITES ? ntop++ : ntop - 1;
		while (j > 0 && s[top[j - 1]].est_bytes < s[i].est_bytes) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = (uint16_t)i;
	}
	jsonw_arr_begin(w, "sites");
	for (int i = 0; i < ntop; i++) {
		struct shm_hsite *x = &s[top[i]];

		jsonw_obj_begin(w, NULL);
		jsonw_u64(w, "samples", x->samples);
		jsonw_u64(w, "sampled_bytes", x->sampled_bytes);
		jsonw_u64(w, "est_bytes", x->est_bytes);
		jsonw_fixed(w, "est_allocs", (double)x->est_allocs_milli / 1000.0, 1);
		jsonw_arr_begin(w, "frames");
		for (uint32_t f = 0; f < x->nframes && f < SHM_HSITE_FRAMES; f++)
			w_frame(w, h, x->frames[f], e->symbolize);
		jsonw_arr_end(w);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
	jsonw_u64(w, "sites_dropped", h->hsites_dropped);
	jsonw_obj_end(w);
}

static void w_spans(struct jsonw *w, const struct conv *c, struct shm_header *h)
{
	uint32_t n = h->nsites < SHM_MAX_SITES ? h->nsites : SHM_MAX_SITES;
	struct shm_site *s = shm_sites(h);
	uint32_t idx[SHM_MAX_THREADS];
	int nslots = slots(h, idx) - 1; /* the shared slot keeps no spans */

	jsonw_arr_begin(w, "spans");
	for (uint32_t i = 0; i < n; i++) {
		uint64_t calls = 0, total = 0, self = 0, min = 0, max = 0;

		if (s[i].used != 1)
			continue;
		for (int t = 0; t < nslots; t++) {
			struct shm_span_stat *st = shm_span(h, idx[t], i);

			if (!st->calls)
				continue;
			if (!calls || st->min < min)
				min = st->min;
			if (st->max > max)
				max = st->max;
			calls += st->calls;
			total += st->total;
			self += st->self;
		}
		jsonw_obj_begin(w, NULL);
		jsonw_strn(w, "name", s[i].name, sizeof(s[i].name));
		jsonw_strn(w, "file", s[i].file, sizeof(s[i].file));
		jsonw_u64(w, "line", s[i].line);
		jsonw_u64(w, "calls", calls);
		w_ns(w, c, "total_ns", total);
		w_ns(w, c, "self_ns", self);
		w_ns(w, c, "min_ns", min);
		w_ns(w, c, "max_ns", max);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

int report_write(struct shm_header *h, const struct report_end *e, char *buf, size_t cap,
		 jsonw_sink_fn sink, void *ctx)
{
	static const char *const reasons[] = {"running", "exit", "exec", "signal", "recovered"};
	struct jsonw jw, *w = &jw;
	struct totals t;
	struct conv c = {1.0, !e->no_clock};
	uint64_t end_tick = e->end_tick;

	sum(h, &t);
	if (h->clock == CLOCK_KIND_TSC) {
		if (e->ratio_tick > h->start_tick && e->ratio_mono_ns > h->start_mono_ns)
			c.ns_per_tick = (double)(e->ratio_mono_ns - h->start_mono_ns) /
					(double)(e->ratio_tick - h->start_tick);
		else
			c.valid = 0;
	}
	if (!end_tick)
		end_tick = t.last_tick > h->start_tick ? t.last_tick : h->start_tick;

	jsonw_init(w, buf, cap, sink, ctx, 1);
	jsonw_obj_begin(w, NULL);
	jsonw_str(w, "schema", "perfshim-report");
	jsonw_u64(w, "version", 1);
	jsonw_i64(w, "pid", h->pid);
	jsonw_i64(w, "ppid", h->ppid);
	jsonw_u64(w, "image", h->image);
	jsonw_strn(w, "exe", h->exe, sizeof(h->exe));
	w_argv(w, h);
	jsonw_u64(w, "start_ns", h->start_real_ns);
	jsonw_u64(w, "start_mono_ns", h->start_mono_ns);
	jsonw_str(w, "end_reason", reasons[h->end_reason <= END_RECOVERED ? h->end_reason : 0]);
	if (h->end_reason == END_EXIT)
		jsonw_i64(w, "exit_status", h->exit_status);
	else
		jsonw_null(w, "exit_status");
	if (h->end_reason == END_SIGNAL)
		jsonw_i64(w, "signal", h->end_signal);
	else
		jsonw_null(w, "signal");
	if (h->end_reason == END_EXEC)
		jsonw_strn(w, "exec_target", h->exec_target, sizeof(h->exec_target));
	else
		jsonw_null(w, "exec_target");
	w_ns(w, &c, "wall_ns", end_tick - h->start_tick);
	jsonw_str(w, "clock", h->clock == CLOCK_KIND_TSC ? "tsc" : "monotonic");
	jsonw_obj_begin(w, "threads");
	jsonw_u64(w, "seen", h->threads_seen);
	jsonw_u64(w, "slots_dropped", h->threads_shared);
	jsonw_obj_end(w);

	jsonw_obj_begin(w, "cpu");
	if (e->have_rusage) {
		jsonw_u64(w, "user_ns", e->user_ns);
		jsonw_u64(w, "sys_ns", e->sys_ns);
		jsonw_u64(w, "minflt", e->minflt);
		jsonw_u64(w, "majflt", e->majflt);
		jsonw_u64(w, "voluntary_csw", e->nvcsw);
		jsonw_u64(w, "involuntary_csw", e->nivcsw);
	} else {
		jsonw_null(w, "user_ns");
		jsonw_null(w, "sys_ns");
	}
	jsonw_obj_end(w);
	jsonw_obj_begin(w, "mem");
	if (e->have_mem) {
		jsonw_u64(w, "peak_rss_bytes", e->peak_rss);
		jsonw_u64(w, "rss_bytes", e->rss);
	} else {
		jsonw_null(w, "peak_rss_bytes");
		jsonw_null(w, "rss_bytes");
	}
	jsonw_obj_end(w);

	w_io(w, &c, h, &t, e);
	w_net(w, &c, h, &t);
	w_heap(w, h, &t, e);
	jsonw_obj_begin(w, "locks");
	jsonw_u64(w, "contended", t.lock_contended);
	w_ns(w, &c, "wait_ns", t.lock_wait);
	jsonw_obj_end(w);
	w_spans(w, &c, h);
	jsonw_obj_begin(w, "limits");
	jsonw_u64(w, "files_dropped", h->files_dropped);
	jsonw_u64(w, "peers_dropped", h->peers_dropped);
	jsonw_u64(w, "sites_dropped", h->sites_dropped);
	jsonw_u64(w, "heap_sites_dropped", h->hsites_dropped);
	jsonw_u64(w, "spans_dropped", t.spans_dropped);
	jsonw_u64(w, "fds_untracked", h->fds_untracked);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	return jsonw_finish(w);
}

static int field(const char *text, const char *name, uint64_t *out)
{
	const char *p = strstr(text, name);
	uint64_t v = 0;

	if (!p)
		return -EINVAL;
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*out = v;
	return 0;
}

int report_parse_proc_io(const char *text, struct report_kio *k)
{
	memset(k, 0, sizeof(*k));
	if (field(text, "rchar:", &k->rchar) || field(text, "wchar:", &k->wchar) ||
	    field(text, "syscr:", &k->syscr) || field(text, "syscw:", &k->syscw))
		return -EINVAL;
	/* Without task I/O accounting these three are missing; keep them 0. */
	field(text, "\nread_bytes:", &k->read_bytes);
	field(text, "\nwrite_bytes:", &k->write_bytes);
	field(text, "cancelled_write_bytes:", &k->cancelled_write_bytes);
	return 0;
}

int report_parse_status(const char *text, uint64_t *peak, uint64_t *rss)
{
	if (field(text, "VmHWM:", peak) || field(text, "VmRSS:", rss))
		return -EINVAL;
	*peak *= 1024;
	*rss *= 1024;
	return 0;
}

int report_check_header(const struct shm_header *h, uint64_t size)
{
	struct shm_header tmp;

	if (size < sizeof(*h) || h->magic != SHM_MAGIC)
		return -EINVAL;
	if (h->version != SHM_VERSION || h->header_size != sizeof(*h) || h->file_size > size)
		return -EPROTO;
	memset(&tmp, 0, sizeof(tmp));
	if (shm_layout(&tmp) != h->file_size || tmp.off_threads != h->off_threads ||
	    tmp.off_modules != h->off_modules || tmp.off_spans != h->off_spans ||
	    tmp.off_order != h->off_order)
		return -EPROTO;
	return 0;
}

int report_rename_noreplace(int fromdfd, const char *from, int todfd, const char *to)
{
	if (syscall(SYS_renameat2, fromdfd, from, todfd, to, 1 /* RENAME_NOREPLACE */) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (syscall(SYS_linkat, fromdfd, from, todfd, to, 0) < 0)
		return -errno;
	syscall(SYS_unlinkat, fromdfd, from, 0);
	return 0;
}
