/*
 * A streaming JSON writer that never allocates and never calls stdio, so the
 * preloaded shim can write its report from exit paths and signal handlers.
 * Output is collected in a caller-supplied buffer and handed to a sink
 * whenever it fills up.  The CLIs use cJSON for everything else.
 *
 * Members are written with a key inside objects and with key == NULL inside
 * arrays.  Errors are sticky: after the sink fails once, every call is a no-op
 * and jsonw_finish() returns the sink's error.
 */
#ifndef PERFPROF_JSONW_H
#define PERFPROF_JSONW_H

#include <stddef.h>
#include <stdint.h>

/* Writes n bytes; returns 0 or a negative errno. */
typedef int (*jsonw_sink_fn)(void *ctx, const char *p, size_t n);

#define JSONW_MAX_DEPTH 32

struct jsonw {
	char *buf;
	size_t cap;
	size_t len;
	jsonw_sink_fn sink;
	void *ctx;
	int err;
	int depth;
	int pretty;
	unsigned char count[JSONW_MAX_DEPTH]; /* members written per open level (saturating) */
};

void jsonw_init(struct jsonw *w, char *buf, size_t cap, jsonw_sink_fn sink, void *ctx, int pretty);
void jsonw_obj_begin(struct jsonw *w, const char *key);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w, const char *key);
void jsonw_arr_end(struct jsonw *w);
void jsonw_str(struct jsonw *w, const char *key, const char *s);
/* At most n bytes of s (stops early at a NUL); invalid UTF-8 is escaped as \u00XX. */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_i64(struct jsonw *w, const char *key, int64_t v);
/* A fixed-point number with `decimals` digits after the point (0..9). */
void jsonw_fixed(struct jsonw *w, const char *key, double v, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, int v);
void jsonw_null(struct jsonw *w, const char *key);
/* Flushes what is buffered; returns 0 or the first negative errno of the sink. */
int jsonw_finish(struct jsonw *w);

/* Formats v in decimal into out (at least 21 bytes); returns the length. */
size_t jsonw_fmt_u64(char *out, uint64_t v);

#endif
