/*
 * Built with -O2 -fomit-frame-pointer: only DWARF CFI can walk this stack.
 *   main -> outer_fn -> middle_fn -> inner_fn (spins)
 */
#include <stdio.h>
#include <stdlib.h>

#include "trace_common.h"

__attribute__((noinline)) long inner_fn(double secs, long k);
__attribute__((noinline)) long middle_fn(double secs, long k);
__attribute__((noinline)) long outer_fn(double secs, long k);

long inner_fn(double secs, long k)
{
	volatile long big[64];

	big[k & 63] = k;
	return trace_spin_until(trace_now() + secs) + big[k & 63];
}

long middle_fn(double secs, long k)
{
	long r = inner_fn(secs, k * 3 + 1);

	return r ^ (k << 2);
}

long outer_fn(double secs, long k)
{
	long r = middle_fn(secs, k + 7);

	return r + k;
}

int main(int argc, char **argv)
{
	printf("nofp %d\n", outer_fn(argc > 1 ? atof(argv[1]) : 1.0, argc) != 42);
	return 0;
}
