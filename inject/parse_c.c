/*
 * Finding function definitions in C and C++ (the parse step of lang_c and
 * lang_cxx).
 *
 * This is not a compiler front end: it reads declarations at namespace,
 * class and extern "C" scope, splits them at `;` and brace groups, and
 * decides for each brace group whether it opens a function body, a scope
 * (namespace, class, extern "C") or something to step over (initializers,
 * enum bodies).  Preprocessor conditionals are resolved the way ctags does:
 * the first live branch of every #if is read, `#if 0` regions are not.
 * Function bodies are skipped by brace matching, except in C, where a GCC
 * nested function definition inside a body is recognised too.
 *
 * Anything that looks like a definition but cannot be wrapped safely
 * (constexpr functions, C `inline` without `static`, naked functions,
 * declarators we do not understand) is recorded as a skip with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lex_c.h"

#define MAX_DEPTH 200

struct scope {
	size_t qual_len; /* length of p->qual before this scope's name was added */
	int is_class;
};

struct parser {
	const char *s;
	struct ctok *v; /* live code tokens: no comments, no directives */
	size_t n;
	int cxx;
	struct scan *out;
	struct buf *why;
	struct buf qual; /* C++ qualification of the current scope: "ns::Class::" */
	struct scope scopes[MAX_DEPTH];
	int depth;
	const char *cls; /* name of the innermost class, for constructors */
	size_t cls_len;
};

static const char *const group_kw[] = {
    "__attribute__", "__attribute", "__declspec", "alignas", "_Alignas", "decltype",	"typeof",
    "__typeof__",    "__typeof",    "_Atomic",	  "__asm__", "__asm",	 "asm",		"noexcept",
    "throw",	     "requires",    "sizeof",	  "alignof", "_Alignof", "__alignof__",
};

static const char *const keywords[] = {
    "if",	 "while",     "for",	  "switch",	"return",	  "do",
    "else",	 "case",      "default",  "goto",	"break",	  "continue",
    "int",	 "char",      "void",	  "short",	"long",		  "float",
    "double",	 "signed",    "unsigned", "const",	"volatile",	  "static",
    "extern",	 "inline",    "register", "auto",	"struct",	  "union",
    "enum",	 "class",     "typedef",  "bool",	"_Bool",	  "template",
    "typename",	 "namespace", "using",	  "new",	"delete",	  "catch",
    "try",	 "public",    "private",  "protected",	"virtual",	  "explicit",
    "friend",	 "this",      "_Generic", "co_await",	"co_return",	  "co_yield",
    "constexpr", "consteval", "restrict", "__restrict", "_Static_assert", "static_assert",
};

static int in_list(const struct parser *p, size_t i, const char *const *list, size_t n)
{
	size_t k;

	if (i >= p->n || p->v[i].kind != CT_IDENT)
		return 0;
	for (k = 0; k < n; k++)
		if (ctok_is(p->s, &p->v[i], list[k]))
			return 1;
	return 0;
}

static int is(const struct parser *p, size_t i, const char *str)
{
	return i < p->n && ctok_is(p->s, &p->v[i], str);
}

static int is_punct(const struct parser *p, size_t i, char c)
{
	return i < p->n && p->v[i].kind == CT_PUNCT && p->v[i].len == 1 && p->s[p->v[i].off] == c;
}

static int is_name(const struct parser *p, size_t i)
{
	return i < p->n && p->v[i].kind == CT_IDENT &&
	       !in_list(p, i, keywords, ARRAY_SIZE(keywords)) &&
	       !in_list(p, i, group_kw, ARRAY_SIZE(group_kw)) && !is(p, i, "operator");
}

/* i is on ( [ or {: the index of the bracket that closes it, or p->n. */
static size_t match(const struct parser *p, size_t i)
{
	int depth = 0;

	for (; i < p->n; i++) {
		const struct ctok *t = &p->v[i];
		char c;

		if (t->kind != CT_PUNCT || t->len != 1)
			continue;
		c = p->s[t->off];
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if (c == ')' || c == ']' || c == '}')
			if (--depth == 0)
				return i;
	}
	return p->n;
}

