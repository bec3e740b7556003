/*
 * The C and C++ backends: what perfinject inserts into a C or C++ file, and
 * how it finds and removes exactly that again.
 *
 * A file gets one support block at its top and one statement at the start
 * of each wrapped function's body:
 *
 *	{ PERFINJECT_SPAN_(3, "src/a.c:parse", "src/a.c", 120);
 *
 * The statement declares a static site and a guard whose destructor (C++) or
 * cleanup attribute (C) closes the span on every return path.  It sits on
 * the line of the brace, and the block ends with `#line 1`, so every
 * original line keeps its number; the block's own code is numbered from
 * line 32000 (`#line 32000`), so what is inlined from it into a function is
 * never attributed to one of the user's lines.  The block includes no header (that would
 * change the user's feature-test macros); it finds libperfshim's span API at
 * run time with dlsym(RTLD_DEFAULT), declared under a private name with an
 * asm label and weak, so the program links and runs unchanged without the
 * shim or without libdl.  The lookup runs once per translation unit, from a
 * constructor (so not later in a signal handler), or on the first call if
 * that comes earlier.  Without the shim each call then costs one load and a
 * predicted branch.  A token of 0 from perfshim_span_enter() means the shim
 * opened no span (it is not recording, or dropped it): the exit call is
 * skipped then.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "lex_c.h"

#define SPAN_MACRO  "PERFINJECT_SPAN_"
#define BLOCK_BEGIN "/* perfinject:begin"
#define BLOCK_END   "/* perfinject:end */"
/*
 * The support code's own lines are numbered from here (C89 allows up to
 * 32767), so that debug info and line-level profiles never put the code
 * inlined from it on a line of the user's file.
 */
#define SUPPORT_LINE "32000"

