/*
 * File helpers of perfinject: reading a source whole, and replacing a file
 * atomically (temporary file in the same directory, fsync, rename), so an
 * interrupted run leaves every file either as it was or as it should be.
 */
#ifndef PERFINJECT_FSUTIL_H
#define PERFINJECT_FSUTIL_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Reads a regular file (not following a final symlink) into a malloc'd,
 * NUL-terminated buffer.  Returns 0, or a negative errno (-ELOOP for a
 * symlink, -EISDIR / -EINVAL for anything but a regular file).  st may be
 * NULL.
 */
int fs_read(const char *path, char **data, size_t *len, struct stat *st);

/*
 * Replaces path with data: written to `.<name>.perfinject-XXXXXX` beside it,
 * given `mode` (and the owner in st when st is not NULL and we may), synced,
 * renamed over path.  When st is not NULL it is the file as it was read, and
 * the rename happens only if path is still that file, unchanged (same inode,
 * size and modification time): -EAGAIN otherwise, so an edit made while we
 * worked is never overwritten.  Returns 0 or a negative errno; on error path
 * is untouched and the temporary file removed.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    const struct stat *st);

/* mkdir -p for one level with mode; 0 if it exists as a directory. */
int fs_mkdir(const char *path, mode_t mode);

/* Removes leftovers `.<name>.perfinject-*` of interrupted writes of path; returns how many. */
int fs_remove_stale_temps(const char *path);

#endif
