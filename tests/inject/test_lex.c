/*
 * Unit tests of the lexers, the function finders, the marker stripper and
 * the gitignore matcher, on small inline sources.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "internal.h"
#include "lex_c.h"
#include "lex_py.h"
#include "walk.h"

static struct ctoks lex(const char *s, int cxx)
{
	struct ctoks t;
	unsigned int bad = 0;

	cr_assert_eq(clex(s, strlen(s), cxx, &t, &bad), 0, "clex failed at line %u", bad);
	return t;
}

static void tok_is(const char *s, const struct ctok *t, int kind, const char *text)
{
	struct buf b = BUF_INIT;

	ctok_text(s, t, &b);
	cr_expect_eq(t->kind, kind, "'%s': kind %d, expected %d", b.p, t->kind, kind);
	cr_expect_str_eq(b.p, text);
	buf_free(&b);
}

Test(clex, splices_comments_and_directives)
{
	const char *s = "int spl\\\nit; // hides \\\nint hidden;\n#define X \\\n  { /* a\n b */ }\n"
			"x /* c */ # y\n";
	struct ctoks t = lex(s, 0);

	cr_assert_eq(t.n, 9);
	tok_is(s, &t.v[0], CT_IDENT, "int");
	tok_is(s, &t.v[1], CT_IDENT, "split");
	cr_expect_eq(t.v[1].splice, 1);
	tok_is(s, &t.v[2], CT_PUNCT, ";");
	tok_is(s, &t.v[3], CT_COMMENT, "// hides int hidden;");
	cr_expect_eq(t.v[4].kind, CT_DIRECTIVE);
	cr_expect_eq(t.v[4].line, 4);
	tok_is(s, &t.v[5], CT_IDENT, "x");
	cr_expect_eq(t.v[5].line, 7);
	tok_is(s, &t.v[6], CT_COMMENT, "/* c */");
	/* `#` after a token is not a directive. */
	tok_is(s, &t.v[7], CT_PUNCT, "#");
	ctoks_free(&t);
}

Test(clex, literals)
{
	const char *s = "a = \"{\\\"}\"; c = '\\''; d = L'{'; u = u8\"x\" ;"
			"r = R\"x(a)\" { )x\"; n = 1'000'000 + 0x1p-3 + 1e+5; k = \"km\"_km;";
	struct ctoks t = lex(s, 1);
	size_t i;
	int strings = 0, chars = 0, nums = 0, braces = 0;

	for (i = 0; i < t.n; i++) {
		strings += t.v[i].kind == CT_STRING;
		chars += t.v[i].kind == CT_CHAR;
		nums += t.v[i].kind == CT_NUMBER;
		braces += t.v[i].kind == CT_PUNCT && s[t.v[i].off] == '{';
	}
	cr_expect_eq(strings, 4);
	cr_expect_eq(chars, 2);
	cr_expect_eq(nums, 3);
	cr_expect_eq(braces, 0, "a brace inside a literal was taken for code");
	for (i = 0; i < t.n; i++)
		if (t.v[i].kind == CT_NUMBER)
			break;
	tok_is(s, &t.v[i], CT_NUMBER, "1'000'000");
	ctoks_free(&t);
}

Test(clex, errors)
{
	struct ctoks t;
	unsigned int bad = 0;
	const char *s = "int a;\n#if 0\ndon't\n#endif\nchar c = 'x;\n";

	cr_expect_eq(clex("int a;\n/* open\n", 14, 0, &t, &bad), -EINVAL);
	cr_expect_eq(bad, 2);
	cr_expect_eq(clex("R\"x(never", 9, 1, &t, &bad), -EINVAL);
	/* Unterminated quotes are tokens: fine under #if 0, an error for the parser elsewhere. */
	t = lex(s, 0);
	cr_assert_eq(t.n, 11);
	cr_expect_eq(t.v[3].kind, CT_DIRECTIVE);
	cr_expect_eq(t.v[5].kind, CT_BAD);
	cr_expect_eq(t.v[6].kind, CT_DIRECTIVE);
	cr_expect_eq(t.v[10].kind, CT_BAD);
	ctoks_free(&t);
}

Test(clex, directives)
{
	const char *s = "#  if 0 /* c */\n#if 0x1\n#ifdef A\n#\n";
	struct ctoks t = lex(s, 0);
	char name[16];
	int zero;

	cr_assert_eq(t.n, 4);
	cdirective(s, &t.v[0], name, sizeof(name), &zero);
	cr_expect_str_eq(name, "if");
	cr_expect_eq(zero, 1);
	cdirective(s, &t.v[1], name, sizeof(name), &zero);
	cr_expect_eq(zero, 0);
	cdirective(s, &t.v[2], name, sizeof(name), &zero);
	cr_expect_str_eq(name, "ifdef");
	cdirective(s, &t.v[3], name, sizeof(name), &zero);
	cr_expect_str_eq(name, "");
	ctoks_free(&t);
}

