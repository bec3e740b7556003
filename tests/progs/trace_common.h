/*
 * Helpers for the perftrace target programs: wall-clock spinning (so that a
 * function's share of wall time is known exactly, however loaded the machine
 * is) and sleeping.
 */
#ifndef TRACE_COMMON_H
#define TRACE_COMMON_H

#include <time.h>

static inline double trace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Busy until `until` (CLOCK_MONOTONIC seconds); returns a value so the loop
 * stays.  Always inlined, so that the spinning is in the caller's own frame.
 */
static inline __attribute__((always_inline)) long trace_spin_until(double until)
{
	volatile long x = 0;

	while (trace_now() < until)
		for (int i = 0; i < 1000; i++)
			x++;
	return x;
}

static inline __attribute__((always_inline)) void trace_sleep(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

#endif
