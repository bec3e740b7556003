/* The project's own test suite. */
#include <stdio.h>

#include "calc.h"

static int failures;

static void check(const char *expr, long want)
{
	long got = calc_eval(expr);

	if (got != want) {
		printf("FAIL %s = %ld, want %ld\n", expr, got, want);
		failures++;
	}
}

int main(void)
{
	check("1 + 2", 3);
	check("2 * 3 + 4", 10);
	check("2 + 3 * 4", 14);
	check("10 - 4 - 3", 3);
	check("7", 7);
	check("999999 * 999999", 1000000);
	printf("%d checks, %d failures\n", 6, failures);
	return failures != 0;
}
