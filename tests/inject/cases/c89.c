/*
 * perfinject test case: plain C89 (no // comments, declarations first),
 * built with -std=c89 -pedantic.
 *
 * EXPECT span "c89.c:twice" 4
 * EXPECT span "c89.c:old_style" 1
 * EXPECT span "c89.c:main" 1
 */
#include <stdio.h>

static int twice(int x)
{
	int y = x * 2;
	return y;
}

#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 202000L
static int old_style(a)
	int a;
{
#else /* C23 has no K&R definitions */
static int old_style(int a)
{
#endif
	return a - 1;
}

int main(void)
{
	int i, s = 0;
	for (i = 0; i < 4; i++)
		s += twice(i);
	printf("%d %d line=%d\n", s, old_style(3), __LINE__);
	return 0;
}
