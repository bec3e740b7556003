/*
 * Finding the toolkit's other products relative to the perfprof executable:
 * in the build tree they sit beside it (build/libperfshim.so, build/perftrace,
 * build/perfinject); after `make install` the shim is in ../lib/perfprof and
 * the tools in the same bin directory.  PERFPROF_SHIM, PERFPROF_PERFTRACE and
 * PERFPROF_PERFINJECT override each (an empty value means "not available").
 */
#ifndef PERFPROF_LOCATE_H
#define PERFPROF_LOCATE_H

/* malloc'd absolute path of the product, or NULL when it is not there.
 * name: "libperfshim.so", "perftrace", "perfinject". */
char *locate_product(const char *name);
/* The directory of perfinject's Python runtime (holds perfprof_spans.py),
 * or NULL; PERFPROF_INJECT_PYTHONPATH overrides. */
char *locate_inject_pypath(void);
/* 1 when the ELF file at path is statically linked (no PT_INTERP), 0 when
 * dynamic, -errno when it is not a readable ELF file. */
int elf_is_static(const char *path);
/* Resolves a command name through PATH; malloc'd, or NULL. */
char *which(const char *cmd);

#endif
