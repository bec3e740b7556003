/*
 * Linked statically: no dynamic loader, no shared libraries.
 *   trace_static [SECONDS]   spins in static_spin()
 */
#include <stdio.h>
#include <stdlib.h>

#include "trace_common.h"

__attribute__((noinline)) static long static_spin(double secs)
{
	return trace_spin_until(trace_now() + secs);
}

int main(int argc, char **argv)
{
	printf("static %d\n", static_spin(argc > 1 ? atof(argv[1]) : 0.5) != 3);
	return 0;
}