/* i is on '<': the matching '>' before end, or end. */
static size_t match_angle(const struct parser *p, size_t i, size_t end)
{
	int depth = 0;

	for (; i < end; i++) {
		if (is_punct(p, i, '(') || is_punct(p, i, '[')) {
			i = match(p, i);
			continue;
		}
		if (is_punct(p, i, ';') || is_punct(p, i, '{') || is_punct(p, i, '}'))
			return end;
		if (is_punct(p, i, '<'))
			depth++;
		else if (is_punct(p, i, '>') && --depth == 0)
			return i;
	}
	return end;
}

/* Skips attributes and template parameter lists at i; returns the next index. */
static size_t skip_decoration(const struct parser *p, size_t i, size_t end)
{
	for (;;) {
		if (is_punct(p, i, '[') && is_punct(p, i + 1, '[')) {
			i = match(p, i) + 1;
		} else if (in_list(p, i, group_kw, ARRAY_SIZE(group_kw)) &&
			   is_punct(p, i + 1, '(')) {
			i = match(p, i + 1) + 1;
		} else if (is(p, i, "template") && is_punct(p, i + 1, '<')) {
			i = match_angle(p, i + 1, end) + 1;
		} else {
			return i < end ? i : end;
		}
	}
}

static int has_ident(const struct parser *p, size_t a, size_t b, const char *name)
{
	for (; a < b; a++)
		if (is(p, a, name))
			return 1;
	return 0;
}

static int add_skip(struct parser *p, size_t tok, const char *what, const char *why)
{
	return scan_skip(p->out, tok < p->n ? p->v[tok].line : 0, what, why);
}

/* Appends the qualified name of tokens [a, b) to out, template arguments dropped. */
static void name_text(const struct parser *p, size_t a, size_t b, struct buf *out)
{
	size_t i;

	for (i = a; i < b; i++) {
		if (is(p, i, "operator")) {
			size_t k;

			buf_adds(out, "operator");
			for (k = i + 1; k < b; k++) {
				/* "operator bool", "operator new[]", "operator std::vector<int>" */
				if (p->v[k].kind == CT_IDENT &&
				    (k == i + 1 || p->v[k - 1].kind == CT_IDENT))
					buf_addc(out, ' ');
				ctok_text(p->s, &p->v[k], out);
			}
			return;
		}
		if (is_punct(p, i, '<')) {
			i = match_angle(p, i, b);
			continue;
		}
		if (is(p, i, "template"))
			continue;
		ctok_text(p->s, &p->v[i], out);
	}
}

/* The text of one token, for comparisons. */
static int tok_eq_text(const struct parser *p, size_t i, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	int eq;

	ctok_text(p->s, &p->v[i], &b);
	eq = b.p && b.len == n && !memcmp(b.p, s, n);
	buf_free(&b);
	return eq;
}

struct decl {
	size_t name_start; /* first token of the (qualified) name */
	size_t name_end;   /* one past its last token: the '(' of the parameters */
	size_t name_tok;   /* the token whose line is the function's */
	size_t rparen;	   /* ')' closing the parameters */
	int is_operator;
	int conversion; /* operator T(): no return type needed */
};

/*
 * Finds the declarator `name (params)` in [k, end).  Returns 1 if found,
 * 0 if there is none, -1 if there is one we do not understand (why set).
 */
