/*
 * Exported hooks of the calls that create, duplicate and close descriptors,
 * connect sockets and look up names.  They keep the fd table (fdtab.c) in
 * step with the process, so that I/O is attributed to the right kind, file
 * and peer.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "stdio_track.h"

#define PASS_IF_OFF(call)                                                                          \
	do {                                                                                       \
		ENSURE_REAL();                                                                     \
		if (!shim_on())                                                                    \
			return call;                                                               \
	} while (0)

/* Runs `record` (with r set) inside the shim, errno kept. */
#define RECORD(record)                                                                             \
	do {                                                                                       \
		int e_ = errno;                                                                    \
		ENTER();                                                                           \
		record;                                                                            \
		LEAVE();                                                                           \
		errno = e_;                                                                        \
	} while (0)

static inline int wants_mode(int flags)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

#define OPEN_HOOK(name)                                                                            \
	HOOK(int, name, (const char *path, int flags, ...))                                        \
	{                                                                                          \
		int mode = 0, r;                                                                   \
		if (wants_mode(flags)) {                                                           \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, int);                                                    \
			va_end(ap);                                                                \
		}                                                                                  \
		PASS_IF_OFF(real_##name(path, flags, mode));                                       \
		r = real_##name(path, flags, mode);                                                \
		if (r >= 0)                                                                        \
			RECORD(shim_fd_opened_file(r, AT_FDCWD, path));                            \
		return r;                                                                          \
	}
OPEN_HOOK(open)
OPEN_HOOK(open64)

