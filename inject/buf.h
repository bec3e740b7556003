/*
 * A growable byte buffer, always NUL-terminated, for building file contents,
 * names and messages.  Allocation failure is sticky: after it, every append
 * is a no-op and buf_ok() is false, so a caller checks once at the end.
 */
#ifndef PERFINJECT_BUF_H
#define PERFINJECT_BUF_H

#include <stddef.h>

#include "compiler.h"

struct buf {
	char *p;
	size_t len;
	size_t cap;
	int oom;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* 0, or -ENOMEM if any append failed. */
int buf_ok(const struct buf *b);
/* Hands the bytes to the caller (never NULL when buf_ok()); b is reset. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