static int find_declarator(const struct parser *p, size_t k, size_t end, struct decl *d,
			   const char **why)
{
	size_t q, f;

	memset(d, 0, sizeof(*d));
	for (q = k; q < end; q++) {
		if (is_punct(p, q, '[')) {
			q = match(p, q);
			continue;
		}
		if (in_list(p, q, group_kw, ARRAY_SIZE(group_kw)) && is_punct(p, q + 1, '(')) {
			q = match(p, q + 1);
			continue;
		}
		if (is(p, q, "template") && is_punct(p, q + 1, '<')) {
			q = match_angle(p, q + 1, end);
			continue;
		}
		if (is(p, q, "operator")) {
			size_t o = q + 1;

			if (is_punct(p, o, '(') && is_punct(p, o + 1, ')'))
				o += 2;
			while (o < end && !is_punct(p, o, '('))
				o++;
			if (o >= end)
				return 0;
			d->is_operator = 1;
			d->conversion = p->v[q + 1].kind == CT_IDENT && !is(p, q + 1, "new") &&
					!is(p, q + 1, "delete") && !is(p, q + 1, "co_await");
			d->name_tok = q;
			d->name_end = o;
			f = q;
			break;
		}
		if (is_punct(p, q, '(') && q > k + 1 && is_punct(p, q - 1, '>')) {
			/* A template-id: `template <> int f<int>(int) {` */
			size_t a = q - 1;
			int depth = 0;

			for (;; a--) {
				if (is_punct(p, a, '>'))
					depth++;
				else if (is_punct(p, a, '<') && --depth == 0)
					break;
				if (a == k)
					break;
			}
			if (a > k && depth == 0 && is_name(p, a - 1)) {
				d->name_tok = a - 1;
				d->name_end = q;
				f = a - 1;
				break;
			}
		}
		if (is_punct(p, q, '(')) {
			if (q == k || !is_name(p, q - 1)) {
				*why =
				    "declarator we do not understand (function pointer or macro?)";
				return -1;
			}
			d->name_tok = q - 1;
			d->name_end = q;
			f = q - 1;
			if (f > k && is_punct(p, f - 1, '~'))
				f--;
			break;
		}
	}
	if (q >= end)
		return 0;
	/* Walk back over `A::`, `B<T>::` and a leading `::`. */
	while (f > k && is(p, f - 1, "::")) {
		size_t g = f - 1;

		if (g > k && is_name(p, g - 1)) {
			f = g - 1;
		} else if (g > k && is_punct(p, g - 1, '>')) {
			size_t a = g - 1;
			int depth = 0;

			for (;; a--) {
				if (is_punct(p, a, '>'))
					depth++;
				else if (is_punct(p, a, '<') && --depth == 0)
					break;
				if (a == k)
					return 0;
			}
			if (a == k || !is_name(p, a - 1))
				return 0;
			f = a - 1;
		} else {
			f = g; /* global qualification */
			break;
		}
	}
	d->name_start = f;
	d->rparen = match(p, d->name_end);
	if (d->rparen >= end)
		return 0;
	return 1;
}

/* A C K&R parameter list: identifiers separated by commas. */
static int kr_params(const struct parser *p, size_t lp, size_t rp)
{
	size_t i;

	if (rp == lp + 1)
		return 0;
	for (i = lp + 1; i < rp; i++) {
		if ((i - lp) % 2 ? !is_name(p, i) : !is_punct(p, i, ','))
			return 0;
	}
	return (rp - lp) % 2 == 0;
}

static int record(struct parser *p, const struct decl *d, size_t k, size_t body, const char *outer);
static int nested_c(struct parser *p, size_t open, size_t close, const char *outer);

/* Does [k, end) start a class head?  Sets *name_a and *name_b to its name tokens. */
static int class_head(const struct parser *p, size_t k, size_t end, size_t *name_a, size_t *name_b)
{
	size_t i = k;
	static const char *const spec[] = {"typedef",  "static", "extern",    "const",
					   "volatile", "inline", "constexpr", "export"};

	for (;;) {
		size_t j = skip_decoration(p, i, end);

		if (in_list(p, j, spec, ARRAY_SIZE(spec)))
			j++;
		if (j == i)
			break;
		i = j;
	}
	if (!(is(p, i, "class") || is(p, i, "struct") || is(p, i, "union")))
		return 0;
	i = skip_decoration(p, i + 1, end);
	*name_a = *name_b = i;
	while (i < end && (is_name(p, i) || is(p, i, "::"))) {
		if ((is(p, i, "final") || is(p, i, "sealed")) && i > *name_a &&
		    (i + 1 == end || is_punct(p, i + 1, ':')))
			break;
		i++;
		if (is_punct(p, i, '<'))
			i = match_angle(p, i, end) + 1;
	}
	*name_b = i;
	if (is(p, i, "final") || is(p, i, "sealed"))
		i++;
	i = skip_decoration(p, i, end);
	return i == end || is_punct(p, i, ':');
}

