/* Arithmetic on two operands. */
#include "calc.h"

static long add(long a, long b)
{
	return a + b;
}

static long mul(long a, long b)
{
	return a * b;
}

long calc_apply(char op, long a, long b)
{
	switch (op) {
	case '+':
		return add(a, b);
	case '-':
		return add(a, -b);
	case '*':
		return mul(a, b);
	default:
		return 0;
	}
}
