/*
 * Timing spans (the API in perfshim.h).  Each thread keeps a stack of open
 * spans in TLS; the statistics live in the counter file, per thread slot and
 * site, so they are written without atomics and survive a kill.
 */
#include <string.h>

#include "internal.h"
#include "perfshim.h"

static uint32_t site_register(struct perfshim_site *site)
{
	struct shm_header *h = shim_shm;
	uint32_t idx = __atomic_fetch_add(&h->nsites, 1, __ATOMIC_RELAXED), expected = 0;
	struct shm_site *s;

	if (idx >= SHM_MAX_SITES) {
		__atomic_fetch_add(&h->sites_dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	s = &shm_sites(h)[idx];
	shim_strlcpy(s->name, site->name ? site->name : "?", sizeof(s->name));
	shim_strlcpy(s->file, site->file ? site->file : "", sizeof(s->file));
	s->line = site->line;
	__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
	if (__atomic_compare_exchange_n(&site->id, &expected, idx + 1, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return idx + 1;
	/* Another thread registered it first: leave ours as a hole. */
	__atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
	return expected;
}

SHIM_EXPORT int perfshim_abi_version(void)
{
	return PERFSHIM_ABI_VERSION;
}

SHIM_EXPORT unsigned long perfshim_span_enter(struct perfshim_site *site)
{
	struct shm_thread *slot;
	unsigned depth;
	uint32_t id;

	if (!site || !shim_on())
		return 0;
	slot = shim_slot();
	if (unlikely(slot->state != 1)) {
		cnt_add(slot, &slot->spans_dropped, 1);
		return 0;
	}
	id = __atomic_load_n(&site->id, __ATOMIC_ACQUIRE);
	if (unlikely(!id)) {
		ENTER();
		id = site_register(site);
		LEAVE();
		if (!id)
			return 0;
	}
	depth = shim_tls.span_depth++;
	if (likely(depth < SPAN_STACK)) {
		struct span_frame *f = &shim_tls.spans[depth];

		f->site = id - 1;
		f->child = 0;
		shm_span(shim_shm, shim_tls.slot_idx, id - 1)->active++;
		f->start = now_tick();
	}
	return depth + 1;
}

SHIM_EXPORT void perfshim_span_exit(struct perfshim_site *site, unsigned long token)
{
	unsigned depth = shim_tls.span_depth;
	struct shm_header *h = shim_shm;
	uint64_t now;

	(void)site;
	if (!token || token > depth || !h || shim_tls.slot == NULL)
		return;
	now = now_tick();
	while (depth >= token) {
		depth--;
		if (depth < SPAN_STACK) {
			struct span_frame *f = &shim_tls.spans[depth];
			struct shm_span_stat *st = shm_span(h, shim_tls.slot_idx, f->site);
			uint64_t dur = now - f->start;

			st->calls++;
			st->self += dur > f->child ? dur - f->child : 0;
			if (st->calls == 1 || dur < st->min)
				st->min = dur;
			if (dur > st->max)
				st->max = dur;
			if (st->active)
				st->active--;
			if (!st->active)
				st->total += dur;
			if (depth > 0 && depth - 1 < SPAN_STACK)
				shim_tls.spans[depth - 1].child += dur;
		} else {
			shim_tls.slot->spans_dropped++;
		}
	}
	shim_tls.span_depth = depth;
}
