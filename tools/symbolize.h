/*
 * Naming code addresses that the shim reports as module + offset (heap
 * allocation sites): the function from the ELF symbol table, the source
 * line from DWARF (elfutils' libelf and libdw).  Modules are opened once
 * and cached for the session.
 */
#ifndef PERFPROF_SYMBOLIZE_H
#define PERFPROF_SYMBOLIZE_H

#include <stdint.h>

struct sym_info {
	char func[256]; /* "" when unknown */
	char file[512]; /* "" when unknown */
	int line;	/* 0 when unknown */
};

/* Resolves offset (from the start of the module's first mapping) in the
 * ELF file module; return_addr says the address follows a call (the
 * lookup uses offset - 1).  0, or -errno / -ENOENT when nothing is known. */
int sym_resolve(const char *module, uint64_t offset, int return_addr, struct sym_info *out);
struct cJSON;
/* A frame of a shim heap site ({module, offset, symbol}) as
 * "function (file:line)", "function", or "module+0xoffset"; malloc'd.
 * Frames are return addresses. */
char *sym_frame_name(const struct cJSON *frame);
/* The first frame of a site that is not in a system library, named as
 * above, or NULL. */
char *sym_site_name(const struct cJSON *frames);
/* Releases the cache. */
void sym_cleanup(void);

#endif
