/*
 * Exported read/write-family hooks: time the real call, then record what it
 * moved: inline (io.h) for a known descriptor that is not a socket, else
 * through io.c.  The thread is not marked busy during the real call, so I/O
 * done by a signal handler that interrupts it is counted too.
 */
#include "internal.h"
#include "io.h"

/*
 * Calls real_<name>(args) timed; the fast path records a read (is_read 1)
 * or write (0) on fd, else `record` runs with r, t0, t1 set, errno kept.
 * is_read -1: always `record` (several descriptors, or not one transfer).
 */
#define IO_HOOK_FD(ret, name, params, args, fd, is_read, record)                                   \
	HOOK(ret, name, params)                                                                    \
	{                                                                                          \
		uint64_t t0, t1;                                                                   \
		ret r;                                                                             \
		ENSURE_REAL();                                                                     \
		if (unlikely(!real_##name)) {                                                      \
			errno = ENOSYS;                                                            \
			return -1;                                                                 \
		}                                                                                  \
		if (!shim_on())                                                                    \
			return real_##name args;                                                   \
		t0 = now_tick();                                                                   \
		r = real_##name args;                                                              \
		t1 = now_tick();                                                                   \
		if ((is_read) < 0 || !shim_io_fast(fd, is_read, (ssize_t)r, t0, t1)) {             \
			int e = errno;                                                             \
			ENTER();                                                                   \
			record;                                                                    \
			LEAVE();                                                                   \
			errno = e;                                                                 \
		}                                                                                  \
		return r;                                                                          \
	}

#define IO_HOOK(ret, name, params, args, record) IO_HOOK_FD(ret, name, params, args, 0, -1, record)

/* Bytes a receive moved: none for MSG_PEEK, which leaves them in the socket to be received. */
#define MOVED(fl, r) ((fl) & MSG_PEEK && (r) > 0 ? 0 : (r))

IO_HOOK_FD(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n), fd, 1, shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, __read_chk, (int fd, void *b, size_t n, size_t bl), (fd, b, n, bl), fd, 1,
	shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, pread, (int fd, void *b, size_t n, off_t o), (fd, b, n, o), fd, 1,
	shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, pread64, (int fd, void *b, size_t n, off_t o), (fd, b, n, o), fd, 1,
	shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, __pread_chk, (int fd, void *b, size_t n, off_t o, size_t bl), (fd, b, n, o, bl), fd, 1,
	shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, __pread64_chk, (int fd, void *b, size_t n, off_t o, size_t bl),
	(fd, b, n, o, bl), fd, 1, shim_io_read(fd, b, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n), fd, 0,
	shim_io_write(fd, b, n, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), fd, 0,
	shim_io_write(fd, b, n, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), fd, 0,
	shim_io_write(fd, b, n, r, t0, t1, 0))
