/*
 * Raw system calls and tiny string helpers for the shim's own I/O, so that
 * the shim never goes through its own hooks, stdio or malloc.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

long shim_sys(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * The shim's own descriptors are short-lived, but while one is open it is
 * the lowest free number: for a program that closed 0, 1 or 2, what its
 * other threads write to that number would go into the shim's file (and
 * succeed, where it should fail with EBADF).  So they move above 2 at once.
 */
int shim_open(const char *path, int flags, int mode)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode), high;

	/* (Where the descriptor limit leaves no room above 2, the low one is kept.) */
	if (fd >= 0 && fd <= 2 && (high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3)) >= 0) {
		syscall(SYS_close, fd);
		fd = high;
	}
	return fd;
}

ssize_t shim_read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = syscall(SYS_read, fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int shim_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = syscall(SYS_write, fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

int shim_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

pid_t shim_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

size_t shim_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return 0;
	while (src && src[n] && n + 1 < cap) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = 0;
	return n;
}

uint32_t shim_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h ? h : 1;
}
