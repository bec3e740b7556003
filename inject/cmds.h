/*
 * perfinject's commands, one file each (cmd_inject.c, cmd_clean.c,
 * cmd_status.c), and what they share: the options, the root and its lock.
 * Each command returns the process exit status (see docs/perfinject.md).
 */
#ifndef PERFINJECT_CMDS_H
#define PERFINJECT_CMDS_H

#include <stddef.h>

#include "buf.h"

/* Exit statuses, besides 0, EXIT_ERROR (1) and EXIT_USAGE (2) of error.h. */
#define EXIT_ALTERED 3 /* --clean: some file keeps markers that were changed; it is left alone */

struct opts {
	char *root;	     /* absolute, no trailing slash */
	int json;	     /* machine-readable output on stdout */
	const char *profile; /* --from-profile FILE */
	int top;	     /* --top N */
};

int cmd_inject(const struct opts *o, int ntargets, char **targets);
int cmd_clean(const struct opts *o);
int cmd_status(const struct opts *o);

/* root + "/" + rel, malloc'd; NULL on ENOMEM. */
char *root_path(const struct opts *o, const char *rel);
/*
 * Takes the root's lock (.perfinject/lock, created 0600 in a 0700
 * directory when `create`).  Returns the lock's fd, -ENOENT when there is
 * no .perfinject and !create, or another negative errno.
 */
int root_lock(const struct opts *o, int create);
/* Removes .perfinject/lock and .perfinject when nothing else is in it. */
void root_unlock_and_tidy(const struct opts *o, int fd);

/*
 * Functions of the tree named by a perftrace profile (its JSON report, or a
 * sample file turned into one by `perftrace report --format json`), hottest
 * first by self samples, at most top of them, as "relpath:function" targets
 * appended to *out (malloc'd strings).  Returns 0 or a negative errno, with
 * a message already printed.
 */
int profile_targets(const struct opts *o, const char *file, int top, char ***out, int *n);

/* Directory holding perfprof_spans.py for PYTHONPATH, or NULL. */
const char *python_path(void);

/* Whether name (qualified) matches target: equal, or target is a ::/. suffix. */
int name_matches(const char *qname, const char *target);

#endif
