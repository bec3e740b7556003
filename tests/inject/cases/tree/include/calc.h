#ifndef CALC_H
#define CALC_H

#include <stddef.h>

struct calc_token {
	char kind; /* 'n' number, or the operator character */
	long value;
};

long calc_apply(char op, long a, long b);
size_t calc_tokenize(const char *s, struct calc_token *out, size_t max);
long calc_eval(const char *expr);

static inline long calc_clamp(long v, long lo, long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

#endif