Test(pylex, strings_and_logical_lines)
{
	const char *s = "x = f\"{a[\"k\"]} {b:{w}} {{lit}}\"\n"
			"y = (1,\n     2)  # c\n"
			"# only a comment\n"
			"z = 1 + \\\n    2\n"
			"s = '''a\n'b'\n'''\n"
			"if x:\n\tpass\n";
	struct ptoks t;
	unsigned int bad = 0;

	cr_assert_eq(pylex(s, strlen(s), &t, &bad), 0, "line %u", bad);
	cr_assert_eq(t.nlines, 6);
	cr_expect_eq(t.lines[0].line, 1);
	cr_expect_eq(t.lines[1].line, 2);
	cr_expect_eq(t.lines[1].end_line, 3);
	cr_expect_eq(t.lines[2].line, 5);
	cr_expect_eq(t.lines[3].line, 7);
	cr_expect_eq(t.lines[5].width, 8);
	cr_expect_eq(t.v[t.lines[0].tok + 2].kind, PT_STRING);
	cr_expect_eq(t.v[t.lines[0].tok + 2].len, strlen("f\"{a[\"k\"]} {b:{w}} {{lit}}\""));
	ptoks_free(&t);
	cr_expect_eq(pylex("s = 'open\n", 10, &t, &bad), -EINVAL);
	cr_expect_eq(pylex("f(1,\n", 5, &t, &bad), -EINVAL);
}

static struct scan parse(const struct lang *l, const char *path, const char *text)
{
	struct source src = {path, text, strlen(text), l, "\n", 0, NULL};
	struct buf why = BUF_INIT;
	struct scan sc;

	cr_assert_eq(l->parse(&src, &sc, &why), 0, "%s", why.p);
	buf_free(&why);
	return sc;
}

static void has(const struct scan *sc, const char *qname, unsigned int line)
{
	size_t i;

	for (i = 0; i < sc->nfuncs; i++)
		if (!strcmp(sc->funcs[i].qname, qname)) {
			cr_expect_eq(sc->funcs[i].line, line, "%s at line %u, expected %u", qname,
				     sc->funcs[i].line, line);
			return;
		}
	cr_expect_fail("no function %s", qname);
}

Test(parse, cxx_names)
{
	struct scan sc = parse(&lang_cxx, "a.cc",
			       "namespace a::b {\n"
			       "struct C {\n"
			       "  C() : x{1} {}\n"
			       "  ~C() {}\n"
			       "  int operator()(int) const { return 1; }\n"
			       "  struct D { void f() {} };\n"
			       "  friend bool operator==(C, C) { return true; }\n"
			       "  int x;\n"
			       "};\n"
			       "template <class T> struct E { T g(); };\n"
			       "template <class T> T E<T>::g() { return T(); }\n"
			       "}\n"
			       "auto h = [](int) { return 0; };\n"
			       "int ::a::b::C *k() { return nullptr; }\n");

	has(&sc, "a::b::C::C", 3);
	has(&sc, "a::b::C::~C", 4);
	has(&sc, "a::b::C::operator()", 5);
	has(&sc, "a::b::C::D::f", 6);
	has(&sc, "a::b::operator==", 7);
	has(&sc, "a::b::E::g", 11);
	cr_expect_eq(sc.nfuncs, 7, "%zu functions", sc.nfuncs);
	scan_free(&sc);
}

Test(parse, c_skips_and_nested)
{
	struct scan sc = parse(&lang_c, "a.c",
			       "inline int i(void) { return 1; }\n"
			       "int (*fp(void))(void) { return 0; }\n"
			       "MACRO(x) { }\n"
			       "int outer(void) { int in(int k) { return k; } return in(1); }\n"
			       "struct s { int a; } v = { 1 };\n"
			       "int last(void) { return 2; }\n");

	has(&sc, "outer", 4);
	has(&sc, "outer.in", 4);
	has(&sc, "last", 6);
	cr_expect_eq(sc.nfuncs, 3);
	cr_assert_eq(sc.nskips, 3);
	cr_expect(strstr(sc.skips[0].why, "inline"));
	cr_expect(strstr(sc.skips[1].why, "declarator"));
	cr_expect(strstr(sc.skips[2].why, "no return type"));
	scan_free(&sc);
}

