/*
 * Exported heap hooks.  Each resolves the real function, passes through when
 * the shim is off or re-entered, and records through heap.h.  Allocations
 * made while dlsym() resolves malloc come from the bootstrap pool (real.c),
 * which free() and realloc() recognise.
 *
 * The fast paths do not mark the thread busy: the allocator never calls
 * back into the hooks, and the recording itself calls nothing (the sampling
 * slow path marks itself).  free() records first and tail-calls the real free.
 */
#include <string.h>

#include "heap.h"
#include "internal.h"

#define BOOT_OR(real, ...)                                                                         \
	do {                                                                                       \
		if (unlikely(!real)) {                                                             \
			shim_resolve();                                                            \
			if (!real)                                                                 \
				return __VA_ARGS__;                                                \
		}                                                                                  \
	} while (0)

HOOK(void *, malloc, (size_t n))
{
	void *p;

	BOOT_OR(real_malloc, shim_boot_alloc(n, 0));
	if (!shim_on())
		return real_malloc(n);
	p = real_malloc(n);
	if (likely(p != NULL))
		shim_heap_alloc(p, n);
	return p;
}

HOOK(void, free, (void *p))
{
	if (!p || unlikely(shim_is_boot(p)))
		return;
	if (unlikely(!real_free)) {
		shim_resolve();
		if (!real_free)
			return;
	}
	if (shim_on())
		shim_heap_free_usable(shim_usable(p));
	real_free(p);
}

HOOK(void *, calloc, (size_t n, size_t m))
{
	void *p;

	if (unlikely(!real_calloc)) {
		shim_resolve();
		if (!real_calloc) {
			if (m && n > (size_t)-1 / m)
				return NULL;
			return shim_boot_alloc(n * m, 1);
		}
	}
	if (!shim_on())
		return real_calloc(n, m);
	p = real_calloc(n, m);
	if (p)
		shim_heap_alloc(p, n * m);
	return p;
}

static void *realloc_common(void *p, size_t n, void *(*fn)(void *, size_t, size_t), size_t m)
{
	size_t old;
	void *q;
	int e;

	if (unlikely(shim_is_boot(p))) {
		size_t have = shim_boot_size(p), want = fn ? n * m : n;

		if (fn && m && n > (size_t)-1 / m) {
			errno = ENOMEM;
			return NULL;
		}
		q = hook_malloc(want ? want : 1);
		if (q)
			memcpy(q, p, have < want ? have : want);
		return q;
	}
	if (!shim_on() || !p) {
		if (!p && shim_on()) {
			ENTER();
			q = fn ? fn(NULL, n, m) : real_realloc(NULL, n);
			e = errno;
			if (q)
				shim_heap_alloc(q, fn ? n * m : n);
			errno = e;
			LEAVE();
			return q;
		}
		return fn ? fn(p, n, m) : real_realloc(p, n);
	}
	ENTER();
	old = shim_usable(p);
	q = fn ? fn(p, n, m) : real_realloc(p, n);
	e = errno;
	if (q) {
		shim_heap_realloc(old, q, fn ? n * m : n);
	} else if (fn ? n == 0 || m == 0 : n == 0) {
		/*
		 * glibc frees the block and returns NULL.  Not for an n * m that
		 * only wraps to 0: that failed with ENOMEM and kept the block.
		 */
		struct shm_thread *s = shim_slot();

		cnt_add(s, &s->heap_reallocs, 1);
		shim_heap_free_usable(old);
	}
	errno = e;
	LEAVE();
	return q;
}

HOOK(void *, realloc, (void *p, size_t n))
{
	BOOT_OR(real_realloc, shim_boot_alloc(n, 0));
	return realloc_common(p, n, NULL, 0);
}

HOOK(void *, reallocarray, (void *p, size_t n, size_t m))
{
	ENSURE_REAL();
	if (!real_reallocarray) {
		errno = ENOSYS;
		return NULL;
	}
	return realloc_common(p, n, real_reallocarray, m);
}

HOOK(int, posix_memalign, (void **pp, size_t align, size_t n))
{
	int r;

	ENSURE_REAL();
	if (!shim_on())
		return real_posix_memalign(pp, align, n);
	ENTER();
	r = real_posix_memalign(pp, align, n);
	if (r == 0 && *pp) {
		int e = errno;

		shim_heap_alloc(*pp, n);
		errno = e;
	}
	LEAVE();
	return r;
}

#define ALIGNED_HOOK(name, params, args, size)                                                     \
	HOOK(void *, name, params)                                                                 \
	{                                                                                          \
		void *p;                                                                           \
		int e;                                                                             \
		ENSURE_REAL();                                                                     \
		if (!shim_on())                                                                    \
			return real_##name args;                                                   \
		ENTER();                                                                           \
		p = real_##name args;                                                              \
		e = errno;                                                                         \
		if (p)                                                                             \
			shim_heap_alloc(p, size);                                                  \
		errno = e;                                                                         \
		LEAVE();                                                                           \
		return p;                                                                          \
	}

ALIGNED_HOOK(aligned_alloc, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(memalign, (size_t align, size_t n), (align, n), n)
ALIGNED_HOOK(valloc, (size_t n), (n), n)
ALIGNED_HOOK(pvalloc, (size_t n), (n), n)