static int enum_head(const struct parser *p, size_t k, size_t end)
{
	size_t i = skip_decoration(p, k, end);

	if (is(p, i, "typedef"))
		i++;
	return is(p, i, "enum");
}

static int parse_scope(struct parser *p, size_t *pi, int file_scope);

static int push_scope(struct parser *p, size_t a, size_t b, int is_class)
{
	struct scope *sc;
	size_t before = p->qual.len;

	if (p->depth >= MAX_DEPTH) {
		buf_printf(p->why, "line %u: scopes nested too deeply",
			   p->v[a < p->n ? a : 0].line);
		return -EINVAL;
	}
	sc = &p->scopes[p->depth++];
	sc->qual_len = before;
	sc->is_class = is_class;
	if (p->cxx && b > a) {
		name_text(p, a, b, &p->qual);
		buf_adds(&p->qual, "::");
	}
	return buf_ok(&p->qual);
}

static void pop_scope(struct parser *p)
{
	struct scope *sc = &p->scopes[--p->depth];

	p->qual.len = sc->qual_len;
	if (p->qual.p)
		p->qual.p[p->qual.len] = 0;
}

/* Enters the scope whose '{' is at open; returns the index after its '}'. */
static int enter(struct parser *p, size_t open, size_t na, size_t nb, int is_class, size_t *after)
{
	const char *cls = p->cls;
	size_t cls_len = p->cls_len, i = open + 1;
	int err = push_scope(p, na, nb, is_class);

	if (err)
		return err;
	if (is_class) {
		p->cls = nb > na ? p->s + p->v[nb - 1].off : NULL;
		p->cls_len = nb > na ? p->v[nb - 1].len : 0;
		if (nb > na && is_punct(p, nb - 1, '>'))
			p->cls = NULL; /* a specialisation: constructors still match by A::A */
	}
	err = parse_scope(p, &i, 0);
	pop_scope(p);
	p->cls = cls;
	p->cls_len = cls_len;
	*after = i;
	return err;
}

/* From i, skips to just past the ';' that ends the declaration. */
static size_t to_semicolon(const struct parser *p, size_t i)
{
	while (i < p->n && !is_punct(p, i, ';')) {
		if (is_punct(p, i, '}'))
			return i;
		if (is_punct(p, i, '(') || is_punct(p, i, '[') || is_punct(p, i, '{'))
			i = match(p, i);
		if (i < p->n)
			i++;
	}
	return i < p->n ? i + 1 : i;
}

/*
 * Decides what the brace at `brace` that ends declaration tokens [k, brace)
 * opens, and handles it.  *next gets where the scope loop continues;
 * *more = 1 when the declaration goes on after the brace group (initializers,
 * enum bodies, member initializers), and *next is then the index after it.
 */
