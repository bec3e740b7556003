/*
 * Safe creation of the driver's own files; see outfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "outfile.h"

char *out_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		error_msg_and_die("out of memory");
	return p;
}

int out_mkdirs(const char *path)
{
	char *p = strdup(path);
	struct stat st;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		int last = (*s == 0);

		if (*s != '/' && !last)
			continue;
		*s = 0;
		if (mkdir(p, 0700) == 0) {
			/* ours, fresh */
		} else if (errno != EEXIST) {
			ret = -errno;
			goto out;
		} else if (lstat(p, &st) < 0) {
			ret = -errno;
			goto out;
		} else if (!S_ISDIR(st.st_mode)) {
			/* A symlink is accepted only for what existed above the
			 * part we create: the last component must be real. */
			if (last || !S_ISLNK(st.st_mode) || stat(p, &st) < 0 ||
			    !S_ISDIR(st.st_mode)) {
				ret = -ENOTDIR;
				goto out;
			}
		}
		if (last)
			break;
		*s = '/';
		while (s[1] == '/')
			s++;
		if (!s[1])
			break;
	}
out:
	free(p);
	return ret;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int out_write(const char *path, const char *data, size_t len)
{
	char *tmp = NULL;
	int fd = -1, ret;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	fd = -1;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return ret;
}

int out_write_str(const char *path, const char *s)
{
	return out_write(path, s, strlen(s));
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(p) < 0 ? -1 : 0;
	return unlink(p) < 0 && errno != ENOENT ? -1 : 0;
}

int out_rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

int out_create_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}
