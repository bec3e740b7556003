/*
 * Resolution of the real functions, and the bootstrap pool that serves the
 * allocations dlsym() makes while we resolve malloc itself (the same trick
 * as heaptrack's preload layer).
 */
#include <dlfcn.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define X(ret, name, args) ret(*real_##name) args;
SHIM_REAL_FUNCS(X)
#undef X

int shim_resolved;

static const struct {
	const char *name;
	void **slot;
} table[] = {
#define X(ret, name, args) {#name, (void **)&real_##name},
	SHIM_REAL_FUNCS(X)
#undef X
};

/* 64 KiB is far more than dlsym needs; blocks carry their size in front. */
char shim_boot_pool[SHIM_BOOT_POOL] __attribute__((aligned(16)));
static size_t boot_used;

void *shim_boot_alloc(size_t size, int zero)
{
	size_t need = (size + 15) & ~(size_t)15;
	size_t off = __atomic_fetch_add(&boot_used, need + 16, __ATOMIC_RELAXED);
	char *p;

	(void)zero; /* the pool is zeroed and never reused */
	if (off + need + 16 > sizeof(shim_boot_pool))
		return NULL;
	p = shim_boot_pool + off;
	*(size_t *)p = size;
	return p + 16;
}

size_t shim_boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

void shim_resolve(void)
{
	static int state; /* 0 not yet, 1 in progress, 2 done */
	int expected = 0;

	if (shim_tls.in_resolve || shim_resolved)
		return;
	if (!__atomic_compare_exchange_n(&state, &expected, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
			syscall(SYS_sched_yield);
		return;
	}
	shim_tls.in_resolve = 1;
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		void *p = dlsym(RTLD_NEXT, table[i].name);

		__atomic_store_n(table[i].slot, p, __ATOMIC_RELEASE);
	}
	shim_tls.in_resolve = 0;
	__atomic_store_n(&shim_resolved, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
}
