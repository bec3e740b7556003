/*
 * Which C/C++ tokens are live code: preprocessor conditionals resolved the
 * way ctags does, without evaluating them.  The first branch of every
 * #if/#ifdef/#ifndef is read and the others skipped, except that `#if 0`
 * (and `#elif 0`) branches are never read and the next branch is taken
 * instead.  That reads one consistent version of code written as
 *
 *	#ifdef X
 *	void f(int a) {
 *	#else
 *	void f(void) {
 *	#endif
 *
 * and keeps the braces of `#ifdef __cplusplus / extern "C" {` balanced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "lex_c.h"

int clive(const char *s, const struct ctoks *t, struct ctok **out, size_t *nout, struct buf *why)
{
	struct cond {
		int live, taken;
	} stack[256];
	int sp = 0, live = 1;
	size_t i;

	struct ctok *v = malloc((t->n + 1) * sizeof(*v));
	size_t n = 0;

	*out = v;
	*nout = 0;
	if (!v)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		const struct ctok *k = &t->v[i];
		char name[16];
		int zero;

		if (k->kind == CT_COMMENT)
			continue;
		if (k->kind != CT_DIRECTIVE) {
			if (!live)
				continue;
			if (k->kind == CT_BAD) {
				buf_printf(why, "line %u: unterminated string or character literal",
					   k->line);
				return -EINVAL;
			}
			v[n++] = *k;
			*nout = n;
			continue;
		}
		cdirective(s, k, name, sizeof(name), &zero);
		if (!strcmp(name, "if") || !strcmp(name, "ifdef") || !strcmp(name, "ifndef")) {
			if (sp == (int)ARRAY_SIZE(stack)) {
				buf_printf(why, "line %u: #if nested too deeply", k->line);
				return -EINVAL;
			}
			stack[sp].live = live;
			stack[sp].taken = !zero;
			sp++;
			live = live && !zero;
		} else if (!strcmp(name, "elif") || !strcmp(name, "elifdef") ||
			   !strcmp(name, "elifndef") || !strcmp(name, "else")) {
			int is_zero = 0;

			if (!sp) {
				buf_printf(why, "line %u: #%s without #if", k->line, name);
				return -EINVAL;
			}
			if (!strcmp(name, "elif")) {
				/* cdirective only knows `#if 0`; look at `#elif 0` by hand */
				const char *q = s + k->off + 1;

				while (*q == ' ' || *q == '\t')
					q++;
				q += 4;
				while (*q == ' ' || *q == '\t')
					q++;
				is_zero =
				    q[0] == '0' && (q[1] == '\n' || q[1] == '\r' || q[1] == ' ' ||
						    q[1] == '\t' || q[1] == '/' || !q[1]);
			}
			live = stack[sp - 1].live && !stack[sp - 1].taken && !is_zero;
			if (live)
				stack[sp - 1].taken = 1;
		} else if (!strcmp(name, "endif")) {
			if (!sp) {
				buf_printf(why, "line %u: #endif without #if", k->line);
				return -EINVAL;
			}
			live = stack[--sp].live;
		}
	}
	if (sp) {
		buf_printf(why, "#if without #endif at the end of the file");
		return -EINVAL;
	}
	return 0;
}
