/*
 * A lexer for C and C++ source, precise enough to find function definitions
 * and to tell our own markers from look-alikes in strings and comments.
 *
 * It follows the translation phases that matter for that: backslash-newline
 * splices anywhere (also inside identifiers and comments), block and line
 * comments, string and character literals with every encoding prefix, C++11
 * raw strings and user-defined literal suffixes, pp-numbers with digit
 * separators, and preprocessor directives as one token each (continuation
 * lines and comments included).  Trigraphs and digraphs are not translated.
 */
#ifndef PERFINJECT_LEX_C_H
#define PERFINJECT_LEX_C_H

#include <stddef.h>

#include "buf.h"

enum ctok_kind {
	CT_IDENT,
	CT_NUMBER,
	CT_STRING,
	CT_CHAR,
	CT_PUNCT,
	CT_COMMENT,
	CT_DIRECTIVE,
	CT_BAD, /* unterminated string or character literal (up to the end of its line) */
};

struct ctok {
	size_t off;	      /* first byte in the buffer */
	size_t len;	      /* raw length, splices included */
	unsigned int line;    /* 1-based line of the first byte */
	unsigned char kind;   /* enum ctok_kind */
	unsigned char bol;    /* first token of its line (comments do not count) */
	unsigned char splice; /* the raw text holds a backslash-newline */
};

struct ctoks {
	struct ctok *v;
	size_t n;
	size_t cap;
};

/*
 * Splits s[0..len) into tokens (whitespace is dropped).  cxx enables raw
 * strings and literal suffixes.  Returns 0, -ENOMEM, or -EINVAL for an
 * unterminated comment or raw string, with *bad_line set to where it began.
 * Unterminated ordinary literals are CT_BAD tokens, not errors: they are legal
 * inside `#if 0`, and the caller decides.
 */
int clex(const char *s, size_t len, int cxx, struct ctoks *out, unsigned int *bad_line);
void ctoks_free(struct ctoks *t);

/* 1 if the token's text, splices removed, equals str. */
int ctok_is(const char *s, const struct ctok *t, const char *str);
/* Appends the token's text, splices removed, to b. */
void ctok_text(const char *s, const struct ctok *t, struct buf *b);
/*
 * For a CT_DIRECTIVE: copies its name ("if", "ifdef", "define"; "" for a
 * null directive) into name[size], and sets *is_zero when it is `#if 0`.
 */
void cdirective(const char *s, const struct ctok *t, char *name, size_t size, int *is_zero);

/*
 * The live code tokens of t (no comments, no directives, only the branches
 * of conditionals that are read; see live_c.c), as a malloc'd array in *out
 * (freed by the caller, also on error).  Returns 0, -ENOMEM, or -EINVAL
 * for unbalanced conditionals or an unterminated literal in live code,
 * with why set.
 */
int clive(const char *s, const struct ctoks *t, struct ctok **out, size_t *n, struct buf *why);

#endif
