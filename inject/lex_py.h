/*
 * A lexer for Python 3 source: names, numbers, operators, comments and
 * strings (every prefix, triple quotes, and f-strings whose replacement
 * fields nest strings as Python 3.12 allows), with logical lines joined by
 * brackets and backslashes, as the language defines them.
 */
#ifndef PERFINJECT_LEX_PY_H
#define PERFINJECT_LEX_PY_H

#include <stddef.h>

enum ptok_kind { PT_NAME, PT_NUMBER, PT_STRING, PT_OP, PT_COMMENT };

struct ptok {
	size_t off, len;
	unsigned int line;
	unsigned char kind; /* enum ptok_kind */
	unsigned char bol;  /* first token of a logical line */
	unsigned char eol;  /* last token of a logical line (comments excluded) */
};

/* A logical line. */
struct pline {
	size_t start;	   /* start of the physical line holding its first token */
	size_t end;	   /* just past the newline that ends it (or the file's end) */
	size_t tok;	   /* index of its first token */
	size_t ntok;	   /* tokens, comments excluded */
	unsigned int line; /* line of its first token */
	unsigned int end_line;
	unsigned int width; /* indentation, tabs to multiples of 8 */
};

struct ptoks {
	struct ptok *v;
	size_t n, cap;
	struct pline *lines;
	size_t nlines, lcap;
};

/*
 * Tokenizes s[0..len).  Returns 0, -ENOMEM, or -EINVAL for an unterminated
 * string or unbalanced brackets (*bad_line tells where).
 */
int pylex(const char *s, size_t len, struct ptoks *out, unsigned int *bad_line);
void ptoks_free(struct ptoks *t);
/* 1 if the token's text equals str. */
int ptok_is(const char *s, const struct ptok *t, const char *str);

#endif
