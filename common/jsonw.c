/*
 * Allocation-free JSON writer; see jsonw.h.  Everything here is
 * async-signal-safe as long as the sink is.
 */
#include <string.h>

#include "jsonw.h"

void jsonw_init(struct jsonw *w, char *buf, size_t cap, jsonw_sink_fn sink, void *ctx, int pretty)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->sink = sink;
	w->ctx = ctx;
	w->pretty = pretty;
}

static void flush(struct jsonw *w)
{
	if (w->err || !w->len)
		return;
	w->err = w->sink(w->ctx, w->buf, w->len);
	w->len = 0;
}

static void put(struct jsonw *w, const char *p, size_t n)
{
	while (n && !w->err) {
		size_t room = w->cap - w->len;

		if (!room) {
			flush(w);
			continue;
		}
		if (room > n)
			room = n;
		memcpy(w->buf + w->len, p, room);
		w->len += room;
		p += room;
		n -= room;
	}
}

static void putc1(struct jsonw *w, char c)
{
	put(w, &c, 1);
}

static void newline(struct jsonw *w)
{
	static const char spaces[] = "                                                                ";
	size_t indent = (size_t)w->depth * 2;

	if (!w->pretty)
		return;
	putc1(w, '\n');
	while (indent) {
		size_t n = indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1;

		put(w, spaces, n);
		indent -= n;
	}
}

static void escaped(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	putc1(w, '"');
	while (i < n && p[i]) {
		unsigned char c = p[i];
		size_t len = 0;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			size_t j = i;

			while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
				j++;
			put(w, s + i, j - i);
			i = j;
			continue;
		}
		/* Pass well-formed UTF-8 sequences through untouched. */
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		if (len && i + len <= n) {
			size_t k;

			for (k = 1; k < len; k++)
				if ((p[i + k] & 0xc0) != 0x80)
					break;
			if (k == len) {
				put(w, s + i, len);
				i += len;
				continue;
			}
		}
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\", 2);
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			put(w, u, 6);
		}
		}
		i++;
	}
	putc1(w, '"');
}

static void member(struct jsonw *w, const char *key)
{
	if (w->depth > 0) {
		int d = w->depth - 1;

		if (d < JSONW_MAX_DEPTH && w->count[d])
			putc1(w, ',');
		if (d < JSONW_MAX_DEPTH && w->count[d] < 255)
			w->count[d]++;
		newline(w);
	}
	if (key) {
		escaped(w, key, (size_t)-1);
		put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	}
}

static void open_level(struct jsonw *w, const char *key, char c)
{
	member(w, key);
	putc1(w, c);
	if (w->depth < JSONW_MAX_DEPTH)
		w->count[w->depth] = 0;
	w->depth++;
}

static void close_level(struct jsonw *w, char c)
{
	int had = w->depth > 0 && w->depth <= JSONW_MAX_DEPTH && w->count[w->depth - 1];

	if (w->depth > 0)
		w->depth--;
	if (had)
		newline(w);
	putc1(w, c);
	if (w->depth == 0 && w->pretty)
		putc1(w, '\n');
}

void jsonw_obj_begin(struct jsonw *w, const char *key)
{
	open_level(w, key, '{');
}

void jsonw_obj_end(struct jsonw *w)
{
	close_level(w, '}');
}

void jsonw_arr_begin(struct jsonw *w, const char *key)
{
	open_level(w, key, '[');
}

void jsonw_arr_end(struct jsonw *w)
{
	close_level(w, ']');
}

void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	member(w, key);
	if (!s)
		put(w, "null", 4);
	else
		escaped(w, s, n);
}

void jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_strn(w, key, s, (size_t)-1);
}

size_t jsonw_fmt_u64(char *out, uint64_t v)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
	return n;
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t v)
{
	char b[21];

	member(w, key);
	put(w, b, jsonw_fmt_u64(b, v));
}

void jsonw_i64(struct jsonw *w, const char *key, int64_t v)
{
	char b[22];
	size_t n = 0;
	uint64_t u = (uint64_t)v;

	if (v < 0) {
		b[n++] = '-';
		u = (uint64_t)0 - u;
	}
	n += jsonw_fmt_u64(b + n, u);
	member(w, key);
	put(w, b, n);
}

void jsonw_fixed(struct jsonw *w, const char *key, double v, int decimals)
{
	static const uint64_t pow10[] = {1,	 10,	  100,	    1000,      10000,
					 100000, 1000000, 10000000, 100000000, 1000000000};
	char b[48];
	size_t n = 0;
	uint64_t scaled, ip, fp;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	if (v != v || v > 1.8e10 || v < -1.8e10) {
		/* NaN or too large for fixed point: JSON has no NaN, and huge values do not occur. */
		jsonw_null(w, key);
		return;
	}
	if (v < 0) {
		b[n++] = '-';
		v = -v;
	}
	scaled = (uint64_t)(v * (double)pow10[decimals] + 0.5);
	ip = scaled / pow10[decimals];
	fp = scaled % pow10[decimals];
	n += jsonw_fmt_u64(b + n, ip);
	if (decimals) {
		int i;

		b[n++] = '.';
		for (i = decimals - 1; i >= 0; i--) {
			b[n + i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		n += decimals;
	}
	member(w, key);
	put(w, b, n);
}

void jsonw_bool(struct jsonw *w, const char *key, int v)
{
	member(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w, const char *key)
{
	member(w, key);
	put(w, "null", 4);
}

int jsonw_finish(struct jsonw *w)
{
	flush(w);
	return w->err;
}