/* The support block, one line per entry; joined with the file's line ending. */
static const char *const block[] = {
    BLOCK_BEGIN " support block; `perfinject --clean` removes it (do not edit) */",
    "#line " SUPPORT_LINE,
    "#ifndef " SPAN_MACRO,
    "#if defined(__GNUC__) || defined(__clang__)",
    "#pragma GCC diagnostic push",
    "#pragma GCC diagnostic ignored \"-Wunused-macros\"",
    "#endif",
    "struct perfinject_site_ { const char *name; const char *file; unsigned int line; unsigned int "
    "id; };",
    "typedef int (*perfinject_abi_t_)(void);",
    "typedef unsigned long (*perfinject_enter_t_)(struct perfinject_site_ *);",
    "typedef void (*perfinject_exit_t_)(struct perfinject_site_ *, unsigned long);",
    "union perfinject_sym_ { void *p; perfinject_abi_t_ abi; perfinject_enter_t_ enter; "
    "perfinject_exit_t_ exit; };",
    "struct perfinject_fns_ { perfinject_enter_t_ enter; perfinject_exit_t_ exit; long state; };",
    "extern void *perfinject_dlsym_(void *, const char *) __asm__(\"dlsym\") "
    "__attribute__((weak));",
    "#ifdef __cplusplus",
    "inline perfinject_fns_ *perfinject_fns_get_() { static perfinject_fns_ f; return &f; }",
    "#if __cplusplus >= 201103L",
    "#define PERFINJECT_NULL_ nullptr",
    "#else",
    "#define PERFINJECT_NULL_ __null",
    "#endif",
    "#else",
    "static struct perfinject_fns_ perfinject_fns_;",
    "#define perfinject_fns_get_() (&perfinject_fns_)",
    "#define PERFINJECT_NULL_ ((void *)0)",
    "#endif",
    "static __attribute__((unused, noinline, cold)) void perfinject_resolve_(struct "
    "perfinject_fns_ *f)",
    "{",
    "\tunion perfinject_sym_ v, e, x;",
    "\tlong state = -1;",
    "\tif (perfinject_dlsym_) {",
    "\t\tv.p = perfinject_dlsym_(PERFINJECT_NULL_, \"perfshim_abi_version\");",
    "\t\te.p = perfinject_dlsym_(PERFINJECT_NULL_, \"perfshim_span_enter\");",
    "\t\tx.p = perfinject_dlsym_(PERFINJECT_NULL_, \"perfshim_span_exit\");",
    "\t\tif (v.p && e.p && x.p && v.abi() == 1) {",
    "\t\t\tf->enter = e.enter;",
    "\t\t\tf->exit = x.exit;",
    "\t\t\tstate = 1;",
    "\t\t}",
    "\t}",
    "\t__atomic_store_n(&f->state, state, __ATOMIC_RELEASE);",
    "}",
    "static __attribute__((constructor, unused)) void perfinject_init_(void)",
    "{",
    "\tperfinject_resolve_(perfinject_fns_get_());",
    "}",
    "static __attribute__((unused)) unsigned long perfinject_enter_(struct perfinject_site_ *s, "
    "long *on)",
    "{",
    "\tstruct perfinject_fns_ *f = perfinject_fns_get_();",
    "\tlong state = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);",
    "\tunsigned long token = 0;",
    "\tif (__builtin_expect(state == 0, 0)) {",
    "\t\tperfinject_resolve_(f);",
    "\t\tstate = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);",
    "\t}",
    "\tif (state > 0)",
    "\t\ttoken = f->enter(s);",
    "\t*on = token != 0;",
    "\treturn token;",
    "}",
    "#ifdef __cplusplus",
    "class perfinject_guard_ {",
    "public:",
    "\texplicit perfinject_guard_(perfinject_site_ *s) : site_(s), token_(0), on_(0) { token_ = "
    "perfinject_enter_(s, &on_); }",
    "\t~perfinject_guard_() { if (on_) perfinject_fns_get_()->exit(site_, token_); }",
    "private:",
    "\tperfinject_guard_(const perfinject_guard_ &);",
    "\tperfinject_guard_ &operator=(const perfinject_guard_ &);",
    "\tperfinject_site_ *site_;",
    "\tunsigned long token_;",
    "\tlong on_;",
    "};",
    "#define " SPAN_MACRO "(n, name, file, line) static perfinject_site_ perfinject_s##n = {name, "
    "file, line, 0}; perfinject_guard_ perfinject_g##n(&perfinject_s##n)",
    "#else",
    "struct perfinject_scope_ { struct perfinject_site_ *site; unsigned long token; long on; };",
    "static __attribute__((unused)) int perfinject_begin_(struct perfinject_scope_ *g)",
    "{",
    "\tg->token = perfinject_enter_(g->site, &g->on);",
    "\treturn 0;",
    "}",
    "static __attribute__((unused)) void perfinject_end_(struct perfinject_scope_ *g)",
    "{",
    "\tif (g->on)",
    "\t\tperfinject_fns_get_()->exit(g->site, g->token);",
    "}",
    "#define " SPAN_MACRO
    "(n, name, file, line) static struct perfinject_site_ perfinject_s##n = {name, file, line, 0}; "
    "struct perfinject_scope_ perfinject_g##n __attribute__((cleanup(perfinject_end_))) = "
    "{&perfinject_s##n, 0, 0}; int perfinject_b##n __attribute__((unused)) = "
    "perfinject_begin_(&perfinject_g##n)",
    "#endif",
    "#if defined(__GNUC__) || defined(__clang__)",
    "#pragma GCC diagnostic pop",
    "#endif",
    "#endif",
    BLOCK_END,
    "#line 1",
};

static void block_text(const struct source *src, struct buf *b)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(block); i++) {
		buf_adds(b, block[i]);
		buf_adds(b, src->nl);
	}
}

