/*
 * The call-heavy program of bench/inject_overhead.sh: N calls of a small
 * function, timed inside the program so that start-up and the tracers' own
 * set-up and teardown are not part of the per-call figure.  Prints the
 * loop's nanoseconds and a checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__attribute__((noinline)) static unsigned long leaf(unsigned long x)
{
	return (x * 2654435761UL) ^ (x >> 3);
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000, i, acc = 0;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		acc += leaf(i);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld %lu\n", (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec), acc);
	return 0;
}
