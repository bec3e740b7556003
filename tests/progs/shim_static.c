/*
 * A statically linked program for the shim tests: the dynamic loader
 * preloads nothing into it.  Prints "static" and exits 0.
 */
#include <stdio.h>

int main(void)
{
	puts("static");
	return 0;
}
