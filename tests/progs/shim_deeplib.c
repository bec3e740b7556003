/* A library the tests dlopen with RTLD_DEEPBIND: it allocates and frees. */
#include <stdlib.h>
#include <string.h>

int deep_alloc(int n);
int deep_alloc(int n)
{
	int sum = 0;

	for (int i = 0; i < n; i++) {
		char *p = malloc(32);

		memset(p, 1, 32);
		sum += p[i % 32];
		free(p);
	}
	return sum;
}
