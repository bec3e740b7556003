/*
 * Writing and reading the sample file; see tfile.h for the contract and
 * docs/perftrace-format.md for the layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tfile.h"

#define TF_BUF_CAP (1u << 20)

static void reserve(struct tf_writer *w, size_t n)
{
	char *nb;
	size_t cap;

	if (w->err || w->len + n <= w->cap)
		return;
	cap = w->cap ? w->cap : TF_BUF_CAP;
	while (cap < w->len + n)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->err = -ENOMEM;
		return;
	}
	w->buf = nb;
	w->cap = cap;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t got = write(fd, p, n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= got;
	}
	return 0;
}

int tf_open(struct tf_writer *w, int fd, const struct tf_header *h)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->rec = (size_t)-1;
	w->err = write_all(fd, (const char *)h, sizeof(*h));
	return w->err;
}

void tf_begin(struct tf_writer *w, enum tf_type type, const void *p, size_t len)
{
	struct tf_rec rec = {.type = type};

	reserve(w, sizeof(rec) + len);
	if (w->err)
		return;
	w->rec = w->len;
	memcpy(w->buf + w->len, &rec, sizeof(rec));
	w->len += sizeof(rec);
	tf_put(w, p, len);
}

void tf_put(struct tf_writer *w, const void *p, size_t len)
{
	reserve(w, len);
	if (w->err || !len)
		return;
	memcpy(w->buf + w->len, p, len);
	w->len += len;
}

void tf_put_str(struct tf_writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint16_t len = n > 0xffff ? 0xffff : n;

	tf_put(w, &len, sizeof(len));
	tf_put(w, s, len);
}

void tf_put_bytes(struct tf_writer *w, const void *p, uint32_t len)
{
	tf_put(w, &len, sizeof(len));
	tf_put(w, p, len);
}

void tf_end_rec(struct tf_writer *w)
{
	static const char zero[8];
	uint32_t size;

	if (w->err || w->rec == (size_t)-1)
		return;
	tf_put(w, zero, (8 - (w->len - w->rec) % 8) % 8);
	size = w->len - w->rec;
	if (size > TF_MAX_REC) {
		/* Never write what a reader would refuse: drop the record. */
		w->len = w->rec;
	} else {
		memcpy(w->buf + w->rec + offsetof(struct tf_rec, size), &size, sizeof(size));
	}
	w->rec = (size_t)-1;
}

int tf_flush(struct tf_writer *w)
{
	if (!w->err && w->len) {
		w->err = write_all(w->fd, w->buf, w->len);
		w->len = 0;
	}
	return w->err;
}

int tf_maybe_flush(struct tf_writer *w, uint64_t now_ns, uint64_t max_age_ns)
{
	if (now_ns - w->last_flush_ns < max_age_ns && w->len < TF_BUF_CAP / 2)
		return w->err;
	w->last_flush_ns = now_ns;
	return tf_flush(w);
}

int tf_close(struct tf_writer *w)
{
	int err = tf_flush(w);

	if (w->fd >= 0) {
		if (!err && fsync(w->fd) < 0 && errno != EINVAL)
			err = -errno;
		if (close(w->fd) < 0 && !err)
			err = -errno;
	}
	w->fd = -1;
	free(w->buf);
	w->buf = NULL;
	return err;
}

int tf_reader_init(struct tf_reader *r, const void *base, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->base = base;
	r->len = len;
	if (len < TF_HEADER_SIZE)
		return -EINVAL;
	memcpy(&r->hdr, base, sizeof(r->hdr));
	if (memcmp(r->hdr.magic, TF_MAGIC, 8) || r->hdr.endian != 0x01020304)
		return -EINVAL;
	if (r->hdr.version > TF_VERSION)
		return -ENOTSUP;
	if (r->hdr.header_size < TF_HEADER_SIZE || r->hdr.header_size > len)
		return -EINVAL;
	r->pos = r->hdr.header_size;
	return 0;
}

int tf_next(struct tf_reader *r, struct tf_rec *rec, struct tf_cursor *body)
{
	size_t left = r->len - r->pos;

	if (!left)
		return 0;
	if (left < sizeof(*rec))
		return -ENODATA;
	memcpy(rec, r->base + r->pos, sizeof(*rec));
	if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > TF_MAX_REC)
		return -EBADMSG;
	if (rec->size > left)
		return -ENODATA;
	body->p = r->base + r->pos + sizeof(*rec);
	body->end = r->base + r->pos + rec->size;
	body->bad = 0;
	r->pos += rec->size;
	return 1;
}

void tf_get(struct tf_cursor *c, void *out, size_t len)
{
	if (c->bad || (size_t)(c->end - c->p) < len) {
		c->bad = 1;
		memset(out, 0, len);
		return;
	}
	memcpy(out, c->p, len);
	c->p += len;
}

void tf_get_str(struct tf_cursor *c, char *out, size_t outlen)
{
	uint16_t len;
	size_t n;

	tf_get(c, &len, sizeof(len));
	if (c->bad || (size_t)(c->end - c->p) < len) {
		c->bad = 1;
		out[0] = 0;
		return;
	}
	n = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, c->p, n);
	out[n] = 0;
	c->p += len;
}

const void *tf_get_bytes(struct tf_cursor *c, uint32_t *len)
{
	const void *p;

	tf_get(c, len, sizeof(*len));
	if (c->bad || (size_t)(c->end - c->p) < *len) {
		c->bad = 1;
		*len = 0;
		return NULL;
	}
	p = c->p;
	c->p += *len;
	return p;
}
