/*
 * Classifying samples by what the thread waits on (see waits.h).
 *
 * The system call and its arguments come from the registers at the stop;
 * file descriptors are resolved through /proc/PID/fd and sockets through the
 * kernel's socket tables in /proc/PID/net (which are per network namespace,
 * hence read through the target's pid).  Socket descriptions are cached by
 * inode, which the kernel does not reuse while the socket lives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <poll.h>

#include "compiler.h"
#include "tfile.h"
#include "unixdiag.h"
#include "waits.h"

enum arg_kind { A_NONE, A_FD, A_PATH, A_PATH_AT, A_FUTEX, A_SLEEP, A_POLL, A_EPOLL, A_WAIT };

static const struct sysdesc {
	long nr;
	const char *name;
	unsigned char kind;
	unsigned char eintr; /* see syscall_eintr_on_stop() */
} sysdescs[] = {
    {SYS_read, "read", A_FD, 1},
    {SYS_write, "write", A_FD, 1},
    {SYS_pread64, "pread64", A_FD, 0},
    {SYS_pwrite64, "pwrite64", A_FD, 0},
    {SYS_readv, "readv", A_FD, 1},
    {SYS_writev, "writev", A_FD, 1},
    {SYS_preadv, "preadv", A_FD, 0},
    {SYS_pwritev, "pwritev", A_FD, 0},
    {SYS_preadv2, "preadv2", A_FD, 0},
    {SYS_pwritev2, "pwritev2", A_FD, 0},
    {SYS_sendfile, "sendfile", A_FD, 0},
    {SYS_splice, "splice", A_FD, 0},
    {SYS_copy_file_range, "copy_file_range", A_FD, 0},
    {SYS_fsync, "fsync", A_FD, 0},
    {SYS_fdatasync, "fdatasync", A_FD, 0},
    {SYS_sync_file_range, "sync_file_range", A_FD, 0},
    {SYS_fallocate, "fallocate", A_FD, 0},
    {SYS_ftruncate, "ftruncate", A_FD, 0},
    {SYS_getdents64, "getdents64", A_FD, 0},
    {SYS_flock, "flock", A_FD, 0},
    {SYS_recvfrom, "recvfrom", A_FD, 1},
    {SYS_recvmsg, "recvmsg", A_FD, 1},
    {SYS_sendto, "sendto", A_FD, 1},
    {SYS_sendmsg, "sendmsg", A_FD, 1},
    {SYS_recvmmsg, "recvmmsg", A_FD, 0},
    {SYS_sendmmsg, "sendmmsg", A_FD, 0},
    {SYS_connect, "connect", A_FD, 0},
    {SYS_accept, "accept", A_FD, 1},
    {SYS_accept4, "accept4", A_FD, 1},
    {SYS_open, "open", A_PATH, 0},
    {SYS_creat, "creat", A_PATH, 0},
    {SYS_stat, "stat", A_PATH, 0},
    {SYS_lstat, "lstat", A_PATH, 0},
    {SYS_access, "access", A_PATH, 0},
    {SYS_unlink, "unlink", A_PATH, 0},
    {SYS_rename, "rename", A_PATH, 0},
    {SYS_mkdir, "mkdir", A_PATH, 0},
    {SYS_rmdir, "rmdir", A_PATH, 0},
    {SYS_truncate, "truncate", A_PATH, 0},
    {SYS_readlink, "readlink", A_PATH, 0},
    {SYS_openat, "openat", A_PATH_AT, 0},
    {SYS_openat2, "openat2", A_PATH_AT, 0},
    {SYS_newfstatat, "newfstatat", A_PATH_AT, 0},
    {SYS_statx, "statx", A_PATH_AT, 0},
    {SYS_faccessat, "faccessat", A_PATH_AT, 0},
    {SYS_faccessat2, "faccessat2", A_PATH_AT, 0},
    {SYS_unlinkat, "unlinkat", A_PATH_AT, 0},
    {SYS_renameat, "renameat", A_PATH_AT, 0},
    {SYS_renameat2, "renameat2", A_PATH_AT, 0},
    {SYS_mkdirat, "mkdirat", A_PATH_AT, 0},
    {SYS_readlinkat, "readlinkat", A_PATH_AT, 0},
    {SYS_sync, "sync", A_NONE, 0},
    {SYS_futex, "futex", A_FUTEX, 0},
    {SYS_futex_waitv, "futex_waitv", A_FUTEX, 0},
    {SYS_nanosleep, "nanosleep", A_SLEEP, 0},
    {SYS_clock_nanosleep, "clock_nanosleep", A_SLEEP, 0},
    {SYS_pause, "pause", A_SLEEP, 0},
    {SYS_poll, "poll", A_POLL, 0},
    {SYS_ppoll, "ppoll", A_POLL, 0},
    {SYS_select, "select", A_NONE, 0},
    {SYS_pselect6, "pselect6", A_NONE, 0},
    {SYS_epoll_wait, "epoll_wait", A_EPOLL, 1},
    {SYS_epoll_pwait, "epoll_pwait", A_EPOLL, 1},
    {SYS_epoll_pwait2, "epoll_pwait2", A_EPOLL, 1},
    {SYS_wait4, "wait4", A_WAIT, 0},
    {SYS_waitid, "waitid", A_WAIT, 0},
    {SYS_semop, "semop", A_NONE, 1},
    {SYS_semtimedop, "semtimedop", A_NONE, 1},
    {SYS_msgrcv, "msgrcv", A_NONE, 1},
    {SYS_msgsnd, "msgsnd", A_NONE, 1},
    {SYS_rt_sigtimedwait, "rt_sigtimedwait", A_NONE, 1},
    {SYS_rt_sigsuspend, "rt_sigsuspend", A_NONE, 0},
    {SYS_io_getevents, "io_getevents", A_NONE, 1},
    {SYS_mq_timedreceive, "mq_timedreceive", A_NONE, 1},
    {SYS_mq_timedsend, "mq_timedsend", A_NONE, 1},
    {SYS_io_uring_enter, "io_uring_enter", A_NONE, 0},
    {SYS_restart_syscall, "restart_syscall", A_NONE, 0},
};

