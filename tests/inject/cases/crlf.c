/*
 * perfinject test case: CRLF line ends, tabs, no final newline.
 *
 * EXPECT span "crlf.c:half" 3
 * EXPECT span "crlf.c:main" 1
 */
#include <stdio.h>

static int half(int x)
{
	return x / 2;
}

int main(void)
{
	printf("%d line=%d\n", half(2) + half(4) + half(6), __LINE__);
	return 0;
}