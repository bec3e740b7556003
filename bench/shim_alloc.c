/*
 * Allocation-heavy workload: 2 threads, each keeping a ring of 1024 live
 * blocks of 16..1040 bytes, freeing the oldest for each new one.  Prints the
 * time of its own work: "work_ns N cpu_ns M" (wall and process CPU time).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RING 1024

static long iters;

static void *run(void *arg)
{
	void *ring[RING] = {0};
	unsigned x = (unsigned)(long)arg * 2654435761u + 1;

	for (long i = 0; i < iters; i++) {
		unsigned slot = (unsigned)i % RING;

		x = x * 1664525u + 1013904223u;
		free(ring[slot]);
		ring[slot] = malloc(16 + (x >> 22));
		*(volatile char *)ring[slot] = 1;
	}
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec a, b, ca, cb;
	pthread_t t[2];

	iters = argc > 1 ? atol(argv[1]) : 2000000;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	printf("work_ns %lld cpu_ns %lld\n",
	       (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       (cb.tv_sec - ca.tv_sec) * 1000000000LL + (cb.tv_nsec - ca.tv_nsec));
	return 0;
}
