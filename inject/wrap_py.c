/*
 * The Python backend: what perfinject inserts into a .py file and how it
 * removes exactly that again.
 *
 * A wrapped function gets one decorator line directly above its `def` (so
 * below any decorators of its own, wrapping the plain function):
 *
 *	@_perfinject_span("pkg.mod.Class.method", 42)  # perfinject
 *
 * and the module gets one import block after its docstring and its
 * `from __future__` imports.  The block falls back to an identity decorator
 * when the runtime module (perfprof_spans, found through PYTHONPATH) is
 * missing or fails, so the program never breaks because of us.  Lines after
 * an insertion move down; the decorator carries the function's original
 * line, which is what the runtime reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lex_py.h"

#define DECO_NAME   "_perfinject_span"
#define DECO_MARK   "  # perfinject"
#define BLOCK_BEGIN "# perfinject:begin"
#define BLOCK_END   "# perfinject:end"

static const char *const block_head[] = {
    BLOCK_BEGIN " (`perfinject --clean` removes this block; do not edit)",
    "try:",
    "    from perfprof_spans import site_decorator as _perfinject_factory",
};
/* then: "    _perfinject_span = _perfinject_factory(\"<path>\")" */
static const char *const block_tail[] = {
    "except Exception:  # without the runtime, functions run unwrapped",
    "    def " DECO_NAME "(name, line):",
    "        return lambda f: f",
    BLOCK_END,
};
#define FACTORY_LINE "    " DECO_NAME " = _perfinject_factory("

static void py_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

/* The block's lines, each followed by nl. */
static void block_text(const struct source *src, struct buf *b)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(block_head); i++) {
		buf_adds(b, block_head[i]);
		buf_adds(b, src->nl);
	}
	buf_adds(b, FACTORY_LINE);
	py_string(b, src->path);
	buf_addc(b, ')');
	buf_adds(b, src->nl);
	for (i = 0; i < ARRAY_SIZE(block_tail); i++) {
		buf_adds(b, block_tail[i]);
		buf_adds(b, src->nl);
	}
}

/* "pkg/sub/mod.py" -> "pkg.sub.mod"; "pkg/__init__.py" -> "pkg". */
static void module_name(const char *path, struct buf *b)
{
	size_t n = strlen(path), i;

	if (n > 3 && !strcmp(path + n - 3, ".py"))
		n -= 3;
	if (n >= 9 && !memcmp(path + n - 8, "__init__", 8) && (n == 8 || path[n - 9] == '/'))
		n = n > 9 ? n - 9 : 0;
	for (i = 0; i < n; i++)
		buf_addc(b, path[i] == '/' ? '.' : path[i]);
}

struct pscope {
	unsigned int width;
	size_t name_len; /* length of the qualified prefix before this scope's name */
};

