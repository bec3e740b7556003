/*
 * Heap accounting.  Counts and sizes go to the thread's slot without
 * atomics.  Live bytes are measured in the allocator's usable size: each
 * thread keeps its net change in TLS and folds it into the global figure
 * once it passes its fold limit, FOLD_BYTES/2/threads (at least 512), and
 * the peak is taken at the folds.  So the peak is exact within the sum of
 * the threads' limits; a thread keeps its limit until it folds again, so
 * that sum is tracked (heap_bias_sum), and its largest value is the bound
 * reported (heap_peak_error).
 *
 * Allocation stacks are sampled as a Poisson process over allocated bytes
 * with a mean distance of heap_sample_interval; see docs/shim-report.md for
 * the unbiased estimates kept per site.
 */
#include <dlfcn.h>
#include <unwind.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmath.h"
#include "heap.h"
#include "internal.h"

#define FOLD_BYTES 65536

int shim_glibc_malloc;
int shim_bt_ready;

/* Makes bias the thread's fold limit, with the sum of all limits kept. */
static void set_bias(struct shm_header *h, uint64_t bias)
{
	uint64_t sum, max;

	if (bias != shim_tls.heap_bias) {
		sum = (uint64_t)__atomic_add_fetch(&h->heap_bias_sum,
						   (int64_t)bias - (int64_t)shim_tls.heap_bias,
						   __ATOMIC_RELAXED);
		max = __atomic_load_n(&h->heap_peak_error, __ATOMIC_RELAXED);
		while ((int64_t)sum > (int64_t)max &&
		       !__atomic_compare_exchange_n(&h->heap_peak_error, &max, sum, 1,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	shim_tls.heap_bias = bias;
	shim_tls.heap_span = bias ? 2 * bias - 1 : 0;
	if (shim_tls.slot && shim_tls.heap_acc == &shim_tls.slot->heap_biased)
		shim_tls.slot->heap_bias = bias;
	if (!shim_tls.heap_acc)
		shim_tls.heap_acc = &shim_tls.own_biased;
	*shim_tls.heap_acc = bias;
}

/*
 * The thread's unfolded change moves to its own slot s, where the report
 * adds it to the live bytes (threads still running at the end hold some).
 */
void shim_heap_attach(struct shm_thread *s)
{
	s->heap_bias = shim_tls.heap_bias;
	s->heap_biased = shim_tls.heap_acc ? *shim_tls.heap_acc : shim_tls.heap_bias;
	shim_tls.heap_acc = &s->heap_biased;
}

/* ... and back to TLS, before the slot is given up (or shared). */
void shim_heap_detach(void)
{
	uint64_t *acc = shim_tls.heap_acc;

	shim_tls.own_biased = acc ? *acc : shim_tls.heap_bias;
	shim_tls.heap_acc = &shim_tls.own_biased;
	if (shim_tls.slot && acc == &shim_tls.slot->heap_biased)
		shim_tls.slot->heap_biased = shim_tls.slot->heap_bias = 0;
}

void shim_heap_fold(int64_t v)
{
	struct shm_header *h = shim_shm;
	int64_t live, peak;
	uint64_t bias;
	uint32_t n;

	live = __atomic_add_fetch(&h->heap_live, v, __ATOMIC_RELAXED);
	peak = __atomic_load_n(&h->heap_peak, __ATOMIC_RELAXED);
	while (live > peak && !__atomic_compare_exchange_n(&h->heap_peak, &peak, live, 1,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (unlikely(shim_tls.dead)) {
		/*
		 * The thread has released its slot and is exiting: nothing would
		 * fold what it held back (frees in key destructors that run after
		 * ours), so every change is folded at once.
		 */
		set_bias(h, 0);
		return;
	}
	/* Each live thread may hold back FOLD_BYTES / 2 / threads. */
	n = __atomic_load_n(&h->nthreads_live, __ATOMIC_RELAXED);
	bias = FOLD_BYTES / 2 / (n ? n : 1);
	set_bias(h, bias < 512 ? 512 : bias);
}

void shim_heap_release(void)
{
	if (shim_shm)
		set_bias(shim_shm, 0);
}

int64_t shim_heap_pending_bytes(void)
{
	return shim_tls.heap_acc ? (int64_t)(*shim_tls.heap_acc - shim_tls.heap_bias) : 0;
}

void shim_heap_flush(void)
{
	if (shim_shm && shim_heap_pending_bytes())
		shim_heap_fold(shim_heap_pending_bytes());
}

static uint64_t rng_next(void)
{
	uint64_t x = shim_tls.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	shim_tls.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int64_t draw(uint64_t interval)
{
	double u = ((double)(rng_next() >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */

	return (int64_t)(-shim_ln(u) * (double)interval) + 1;
}

static void spin_lock(uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void spin_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static int module_covers(struct shm_header *h, uint64_t a)
{
	struct shm_module *m = shm_modules(h);

	for (uint32_t i = 0; i < h->nmodules; i++)
		if (a >= m[i].start && a < m[i].end)
			return 1;
	return 0;
}

static uint64_t hex(const char **pp)
{
	const char *p = *pp;
	uint64_t v = 0;

	for (;; p++) {
		unsigned c = (unsigned char)*p;

		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else
			break;
	}
	*pp = p;
	return v;
}

/* Appends the executable mappings of /proc/self/maps not yet in the table. */
static void modules_refresh(struct shm_header *h)
{
	static char buf[65536];
	int fd = shim_open("/proc/self/maps", 0, 0);
	ssize_t n;
	char *line, *end;

	if (fd < 0)
		return;
	n = shim_read_all(fd, buf, sizeof(buf) - 1);
	shim_close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (line = buf; *line; line = end + 1) {
		const char *p = line;
		uint64_t start, stop, off;
		char *path;

		end = strchr(line, '\n');
		if (!end)
			break;
		*end = 0;
		start = hex(&p);
		p++;
		stop = hex(&p);
		p++;
		if (p[2] != 'x' || module_covers(h, start)) /* "r-xp" */
			continue;
		p += 5;
		off = hex(&p);
		path = strchr(p, '/');
		if (!path)
			path = strchr(p, '[');
		if (h->nmodules >= SHM_MAX_MODULES)
			break;
		struct shm_module *m = &shm_modules(h)[h->nmodules];

		m->start = start;
		m->end = stop;
		m->offset = off;
		shim_strlcpy(m->path, path ? path : "", sizeof(m->path));
		__atomic_store_n(&h->nmodules, h->nmodules + 1, __ATOMIC_RELEASE);
	}
}

/*
 * Allocation stacks come from libgcc's DWARF unwinder, linked into the shim
 * (-static-libgcc, its symbols kept private), as glibc's backtrace() would
 * use it; but backtrace() dlopens libgcc_s at its first call, which costs
 * 150-350 us in every process and is not safe from inside malloc.
 */
struct stack_walk {
	void **frames;
	int n, max;
};

static _Unwind_Reason_Code stack_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct stack_walk *w = arg;
	uintptr_t ip = _Unwind_GetIP(ctx);

	if (!ip)
		return _URC_END_OF_STACK;
	w->frames[w->n++] = (void *)ip;
	return w->n < w->max ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* Not inlined: the frames to skip are this one, shim_heap_sample and the hook. */
__attribute__((noinline)) static int stack(void **frames, int max)
{
	struct stack_walk w = {frames, 0, max};

	_Unwind_Backtrace(stack_frame, &w);
	return w.n;
}

void shim_heap_sample(size_t size)
{
	struct shm_header *h = shim_shm;
	uint64_t interval = h->heap_sample_interval;
	void *frames[SHM_HSITE_FRAMES + 3];
	struct shm_hsite *t = shm_hsites(h);
	double prob;
	uint64_t hash = 1469598103934665603ULL;
	int n, skip = 3, saved;

	if (!interval) {
		shim_tls.sample_left = INT64_MAX;
		return;
	}
	if (!shim_tls.rng) {
		shim_tls.rng = ((uint64_t)shim_gettid() << 32) ^ now_tick() ^ 0x9e3779b97f4a7c15ULL;
		shim_tls.sample_left += draw(interval);
		if (shim_tls.sample_left > 0)
			return;
	}
	while (shim_tls.sample_left <= 0)
		shim_tls.sample_left += draw(interval);
	if (!shim_bt_ready || shim_tls.busy)
		return;
	saved = errno;
	ENTER();
	n = stack(frames, (int)ARRAY_SIZE(frames));
	if (n <= skip) {
		LEAVE();
		errno = saved;
		return;
	}
	for (int i = skip; i < n; i++)
		hash = (hash ^ (uint64_t)(uintptr_t)frames[i]) * 1099511628211ULL;
	prob = shim_one_minus_exp_neg((double)size / (double)interval);
	if (prob <= 0) {
		LEAVE();
		errno = saved;
		return;
	}
	spin_lock(&h->hsites_lock);
	for (uint32_t probe = 0; probe < SHM_MAX_HSITES; probe++) {
		uint32_t idx = (uint32_t)(hash + probe) & (SHM_MAX_HSITES - 1);
		struct shm_hsite *s = &t[idx];

		if (s->used && (s->hash != hash || s->nframes != (uint32_t)(n - skip)))
			continue;
		if (!s->used) {
			s->hash = hash;
			s->nframes = (uint32_t)(n - skip);
			for (int i = skip; i < n; i++)
				s->frames[i - skip] = (uint64_t)(uintptr_t)frames[i];
			s->used = 1;
			shm_order_add(&h->nhsites, shm_order(h)->hsites, SHM_MAX_HSITES, idx);
		}
		s->samples++;
		s->sampled_bytes += size;
		s->est_bytes += (uint64_t)((double)size / prob + 0.5);
		s->est_allocs_milli += (uint64_t)(1000.0 / prob + 0.5);
		for (int i = skip; i < n; i++)
			if (!module_covers(h, (uint64_t)(uintptr_t)frames[i])) {
				modules_refresh(h);
				break;
			}
		spin_unlock(&h->hsites_lock);
		LEAVE();
		errno = saved;
		return;
	}
	h->hsites_dropped++;
	spin_unlock(&h->hsites_lock);
	LEAVE();
	errno = saved;
}

void shim_heap_init(void)
{
	shim_bt_ready = 1;
	/* glibc exports its allocator as __libc_malloc too: then chunk headers can be read. */
	shim_glibc_malloc = real_malloc && real_malloc == dlsym(RTLD_NEXT, "__libc_malloc");
}
