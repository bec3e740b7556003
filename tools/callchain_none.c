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

int callchain_does_io(const cJSON *node, int net)
{
	(void)node;
	(void)net;
	return 0;
}

int callchain_find_io_loop(const cJSON *chain, int net, const char **caller, const char **location,
			   const char **callee, int *line)
{
	(void)chain;
	(void)net;
	(void)caller;
	(void)location;
	(void)callee;
	(void)line;
	return -1;
}
