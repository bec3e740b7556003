/*
 * Creating perfprof's own files and directories safely.  Everything the
 * driver writes goes through here: directories are created with mode 0700
 * without following a symlink planted in their place, and files appear
 * atomically (a new temporary file opened O_CREAT|O_EXCL|O_NOFOLLOW with mode
 * 0600 in the same directory, then renamed over the final name, which
 * replaces a previous report but never writes through a link).
 */
#ifndef PERFPROF_OUTFILE_H
#define PERFPROF_OUTFILE_H

#include <stddef.h>

/* mkdir -p with mode 0700; a component that exists must be a real directory
 * (not a symlink) unless it is an ancestor of the starting directory we were
 * given.  Returns 0 or -errno (-ENOTDIR for a symlink or file in the way). */
int out_mkdirs(const char *path);
/* Writes len bytes to path atomically as described above; 0 or -errno. */
int out_write(const char *path, const char *data, size_t len);
/* Writes a NUL-terminated string; 0 or -errno. */
int out_write_str(const char *path, const char *s);
/* Removes a directory tree without following symlinks; a missing tree is
 * not an error.  0 or -errno. */
int out_rm_tree(const char *path);
/* malloc'd "dir/name"; never NULL (dies on OOM). */
char *out_path(const char *dir, const char *name);
/* Creates an empty file for a child's output (O_EXCL|O_NOFOLLOW, 0600);
 * returns the fd (O_CLOEXEC) or -errno. */
int out_create_log(const char *path);

#endif
