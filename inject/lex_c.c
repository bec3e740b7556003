/*
 * The C/C++ lexer; see lex_c.h.
 *
 * A cursor walks the raw bytes and steps over backslash-newline splices
 * transparently, so every rule below can look at "the next character" the
 * way translation phase 2 sees it, while tokens keep their raw offsets (the
 * injector edits raw bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lex_c.h"

struct cur {
	const char *s;
	size_t len;
	size_t i; /* raw position, never on a splice */
	unsigned int line;
	int spliced; /* a splice was skipped since the last mark */
};

static size_t splice_len(const struct cur *c, size_t i)
{
	if (i < c->len && c->s[i] == '\\') {
		if (i + 1 < c->len && c->s[i + 1] == '\n')
			return 2;
		if (i + 2 < c->len && c->s[i + 1] == '\r' && c->s[i + 2] == '\n')
			return 3;
	}
	return 0;
}

static void norm(struct cur *c)
{
	size_t n;

	while ((n = splice_len(c, c->i))) {
		c->i += n;
		c->line++;
		c->spliced = 1;
	}
}

/* The current character, or -1 at the end. */
static int at(const struct cur *c)
{
	return c->i < c->len ? (unsigned char)c->s[c->i] : -1;
}

static void next(struct cur *c)
{
	if (c->i >= c->len)
		return;
	if (c->s[c->i] == '\n')
		c->line++;
	c->i++;
	norm(c);
}

/* The character after the current one. */
static int peek(const struct cur *c)
{
	struct cur d = *c;

	next(&d);
	return at(&d);
}

static int is_ident_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '$' ||
	       ch >= 0x80;
}

