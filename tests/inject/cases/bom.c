/*
 * perfinject test case: a UTF-8 byte order mark, non-ASCII text: été, €.
 *
 * EXPECT span "bom.c:café_count" 2
 * EXPECT span "bom.c:main" 1
 */
#include <stdio.h>

static const char *greeting = "héllo {";

static int café_count(int x)
{
	return x + 1;
}

int main(void)
{
	printf("%s %d line=%d\n", greeting, café_count(1) + café_count(2), __LINE__);
	return 0;
}
