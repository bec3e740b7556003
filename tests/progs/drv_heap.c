/*
 * Heap growth: keeps 1000 blocks of 64 KiB (62.5 MiB), touching each,
 * and never frees them.
 */
#include <stdlib.h>
#include <string.h>

static void *keep[1000];

__attribute__((noinline)) static void accumulate(int i)
{
	keep[i] = malloc(65536);
	if (keep[i])
		memset(keep[i], i & 0xff, 65536);
}

int main(void)
{
	for (int i = 0; i < 1000; i++)
		accumulate(i);
	return keep[999] ? 0 : 1;
}