static int parse_py(const struct source *src, struct scan *out, struct buf *why)
{
	struct ptoks t;
	struct pscope stack[100];
	struct buf q = BUF_INIT;
	unsigned int bad = 0;
	size_t i, base;
	int sp = 0, err, header = 1;
	const char *s = src->data;

	memset(out, 0, sizeof(*out));
	err = pylex(s, src->len, &t, &bad);
	if (err == -EINVAL)
		buf_printf(why, "line %u: unterminated string or unbalanced brackets", bad);
	if (err)
		return err;
	module_name(src->path, &q);
	base = q.len;
	out->block_at = t.nlines ? t.lines[0].start : src->len;
	for (i = 0; i < t.nlines && !err; i++) {
		const struct pline *l = &t.lines[i];
		const struct ptok *k = &t.v[l->tok];
		size_t d = l->tok, m;

		if (header) {
			int only_str = 1;

			for (m = l->tok; m < l->tok + l->ntok + 64 && m < t.n; m++) {
				if (t.v[m].kind == PT_COMMENT)
					continue;
				if (t.v[m].kind != PT_STRING)
					only_str = 0;
				if (t.v[m].eol)
					break;
			}
			if ((i == 0 && only_str) || (ptok_is(s, k, "from") && d + 1 < t.n &&
						     ptok_is(s, &t.v[d + 1], "__future__")))
				out->block_at = l->end;
			else
				header = 0;
		}
		while (sp > 0 && stack[sp - 1].width >= l->width) {
			sp--;
			q.len = stack[sp].name_len;
			q.p[q.len] = 0;
		}
		if (ptok_is(s, k, "async") && d + 1 < t.n && ptok_is(s, &t.v[d + 1], "def"))
			d++;
		if (!(ptok_is(s, &t.v[d], "def") || ptok_is(s, &t.v[d], "class")))
			continue;
		if (d + 1 >= t.n || t.v[d + 1].kind != PT_NAME) {
			err = scan_skip(out, l->line, NULL, "def or class without a name");
			continue;
		}
		if (sp == (int)ARRAY_SIZE(stack)) {
			buf_printf(why, "line %u: definitions nested too deeply", l->line);
			err = -EINVAL;
			break;
		}
		stack[sp].width = l->width;
		stack[sp].name_len = q.len;
		sp++;
		if (q.len)
			buf_addc(&q, '.');
		buf_add(&q, s + t.v[d + 1].off, t.v[d + 1].len);
		if (buf_ok(&q)) {
			err = -ENOMEM;
			break;
		}
		if (ptok_is(s, &t.v[d], "class"))
			continue;
		for (m = l->start; m < k->off && (s[m] == ' ' || s[m] == '\t' || s[m] == '\f'); m++)
			;
		if (m < k->off) {
			/* `\` on the line before: a decorator cannot go between the two. */
			err =
			    scan_skip(out, t.v[d].line, q.p + (base && q.len > base ? base + 1 : 0),
				      "def continued from the line before (backslash)");
			continue;
		}
		{
			/* The body ends before the next line indented no deeper. */
			unsigned int end = l->end_line;
			size_t j;

			for (j = i + 1; j < t.nlines && t.lines[j].width > l->width; j++)
				end = t.lines[j].end_line;
			err =
			    scan_func(out, strdup(q.p + (base && q.len > base ? base + 1 : 0)),
				      t.v[d].line, end, l->start, s + l->start, k->off - l->start);
		}
	}
	ptoks_free(&t);
	buf_free(&q);
	if (err)
		scan_free(out);
	return err;
}

static int plan_py(const struct source *src, const struct scan *sc, const size_t *sel, size_t nsel,
		   struct edits *out)
{
	struct buf t = BUF_INIT, span = BUF_INIT;
	size_t i;
	int err;

	if (!nsel)
		return 0;
	if (sc->block_at == src->len && src->len && src->data[src->len - 1] != '\n') {
		/* At the end of a file without a final newline: the block brings its own. */
		buf_adds(&t, src->nl);
		block_text(src, &t);
		t.len -= strlen(src->nl);
		t.p[t.len] = 0;
	} else {
		block_text(src, &t);
	}
	err = buf_ok(&t) ? -ENOMEM : edits_add(out, sc->block_at, EDIT_IMPORT, t.p, NULL, NULL, 0);
	for (i = 0; i < nsel && !err; i++) {
		const struct func *f = &sc->funcs[sel[i]];

		t.len = span.len = 0;
		if (src->module)
			buf_adds(&span, src->module);
		else
			module_name(src->path, &span);
		if (span.len)
			buf_addc(&span, '.');
		buf_adds(&span, f->qname);
		buf_printf(&t, "%s@" DECO_NAME "(", f->indent);
		py_string(&t, span.p);
		buf_printf(&t, ", %u)" DECO_MARK "%s", f->line, src->nl);
		err = buf_ok(&t) || buf_ok(&span)
			  ? -ENOMEM
			  : edits_add(out, f->at, EDIT_DECORATOR, t.p, f->qname, span.p, f->line);
	}
	buf_free(&t);
	buf_free(&span);
	return err;
}

static int starts_with(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && !memcmp(s, pre, n);
}

/* Does the import block start at off?  Returns its length, or 0. */
static size_t match_block(const struct source *src, size_t off)
{
	const char *s = src->data;
	size_t i, pos = off, n, nl = strlen(src->nl);

	for (i = 0; i < ARRAY_SIZE(block_head); i++) {
		n = strlen(block_head[i]);
		if (src->len - pos < n + nl || memcmp(s + pos, block_head[i], n) ||
		    memcmp(s + pos + n, src->nl, nl))
			return 0;
		pos += n + nl;
	}
	n = strlen(FACTORY_LINE);
	if (src->len - pos < n || memcmp(s + pos, FACTORY_LINE, n))
		return 0;
	pos += n;
	if (pos >= src->len || s[pos++] != '"')
		return 0;
	while (pos < src->len && s[pos] != '"' && s[pos] != '\n')
		pos += s[pos] == '\\' ? 2 : 1;
	if (pos + 1 + nl > src->len || s[pos] != '"' || s[pos + 1] != ')' ||
	    memcmp(s + pos + 2, src->nl, nl))
		return 0;
	pos += 2 + nl;
	for (i = 0; i < ARRAY_SIZE(block_tail); i++) {
		int last = i + 1 == ARRAY_SIZE(block_tail);

		n = strlen(block_tail[i]);
		if (src->len - pos < n || memcmp(s + pos, block_tail[i], n))
			return 0;
		pos += n;
		if (last && pos == src->len)
			break;
		if (src->len - pos < nl || memcmp(s + pos, src->nl, nl))
			return 0;
		pos += nl;
	}
	return pos - off;
}