#define OPENAT_HOOK(name)                                                                          \
	HOOK(int, name, (int dirfd, const char *path, int flags, ...))                             \
	{                                                                                          \
		int mode = 0, r;                                                                   \
		if (wants_mode(flags)) {                                                           \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = va_arg(ap, int);                                                    \
			va_end(ap);                                                                \
		}                                                                                  \
		PASS_IF_OFF(real_##name(dirfd, path, flags, mode));                                \
		r = real_##name(dirfd, path, flags, mode);                                         \
		if (r >= 0)                                                                        \
			RECORD(shim_fd_opened_file(r, dirfd, path));                               \
		return r;                                                                          \
	}
OPENAT_HOOK(openat)
OPENAT_HOOK(openat64)

HOOK(int, __open_2, (const char *path, int flags))
{
	int r;

	PASS_IF_OFF(real___open_2(path, flags));
	if ((r = real___open_2(path, flags)) >= 0)
		RECORD(shim_fd_opened_file(r, AT_FDCWD, path));
	return r;
}

HOOK(int, __open64_2, (const char *path, int flags))
{
	int r;

	PASS_IF_OFF(real___open64_2(path, flags));
	if ((r = real___open64_2(path, flags)) >= 0)
		RECORD(shim_fd_opened_file(r, AT_FDCWD, path));
	return r;
}

HOOK(int, __openat_2, (int dirfd, const char *path, int flags))
{
	int r;

	PASS_IF_OFF(real___openat_2(dirfd, path, flags));
	if ((r = real___openat_2(dirfd, path, flags)) >= 0)
		RECORD(shim_fd_opened_file(r, dirfd, path));
	return r;
}

HOOK(int, __openat64_2, (int dirfd, const char *path, int flags))
{
	int r;

	PASS_IF_OFF(real___openat64_2(dirfd, path, flags));
	if ((r = real___openat64_2(dirfd, path, flags)) >= 0)
		RECORD(shim_fd_opened_file(r, dirfd, path));
	return r;
}

HOOK(int, creat, (const char *path, mode_t mode))
{
	int r;

	PASS_IF_OFF(real_creat(path, mode));
	if ((r = real_creat(path, mode)) >= 0)
		RECORD(shim_fd_opened_file(r, AT_FDCWD, path));
	return r;
}

HOOK(int, creat64, (const char *path, mode_t mode))
{
	int r;

	PASS_IF_OFF(real_creat64(path, mode));
	if ((r = real_creat64(path, mode)) >= 0)
		RECORD(shim_fd_opened_file(r, AT_FDCWD, path));
	return r;
}

static inline int file_fd(FILE *f)
{
	return f ? f->_fileno : -1;
}

#define FOPEN_HOOK(name)                                                                           \
	HOOK(FILE *, name, (const char *path, const char *mode))                                   \
	{                                                                                          \
		FILE *f;                                                                           \
		PASS_IF_OFF(real_##name(path, mode));                                              \
		f = real_##name(path, mode);                                                       \
		if (f && file_fd(f) >= 0)                                                          \
			RECORD(shim_fd_opened_file(file_fd(f), AT_FDCWD, path));                   \
		return f;                                                                          \
	}
FOPEN_HOOK(fopen)
FOPEN_HOOK(fopen64)

#define FREOPEN_HOOK(name)                                                                         \
	HOOK(FILE *, name, (const char *path, const char *mode, FILE *old))                        \
	{                                                                                          \
		int oldfd = file_fd(old);                                                          \
		FILE *f;                                                                           \
		PASS_IF_OFF(real_##name(path, mode, old));                                         \
		/* What inline code left in the buffer goes to the old file. */                    \
		RECORD(shim_stdio_pre(old));                                                       \
		f = real_##name(path, mode, old);                                                  \
		RECORD({                                                                           \
			if (oldfd >= 0 && (!f || file_fd(f) != oldfd))                             \
				shim_fd_closed(oldfd);                                             \
			if (f && file_fd(f) >= 0) {                                                \
				if (path)                                                          \
					shim_fd_opened_file(file_fd(f), AT_FDCWD, path);           \
				else                                                               \
					shim_fd_closed(file_fd(f));                                \
			}                                                                          \
			if (f)                                                                     \
				shim_stdio_post(f);                                                \
			else /* libc closed the old stream */                                      \
				shim_stdio_forget(old);                                            \
		});                                                                                \
		return f;                                                                          \
	}
FREOPEN_HOOK(freopen)
FREOPEN_HOOK(freopen64)

HOOK(FILE *, tmpfile, (void))
{
	FILE *f;

	PASS_IF_OFF(real_tmpfile());
	if ((f = real_tmpfile()) && file_fd(f) >= 0)
		RECORD(shim_fd_opened(file_fd(f), -1));
	return f;
}

HOOK(FILE *, tmpfile64, (void))
{
	FILE *f;

	PASS_IF_OFF(real_tmpfile64());
	if ((f = real_tmpfile64()) && file_fd(f) >= 0)
		RECORD(shim_fd_opened(file_fd(f), -1));
	return f;
}

HOOK(FILE *, popen, (const char *cmd, const char *mode))
{
	FILE *f;

	PASS_IF_OFF(real_popen(cmd, mode));
	if ((f = real_popen(cmd, mode)) && file_fd(f) >= 0)
		RECORD(shim_fd_opened(file_fd(f), IO_PIPE));
	return f;
}

HOOK(int, pclose, (FILE *f))
{
	int fd = file_fd(f), r;

	PASS_IF_OFF(real_pclose(f));
	RECORD({
		shim_stdio_pre(f);
		shim_stdio_forget(f);
	});
	r = real_pclose(f);
	RECORD(shim_fd_closed(fd));
	return r;
}

HOOK(int, fclose, (FILE *f))
{
	int fd = file_fd(f), r;

	PASS_IF_OFF(real_fclose(f));
	RECORD({
		shim_stdio_pre(f);
		shim_stdio_forget(f);
	});
	r = real_fclose(f);
	if (fd >= 0)
		RECORD(shim_fd_closed(fd));
	return r;
}

HOOK(int, fcloseall, (void))
{
	int r;

	PASS_IF_OFF(real_fcloseall());
	RECORD(shim_stdio_sweep());
	r = real_fcloseall();
	/*
	 * Which descriptors went is unknown: classify them all again on use.
	 * (glibc's only flushes and unbuffers the streams: they stay usable.)
	 */
	RECORD({
		shim_fd_close_range(0, SHM_MAX_FDS - 1);
		shim_stdio_post_all();
	});
	return r;
}

#define MKSTEMP_HOOK(name, params, args, tmpl)                                                     \
	HOOK(int, name, params)                                                                    \
	{                                                                                          \
		int r;                                                                             \
		PASS_IF_OFF(real_##name args);                                                     \
		if ((r = real_##name args) >= 0)                                                   \
			RECORD(shim_fd_opened_file(r, AT_FDCWD, tmpl));                            \
		return r;                                                                          \
	}
MKSTEMP_HOOK(mkstemp, (char *t), (t), t)
MKSTEMP_HOOK(mkstemp64, (char *t), (t), t)
MKSTEMP_HOOK(mkostemp, (char *t, int fl), (t, fl), t)
MKSTEMP_HOOK(mkostemp64, (char *t, int fl), (t, fl), t)
MKSTEMP_HOOK(mkstemps, (char *t, int s), (t, s), t)
MKSTEMP_HOOK(mkostemps, (char *t, int s, int fl), (t, s, fl), t)

HOOK(DIR *, opendir, (const char *path))
{
	DIR *d;

	PASS_IF_OFF(real_opendir(path));
	if ((d = real_opendir(path)))
		RECORD(shim_fd_opened_file(dirfd(d), AT_FDCWD, path));
	return d;
}

HOOK(int, closedir, (DIR *d))
{
	int fd = d ? dirfd(d) : -1, r;

	PASS_IF_OFF(real_closedir(d));
	r = real_closedir(d);
	if (fd >= 0)
		RECORD(shim_fd_closed(fd));
	return r;
}

HOOK(int, close, (int fd))
{
	int r;

	PASS_IF_OFF(real_close(fd));
	r = real_close(fd);
	if (r == 0 || errno != EBADF)
		RECORD(shim_fd_closed(fd));
	return r;
}

HOOK(int, close_range, (unsigned int first, unsigned int last, int flags))
{
	int r;

	ENSURE_REAL();
	if (!real_close_range) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim_on())
		return real_close_range(first, last, flags);
	r = real_close_range(first, last, flags);
	if (r == 0 && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */))
		RECORD(shim_fd_close_range(first, last));
	return r;
}

HOOK(void, closefrom, (int low))
{
	ENSURE_REAL();
	if (!real_closefrom) {
		syscall(SYS_close_range, (unsigned)low, ~0u, 0);
	} else {
		real_closefrom(low);
	}
	if (shim_on() && low >= 0)
		RECORD(shim_fd_close_range((unsigned)low, SHM_MAX_FDS - 1));
}

HOOK(int, dup, (int fd))
{
	int r;

	PASS_IF_OFF(real_dup(fd));
	if ((r = real_dup(fd)) >= 0)
		RECORD(shim_fd_dup(fd, r));
	return r;
}

HOOK(int, dup2, (int fd, int to))
{
	int r;

	PASS_IF_OFF(real_dup2(fd, to));
	if ((r = real_dup2(fd, to)) >= 0 && fd != to)
		RECORD(shim_fd_dup(fd, r));
	return r;
}

HOOK(int, dup3, (int fd, int to, int fl))
{
	int r;

	PASS_IF_OFF(real_dup3(fd, to, fl));
	if ((r = real_dup3(fd, to, fl)) >= 0)
		RECORD(shim_fd_dup(fd, r));
	return r;
}

#define FCNTL_HOOK(name)                                                                           \
	HOOK(int, name, (int fd, int cmd, ...))                                                    \
	{                                                                                          \
		va_list ap;                                                                        \
		void *arg;                                                                         \
		int r;                                                                             \
		va_start(ap, cmd);                                                                 \
		arg = va_arg(ap, void *);                                                          \
		va_end(ap);                                                                        \
		PASS_IF_OFF(real_##name(fd, cmd, arg));                                            \
		r = real_##name(fd, cmd, arg);                                                     \
		if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))                          \
			RECORD(shim_fd_dup(fd, r));                                                \
		return r;                                                                          \
	}
FCNTL_HOOK(fcntl)
FCNTL_HOOK(fcntl64)

HOOK(int, pipe, (int *fds))
{
	int r;

	PASS_IF_OFF(real_pipe(fds));
	if ((r = real_pipe(fds)) == 0)
		RECORD({
			shim_fd_opened(fds[0], IO_PIPE);
			shim_fd_opened(fds[1], IO_PIPE);
		});
	return r;
}

HOOK(int, pipe2, (int *fds, int fl))
{
	int r;

	PASS_IF_OFF(real_pipe2(fds, fl));
	if ((r = real_pipe2(fds, fl)) == 0)
		RECORD({
			shim_fd_opened(fds[0], IO_PIPE);
			shim_fd_opened(fds[1], IO_PIPE);
		});
	return r;
}

HOOK(int, socket, (int domain, int type, int proto))
{
	int r;

	PASS_IF_OFF(real_socket(domain, type, proto));
	if ((r = real_socket(domain, type, proto)) >= 0)
		RECORD(shim_fd_socket(r, domain, type));
	return r;
}

HOOK(int, socketpair, (int domain, int type, int proto, int *sv))
{
	int r;

	PASS_IF_OFF(real_socketpair(domain, type, proto, sv));
	if ((r = real_socketpair(domain, type, proto, sv)) == 0)
		RECORD({
			shim_fd_socket(sv[0], domain, type);
			shim_fd_socket(sv[1], domain, type);
		});
	return r;
}

HOOK(int, connect, (int fd, const struct sockaddr *a, socklen_t l))
{
	uint64_t t0, t1;
	int r;

	PASS_IF_OFF(real_connect(fd, a, l));
	t0 = now_tick();
	r = real_connect(fd, a, l);
	t1 = now_tick();
	RECORD(shim_net_connect(fd, a, l, r, r < 0 ? errno : 0, t0, t1));
	return r;
}

HOOK(int, accept, (int fd, struct sockaddr *a, socklen_t *l))
{
	int r;

	PASS_IF_OFF(real_accept(fd, a, l));
	if ((r = real_accept(fd, a, l)) >= 0)
		RECORD(shim_net_accept(fd, r));
	return r;
}

HOOK(int, accept4, (int fd, struct sockaddr *a, socklen_t *l, int fl))
{
	int r;

	PASS_IF_OFF(real_accept4(fd, a, l, fl));
	if ((r = real_accept4(fd, a, l, fl)) >= 0)
		RECORD(shim_net_accept(fd, r));
	return r;
}

HOOK(int, listen, (int fd, int backlog))
{
	int r;

	PASS_IF_OFF(real_listen(fd, backlog));
	if ((r = real_listen(fd, backlog)) == 0)
		RECORD(shim_listen_add(fd));
	return r;
}

HOOK(int, getsockopt, (int fd, int level, int opt, void *v, socklen_t *l))
{
	int r;

	PASS_IF_OFF(real_getsockopt(fd, level, opt, v, l));
	r = real_getsockopt(fd, level, opt, v, l);
	if (r == 0 && level == SOL_SOCKET && opt == SO_ERROR && v && *(int *)v == 0)
		RECORD(shim_net_connected_check(fd, now_tick()));
	return r;
}

HOOK(int, getaddrinfo,
     (const char *node, const char *svc, const struct addrinfo *hints, struct addrinfo **res))
{
	uint64_t t0;
	int r;

	PASS_IF_OFF(real_getaddrinfo(node, svc, hints, res));
	t0 = now_tick();
	r = real_getaddrinfo(node, svc, hints, res);
	RECORD(shim_dns(r != 0, t0, now_tick()));
	return r;
}

HOOK(struct hostent *, gethostbyname, (const char *name))
{
	struct hostent *h;
	uint64_t t0;

	PASS_IF_OFF(real_gethostbyname(name));
	t0 = now_tick();
	h = real_gethostbyname(name);
	RECORD(shim_dns(h == NULL, t0, now_tick()));
	return h;
}

HOOK(struct hostent *, gethostbyname2, (const char *name, int af))
{
	struct hostent *h;
	uint64_t t0;

	PASS_IF_OFF(real_gethostbyname2(name, af));
	t0 = now_tick();
	h = real_gethostbyname2(name, af);
	RECORD(shim_dns(h == NULL, t0, now_tick()));
	return h;
}

HOOK(int, gethostbyname_r,
     (const char *name, struct hostent *ret, char *buf, size_t len, struct hostent **res, int *err))
{
	uint64_t t0;
	int r;

	PASS_IF_OFF(real_gethostbyname_r(name, ret, buf, len, res, err));
	t0 = now_tick();
	r = real_gethostbyname_r(name, ret, buf, len, res, err);
	RECORD(shim_dns(r != 0 || !*res, t0, now_tick()));
	return r;
}

HOOK(int, chdir, (const char *path))
{
	int r;

	PASS_IF_OFF(real_chdir(path));
	if ((r = real_chdir(path)) == 0)
		RECORD(shim_cwd_changed());
	return r;
}

HOOK(int, fchdir, (int fd))
{
	int r;

	PASS_IF_OFF(real_fchdir(fd));
	if ((r = real_fchdir(fd)) == 0)
		RECORD(shim_cwd_changed());
	return r;
}