static const struct sysdesc *find_desc(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysdescs); i++)
		if (sysdescs[i].nr == nr)
			return &sysdescs[i];
	return NULL;
}

const char *syscall_name(long nr)
{
	const struct sysdesc *d = find_desc(nr);

	return d ? d->name : NULL;
}

int syscall_eintr_on_stop(long nr)
{
	const struct sysdesc *d = find_desc(nr);

	return d && d->eintr;
}

/* Socket descriptions by inode. */
struct sock_ent {
	unsigned long ino;
	int state;
	char desc[128];
	struct sock_ent *next;
};

#define SOCK_BUCKETS 256
static struct sock_ent *socks[SOCK_BUCKETS];

void waits_reset(void)
{
	for (int i = 0; i < SOCK_BUCKETS; i++) {
		while (socks[i]) {
			struct sock_ent *e = socks[i];

			socks[i] = e->next;
			free(e);
		}
	}
}

static struct sock_ent *sock_find(unsigned long ino)
{
	for (struct sock_ent *e = socks[ino % SOCK_BUCKETS]; e; e = e->next)
		if (e->ino == ino)
			return e;
	return NULL;
}

static void sock_put(unsigned long ino, int state, const char *desc)
{
	struct sock_ent *e = sock_find(ino);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		e->ino = ino;
		e->next = socks[ino % SOCK_BUCKETS];
		socks[ino % SOCK_BUCKETS] = e;
	}
	e->state = state;
	snprintf(e->desc, sizeof(e->desc), "%s", desc);
}

/* "0100007F:1F90" (or 32 hex digits for IPv6) as "127.0.0.1:8080" / "[::1]:8080"; 0 or -EINVAL. */
static int fmt_addr(const char *hex, int v6, char *out, size_t len)
{
	unsigned int port;
	char ip[INET6_ADDRSTRLEN];
	const char *colon = strchr(hex, ':');

	if (!colon || sscanf(colon + 1, "%x", &port) != 1)
		return -EINVAL;
	if (!v6) {
		struct in_addr a;

		if (sscanf(hex, "%8x", &a.s_addr) != 1)
			return -EINVAL;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, port);
	} else {
		struct in6_addr a;
		uint32_t w[4];

		if (sscanf(hex, "%8x%8x%8x%8x", &w[0], &w[1], &w[2], &w[3]) != 4)
			return -EINVAL;
		memcpy(&a, w, sizeof(a));
		inet_ntop(AF_INET6, &a, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, port);
	}
	return 0;
}