static int at_brace(struct parser *p, size_t k, size_t brace, size_t *next, int *more)
{
	size_t i = skip_decoration(p, k, brace), na, nb, close = match(p, brace), q;
	struct decl d;
	const char *why = NULL;
	int r, err;

	*more = 0;
	if (close >= p->n) {
		buf_printf(p->why, "line %u: '{' is never closed", p->v[brace].line);
		return -EINVAL;
	}
	/* extern "C" { */
	if (is(p, i, "extern") && i + 2 == brace && p->v[i + 1].kind == CT_STRING)
		return enter(p, brace, brace, brace, 0, next);
	/* namespace a::b { / inline namespace v1 { / namespace { */
	if (is(p, i, "inline") && is(p, i + 1, "namespace"))
		i++;
	if (is(p, i, "namespace")) {
		na = skip_decoration(p, i + 1, brace);
		return enter(p, brace, na, brace, 0, next);
	}
	/* Initializers: `= {...}`, `= [](){...}`, brace-init after a name. */
	for (q = k; q < brace; q++) {
		if (is_punct(p, q, '(') || is_punct(p, q, '['))
			q = match(p, q);
		else if (is_punct(p, q, '=') && !(q > k && is(p, q - 1, "operator")))
			break;
	}
	if (q < brace) {
		*more = 1;
		*next = close + 1;
		return 0;
	}
	if (class_head(p, k, brace, &na, &nb)) {
		err = enter(p, brace, na, nb, 1, next);
		if (!err)
			*next = to_semicolon(p, *next);
		return err;
	}
	if (enum_head(p, k, brace)) {
		*more = 1;
		*next = close + 1;
		return 0;
	}
	*next = close + 1;
	r = find_declarator(p, i, brace, &d, &why);
	if (r < 0) {
		struct buf text = BUF_INIT;

		for (q = i; q < brace && text.len < 80; q++) {
			if (q > i && p->v[q].kind == CT_IDENT && p->v[q - 1].kind == CT_IDENT)
				buf_addc(&text, ' ');
			ctok_text(p->s, &p->v[q], &text);
		}
		err = add_skip(p, brace, text.p ? text.p : "", why);
		buf_free(&text);
		return err;
	}
	/* A member initializer's braces: `S() : a{1}, b{2} {` */
	if (r == 1 && p->cxx && (is_name(p, brace - 1) || is_punct(p, brace - 1, '>'))) {
		for (q = d.rparen + 1; q < brace && !is_punct(p, q, ':'); q++)
			;
		if (q < brace) {
			*more = 1;
			return 0;
		}
	}
	if (r == 0) {
		*more = 1; /* `int x{5}` and the like */
		return 0;
	}
	/* A macro invocation before the real definition: `DEFINE_X(a) static int f(void) {`. */
	if (d.rparen + 1 < brace && !is(p, d.rparen + 1, "->") && !is_punct(p, d.rparen + 1, ':')) {
		struct decl d2;
		const char *why2 = NULL;

		if (!has_ident(p, d.rparen + 1, brace, "->") &&
		    find_declarator(p, d.rparen + 1, brace, &d2, &why2) == 1 &&
		    d2.name_start > d.rparen + 1 && !is_punct(p, d2.rparen + 1, '(')) {
			size_t t;

			/* Only type-like tokens may come between: no `try`, no init list. */
			for (t = d.rparen + 1; t < d2.name_start; t++)
				if (is_punct(p, t, ':') || is_punct(p, t, ';') || is(p, t, "try") ||
				    is(p, t, "const") || is(p, t, "noexcept") ||
				    is(p, t, "override") || is(p, t, "final") ||
				    is(p, t, "throw") || is(p, t, "requires") ||
				    is(p, t, "volatile") || is_punct(p, t, '&') || is(p, t, "&&"))
					break;
			if (t == d2.name_start) {
				k = d.rparen + 1;
				d = d2;
			}
		}
	}
	err = record(p, &d, k, brace, NULL);
	if (err)
		return err;
	/* Handlers of a function-try-block. */
	while (is(p, *next, "catch") && is_punct(p, *next + 1, '(')) {
		q = match(p, *next + 1) + 1;
		if (!is_punct(p, q, '{'))
			break;
		*next = match(p, q) + 1;
	}
	return 0;
}

