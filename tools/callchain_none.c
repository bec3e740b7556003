/*
 * The source call chain when perfinject's parser (inject/) is not part of
 * the build: every request says so.  See callchain.h.
 */
#include <stddef.h>

#include "callchain.h"

cJSON *callchain_build(const char *root, const char *file, const char *fn, const char **why)
{
	(void)root;
	(void)file;
	(void)fn;
	*why = "perfinject's source parser (inject/) is not part of this build";
	return NULL;
}

int callchain_find_call(const cJSON *chain, const char *callee, const char **caller,
			const char **location, int *line, int *in_loop)
{
	(void)line;
	(void)chain;
	(void)callee;
	(void)caller;
	(void)location;
	(void)in_loop;
	return -1;
}
