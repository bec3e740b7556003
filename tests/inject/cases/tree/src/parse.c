/* Tokens and a two-level precedence evaluator. */
#include <ctype.h>
#include <stdlib.h>

#include "calc.h"

size_t calc_tokenize(const char *s, struct calc_token *out, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		if (isspace((unsigned char)*s)) {
			s++;
		} else if (isdigit((unsigned char)*s)) {
			char *end;

			out[n].kind = 'n';
			out[n++].value = strtol(s, &end, 10);
			s = end;
		} else {
			out[n].kind = *s++;
			out[n++].value = 0;
		}
	}
	return n;
}

static long term(const struct calc_token *t, size_t n, size_t *i)
{
	long v = t[(*i)++].value;

	while (*i + 1 < n && t[*i].kind == '*') {
		v = calc_apply('*', v, t[*i + 1].value);
		*i += 2;
	}
	return v;
}

long calc_eval(const char *expr)
{
	struct calc_token t[64];
	size_t n = calc_tokenize(expr, t, 64), i = 0;
	long v;

	if (!n)
		return 0;
	v = term(t, n, &i);
	while (i + 1 < n) {
		char op = t[i++].kind;

		v = calc_apply(op, v, term(t, n, &i));
	}
	return calc_clamp(v, -1000000, 1000000);
}
