/*
 * Exported lock hooks.  An uncontended lock costs one trylock and is not
 * timed; only when the lock is held does the hook time the real wait.
 */
#include "internal.h"

#define LOCK_HOOK(name, trylock, type)                                                             \
	HOOK(int, name, (type * l))                                                                \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		ENSURE_REAL();                                                                     \
		if (!shim_on())                                                                    \
			return real_##name(l);                                                     \
		r = real_##trylock(l);                                                             \
		if (r != EBUSY)                                                                    \
			return r;                                                                  \
		t0 = now_tick();                                                                   \
		r = real_##name(l);                                                                \
		if (likely(!shim_tls.busy)) {                                                      \
			ENTER();                                                                   \
			shim_lock_wait(t0, now_tick());                                            \
			LEAVE();                                                                   \
		}                                                                                  \
		return r;                                                                          \
	}

LOCK_HOOK(pthread_mutex_lock, pthread_mutex_trylock, pthread_mutex_t)
LOCK_HOOK(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, pthread_rwlock_t)
LOCK_HOOK(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, pthread_rwlock_t)
LOCK_HOOK(pthread_spin_lock, pthread_spin_trylock, pthread_spinlock_t)