static int record(struct parser *p, const struct decl *d, size_t k, size_t body, const char *outer)
{
	struct buf name = BUF_INIT;
	size_t close = match(p, body), q, t;
	const char *why = NULL;
	int has_type = 0, err;

	if (is_punct(p, d->rparen + 1, '('))
		why = "declarator we do not understand (function pointer or macro?)";
	for (t = d->rparen + 1; !why && t < body; t++) {
		if (is_punct(p, t, ';') && !(p->cxx ? 0 : kr_params(p, d->name_end, d->rparen)))
			why = "tokens between the parameters and the body we do not understand";
	}
	for (q = k; q < d->name_start; q++) {
		if (is(p, q, "template") && is_punct(p, q + 1, '<')) {
			q = match_angle(p, q + 1, d->name_start);
			continue;
		}
		if (in_list(p, q, group_kw, ARRAY_SIZE(group_kw)) && is_punct(p, q + 1, '(')) {
			/* decltype(auto), typeof(x), _Atomic(int): a type */
			if (is(p, q, "decltype") || is(p, q, "typeof") || is(p, q, "__typeof__") ||
			    is(p, q, "__typeof") || is(p, q, "_Atomic"))
				has_type = 1;
			q = match(p, q + 1);
			continue;
		}
		if (is_punct(p, q, '[')) {
			q = match(p, q);
			continue;
		}
		if (p->v[q].kind == CT_IDENT &&
		    !(is(p, q, "static") || is(p, q, "inline") || is(p, q, "virtual") ||
		      is(p, q, "explicit") || is(p, q, "friend") || is(p, q, "extern") ||
		      is(p, q, "constexpr") || is(p, q, "consteval") || is(p, q, "__inline") ||
		      is(p, q, "__inline__") || is(p, q, "export")))
			has_type = 1;
	}
	if (p->cxx)
		buf_adds(&name, p->qual.p ? p->qual.p : "");
	if (has_ident(p, k, d->name_start, "friend") && p->cxx) {
		int s;

		/* A friend belongs to the innermost namespace, not to the class. */
		for (s = p->depth - 1; s >= 0 && p->scopes[s].is_class; s--)
			name.len = p->scopes[s].qual_len;
		if (name.p)
			name.p[name.len] = 0;
	}
	if (outer) {
		buf_adds(&name, outer);
		buf_addc(&name, '.');
	}
	name_text(p, d->name_start, d->name_end, &name);
	if (buf_ok(&name)) {
		buf_free(&name);
		return -ENOMEM;
	}
	if (!why && !has_type) {
		int ctor = 0;
		const char *last = strrchr(name.p, ':');

		if (p->cxx && d->conversion) {
			ctor = 1;
		} else if (p->cxx && last && last > name.p + 1) {
			/* A::A or A::~A */
			const char *prev_end = last - 1, *prev = prev_end;
			const char *leaf = last + 1;

			while (prev > name.p && prev[-1] != ':')
				prev--;
			if (*leaf == '~')
				leaf++;
			ctor = (size_t)(prev_end - prev) == strlen(leaf) &&
			       !memcmp(prev, leaf, strlen(leaf));
		}
		if (p->cxx && !ctor && p->cls) {
			size_t nt = d->name_tok;

			ctor = tok_eq_text(p, nt, p->cls, p->cls_len);
		}
		if (!ctor)
			why = "no return type (a macro, or an implicit int)";
	}
	if (!why && (has_ident(p, k, body, "constexpr") || has_ident(p, k, body, "consteval")))
		why = "constexpr function (cannot hold a static)";
	if (!why && !p->cxx && !has_ident(p, k, d->name_start, "static") &&
	    (has_ident(p, k, d->name_start, "inline") ||
	     has_ident(p, k, d->name_start, "__inline") ||
	     has_ident(p, k, d->name_start, "__inline__")))
		why = "C inline function without static (cannot refer to a static)";
	if (!why && (has_ident(p, k, body, "naked") || has_ident(p, k, body, "__naked__")))
		why = "naked function";
	if (why) {
		err = add_skip(p, d->name_tok, name.p, why);
		buf_free(&name);
		return err;
	}
	err = scan_func(p->out, buf_steal(&name), p->v[d->name_tok].line, p->v[close].line,
			p->v[body].off + 1, NULL, 0);
	if (err || p->cxx)
		return err;
	return nested_c(p, body, close, p->out->funcs[p->out->nfuncs - 1].qname);
}

/* GCC nested functions: `type name(params) {` at a statement start inside a C body. */
static int nested_c(struct parser *p, size_t open, size_t close, const char *outer_name)
{
	size_t i;
	char *outer = strdup(outer_name);
	int err = 0;

	if (!outer)
		return -ENOMEM;
	for (i = open + 1; i < close && !err; i++) {
		size_t j, k = i;
		struct decl d;
		const char *why = NULL;

		if (!(is_punct(p, i - 1, '{') || is_punct(p, i - 1, '}') ||
		      is_punct(p, i - 1, ';')))
			continue;
		for (j = k; j < close; j++) {
			if (!(p->v[j].kind == CT_IDENT || is_punct(p, j, '*')))
				break;
			if (in_list(p, j, keywords, ARRAY_SIZE(keywords)) &&
			    !(is(p, j, "static") || is(p, j, "auto") || is(p, j, "inline") ||
			      is(p, j, "int") || is(p, j, "char") || is(p, j, "void") ||
			      is(p, j, "short") || is(p, j, "long") || is(p, j, "float") ||
			      is(p, j, "double") || is(p, j, "signed") || is(p, j, "unsigned") ||
			      is(p, j, "const") || is(p, j, "struct") || is(p, j, "union") ||
			      is(p, j, "enum") || is(p, j, "_Bool")))
				break;
		}
		if (j < k + 2 || !is_punct(p, j, '(') || !is_name(p, j - 1))
			continue;
		if (find_declarator(p, k, close, &d, &why) != 1 || d.name_end != j)
			continue;
		if (!is_punct(p, d.rparen + 1, '{'))
			continue;
		err = record(p, &d, k, d.rparen + 1, outer);
		i = match(p, d.rparen + 1);
	}
	free(outer);
	return err;
}

