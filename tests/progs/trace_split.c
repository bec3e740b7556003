/*
 * Three threads, each on CPU in its own function for a known share of the
 * same wall time and asleep the rest: spin_a 60%, spin_b 30%, spin_c 10%.
 *   trace_split [SECONDS]   (default 1.5)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace_common.h"

static double t0, total;

__attribute__((noinline)) static long spin_a(double until)
{
	return trace_spin_until(until);
}

__attribute__((noinline)) static long spin_b(double until)
{
	return trace_spin_until(until);
}

__attribute__((noinline)) static long spin_c(double until)
{
	return trace_spin_until(until);
}

struct job {
	long (*fn)(double);
	double share;
};

static void *run(void *arg)
{
	struct job *j = arg;

	j->fn(t0 + total * j->share);
	trace_sleep(t0 + total - trace_now());
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[3] = {{spin_a, 0.6}, {spin_b, 0.3}, {spin_c, 0.1}};
	pthread_t th[3];

	total = argc > 1 ? atof(argv[1]) : 1.5;
	t0 = trace_now();
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, run, &jobs[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	printf("split done\n");
	return 0;
}