/* A C string literal's body; `??` is escaped against C89 trigraphs. */
static void c_string(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if (*s == '?' && s[1] == '?')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static int plan_c_family(const struct source *src, const struct scan *sc, const size_t *sel,
			 size_t nsel, struct edits *out, int cxx)
{
	struct buf t = BUF_INIT, span = BUF_INIT;
	size_t i;
	int err;

	if (!nsel)
		return 0;
	block_text(src, &t);
	err = buf_ok(&t) ? -ENOMEM : edits_add(out, sc->block_at, EDIT_SUPPORT, t.p, NULL, NULL, 0);
	for (i = 0; i < nsel && !err; i++) {
		const struct func *f = &sc->funcs[sel[i]];

		t.len = span.len = 0;
		if (!cxx)
			buf_printf(&span, "%s:", src->path);
		buf_adds(&span, f->qname);
		buf_printf(&t, " " SPAN_MACRO "(%zu, ", i + 1);
		c_string(&t, span.p);
		buf_adds(&t, ", ");
		c_string(&t, src->path);
		buf_printf(&t, ", %u);", f->line);
		err = buf_ok(&t) || buf_ok(&span)
			  ? -ENOMEM
			  : edits_add(out, f->at, EDIT_SPAN, t.p, f->qname, span.p, f->line);
	}
	buf_free(&t);
	buf_free(&span);
	return err;
}

static int plan_c(const struct source *src, const struct scan *sc, const size_t *sel, size_t nsel,
		  struct edits *out)
{
	return plan_c_family(src, sc, sel, nsel, out, 0);
}

static int plan_cxx(const struct source *src, const struct scan *sc, const size_t *sel, size_t nsel,
		    struct edits *out)
{
	return plan_c_family(src, sc, sel, nsel, out, 1);
}

static int parse_c(const struct source *src, struct scan *out, struct buf *why)
{
	return parse_c_family(src, 0, out, why);
}

static int parse_cxx(const struct source *src, struct scan *out, struct buf *why)
{
	return parse_c_family(src, 1, out, why);
}

/* `(12, "str", "str", 34);` at s[i..len): the length matched, or 0. */
static size_t match_span_args(const char *s, size_t len, size_t i)
{
	size_t start = i;
	int field;

	if (i >= len || s[i++] != '(')
		return 0;
	for (field = 0; field < 4; field++) {
		if (field == 1 || field == 2) {
			if (i >= len || s[i++] != '"')
				return 0;
			while (i < len && s[i] != '"') {
				if (s[i] == '\n')
					return 0;
				i += s[i] == '\\' ? 2 : 1;
			}
			if (i++ >= len)
				return 0;
		} else {
			size_t d = i;

			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == d)
				return 0;
		}
		if (field < 3) {
			if (i + 1 >= len || s[i] != ',' || s[i + 1] != ' ')
				return 0;
			i += 2;
		}
	}
	if (i + 1 >= len || s[i] != ')' || s[i + 1] != ';')
		return 0;
	return i + 2 - start;
}

static int starts_with(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && !memcmp(s, pre, n);
}

/* The names the support block declares: seen outside it, they are ours, moved or changed. */
static const char *const our_names[] = {
    SPAN_MACRO,
    "PERFINJECT_NULL_",
    "perfinject_site_",
    "perfinject_abi_t_",
    "perfinject_enter_t_",
    "perfinject_exit_t_",
    "perfinject_sym_",
    "perfinject_fns_",
    "perfinject_dlsym_",
    "perfinject_fns_get_",
    "perfinject_resolve_",
    "perfinject_enter_",
    "perfinject_guard_",
    "perfinject_scope_",
    "perfinject_begin_",
    "perfinject_end_",
    "perfinject_init_",
};

static int is_ident_char(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int is_our_name(const char *s, size_t len)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(our_names); k++)
		if (strlen(our_names[k]) == len && !memcmp(s, our_names[k], len))
			return 1;
	return 0;
}

/* A directive that names one of ours outside its string literals. */
static int directive_names_ours(const char *s, size_t len)
{
	size_t i, j;
	int quote = 0;

	for (i = 0; i < len; i++) {
		if (quote) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == quote)
				quote = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
		} else if (is_ident_char((unsigned char)s[i]) &&
			   (i == 0 || !is_ident_char((unsigned char)s[i - 1]))) {
			for (j = i; j < len && is_ident_char((unsigned char)s[j]); j++)
				;
			if (is_our_name(s + i, j - i))
				return 1;
			i = j - 1;
		}
	}
	return 0;
}

