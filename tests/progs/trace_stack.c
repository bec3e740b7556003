/*
 * Stacks the unwinder must walk completely:
 *   trace_stack libm [SECONDS]     main -> sort_points -> qsort (libc) -> by_angle -> atan2 (libm)
 *   trace_stack recurse DEPTH [SECONDS]   main -> recurse x DEPTH -> bottom (spins)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_common.h"

struct pt {
	double x, y;
};

__attribute__((noinline)) static int by_angle(const void *a, const void *b)
{
	const struct pt *p = a, *q = b;
	double u = atan2(p->y, p->x) + log1p(fabs(p->x)), v = atan2(q->y, q->x) + log1p(fabs(q->x));

	return (u > v) - (u < v);
}

__attribute__((noinline)) static double sort_points(struct pt *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		v[i].x = sin((double)i * 7.1);
		v[i].y = cos((double)i * 3.3);
	}
	qsort(v, n, sizeof(*v), by_angle);
	return v[0].x;
}

__attribute__((noinline)) static long bottom(double secs)
{
	return trace_spin_until(trace_now() + secs);
}

__attribute__((noinline)) static long recurse(int depth, double secs)
{
	volatile char pad[16];
	long r;

	pad[0] = (char)depth;
	if (depth <= 1)
		return bottom(secs) + pad[0];
	r = recurse(depth - 1, secs);
	return r + pad[0]; /* not a tail call */
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "libm")) {
		double end = trace_now() + (argc > 2 ? atof(argv[2]) : 1.0), sum = 0;
		static struct pt v[4096];

		while (trace_now() < end)
			sum += sort_points(v, 4096);
		printf("sorted %d\n", sum != 12345.0);
	} else if (argc > 2 && !strcmp(argv[1], "recurse")) {
		printf("recursed %d\n", recurse(atoi(argv[2]), argc > 3 ? atof(argv[3]) : 1.0) > 0);
	} else {
		fprintf(stderr, "usage: trace_stack libm|recurse DEPTH [SECONDS]\n");
		return 2;
	}
	return 0;
}
