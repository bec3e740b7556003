/*
 * See safefile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safefile.h"

int safe_create(const char *path, int overwrite)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd = open(path, flags, 0600);

	if (fd >= 0 || errno != EEXIST || !overwrite)
		return fd >= 0 ? fd : -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		/* a device or a pipe the user named (/dev/null, /dev/stdout): write to it */
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		return fd >= 0 ? fd : -errno;
	}
	if (!S_ISREG(st.st_mode))
		return -EEXIST;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	fd = open(path, flags, 0600);
	return fd >= 0 ? fd : -errno;
}