Test(parse, python_names)
{
	struct scan sc = parse(&lang_python, "pkg/m.py",
			       "class A:\n"
			       "    @property\n"
			       "    def p(self): return 1\n"
			       "    class B:\n"
			       "        async def q(self):\n"
			       "            def r(): pass\n"
			       "def top(): pass\n");

	has(&sc, "A.p", 3);
	has(&sc, "A.B.q", 5);
	has(&sc, "A.B.q.r", 6);
	has(&sc, "top", 7);
	cr_expect_eq(sc.nfuncs, 4);
	scan_free(&sc);
}

Test(strip, look_alikes_stay)
{
	const char *c = "const char *s = \"{ PERFINJECT_SPAN_(1, \\\"x\\\", \\\"y\\\", 1);\";\n";
	const char *py = "s = '''\n@_perfinject_span(\"m.f\", 3)  # perfinject\n'''\n";
	struct source sc = {"a.c", c, strlen(c), &lang_c, "\n", 0, NULL};
	struct source sp = {"a.py", py, strlen(py), &lang_python, "\n", 0, NULL};
	struct buf out = BUF_INIT, why = BUF_INIT;
	size_t removed = 9;

	cr_assert_eq(lang_c.strip(&sc, &out, &removed, &why), 0, "%s", why.p);
	cr_expect_eq(removed, 0);
	cr_expect_str_eq(out.p, c);
	out.len = 0;
	cr_assert_eq(lang_python.strip(&sp, &out, &removed, &why), 0, "%s", why.p);
	cr_expect_eq(removed, 0);
	cr_expect_str_eq(out.p, py);
	buf_free(&out);
	buf_free(&why);
}

Test(match, names_and_globs)
{
	cr_expect(name_matches("ns::A::f", "A::f"));
	cr_expect(name_matches("ns::A::f", "f"));
	cr_expect(!name_matches("ns::A::ff", "f"));
	cr_expect(name_matches("outer.inner", "inner"));
	cr_expect(!name_matches("outer", "outer.inner"));
	cr_expect(glob_match("*.c", "a.c"));
	cr_expect(!glob_match("*.c", "d/a.c"));
	cr_expect(glob_match("**/x", "a/b/x"));
	cr_expect(glob_match("**/x", "x"));
	cr_expect(glob_match("a/**", "a/b/c"));
	cr_expect(glob_match("a/**/z", "a/z"));
	cr_expect(glob_match("[a-c]?.py", "bz.py"));
	cr_expect(!glob_match("[!a-c]?.py", "bz.py"));
}

Test(parse, cxx_more)
{
	struct scan sc =
	    parse(&lang_cxx, "e.cc",
		  "struct A {\n"
		  "  bool operator<(const A &o) const { return true; }\n"
		  "  operator std::vector<int>() const { return {}; }\n"
		  "  explicit A(int x) try : v(x) { } catch (...) { }\n"
		  "  auto operator<=>(const A &) const = default;\n"
		  "  std::function<int()> f = [] { return 1; };\n"
		  "  int v;\n"
		  "};\n"
		  "template <class T> requires std::integral<T> T g(T x) { return x; }\n"
		  "decltype(auto) h() { return 5; }\n"
		  "void (*sig(int, void (*)(int)))(int) { return nullptr; }\n"
		  "DEFINE_THING(x) static int after_macro(void) { return 1; }\n"
		  "template <> int va<>() { return 0; }\n"
		  "template <> int N::S<int>::sz<char>(int) { return 0; }\n");

	has(&sc, "A::operator<", 2);
	has(&sc, "A::operator std::vector<int>", 3);
	has(&sc, "A::A", 4);
	has(&sc, "g", 9);
	has(&sc, "h", 10);
	has(&sc, "after_macro", 12);
	has(&sc, "va", 13);
	has(&sc, "N::S::sz", 14);
	cr_expect_eq(sc.nfuncs, 8, "%zu functions", sc.nfuncs);
	cr_assert_eq(sc.nskips, 1);
	cr_expect_eq(sc.skips[0].line, 11);
	scan_free(&sc);
}

Test(clex, byte_order_mark_is_not_a_token)
{
	const char *s = "\xef\xbb\xbfnamespace n { int f() { return 1; } }\n";
	struct ctoks t = lex(s, 1);
	struct scan sc = parse(&lang_cxx, "b.cc", s);

	tok_is(s, &t.v[0], CT_IDENT, "namespace");
	ctoks_free(&t);
	has(&sc, "n::f", 1);
	scan_free(&sc);
}
