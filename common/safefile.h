/*
 * Creating the files a tool writes, safely: never through a symlink, never
 * over something that is not a regular file, mode 0600, and replacing an
 * existing file only when asked (the user named it on the command line).
 */
#ifndef PERFPROF_SAFEFILE_H
#define PERFPROF_SAFEFILE_H

/*
 * Creates path with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, opened for writing
 * with O_CLOEXEC.  With overwrite, an existing regular file is unlinked
 * first, and an existing character device or FIFO (/dev/null, a named pipe)
 * is opened for writing; a symlink or anything else is refused with -EEXIST.
 * Returns the fd or a negative errno.
 */
int safe_create(const char *path, int overwrite);

#endif
