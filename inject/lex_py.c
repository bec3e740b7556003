/*
 * The Python lexer; see lex_py.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lex_py.h"

struct lx {
	const char *s;
	size_t len, i;
	unsigned int line;
	struct ptoks *out;
	int depth; /* open brackets */
	unsigned int bad_line;
};

static int is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int ch(const struct lx *x, size_t k)
{
	return x->i + k < x->len ? (unsigned char)x->s[x->i + k] : -1;
}

static void adv(struct lx *x)
{
	if (x->i < x->len && x->s[x->i] == '\n')
		x->line++;
	x->i++;
}

static int push(struct lx *x, size_t off, unsigned int line, int kind, int bol)
{
	struct ptoks *t = x->out;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ptok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].off = off;
	t->v[t->n].len = x->i - off;
	t->v[t->n].line = line;
	t->v[t->n].kind = (unsigned char)kind;
	t->v[t->n].bol = (unsigned char)bol;
	t->v[t->n].eol = 0;
	t->n++;
	return 0;
}

/* Length of a string prefix at i followed by a quote, or -1. */
static int string_prefix(const struct lx *x, int *fstring)
{
	int n = 0;

	*fstring = 0;
	while (n < 3 && ch(x, n) >= 0 && strchr("rRbBuUfF", ch(x, n))) {
		if (ch(x, n) == 'f' || ch(x, n) == 'F')
			*fstring = 1;
		n++;
	}
	if (n > 2)
		return -1;
	return ch(x, n) == '"' || ch(x, n) == '\'' ? n : -1;
}

static int string(struct lx *x);

/* Inside an f-string replacement field, after '{': to just past its '}'. */
static int field(struct lx *x)
{
	int depth = 0;

	for (;;) {
		int c = ch(x, 0), f;

		if (c < 0)
			return -1;
		if (is_name_start(c) && string_prefix(x, &f) >= 0) {
			if (string(x))
				return -1;
			continue;
		}
		if (c == '"' || c == '\'') {
			if (string(x))
				return -1;
			continue;
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']') && depth)
			depth--;
		else if (c == '}') {
			if (!depth) {
				adv(x);
				return 0;
			}
			depth--;
		} else if (c == ':' && !depth) {
			/* Format spec: literal text with nested fields, up to '}'. */
			adv(x);
			for (;;) {
				c = ch(x, 0);
				if (c < 0)
					return -1;
				if (c == '{') {
					adv(x);
					if (field(x))
						return -1;
					continue;
				}
				adv(x);
				if (c == '}')
					return 0;
			}
		}
		adv(x);
	}
}

/* At a string's prefix or quote: to just past its closing quote. */
static int string(struct lx *x)
{
	int fstr, n = string_prefix(x, &fstr), raw = 0, q, triple;
	int k;

	for (k = 0; k < n; k++)
		if (ch(x, k) == 'r' || ch(x, k) == 'R')
			raw = 1;
	while (n-- > 0)
		adv(x);
	q = ch(x, 0);
	triple = ch(x, 1) == q && ch(x, 2) == q;
	adv(x);
	if (triple) {
		adv(x);
		adv(x);
	}
	for (;;) {
		int c = ch(x, 0);

		if (c < 0)
			return -1;
		if (c == '\n' && !triple)
			return -1;
		if (c == '\\') {
			adv(x);
			if (ch(x, 0) >= 0)
				adv(x);
			continue;
		}
		if (fstr && c == '{') {
			adv(x);
			if (ch(x, 0) == '{') {
				adv(x);
				continue;
			}
			if (field(x))
				return -1;
			continue;
		}
		if (c == q && (!triple || (ch(x, 1) == q && ch(x, 2) == q))) {
			adv(x);
			if (triple) {
				adv(x);
				adv(x);
			}
			(void)raw;
			return 0;
		}
		adv(x);
	}
}

