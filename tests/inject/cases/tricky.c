/*
 * perfinject test case: what a C lexer and parser must get right.  main()
 * calls each function a known number of times; the EXPECT lines give the
 * exact calls the span recorder must see after `perfinject tricky.c`.
 *
 * EXPECT span "tricky.c:square" 12
 * EXPECT span "tricky.c:multi_line_head" 1
 * EXPECT span "tricky.c:kr_style" 2
 * EXPECT span "tricky.c:attr_first" 1
 * EXPECT span "tricky.c:attr_middle" 1
 * EXPECT span "tricky.c:make_pt" 1
 * EXPECT span "tricky.c:inline_static" 1
 * EXPECT span "tricky.c:sum_va" 1
 * EXPECT span "tricky.c:fib" 177
 * EXPECT span "tricky.c:early" 3
 * EXPECT span "tricky.c:spliced" 1
 * EXPECT span "tricky.c:nothing" 2
 * EXPECT span "tricky.c:call_through" 0
 * EXPECT span "tricky.c:main" 1
 * EXPECT span "tricky.c:two_heads" 0
 * EXPECT skip "get_fn"
 * EXPECT skip "DEFINE_GETTER"
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OPEN {
#define CLOSE }
#define DEFINE_GETTER(n) static int get_##n(void) \
	{ return n; }

DEFINE_GETTER(7)

struct pt {
	int x, y;
};

typedef struct {
	int a[3];
} triple;

enum color { RED, GREEN = 3, BLUE };

static const int table[] = {1, 2, 3};
static const struct pt origin = {0, 0};
static const char *const strs[] = {"{", "}", "\"{", "int fake(void) {"};
static const char brace_char = '{', quote_char = '\'';

/* a comment with { braces } and a fake function: int fake2(void) { } */
// a line comment with a brace { and a fake function int fake3(void) {

#if 0
this is not C, it's skipped, even the unterminated ' quote
int fake4(void) {
#endif

static int square(int x)
{
	return x * x;
}

static int
multi_line_head(int a,
		int b)
{
	return a + b;
}

#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 202000L
static int kr_style(a, b)
	int a;
	const char *b;
{
#else /* C23 has no K&R definitions */
static int kr_style(int a, const char *b)
{
#endif
	return a + (int)strlen(b);
}

__attribute__((noinline)) static int attr_first(int x)
{
	return x + 1;
}

static int __attribute__((unused)) attr_middle(int x)
{
	return x - 1;
}

static struct pt make_pt(int x, int y) { struct pt p; p.x = x; p.y = y; return p; }

static inline int inline_static(int x)
{
	return x * 3;
}

static int sum_va(int n, ...)
{
	va_list ap;
	int s = 0;

	va_start(ap, n);
	while (n-- > 0)
		s += va_arg(ap, int);
	va_end(ap);
	return s;
}

static unsigned fib(unsigned n)
{
	if (n < 2)
		return n;
	return fib(n - 1) + fib(n - 2);
}

static int early(int x)
{
	if (x < 0)
		return -1;
	if (x == 0)
		goto out;
	x *= 2;
out:
	return x;
}

static int spl\
iced(void)
{
	return 5;
}

#ifdef NOT_DEFINED
static int two_heads(int x, int y)
{
#else
static int two_heads(int x)
{
	int y = 1;
#endif
	return x + y;
}

static int (*get_fn(void))(int)
{
	return square;
}

static void nothing(void) {}

static int call_through(int (*fn)(int), int x)
OPEN
	return fn(x);
CLOSE

int main(void)
{
	int i, s = 0;
	triple t = {{1, 2, 3}};
	struct pt p;

	for (i = 0; i < 10; i++)
		s += square(i);
	s += multi_line_head(1, 2);
	s += kr_style(1, "ab") + kr_style(2, "");
	s += attr_first(1) + attr_middle(1);
	p = make_pt(3, 4);
	s += p.x + p.y + inline_static(2) + sum_va(3, 1, 2, 3);
	s += (int)fib(10);
	s += early(-1) + early(0) + early(5);
	s += spliced() + two_heads(1) + get_fn()(2) + get_7();
	nothing();
	nothing();
	s += call_through(square, 3);
	s += table[1] + origin.x + (int)strlen(strs[3]) + brace_char + quote_char + t.a[2] + BLUE;
	printf("s=%d line=%d\n", s, __LINE__);
	return 0;
}
