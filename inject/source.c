/*
 * The data model shared by the language backends: scans (what a parser
 * found), edits (what the injector inserts) and how edits are applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *ext_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');

	return dot ? dot + 1 : "";
}

const struct lang *lang_for_path(const char *path, int headers)
{
	static const char *const c_src[] = {"c"};
	static const char *const cxx_src[] = {"cc", "cpp", "cxx", "c++", "C"};
	static const char *const cxx_hdr[] = {"hpp", "hh", "hxx", "h++", "H", "ipp", "tcc", "inl"};
	const char *ext = ext_of(path);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c_src); i++)
		if (!strcmp(ext, c_src[i]))
			return &lang_c;
	for (i = 0; i < ARRAY_SIZE(cxx_src); i++)
		if (!strcmp(ext, cxx_src[i]))
			return &lang_cxx;
	if (!strcmp(ext, "py"))
		return &lang_python;
	if (!headers)
		return NULL;
	/* A .h may be C or C++: parsed as C++, whose rules accept C (but K&R). */
	if (!strcmp(ext, "h"))
		return &lang_cxx;
	for (i = 0; i < ARRAY_SIZE(cxx_hdr); i++)
		if (!strcmp(ext, cxx_hdr[i]))
			return &lang_cxx;
	return NULL;
}

void source_detect(struct source *src)
{
	const char *nl = memchr(src->data, '\n', src->len);

	src->nl = nl && nl > src->data && nl[-1] == '\r' ? "\r\n" : "\n";
	src->bom = src->len >= 3 && !memcmp(src->data, "\xef\xbb\xbf", 3) ? 3 : 0;
}

void scan_free(struct scan *sc)
{
	size_t i;

	for (i = 0; i < sc->nfuncs; i++) {
		free(sc->funcs[i].qname);
		free(sc->funcs[i].indent);
	}
	for (i = 0; i < sc->nskips; i++) {
		free(sc->skips[i].what);
		free(sc->skips[i].why);
	}
	free(sc->funcs);
	free(sc->skips);
	memset(sc, 0, sizeof(*sc));
}

int scan_skip(struct scan *sc, unsigned int line, const char *what, const char *why)
{
	struct skip *v = realloc(sc->skips, (sc->nskips + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	sc->skips = v;
	v[sc->nskips].line = line;
	v[sc->nskips].what = strdup(what ? what : "");
	v[sc->nskips].why = strdup(why);
	if (!v[sc->nskips].what || !v[sc->nskips].why) {
		free(v[sc->nskips].what);
		free(v[sc->nskips].why);
		return -ENOMEM;
	}
	sc->nskips++;
	return 0;
}

int scan_func(struct scan *sc, char *qname, unsigned int line, unsigned int end_line, size_t at,
	      const char *indent, size_t indent_len)
{
	struct func *v = realloc(sc->funcs, (sc->nfuncs + 1) * sizeof(*v));
	char *ind = NULL;

	if (!v || !qname)
		goto fail;
	sc->funcs = v;
	if (indent) {
		ind = malloc(indent_len + 1);
		if (!ind)
			goto fail;
		memcpy(ind, indent, indent_len);
		ind[indent_len] = 0;
	}
	v[sc->nfuncs].qname = qname;
	v[sc->nfuncs].line = line;
	v[sc->nfuncs].end_line = end_line;
	v[sc->nfuncs].at = at;
	v[sc->nfuncs].indent = ind;
	sc->nfuncs++;
	return 0;
fail:
	free(qname);
	return -ENOMEM;
}

int edits_add(struct edits *e, size_t at, int kind, const char *text, const char *func,
	      const char *span, unsigned int line)
{
	struct edit *d;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct edit *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	d = &e->v[e->n];
	memset(d, 0, sizeof(*d));
	d->at = at;
	d->kind = kind;
	d->line = line;
	d->seq = e->n;
	d->text = strdup(text);
	d->func = func ? strdup(func) : NULL;
	d->span = span ? strdup(span) : NULL;
	if (!d->text || (func && !d->func) || (span && !d->span)) {
		free(d->text);
		free(d->func);
		free(d->span);
		return -ENOMEM;
	}
	e->n++;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	/* Blocks before spans at the same offset; otherwise keep planning order. */
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int edits_apply(const struct source *src, struct edits *e, struct buf *out)
{
	size_t i, pos = 0;

	if (e->n)
		qsort(e->v, e->n, sizeof(*e->v), by_offset);
	for (i = 0; i < e->n; i++) {
		struct edit *d = &e->v[i];

		buf_add(out, src->data + pos, d->at - pos);
		pos = d->at;
		d->out_at = out->len;
		buf_adds(out, d->text);
	}
	buf_add(out, src->data + pos, src->len - pos);
	return buf_ok(out);
}

void edits_free(struct edits *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].text);
		free(e->v[i].func);
		free(e->v[i].span);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

unsigned int line_of(const char *s, size_t len, size_t off)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < off && i < len; i++)
		if (s[i] == '\n')
			line++;
	return line;
}
