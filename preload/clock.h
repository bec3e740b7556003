/*
 * The shim's clock.  With an invariant TSC that the kernel itself uses as its
 * clocksource, a tick is one rdtsc (about 10 ns here, against 22 ns for
 * clock_gettime), and ticks become nanoseconds with a ratio measured over
 * the whole run (report.c); otherwise a tick is a CLOCK_MONOTONIC nanosecond.
 */
#ifndef PERFSHIM_CLOCK_H
#define PERFSHIM_CLOCK_H

#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

extern int shim_use_tsc;

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_tick(void)
{
	if (__builtin_expect(shim_use_tsc, 1))
		return __rdtsc();
	return mono_ns();
}

/* 1 if this machine's TSC is invariant and the kernel's clocksource. */
int shim_tsc_usable(void);

#endif