static int zero_addr(const char *hex)
{
	for (; *hex && *hex != ':'; hex++)
		if (*hex != '0')
			return 0;
	return 1;
}

static void load_inet(pid_t pid, const char *table, const char *proto, int v6)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, table);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char local[64], remote[64], desc[128], a[80];
		unsigned int st;
		unsigned long ino;
		int listen;

		if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st,
			   &ino) != 4 ||
		    !ino)
			continue;
		listen = !strcmp(proto, "tcp") && st == 0x0A;
		if (!listen && !zero_addr(remote) && !fmt_addr(remote, v6, a, sizeof(a)))
			snprintf(desc, sizeof(desc), "%s %s", proto, a);
		else if (!fmt_addr(local, v6, a, sizeof(a)))
			snprintf(desc, sizeof(desc), "%s %s%s", proto, listen ? "listen " : "", a);
		else
			snprintf(desc, sizeof(desc), "%s", proto);
		sock_put(ino, TS_IO_NET, desc);
	}
	fclose(f);
}

struct unix_sock {
	unsigned long ino, peer;
	char name[108];
};

struct unix_list {
	struct unix_sock *v;
	size_t n, cap;
};

static void collect_unix(void *ctx, unsigned long ino, unsigned long peer, const char *name)
{
	struct unix_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct unix_sock *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n].ino = ino;
	l->v[l->n].peer = peer;
	snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", name);
	l->n++;
}

/*
 * The client end of a unix connection has no name of its own: name it by
 * its peer's, the path the server listens on ("unix /run/app.sock").
 */
static void load_unix_peers(void)
{
	struct unix_list l = {0};

	if (unixdiag_dump(collect_unix, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].name[0] || !l.v[i].peer)
				continue;
			for (size_t k = 0; k < l.n; k++) {
				char desc[128];

				if (l.v[k].ino != l.v[i].peer || !l.v[k].name[0])
					continue;
				snprintf(desc, sizeof(desc), "unix %s", l.v[k].name);
				sock_put(l.v[i].ino, TS_IO_NET, desc);
				break;
			}
		}
	}
	free(l.v);
}

static void load_unix(pid_t pid)
{
	char path[64], line[4352];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/unix", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long ino;
		int off = 0;
		char desc[128], *name, *nl;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &ino, &off) < 1 || !ino)
			continue;
		name = line + off;
		nl = strchr(name, '\n');
		if (nl)
			*nl = 0;
		snprintf(desc, sizeof(desc), "unix%s%s", *name ? " " : "", name);
		sock_put(ino, TS_IO_NET, desc);
	}
	fclose(f);
	load_unix_peers();
}

static void describe_socket(pid_t pid, unsigned long ino, struct wait_info *out)
{
	struct sock_ent *e = sock_find(ino);

	if (!e) {
		load_inet(pid, "tcp", "tcp", 0);
		load_inet(pid, "tcp6", "tcp", 1);
		load_inet(pid, "udp", "udp", 0);
		load_inet(pid, "udp6", "udp", 1);
		load_unix(pid);
		e = sock_find(ino);
	}
	out->state = TS_IO_NET;
	snprintf(out->target, sizeof(out->target), "%s", e ? e->desc : "socket");
}

/* Describes an fd; returns 0, or -errno if it could not be resolved (closed, gone). */
static int describe_fd(pid_t pid, long fd, struct wait_info *out)
{
	char path[64], link[200];
	unsigned long ino;
	ssize_t n;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	if (sscanf(link, "socket:[%lu]", &ino) == 1) {
		describe_socket(pid, ino, out);
	} else if (!strncmp(link, "pipe:", 5)) {
		out->state = TS_OTHER;
		snprintf(out->target, sizeof(out->target), "pipe");
	} else if (link[0] == '/') {
		if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
		    (!strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8))) {
			out->state = TS_OTHER;
			snprintf(out->target, sizeof(out->target), "tty %s", link);
		} else {
			out->state = TS_IO_FILE;
			snprintf(out->target, sizeof(out->target), "%s", link);
		}
	} else {
		out->state = TS_OTHER;
		snprintf(out->target, sizeof(out->target), "%s", link);
	}
	return 0;
}

