/*
 * The heap hooks' fast path, inline so that a malloc/free pair costs a few
 * nanoseconds on top of glibc's: plain counter stores in the thread's slot,
 * the usable size read from the chunk header when the allocator is glibc's,
 * and a TLS countdown to the next sampled allocation.  The slow paths (folding
 * live bytes into the global count, sampling a stack) are in heap.c.
 */
#ifndef PERFSHIM_HEAP_H
#define PERFSHIM_HEAP_H

#include "internal.h"

/* 1 when real_malloc is glibc's, whose chunk header gives the usable size. */
extern int shim_glibc_malloc;

void shim_heap_fold(int64_t v);
void shim_heap_sample(size_t size);
void shim_heap_flush(void);
/* An exiting thread: from now on every change folds at once. */
void shim_heap_release(void);
void shim_heap_init(void);

static inline size_t shim_usable(void *p)
{
	if (likely(shim_glibc_malloc)) {
		/* glibc: the size word before the block; bit 1 marks an mmapped chunk. */
		size_t h = ((size_t *)p)[-1];

		return (h & ~(size_t)7) - 8 - ((h & 2) << 2);
	}
	return real_malloc_usable_size(p);
}

static inline unsigned shim_bucket(size_t size)
{
	unsigned b = size <= 1 ? 0 : 64 - (unsigned)__builtin_clzll((unsigned long long)size - 1);

	return b < SHM_HIST_BUCKETS ? b : SHM_HIST_BUCKETS - 1;
}

/*
 * The thread's net change is kept biased by its fold limit L, so that
 * "-L < change < L" is one unsigned comparison against 2L - 1.
 */
static inline void shim_heap_pending(int64_t d)
{
	uint64_t *acc = shim_tls.heap_acc; /* set when the slot was claimed */
	uint64_t v = *acc + (uint64_t)d;

	if (likely(v - 1 < shim_tls.heap_span))
		*acc = v;
	else
		shim_heap_fold((int64_t)(v - shim_tls.heap_bias));
}

static inline __attribute__((always_inline)) void shim_heap_alloc(void *p, size_t size)
{
	struct shm_thread *s = shim_slot();

	/* The number of allocations is the sum of the histogram. */
	if (likely(s->state == 1)) {
		s->heap_bytes += size;
		s->hist[shim_bucket(size)]++;
	} else {
		atomic_add(&s->heap_bytes, size);
		atomic_add(&s->hist[shim_bucket(size)], 1);
	}
	shim_heap_pending((int64_t)shim_usable(p));
	shim_tls.sample_left -= (int64_t)size;
	if (unlikely(shim_tls.sample_left <= 0))
		shim_heap_sample(size);
}

/* A block of `usable` bytes was released. */
static inline void shim_heap_free_usable(size_t usable)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->heap_frees, 1);
	shim_heap_pending(-(int64_t)usable);
}

static inline void shim_heap_realloc(size_t old_usable, void *p, size_t size)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->heap_reallocs, 1);
	shim_heap_free_usable(old_usable);
	shim_heap_alloc(p, size);
}

#endif