static int add_line(struct ptoks *t, size_t start, size_t first_tok, unsigned int width)
{
	if (t->nlines == t->lcap) {
		size_t cap = t->lcap ? t->lcap * 2 : 64;
		struct pline *v = realloc(t->lines, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->lines = v;
		t->lcap = cap;
	}
	memset(&t->lines[t->nlines], 0, sizeof(t->lines[0]));
	t->lines[t->nlines].start = start;
	t->lines[t->nlines].tok = first_tok;
	t->lines[t->nlines].line = t->v[first_tok].line;
	t->lines[t->nlines].width = width;
	t->nlines++;
	return 0;
}

/* Ends the open logical line at the newline at x->i (or the end). */
static void end_line(struct lx *x)
{
	struct ptoks *t = x->out;
	struct pline *l = &t->lines[t->nlines - 1];
	size_t k;

	l->end = x->i < x->len ? x->i + 1 : x->len;
	l->end_line = x->line;
	l->ntok = 0;
	for (k = l->tok; k < t->n; k++)
		if (t->v[k].kind != PT_COMMENT) {
			l->ntok++;
			t->v[k].eol = 0;
		}
	for (k = t->n; k > l->tok; k--)
		if (t->v[k - 1].kind != PT_COMMENT) {
			t->v[k - 1].eol = 1;
			break;
		}
}

int pylex(const char *s, size_t len, struct ptoks *out, unsigned int *bad_line)
{
	struct lx x = {s, len, 0, 1, out, 0, 0};
	size_t line_start = 0;
	unsigned int width = 0;
	int at_bol = 1, in_line = 0, err = 0;

	memset(out, 0, sizeof(*out));
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		x.i = 3;
	while (x.i < len) {
		int c = ch(&x, 0), f, kind;
		size_t start = x.i;
		unsigned int line = x.line;

		if (at_bol) {
			line_start = x.i;
			width = 0;
			while (ch(&x, 0) == ' ' || ch(&x, 0) == '\t' || ch(&x, 0) == '\f') {
				width = ch(&x, 0) == '\t'  ? (width / 8 + 1) * 8
					: ch(&x, 0) == ' ' ? width + 1
							   : 0;
				adv(&x);
			}
			at_bol = 0;
			continue;
		}
		if (c == '\n' || (c == '\r' && ch(&x, 1) == '\n')) {
			if (c == '\r')
				adv(&x);
			if (in_line && !x.depth) {
				end_line(&x);
				in_line = 0;
			}
			adv(&x);
			if (!x.depth)
				at_bol = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
			adv(&x);
			continue;
		}
		if (c == '\\' && (ch(&x, 1) == '\n' || (ch(&x, 1) == '\r' && ch(&x, 2) == '\n'))) {
			adv(&x);
			if (ch(&x, 0) == '\r')
				adv(&x);
			adv(&x);
			continue;
		}
		if (c == '#') {
			while (ch(&x, 0) >= 0 && ch(&x, 0) != '\n' &&
			       !(ch(&x, 0) == '\r' && ch(&x, 1) == '\n'))
				adv(&x);
			err = push(&x, start, line, PT_COMMENT, 0);
			if (err)
				goto fail;
			continue;
		}
		if ((is_name_start(c) && string_prefix(&x, &f) >= 0) || c == '"' || c == '\'') {
			kind = PT_STRING;
			if (string(&x)) {
				x.bad_line = line;
				goto bad;
			}
		} else if (is_name_start(c)) {
			kind = PT_NAME;
			while (is_name_char(ch(&x, 0)))
				adv(&x);
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && ch(&x, 1) >= '0' && ch(&x, 1) <= '9')) {
			kind = PT_NUMBER;
			while (is_name_char(ch(&x, 0)) || ch(&x, 0) == '.' ||
			       ((ch(&x, 0) == '+' || ch(&x, 0) == '-') &&
				(x.s[x.i - 1] == 'e' || x.s[x.i - 1] == 'E')))
				adv(&x);
		} else {
			kind = PT_OP;
			if (c == '(' || c == '[' || c == '{')
				x.depth++;
			if (c == ')' || c == ']' || c == '}') {
				if (!x.depth) {
					x.bad_line = line;
					goto bad;
				}
				x.depth--;
			}
			adv(&x);
		}
		if (!in_line) {
			err = push(&x, start, line, kind, 1);
			if (!err)
				err = add_line(out, line_start, out->n - 1, width);
			in_line = 1;
		} else {
			err = push(&x, start, line, kind, 0);
		}
		if (err)
			goto fail;
	}
	if (x.depth) {
		x.bad_line = x.line;
		goto bad;
	}
	if (in_line)
		end_line(&x);
	return 0;
bad:
	if (bad_line)
		*bad_line = x.bad_line;
	err = -EINVAL;
fail:
	ptoks_free(out);
	return err;
}

void ptoks_free(struct ptoks *t)
{
	free(t->v);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

int ptok_is(const char *s, const struct ptok *t, const char *str)
{
	return t->len == strlen(str) && !memcmp(s + t->off, str, t->len);
}