static void read_path(pid_t pid, uint64_t addr, char *out, size_t len)
{
	struct iovec l = {out, len - 1}, r = {(void *)(uintptr_t)addr, len - 1};
	ssize_t n;

	/* A path may end just before an unmapped page: retry with what fits. */
	n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n < 0) {
		r.iov_len = l.iov_len = 4096 - (addr & 4095);
		if (r.iov_len > len - 1)
			r.iov_len = l.iov_len = len - 1;
		n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	}
	if (n < 0)
		n = 0;
	out[n] = 0;
}

/* poll(2): the first socket among the polled fds names the wait. */
static void describe_poll(pid_t pid, const struct user_regs_struct *r, struct wait_info *out)
{
	struct pollfd fds[16];
	size_t nfds = MIN(r->rsi, ARRAY_SIZE(fds));
	struct iovec l = {fds, nfds * sizeof(fds[0])}, rv = {(void *)(uintptr_t)r->rdi, l.iov_len};

	if (!nfds || process_vm_readv(pid, &l, 1, &rv, 1, 0) != (ssize_t)l.iov_len)
		return;
	for (size_t i = 0; i < nfds; i++) {
		struct wait_info w = {0};

		if (fds[i].fd >= 0 && !describe_fd(pid, fds[i].fd, &w) && w.state == TS_IO_NET) {
			*out = w;
			return;
		}
	}
}

/* epoll: the watched fds are listed in /proc/PID/fdinfo/EPFD ("tfd: N ..."). */
static void describe_epoll(pid_t pid, long epfd, struct wait_info *out)
{
	char path[64], line[256];
	FILE *f;
	int tfd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%ld", (int)pid, epfd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct wait_info w = {0};

		if (sscanf(line, "tfd: %d", &tfd) == 1 && !describe_fd(pid, tfd, &w) &&
		    w.state == TS_IO_NET) {
			*out = w;
			break;
		}
	}
	fclose(f);
}

void waits_classify(pid_t pid, const struct user_regs_struct *r, int in_syscall,
		    struct wait_info *out)
{
	long nr = (long)r->orig_rax;
	const struct sysdesc *d;
	int blocked;

	out->state = TS_CPU;
	out->target[0] = 0;
	if (!in_syscall)
		return;
	d = find_desc(nr);
	/* -ERESTARTSYS .. -ERESTART_RESTARTBLOCK, or -EINTR: it was waiting */
	blocked = (long)r->rax == -EINTR || ((long)r->rax <= -512 && (long)r->rax >= -516);
	if (!d) {
		/* Some other call: kernel work on the thread's behalf, unless it waited. */
		if (blocked) {
			out->state = TS_OTHER;
			snprintf(out->target, sizeof(out->target), "syscall %ld", nr);
		}
		return;
	}
	switch (d->kind) {
	case A_FD:
		if (describe_fd(pid, (long)r->rdi, out) < 0) {
			out->state = TS_OTHER;
			snprintf(out->target, sizeof(out->target), "%s", d->name);
		}
		if (nr == SYS_sendfile || nr == SYS_splice || nr == SYS_copy_file_range) {
			/* the socket end, if any, is the interesting one */
			struct wait_info w = {0};

			if (!describe_fd(pid, (long)r->rsi, &w) && w.state == TS_IO_NET)
				*out = w;
		}
		break;
	case A_PATH:
	case A_PATH_AT:
		out->state = TS_IO_FILE;
		read_path(pid, d->kind == A_PATH ? r->rdi : r->rsi, out->target,
			  sizeof(out->target));
		break;
	case A_FUTEX:
		out->state = TS_LOCK;
		snprintf(out->target, sizeof(out->target), "futex");
		break;
	case A_SLEEP:
		out->state = TS_SLEEP;
		snprintf(out->target, sizeof(out->target), "%s", d->name);
		break;
	case A_POLL:
	case A_EPOLL:
		out->state = TS_OTHER;
		snprintf(out->target, sizeof(out->target), "%s", d->name);
		if (d->kind == A_POLL)
			describe_poll(pid, r, out);
		else
			describe_epoll(pid, (long)r->rdi, out);
		break;
	case A_WAIT:
		out->state = TS_OTHER;
		snprintf(out->target, sizeof(out->target), "wait for child");
		break;
	default:
		out->state = blocked || nr == SYS_sync ? TS_OTHER : TS_CPU;
		if (out->state != TS_CPU)
			snprintf(out->target, sizeof(out->target), "%s", d->name);
		break;
	}
}
