/*
 * Reading sources and replacing files atomically; see fsutil.h.
 *
 * For the tests of interrupted writes, PERFINJECT_TEST_CRASH_AFTER=N makes
 * the process die (_exit(75)) in the middle of its N+1-th atomic write,
 * after half of the temporary file is written and before the rename: the
 * state a power cut or a SIGKILL leaves.  PERFINJECT_TEST_RACE makes every
 * source change (a line appended) just before it would be replaced, as a
 * user's editor might.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"

int fs_read(const char *path, char **data, size_t *len, struct stat *st)
{
	struct stat sb;
	char *p = NULL;
	size_t n = 0, cap;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	p = malloc(cap);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *q = realloc(p, cap * 2);

			if (!q) {
				err = -ENOMEM;
				goto out;
			}
			p = q;
			cap *= 2;
		}
		r = read(fd, p + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = 0;
	*data = p;
	*len = n;
	p = NULL;
	if (st)
		*st = sb;
out:
	free(p);
	close(fd);
	return err;
}

static int crash_countdown(void)
{
	static int left = -2;

	if (left == -2) {
		const char *e = getenv("PERFINJECT_TEST_CRASH_AFTER");

		left = e && *e ? atoi(e) : -1;
	}
	if (left < 0)
		return 0;
	return left-- == 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* For the tests: someone edits path while we work (appends a comment line). */
static void simulate_edit(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = write(fd, "/* edit */\n", 11);

		(void)n;
		close(fd);
	}
}

/* Is path still the file st describes? */
static int unchanged(const char *path, const struct stat *st)
{
	struct stat now;

	return lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
	       now.st_size == st->st_size && now.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static void temp_name(const char *path, struct buf *b)
{
	const char *slash = strrchr(path, '/');

	if (slash)
		buf_add(b, path, (size_t)(slash - path) + 1);
	buf_printf(b, ".%s.perfinject-XXXXXX", slash ? slash + 1 : path);
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    const struct stat *st)
{
	struct buf tmp = BUF_INIT;
	int fd = -1, err;

	temp_name(path, &tmp);
	if ((err = buf_ok(&tmp)))
		goto out;
	fd = mkostemp(tmp.p, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (crash_countdown()) {
		if (write_all(fd, data, len / 2) == 0)
			fsync(fd);
		_exit(75);
	}
	err = write_all(fd, data, len);
	if (!err && st && geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) < 0)
		err = -errno;
	if (!err && fchmod(fd, mode & 07777) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	fd = -1;
	if (!err && st && getenv("PERFINJECT_TEST_RACE"))
		simulate_edit(path);
	if (!err && st && !unchanged(path, st))
		err = -EAGAIN;
	if (!err && rename(tmp.p, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp.p);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.p);
	}
	buf_free(&tmp);
	return err;
}

int fs_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fs_remove_stale_temps(const char *path)
{
	struct buf dir = BUF_INIT, pre = BUF_INIT, full = BUF_INIT;
	const char *slash = strrchr(path, '/');
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (slash)
		buf_add(&dir, path, (size_t)(slash - path));
	else
		buf_adds(&dir, ".");
	buf_printf(&pre, ".%s.perfinject-", slash ? slash + 1 : path);
	if (buf_ok(&dir) || buf_ok(&pre))
		goto out;
	d = opendir(dir.p);
	if (!d)
		goto out;
	while ((e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, pre.p, pre.len) || strlen(e->d_name) != pre.len + 6)
			continue;
		full.len = 0;
		buf_printf(&full, "%s/%s", dir.p, e->d_name);
		if (buf_ok(&full) || lstat(full.p, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_mode & 0777) != 0600)
			continue;
		if (unlink(full.p) == 0)
			n++;
	}
	closedir(d);
out:
	buf_free(&dir);
	buf_free(&pre);
	buf_free(&full);
	return n;
}
