/*
 * The root of an instrumented tree: paths under it, its lock, and where the
 * Python runtime lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "fsutil.h"
#include "manifest.h"

char *root_path(const struct opts *o, const char *rel)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", o->root, rel);
	return buf_ok(&b) ? (buf_free(&b), NULL) : buf_steal(&b);
}

int root_lock(const struct opts *o, int create)
{
	char *dir = root_path(o, MANIFEST_DIR), *lock = root_path(o, MANIFEST_DIR "/lock");
	int fd = -1, err = 0;

	if (!dir || !lock) {
		err = -ENOMEM;
		goto out;
	}
	if (create && (err = fs_mkdir(dir, 0700)))
		goto out;
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = -errno;
			close(fd);
			fd = -1;
			goto out;
		}
	}
out:
	free(dir);
	free(lock);
	return err ? err : fd;
}

void root_unlock_and_tidy(const struct opts *o, int fd)
{
	char *dir = root_path(o, MANIFEST_DIR), *lock = root_path(o, MANIFEST_DIR "/lock");
	char *man = root_path(o, MANIFEST_FILE);
	struct stat st;

	if (dir && lock && man && lstat(man, &st) < 0 && errno == ENOENT) {
		fs_remove_stale_temps(man);
		unlink(lock);
		rmdir(dir); /* fails, harmlessly, when the user keeps files there */
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	free(lock);
	free(man);
}

const char *python_path(void)
{
	static char found[PATH_MAX];
	static const char *const rel[] = {"/python", "/../share/perfprof/python"};
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	if (found[0])
		return found;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	for (i = 0; i < ARRAY_SIZE(rel); i++) {
		char cand[PATH_MAX + 64], real[PATH_MAX];
		struct stat st;

		snprintf(cand, sizeof(cand), "%s%s/perfprof_spans.py", exe, rel[i]);
		if (stat(cand, &st) == 0 && realpath(cand, real)) {
			*strrchr(real, '/') = 0;
			snprintf(found, sizeof(found), "%s", real);
			return found;
		}
	}
	return NULL;
}

int name_matches(const char *qname, const char *target)
{
	size_t q = strlen(qname), t = strlen(target);

	if (!strcmp(qname, target))
		return 1;
	if (t >= q)
		return 0;
	if (strcmp(qname + q - t, target))
		return 0;
	return qname[q - t - 1] == '.' || (q - t >= 2 && !memcmp(qname + q - t - 2, "::", 2));
}