/* Does a decorator line of ours start at off (its indentation)?  Its length, or 0. */
static size_t match_decorator(const char *s, size_t len, size_t off)
{
	size_t pos = off, n = strlen("@" DECO_NAME "(");

	while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\f'))
		pos++;
	if (len - pos < n || memcmp(s + pos, "@" DECO_NAME "(", n))
		return 0;
	pos += n;
	if (pos >= len || s[pos++] != '"')
		return 0;
	while (pos < len && s[pos] != '"' && s[pos] != '\n')
		pos += s[pos] == '\\' ? 2 : 1;
	if (pos + 3 > len || s[pos] != '"' || s[pos + 1] != ',' || s[pos + 2] != ' ')
		return 0;
	pos += 3;
	n = pos;
	while (pos < len && s[pos] >= '0' && s[pos] <= '9')
		pos++;
	if (pos == n || pos >= len || s[pos++] != ')')
		return 0;
	n = strlen(DECO_MARK);
	if (len - pos < n || memcmp(s + pos, DECO_MARK, n))
		return 0;
	pos += n;
	if (pos < len && s[pos] == '\r')
		pos++;
	if (pos >= len || s[pos] != '\n')
		return 0;
	return pos + 1 - off;
}

static int strip_py(const struct source *src, struct buf *out, size_t *removed, struct buf *why)
{
	const char *s = src->data;
	struct ptoks t;
	unsigned int bad = 0;
	size_t i, pos = 0, skip_to = 0;
	int err;

	*removed = 0;
	err = pylex(s, src->len, &t, &bad);
	if (err == -EINVAL) {
		if (memmem(s, src->len, "perfinject", 10)) {
			buf_printf(why,
				   "line %u: unterminated string or unbalanced brackets; cannot "
				   "find the markers safely",
				   bad);
			return -EINVAL;
		}
		buf_add(out, s, src->len);
		return buf_ok(out);
	}
	if (err)
		return err;
	for (i = 0; i < t.n && !err; i++) {
		const struct ptok *k = &t.v[i];
		size_t start, n;

		if (k->off < skip_to)
			continue;
		start = k->off;
		while (start > src->bom && s[start - 1] != '\n')
			start--;
		if (k->kind == PT_COMMENT && starts_with(s + k->off, k->len, BLOCK_BEGIN) &&
		    start == k->off && (n = match_block(src, start))) {
			size_t from = start;

			/* At the end of a file that had no final newline, the block brought one. */
			if (start + n == src->len && s[src->len - 1] != '\n' && start >= 1) {
				from = start - (start >= 2 && s[start - 2] == '\r' ? 2 : 1);
			}
			buf_add(out, s + pos, from - pos);
			pos = skip_to = start + n;
			++*removed;
			continue;
		}
		if (k->kind == PT_OP && k->bol && ptok_is(s, k, "@") &&
		    (n = match_decorator(s, src->len, start)) && k->off - start < n) {
			buf_add(out, s + pos, start - pos);
			pos = skip_to = start + n;
			++*removed;
			continue;
		}
		if ((k->kind == PT_NAME &&
		     (ptok_is(s, k, DECO_NAME) || ptok_is(s, k, "_perfinject_factory"))) ||
		    (k->kind == PT_COMMENT && (starts_with(s + k->off, k->len, "# perfinject") &&
					       (k->len == 12 || s[k->off + 12] == ':')))) {
			buf_printf(why, "line %u: a perfinject marker was changed or moved",
				   k->line);
			err = -EINVAL;
		}
	}
	if (!err) {
		buf_add(out, s + pos, src->len - pos);
		err = buf_ok(out);
	}
	ptoks_free(&t);
	return err;
}

const struct lang lang_python = {"python", parse_py, plan_py, strip_py};
