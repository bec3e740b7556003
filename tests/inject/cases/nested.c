/*
 * perfinject test case: GCC nested functions (gnu11, no -pedantic: ISO C
 * has none).
 *
 * EXPECT span "nested.c:outer" 2
 * EXPECT span "nested.c:outer.inner" 6
 * EXPECT span "nested.c:main" 1
 */
#include <stdio.h>

static int outer(int base)
{
	int inner(int k)
	{
		return base + k;
	}
	int s = 0, i;

	for (i = 0; i < 3; i++)
		s += inner(i);
	return s;
}

int main(void)
{
	printf("%d %d\n", outer(1), outer(10));
	return 0;
}