IO_HOOK_FD(ssize_t, readv, (int fd, const struct iovec *v, int n), (fd, v, n), fd, 1,
	shim_io_readv(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n), fd, 0,
	shim_io_writev(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, preadv, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), fd, 1,
	shim_io_readv(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, preadv64, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), fd, 1,
	shim_io_readv(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, pwritev, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), fd, 0,
	shim_io_writev(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, pwritev64, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), fd, 0,
	shim_io_writev(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, preadv2, (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f), fd, 1,
	shim_io_readv(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, preadv64v2, (int fd, const struct iovec *v, int n, off_t o, int f),
	(fd, v, n, o, f), fd, 1, shim_io_readv(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, pwritev2, (int fd, const struct iovec *v, int n, off_t o, int f),
	(fd, v, n, o, f), fd, 0, shim_io_writev(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, pwritev64v2, (int fd, const struct iovec *v, int n, off_t o, int f),
	(fd, v, n, o, f), fd, 0, shim_io_writev(fd, v, n, r, t0, t1))
IO_HOOK_FD(ssize_t, send, (int fd, const void *b, size_t n, int fl), (fd, b, n, fl), fd, 0,
	shim_io_write(fd, b, n, r, t0, t1, 0))
IO_HOOK(ssize_t, sendto,
	(int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t al),
	(fd, b, n, fl, a, al), shim_io_sendto(fd, b, n, r, a, al, t0, t1))
IO_HOOK_FD(ssize_t, recv, (int fd, void *b, size_t n, int fl), (fd, b, n, fl), fd, 1,
	shim_io_read(fd, b, MOVED(fl, r), t0, t1, 0))
IO_HOOK_FD(ssize_t, __recv_chk, (int fd, void *b, size_t n, size_t bl, int fl), (fd, b, n, bl, fl), fd, 1,
	shim_io_read(fd, b, MOVED(fl, r), t0, t1, 0))
IO_HOOK_FD(ssize_t, recvfrom,
	(int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *al),
	(fd, b, n, fl, a, al), fd, 1, shim_io_read(fd, b, MOVED(fl, r), t0, t1, 0))
IO_HOOK_FD(ssize_t, __recvfrom_chk,
	(int fd, void *b, size_t n, size_t bl, int fl, struct sockaddr *a, socklen_t *al),
	(fd, b, n, bl, fl, a, al), fd, 1, shim_io_read(fd, b, MOVED(fl, r), t0, t1, 0))

/* (The program's msghdr and mmsghdr are read only after a call that succeeded: see io.c.) */
static void record_sendmsg(int fd, const struct msghdr *m, ssize_t r, uint64_t t0, uint64_t t1)
{
	if (r < 0)
		m = NULL;
	if (m && m->msg_name && m->msg_namelen)
		shim_io_sendto(fd, m->msg_iovlen ? m->msg_iov[0].iov_base : NULL,
			       m->msg_iovlen ? m->msg_iov[0].iov_len : 0, r, m->msg_name,
			       m->msg_namelen, t0, t1);
	else
		shim_io_writev(fd, m ? m->msg_iov : NULL, m ? (int)m->msg_iovlen : 0, r, t0, t1);
}

IO_HOOK(ssize_t, sendmsg, (int fd, const struct msghdr *m, int fl), (fd, m, fl),
	record_sendmsg(fd, m, r, t0, t1))
IO_HOOK_FD(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl), fd, 1,
	shim_io_readv(fd, r >= 0 && m ? m->msg_iov : NULL, r >= 0 && m ? (int)m->msg_iovlen : 0,
		      MOVED(fl, r), t0, t1))

/* One call moving several messages counts as one call with their bytes. */
static ssize_t mmsg_bytes(const struct mmsghdr *v, int r)
{
	ssize_t sum = 0;

	if (r < 0)
		return r;
	for (int i = 0; i < r; i++)
		sum += v[i].msg_len;
	return sum;
}

IO_HOOK(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned int n, int fl), (fd, v, n, fl),
	shim_io_sendmmsg(fd, v, r, t0, t1))
IO_HOOK(int, recvmmsg, (int fd, struct mmsghdr *v, unsigned int n, int fl, struct timespec *to),
	(fd, v, n, fl, to),
	shim_io_readv(fd, r > 0 ? v[0].msg_hdr.msg_iov : NULL,
		      r > 0 ? (int)v[0].msg_hdr.msg_iovlen : 0, MOVED(fl, mmsg_bytes(v, r)), t0, t1))

/* Both ends of an in-kernel copy: the bytes were read from one and written to the other. */
static void record_copy(int in, int out, ssize_t r, uint64_t t0, uint64_t t1)
{
	shim_io_read(in, NULL, r, t0, t0, 0);
	shim_io_write(out, NULL, 0, r, t0, t1, 0);
}

IO_HOOK(ssize_t, sendfile, (int out, int in, off_t *o, size_t n), (out, in, o, n),
	record_copy(in, out, r, t0, t1))
IO_HOOK(ssize_t, sendfile64, (int out, int in, off_t *o, size_t n), (out, in, o, n),
	record_copy(in, out, r, t0, t1))
IO_HOOK(ssize_t, copy_file_range,
	(int in, off_t *io, int out, off_t *oo, size_t n, unsigned int f), (in, io, out, oo, n, f),
	record_copy(in, out, r, t0, t1))
IO_HOOK(ssize_t, splice, (int in, off_t *io, int out, off_t *oo, size_t n, unsigned int f),
	(in, io, out, oo, n, f), record_copy(in, out, r, t0, t1))

IO_HOOK(int, poll, (struct pollfd *f, nfds_t n, int to), (f, n, to), shim_io_poll(t0, t1))
IO_HOOK(int, ppoll, (struct pollfd *f, nfds_t n, const struct timespec *to, const sigset_t *m),
	(f, n, to, m), shim_io_poll(t0, t1))
IO_HOOK(int, select, (int n, fd_set *r_, fd_set *w, fd_set *x, struct timeval *to),
	(n, r_, w, x, to), shim_io_poll(t0, t1))
IO_HOOK(int, pselect,
	(int n, fd_set *r_, fd_set *w, fd_set *x, const struct timespec *to, const sigset_t *m),
	(n, r_, w, x, to, m), shim_io_poll(t0, t1))
IO_HOOK(int, epoll_wait, (int fd, struct epoll_event *ev, int n, int to), (fd, ev, n, to),
	shim_io_poll(t0, t1))
IO_HOOK(int, epoll_pwait, (int fd, struct epoll_event *ev, int n, int to, const sigset_t *m),
	(fd, ev, n, to, m), shim_io_poll(t0, t1))