static int strip_c_family(const struct source *src, struct buf *out, size_t *removed,
			  struct buf *why, int cxx)
{
	struct buf blk = BUF_INIT;
	struct ctoks toks;
	unsigned int bad = 0;
	size_t i, pos = 0, block_start = 0, block_end = 0;
	const char *s = src->data;
	int err, has_block = 0;

	*removed = 0;
	err = clex(s, src->len, cxx, &toks, &bad);
	if (err == -EINVAL) {
		/* Without a lexer's view we cannot tell markers from look-alikes. */
		if (memmem(s, src->len, "perfinject", 10) ||
		    memmem(s, src->len, "PERFINJECT", 10)) {
			buf_printf(why,
				   "line %u: unterminated comment or raw string; cannot find the "
				   "markers safely",
				   bad);
			return -EINVAL;
		}
		buf_add(out, s, src->len);
		return buf_ok(out);
	}
	if (err)
		return err;
	block_text(src, &blk);
	if ((err = buf_ok(&blk)))
		goto out;
	/* The block is where we put it, or lower if the user added lines above it. */
	{
		const char *b = memmem(s + src->bom, src->len - src->bom, blk.p, blk.len);

		while (b && b != s + src->bom && b[-1] != '\n')
			b = memmem(b + 1, src->len - (size_t)(b + 1 - s), blk.p, blk.len);
		if (b) {
			has_block = 1;
			block_start = (size_t)(b - s);
			block_end = block_start + blk.len;
		}
	}
	buf_add(out, s, has_block ? block_start : 0);
	pos = has_block ? block_end : 0;
	if (has_block)
		++*removed;
	for (i = 0; i < toks.n; i++) {
		const struct ctok *t = &toks.v[i];
		size_t n;

		if (t->off >= block_start && t->off < block_end)
			continue;
		if (t->kind == CT_IDENT && ctok_is(s, t, SPAN_MACRO)) {
			n = match_span_args(s, src->len, t->off + t->len);
			if (!n || t->off < 2 || s[t->off - 1] != ' ' || s[t->off - 2] != '{' ||
			    t->splice) {
				buf_printf(why, "line %u: a span statement was changed", t->line);
				err = -EINVAL;
				goto out;
			}
			if (!has_block) {
				buf_printf(why,
					   "line %u: span statement without the support block "
					   "(was the block changed?)",
					   t->line);
				err = -EINVAL;
				goto out;
			}
			buf_add(out, s + pos, t->off - 1 - pos);
			pos = t->off + t->len + n;
			++*removed;
			continue;
		}
		if ((t->kind == CT_IDENT && is_our_name(s + t->off, t->len)) ||
		    (t->kind == CT_COMMENT && (starts_with(s + t->off, t->len, BLOCK_BEGIN) ||
					       starts_with(s + t->off, t->len, BLOCK_END))) ||
		    (t->kind == CT_DIRECTIVE && directive_names_ours(s + t->off, t->len))) {
			buf_printf(why, "line %u: a perfinject marker was changed or moved",
				   t->line);
			err = -EINVAL;
			goto out;
		}
	}
	buf_add(out, s + pos, src->len - pos);
	err = buf_ok(out);
out:
	ctoks_free(&toks);
	buf_free(&blk);
	return err;
}

static int strip_c(const struct source *src, struct buf *out, size_t *removed, struct buf *why)
{
	return strip_c_family(src, out, removed, why, 0);
}

static int strip_cxx(const struct source *src, struct buf *out, size_t *removed, struct buf *why)
{
	return strip_c_family(src, out, removed, why, 1);
}

const struct lang lang_c = {"c", parse_c, plan_c, strip_c};
const struct lang lang_cxx = {"c++", parse_cxx, plan_cxx, strip_cxx};
