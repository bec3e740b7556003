/*
 * perftrace report --format folded: one line per distinct stack, root first,
 * frames separated by ';', then a space and the number of samples
 * ("proc [pid];main;run;read_rows 42"), as flamegraph.pl and most flame
 * graph tools read.  Written from the call tree, so it is sorted by path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct path {
	char *buf;
	size_t len, cap;
};

static int push(struct path *pt, const char *s)
{
	size_t n = strlen(s);

	if (pt->len + n + 2 > pt->cap) {
		size_t cap = (pt->len + n + 2) * 2;
		char *nb = realloc(pt->buf, cap);

		if (!nb)
			return -ENOMEM;
		pt->buf = nb;
		pt->cap = cap;
	}
	if (pt->len)
		pt->buf[pt->len++] = ';';
	for (size_t i = 0; i < n; i++)
		/* a ';' or a newline inside a name would split the line */
		pt->buf[pt->len++] = s[i] == ';' || s[i] == '\n' ? ':' : s[i];
	pt->buf[pt->len] = 0;
	return 0;
}

static int walk(FILE *f, const struct profile *p, const struct agg *a, uint32_t idx,
		struct path *pt)
{
	const struct tnode *n = &a->nodes[idx];
	size_t saved = pt->len;
	char label[512];
	int err;

	if (n->parent != UINT32_MAX) {
		node_label(p, n, label, sizeof(label));
		err = push(pt, label);
		if (err)
			return err;
	}
	if (n->self && pt->len && fprintf(f, "%s %llu\n", pt->buf, (unsigned long long)n->self) < 0)
		return -EIO;
	for (uint32_t c = n->first_child; c != UINT32_MAX; c = a->nodes[c].next_sibling) {
		err = walk(f, p, a, c, pt);
		if (err)
			return err;
	}
	pt->len = saved;
	if (pt->buf)
		pt->buf[saved] = 0;
	return 0;
}

int report_folded(FILE *f, struct profile *p, struct agg *a, const struct report_opts *o)
{
	struct path pt = {0};
	int err;

	(void)o;
	err = walk(f, p, a, 0, &pt);
	free(pt.buf);
	return err;
}
