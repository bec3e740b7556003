/*
 * CPU-bound target: burn() spins on integer arithmetic for argv[1]
 * million iterations (default 60) and prints the result.  No I/O but one
 * line on stdout.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long burn(unsigned long n)
{
	unsigned long x = 88172645463325252ul;

	for (unsigned long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

int main(int argc, char **argv)
{
	unsigned long m = argc > 1 ? strtoul(argv[1], NULL, 10) : 60;

	printf("%lu\n", burn(m * 1000000ul));
	return 0;
}
