/*
 * A growable NUL-terminated string buffer for the CLIs (report writers,
 * command lines).  Allocation failure is fatal (error_msg_and_die): the
 * writers have no useful way to go on without memory.  Not for the shim.
 */
#ifndef PERFPROF_STRBUF_H
#define PERFPROF_STRBUF_H

#include <stddef.h>

#include "compiler.h"

struct strbuf {
	char *buf; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) ATTR_FORMAT(2, 3);
/* Appends s with &, <, >, " and ' replaced by their HTML/XML entities. */
void sb_put_xml(struct strbuf *sb, const char *s);
/* The contents ("" when empty); the buffer keeps ownership. */
const char *sb_str(const struct strbuf *sb);
/* Hands the contents to the caller (never NULL) and resets the buffer. */
char *sb_detach(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);

#endif