static int is_ident_char(int ch)
{
	return is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

static int push(struct ctoks *t, size_t off, size_t end, unsigned int line, int kind, int bol,
		int splice)
{
	struct ctok *k;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct ctok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	k = &t->v[t->n++];
	k->off = off;
	k->len = end - off;
	k->line = line;
	k->kind = (unsigned char)kind;
	k->bol = (unsigned char)bol;
	k->splice = (unsigned char)splice;
	return 0;
}

/* After the opening quote: to the closing one; 0, or -1 if the line ends first. */
static int quoted(struct cur *c, int q)
{
	for (;;) {
		int ch = at(c);

		if (ch < 0 || ch == '\n')
			return -1;
		next(c);
		if (ch == q)
			return 0;
		if (ch == '\\' && at(c) >= 0 && at(c) != '\n')
			next(c);
	}
}

/* After R": delimiter, '(', body, ')' delimiter '"'.  Raw bytes: no splices inside. */
static int raw_string(struct cur *c)
{
	char delim[18];
	size_t n = 0, i;

	while (at(c) >= 0 && at(c) != '(') {
		int ch = at(c);

		if (n >= 16 || ch == ' ' || ch == ')' || ch == '\\' || ch == '\n' || ch == '\t')
			return -1;
		delim[n++] = (char)ch;
		next(c);
	}
	if (at(c) != '(')
		return -1;
	for (i = c->i + 1; i < c->len; i++) {
		if (c->s[i] == '\n')
			c->line++;
		if (c->s[i] == ')' && i + n + 1 < c->len && !memcmp(c->s + i + 1, delim, n) &&
		    c->s[i + n + 1] == '"') {
			c->i = i + n + 2;
			norm(c);
			return 0;
		}
	}
	return -1;
}

static void ident(struct cur *c)
{
	while (is_ident_char(at(c)))
		next(c);
}

static int block_comment(struct cur *c)
{
	next(c);
	next(c);
	for (;;) {
		int ch = at(c);

		if (ch < 0)
			return -1;
		next(c);
		if (ch == '*' && at(c) == '/') {
			next(c);
			return 0;
		}
	}
}

static void line_comment(struct cur *c)
{
	while (at(c) >= 0 && at(c) != '\n')
		next(c);
}

/* From '#' to the end of the logical line; comments may hide newlines. */
static int directive(struct cur *c)
{
	next(c);
	for (;;) {
		int ch = at(c);

		if (ch < 0 || ch == '\n')
			return 0;
		if (ch == '/' && peek(c) == '*') {
			if (block_comment(c))
				return -1;
		} else if (ch == '/' && peek(c) == '/') {
			line_comment(c);
		} else if (ch == '"' || ch == '\'') {
			next(c);
			quoted(c, ch); /* `#error don't` is fine: stop at the line's end */
		} else {
			next(c);
		}
	}
}

static const char *const puncts[] = {"::", "->", "##", "==", "!=", "<=", ">=", "+=", "-=", "*=",
				     "/=", "%=", "&=", "|=", "^=", "&&", "||", "++", "--"};

static void punct(struct cur *c)
{
	int a = at(c), b = peek(c);
	size_t k;

	if (a == '.' && b == '.') {
		struct cur d = *c;

		next(&d);
		next(&d);
		if (at(&d) == '.') {
			next(&d);
			*c = d;
			return;
		}
	}
	for (k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
		if (puncts[k][0] == a && puncts[k][1] == b) {
			next(c);
			next(c);
			return;
		}
	}
	next(c);
}

static int string_prefix(const char *s, size_t off, size_t end, int spliced, int cxx, int *raw)
{
	char w[8];
	size_t n = 0, i;

	for (i = off; i < end && n < sizeof(w) - 1; i++) {
		if (spliced && (s[i] == '\\' || s[i] == '\n' || s[i] == '\r'))
			continue;
		w[n++] = s[i];
	}
	if (i < end)
		return 0;
	w[n] = 0;
	*raw = 0;
	if (!strcmp(w, "L") || !strcmp(w, "u") || !strcmp(w, "U") || !strcmp(w, "u8"))
		return 1;
	if (cxx && (!strcmp(w, "R") || !strcmp(w, "LR") || !strcmp(w, "uR") || !strcmp(w, "UR") ||
		    !strcmp(w, "u8R"))) {
		*raw = 1;
		return 1;
	}
	return 0;
}

int clex(const char *s, size_t len, int cxx, struct ctoks *out, unsigned int *bad_line)
{
	struct cur c = {s, len, 0, 1, 0};
	int bol = 1, err = 0;

	memset(out, 0, sizeof(*out));
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		c.i = 3; /* a UTF-8 byte order mark is not a token */
	norm(&c);
	while (c.i < len) {
		int ch = at(&c), kind = CT_PUNCT;
		size_t start = c.i;
		unsigned int line = c.line;

		if (ch == '\n') {
			bol = 1;
			next(&c);
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
			next(&c);
			continue;
		}
		c.spliced = 0;
		if (ch == '#' && bol) {
			kind = CT_DIRECTIVE;
			if (directive(&c))
				goto unterminated;
		} else if (ch == '/' && peek(&c) == '*') {
			kind = CT_COMMENT;
			if (block_comment(&c))
				goto unterminated;
		} else if (ch == '/' && peek(&c) == '/') {
			kind = CT_COMMENT;
			line_comment(&c);
		} else if (is_ident_start(ch)) {
			int raw;

			kind = CT_IDENT;
			ident(&c);
			if ((at(&c) == '"' || at(&c) == '\'') &&
			    string_prefix(s, start, c.i, c.spliced, cxx, &raw)) {
				int q = at(&c);

				if (raw && q == '"') {
					next(&c);
					if (raw_string(&c))
						goto unterminated;
					kind = CT_STRING;
				} else if (!raw) {
					next(&c);
					kind = quoted(&c, q) ? CT_BAD
					       : q == '"'    ? CT_STRING
							     : CT_CHAR;
				}
				if (kind != CT_IDENT && kind != CT_BAD && cxx)
					ident(&c); /* user-defined literal suffix */
			}
		} else if ((ch >= '0' && ch <= '9') ||
			   (ch == '.' && peek(&c) >= '0' && peek(&c) <= '9')) {
			kind = CT_NUMBER;
			for (;;) {
				int a = at(&c);

				if ((a == 'e' || a == 'E' || a == 'p' || a == 'P') &&
				    (peek(&c) == '+' || peek(&c) == '-')) {
					next(&c);
					next(&c);
				} else if (a == '\'' && is_ident_char(peek(&c))) {
					next(&c);
				} else if (is_ident_char(a) || a == '.') {
					next(&c);
				} else {
					break;
				}
			}
		} else if (ch == '"' || ch == '\'') {
			next(&c);
			kind = quoted(&c, ch) ? CT_BAD : ch == '"' ? CT_STRING : CT_CHAR;
			if (kind != CT_BAD && cxx)
				ident(&c);
		} else {
			punct(&c);
		}
		err = push(out, start, c.i, line, kind, bol && kind != CT_COMMENT, c.spliced);
		if (err)
			goto fail;
		if (kind != CT_COMMENT)
			bol = 0;
		if (kind == CT_DIRECTIVE)
			bol = 1; /* the newline that ended it is still ahead */
		continue;
	unterminated:
		if (bad_line)
			*bad_line = line;
		err = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	ctoks_free(out);
	return err;
}

void ctoks_free(struct ctoks *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void ctok_text(const char *s, const struct ctok *t, struct buf *b)
{
	size_t i, end = t->off + t->len;

	if (!t->splice) {
		buf_add(b, s + t->off, t->len);
		return;
	}
	for (i = t->off; i < end; i++) {
		if (s[i] == '\\' && i + 1 < end && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (s[i] == '\\' && i + 2 < end && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		buf_addc(b, s[i]);
	}
}

int ctok_is(const char *s, const struct ctok *t, const char *str)
{
	struct buf b = BUF_INIT;
	int eq;

	if (!t->splice)
		return t->len == strlen(str) && !memcmp(s + t->off, str, t->len);
	ctok_text(s, t, &b);
	eq = b.p && !strcmp(b.p, str);
	buf_free(&b);
	return eq;
}

void cdirective(const char *s, const struct ctok *t, char *name, size_t size, int *is_zero)
{
	struct buf b = BUF_INIT;
	const char *p;
	size_t n = 0;

	*is_zero = 0;
	if (size)
		name[0] = 0;
	ctok_text(s, t, &b);
	if (!b.p)
		return;
	p = b.p + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	while (is_ident_char((unsigned char)p[n]))
		n++;
	if (n < size) {
		memcpy(name, p, n);
		name[n] = 0;
	}
	if (n == 2 && !memcmp(p, "if", 2)) {
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '0' && !is_ident_char((unsigned char)p[1]) && p[1] != '.' && p[1] != '\'')
			*is_zero = 1;
	}
	buf_free(&b);
}
