/*
 * Known heap behaviour for the shim tests.
 *
 *   shim_heap calls N     N of each: malloc(1000) held then freed, calloc(10,100),
 *                         realloc growing one block in 64-byte steps, posix_memalign(64, 4096),
 *                         aligned_alloc(64, 256); prints the usable bytes held at the peak
 *   shim_heap sample N SIZE   N allocations of SIZE bytes from big_site(), all held, then freed
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *big_site(size_t size)
{
	void *p = malloc(size);

	if (p)
		memset(p, 1, size);
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	void **held = calloc((size_t)n + 1, sizeof(void *));
	size_t usable = 0;
	void *p = NULL;

	if (argc > 1 && !strcmp(argv[1], "calls")) {
		for (int i = 0; i < n; i++) {
			held[i] = malloc(1000);
			usable += malloc_usable_size(held[i]);
		}
		for (int i = 0; i < n; i++)
			free(held[i]);
		for (int i = 0; i < n; i++)
			free(calloc(10, 100));
		for (int i = 0; i < n; i++)
			p = realloc(p, (size_t)(i + 1) * 64);
		free(p);
		for (int i = 0; i < n; i++) {
			void *q;

			if (posix_memalign(&q, 64, 4096) == 0)
				free(q);
		}
		for (int i = 0; i < n; i++)
			free(aligned_alloc(64, 256));
		printf("held %zu\n", usable);
	} else if (argc > 3 && !strcmp(argv[1], "sample")) {
		size_t size = (size_t)atol(argv[3]);

		for (int i = 0; i < n; i++)
			held[i] = big_site(size);
		for (int i = 0; i < n; i++)
			free(held[i]);
	} else {
		fprintf(stderr, "usage: see shim_heap.c\n");
		return 2;
	}
	free(held);
	return 0;
}