static int is_access(const struct parser *p, size_t i)
{
	return (is(p, i, "public") || is(p, i, "private") || is(p, i, "protected")) &&
	       (is_punct(p, i + 1, ':') ||
		(p->v[i + 1].kind == CT_IDENT && is_punct(p, i + 2, ':')));
}

static int parse_scope(struct parser *p, size_t *pi, int file_scope)
{
	size_t i = *pi;
	int err = 0;

	while (i < p->n && !err) {
		size_t k, j;

		if (is_punct(p, i, '}')) {
			if (file_scope) {
				buf_printf(p->why, "line %u: '}' without a matching '{'",
					   p->v[i].line);
				return -EINVAL;
			}
			*pi = i + 1;
			return 0;
		}
		if (is_punct(p, i, ';')) {
			i++;
			continue;
		}
		if (is_access(p, i)) {
			i += is_punct(p, i + 1, ':') ? 2 : 3;
			continue;
		}
		k = i;
		for (j = k; j < p->n;) {
			if (is_punct(p, j, '(') || is_punct(p, j, '[')) {
				j = match(p, j) + 1;
			} else if (is_punct(p, j, ';')) {
				/* K&R: `int f(a, b) int a; char *b; {` */
				struct decl d;
				const char *why;
				size_t t = j;

				if (!p->cxx && find_declarator(p, k, j, &d, &why) == 1 &&
				    kr_params(p, d.name_end, d.rparen) && d.rparen + 1 < j) {
					while (t < p->n && !is_punct(p, t, '{') &&
					       !is_punct(p, t, '}') && !is_punct(p, t, '='))
						t++;
					if (t < p->n && is_punct(p, t, '{') &&
					    is_punct(p, t - 1, ';')) {
						j = t;
						continue;
					}
				}
				i = j + 1;
				break;
			} else if (is_punct(p, j, '}')) {
				i = j;
				break;
			} else if (is_punct(p, j, '{')) {
				size_t next;
				int more;

				err = at_brace(p, k, j, &next, &more);
				if (err)
					return err;
				if (more) {
					j = next;
					continue;
				}
				i = next;
				break;
			} else {
				j++;
			}
		}
		if (j >= p->n)
			i = p->n;
	}
	if (!file_scope && !err) {
		buf_printf(p->why, "end of file inside a scope");
		return -EINVAL;
	}
	*pi = i;
	return err;
}

int parse_c_family(const struct source *src, int cxx, struct scan *out, struct buf *why)
{
	struct parser p;
	struct ctoks toks;
	unsigned int bad = 0;
	size_t i = 0;
	int err;

	memset(&p, 0, sizeof(p));
	memset(out, 0, sizeof(*out));
	err = clex(src->data, src->len, cxx, &toks, &bad);
	if (err == -EINVAL)
		buf_printf(why, "line %u: unterminated comment or raw string", bad);
	if (err)
		return err;
	p.s = src->data;
	p.cxx = cxx;
	p.out = out;
	p.why = why;
	err = clive(src->data, &toks, &p.v, &p.n, why);
	ctoks_free(&toks);
	if (!err)
		err = parse_scope(&p, &i, 1);
	out->block_at = src->bom;
	free(p.v);
	buf_free(&p.qual);
	if (err)
		scan_free(out);
	return err;
}
