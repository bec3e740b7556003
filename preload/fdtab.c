/*
 * Descriptors and what they are: the fd table, the file and peer tables,
 * listening sockets, and the working directory used to make paths absolute.
 *
 * A descriptor is classified when the shim sees it created (open, socket,
 * pipe, accept, dup); one it did not see (inherited, or made inside libc) is
 * classified on first use with fstat and friends.  Classification costs one
 * or two system calls, once per descriptor.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "jsonw.h"

static char cwd[4096];

static void note_fd(int fd)
{
	uint32_t cur = __atomic_load_n(&shim_shm->max_fd_seen, __ATOMIC_RELAXED);

	while ((uint32_t)fd > cur &&
	       !__atomic_compare_exchange_n(&shim_shm->max_fd_seen, &cur, (uint32_t)fd, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

struct shm_fd *shim_fd(int fd)
{
	if (fd < 0 || fd >= SHM_MAX_FDS) {
		if (fd >= SHM_MAX_FDS)
			__atomic_fetch_add(&shim_shm->fds_untracked, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return &shm_fds(shim_shm)[fd];
}

int shim_kind_of(const struct shm_fd *f)
{
	return f && f->kind ? f->kind - 1 : IO_OTHER;
}

/* Lexically normalises an absolute path in place: //, /./ and /../. */
static void normalise(char *p)
{
	char *src = p, *dst = p;

	while (*src) {
		if (src[0] == '/' && src[1] == '/') {
			src++;
			continue;
		}
		if (src[0] == '/' && src[1] == '.' && (src[2] == '/' || !src[2])) {
			src += 2;
			continue;
		}
		if (src[0] == '/' && src[1] == '.' && src[2] == '.' && (src[3] == '/' || !src[3])) {
			src += 3;
			while (dst > p && *--dst != '/')
				;
			continue;
		}
		*dst++ = *src++;
	}
	if (dst == p)
		*dst++ = '/';
	*dst = 0;
}

static void fd_link(int fd, char *out, size_t cap)
{
	char proc[40] = "/proc/self/fd/";
	long r;

	jsonw_fmt_u64(proc + 14, (uint64_t)fd);
	r = syscall(SYS_readlinkat, AT_FDCWD, proc, out, cap - 1);
	out[r > 0 ? r : 0] = 0;
}

static void make_abs(int dirfd, const char *path, char *out, size_t cap)
{
	size_t n = 0;

	if (path[0] == '/') {
		shim_strlcpy(out, path, cap);
	} else {
		if (dirfd == AT_FDCWD) {
			if (!cwd[0] && syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0)
				cwd[0] = 0;
			n = shim_strlcpy(out, cwd, cap);
		} else {
			struct shm_fd *d = shim_fd(dirfd);

			if (d && d->file && shm_files(shim_shm)[d->file - 1].path[0] == '/') {
				n = shim_strlcpy(out, shm_files(shim_shm)[d->file - 1].path, cap);
			} else {
				fd_link(dirfd, out, cap);
				n = strlen(out);
			}
		}
		if (out[0] != '/') {
			/*
			 * The directory has no name the kernel will give (longer
			 * than PATH_MAX): keep the name relative, marked as cut
			 * short, as shim_file_index() marks the tails it keeps.
			 */
			n = shim_strlcpy(out, ".../", cap);
			shim_strlcpy(out + n, path, cap - n);
			return;
		}
		if (n + 1 < cap)
			out[n++] = '/';
		shim_strlcpy(out + n, path, cap - n);
	}
	normalise(out);
}

void shim_cwd_changed(void)
{
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0)
		cwd[0] = 0;
}

/*
 * Waits for an entry another thread is writing (used 1) to be ready (2).
 * Not forever: its writer may never finish (a signal handler that
 * interrupted it left with longjmp), and then the entry is skipped.
 */
static uint32_t wait_written(uint32_t *used, uint32_t v)
{
	for (uint32_t spin = 0; v == 1 && spin < (1u << 20); spin++) {
		__builtin_ia32_pause();
		v = __atomic_load_n(used, __ATOMIC_ACQUIRE);
	}
	return v;
}

uint32_t shim_file_index(const char *abspath)
{
	struct shm_file *t = shm_files(shim_shm);
	char key[SHM_PATH_LEN];
	size_t len = strlen(abspath);
	uint32_t h, i;

	/* Keep the tail of a path too long for the table: it names the file. */
	if (len >= SHM_PATH_LEN) {
		memcpy(key, "...", 3);
		shim_strlcpy(key + 3, abspath + len - (SHM_PATH_LEN - 4), SHM_PATH_LEN - 3);
	} else {
		shim_strlcpy(key, abspath, sizeof(key));
	}
	h = shim_hash(key);
	for (uint32_t probe = 0; probe < SHM_MAX_FILES; probe++) {
		uint32_t used, z = 0;

		i = (h + probe) & (SHM_MAX_FILES - 1);
		used = __atomic_load_n(&t[i].used, __ATOMIC_ACQUIRE);
		if (used == 0) {
			if (!__atomic_compare_exchange_n(&t[i].used, &z, 1, 0, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE)) {
				probe--;
				continue;
			}
			t[i].hash = h;
			shim_strlcpy(t[i].path, key, sizeof(t[i].path));
			__atomic_store_n(&t[i].used, 2, __ATOMIC_RELEASE);
			shm_order_add(&shim_shm->nfiles, shm_order(shim_shm)->files, SHM_MAX_FILES, i);
			return i + 1;
		}
		used = wait_written(&t[i].used, used);
		if (used == 2 && t[i].hash == h && !strcmp(t[i].path, key))
			return i + 1;
	}
	__atomic_fetch_add(&shim_shm->files_dropped, 1, __ATOMIC_RELAXED);
	return 0;
}

struct shm_peer *shim_peer(uint32_t idx)
{
	return idx ? &shm_peers(shim_shm)[idx - 1] : NULL;
}

uint32_t shim_peer_index(const char *addr, int transport, int role, int pclass)
{
	struct shm_peer *t = shm_peers(shim_shm);
	uint32_t h = shim_hash(addr) ^ (uint32_t)(role * 0x9e3779b9u) ^ (uint32_t)transport, i;

	for (uint32_t probe = 0; probe < SHM_MAX_PEERS; probe++) {
		uint32_t used, z = 0;

		i = (h + probe) & (SHM_MAX_PEERS - 1);
		used = __atomic_load_n(&t[i].used, __ATOMIC_ACQUIRE);
		if (used == 0) {
			if (!__atomic_compare_exchange_n(&t[i].used, &z, 1, 0, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE)) {
				probe--;
				continue;
			}
			t[i].hash = h;
			t[i].transport = (uint8_t)transport;
			t[i].role = (uint8_t)role;
			t[i].pclass = (uint8_t)pclass;
			shim_strlcpy(t[i].addr, addr, sizeof(t[i].addr));
			__atomic_store_n(&t[i].used, 2, __ATOMIC_RELEASE);
			shm_order_add(&shim_shm->npeers, shm_order(shim_shm)->peers, SHM_MAX_PEERS, i);
			return i + 1;
		}
		used = wait_written(&t[i].used, used);
		if (used == 2 && t[i].hash == h && t[i].role == role &&
		    t[i].transport == transport && !strcmp(t[i].addr, addr))
			return i + 1;
	}
	__atomic_fetch_add(&shim_shm->peers_dropped, 1, __ATOMIC_RELAXED);
	return 0;
}

static int port_class(unsigned port)
{
	switch (port) {
	case 80:
	case 443:
	case 8000:
	case 8008:
	case 8080:
	case 8443:
		return PC_HTTP;
	case 5432:
		return PC_POSTGRES;
	case 3306:
		return PC_MYSQL;
	case 6379:
		return PC_REDIS;
	case 11211:
		return PC_MEMCACHED;
	case 27017:
		return PC_MONGODB;
	case 53:
		return PC_DNS;
	}
	return PC_UNKNOWN;
}

static int path_class(const char *p)
{
	if (strstr(p, ".s.PGSQL."))
		return PC_POSTGRES;
	if (strstr(p, "mysql"))
		return PC_MYSQL;
	if (strstr(p, "redis"))
		return PC_REDIS;
	if (strstr(p, "memcache"))
		return PC_MEMCACHED;
	if (strstr(p, "mongodb"))
		return PC_MONGODB;
	return PC_UNKNOWN;
}

int shim_format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap,
		     int *transport, int *pclass)
{
	char ip[INET6_ADDRSTRLEN], num[8];
	size_t n;

	*pclass = PC_UNKNOWN;
	out[0] = 0;
	if (!sa || len < sizeof(sa_family_t))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)sa;

		if (len < sizeof(*in) || !inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
			return -EINVAL;
		n = shim_strlcpy(out, ip, cap);
		n += shim_strlcpy(out + n, ":", cap - n);
		jsonw_fmt_u64(num, ntohs(in->sin_port));
		shim_strlcpy(out + n, num, cap - n);
		*pclass = port_class(ntohs(in->sin_port));
		return 0;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (len < sizeof(*in6) || !inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
			return -EINVAL;
		n = shim_strlcpy(out, "[", cap);
		n += shim_strlcpy(out + n, ip, cap - n);
		n += shim_strlcpy(out + n, "]:", cap - n);
		jsonw_fmt_u64(num, ntohs(in6->sin6_port));
		shim_strlcpy(out + n, num, cap - n);
		*pclass = port_class(ntohs(in6->sin6_port));
		return 0;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = (const void *)sa;
		size_t plen = len > offsetof(struct sockaddr_un, sun_path)
				      ? len - offsetof(struct sockaddr_un, sun_path)
				      : 0;

		if (transport)
			*transport = TR_UNIX;
		n = shim_strlcpy(out, "unix:", cap);
		if (plen == 0) {
			shim_strlcpy(out + n, "unnamed", cap - n);
		} else if (un->sun_path[0] == 0) {
			/* abstract: bytes up to len, shown after '@' */
			size_t k;

			if (n + 1 < cap)
				out[n++] = '@';
			for (k = 1; k < plen && n + 1 < cap; k++)
				out[n++] = un->sun_path[k] >= 0x20 ? un->sun_path[k] : '?';
			out[n] = 0;
		} else {
			size_t k;

			for (k = 0; k < plen && un->sun_path[k] && n + 1 < cap; k++)
				out[n++] = un->sun_path[k];
			out[n] = 0;
			*pclass = path_class(out);
		}
		return 0;
	}
	}
	return -EAFNOSUPPORT;
}

static int sock_transport(int fd, int *domain)
{
	int type = 0, dom = 0;
	socklen_t l = sizeof(type);

	syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l);
	l = sizeof(dom);
	syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
	if (domain)
		*domain = dom;
	if (dom == AF_UNIX)
		return TR_UNIX;
	if (dom == AF_INET || dom == AF_INET6)
		return type == SOCK_DGRAM ? TR_UDP : type == SOCK_STREAM ? TR_TCP : TR_NONE;
	return TR_NONE;
}

/* A socket the shim did not see connected: find its peer, if it has one. */
static void classify_socket(int fd, struct shm_fd *e)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	char addr[SHM_ADDR_LEN];
	int pclass, tr, listening = 0;
	socklen_t ll = sizeof(listening);

	e->transport = (uint8_t)(tr = sock_transport(fd, NULL));
	syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll);
	if (listening) {
		e->state = FDS_LISTEN;
		return;
	}
	if (syscall(SYS_getpeername, fd, &ss, &l) == 0 &&
	    shim_format_addr((struct sockaddr *)&ss, l, addr, sizeof(addr), NULL, &pclass) == 0 &&
	    tr != TR_NONE) {
		e->role = ROLE_CLIENT;
		e->peer = (uint16_t)shim_peer_index(addr, tr, ROLE_CLIENT, pclass);
	}
}

/*
 * What fd is, from fstat and friends; returns 0 or -errno (errno changed).
 * A file is entered in the file table under the kernel's name for it only
 * if `name` is set: a caller that knows the name the program used gives
 * the file that one instead.
 */
static int classify_fd(int fd, struct shm_fd *e, int name)
{
	struct stat st;

	if (syscall(SYS_fstat, fd, &st) < 0)
		return -errno;
	memset(e, 0, sizeof(*e));
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		char path[4096];

		if (name) {
			fd_link(fd, path, sizeof(path));
			e->file = path[0] == '/' ? (uint16_t)shim_file_index(path) : 0;
		}
		e->kind = IO_FILE + 1;
	} else if (S_ISSOCK(st.st_mode)) {
		classify_socket(fd, e);
		e->kind = IO_SOCKET + 1;
	} else if (S_ISFIFO(st.st_mode)) {
		e->kind = IO_PIPE + 1;
	} else if (S_ISCHR(st.st_mode)) {
		struct termios t;

		e->kind = syscall(SYS_ioctl, fd, TCGETS, &t) == 0 ? IO_TTY + 1 : IO_OTHER + 1;
	} else {
		e->kind = IO_OTHER + 1;
	}
	return 0;
}

/* As classify_fd(), with errno kept: the hooks call it after the real call. */
static int classify(int fd, struct shm_fd *e, int name)
{
	int saved = errno, ret = classify_fd(fd, e, name);

	errno = saved;
	return ret;
}

struct shm_fd *shim_fd_classified(int fd)
{
	struct shm_fd *e = shim_fd(fd);

	if (e && unlikely(!e->kind)) {
		note_fd(fd);
		if (classify(fd, e, 1) < 0)
			return NULL;
	}
	return e;
}

/* 1 if path has a ".." component, which only the kernel can resolve (symlinks). */
static int has_dotdot(const char *p)
{
	while (*p) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return 1;
		while (*p && *p != '/')
			p++;
		while (*p == '/')
			p++;
	}
	return 0;
}

static void count_open(struct shm_fd *e)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->io[shim_kind_of(e)].opens, 1);
	if (e->kind == IO_FILE + 1 && e->file)
		atomic_add(&shm_files(shim_shm)[e->file - 1].opens, 1);
}

void shim_fd_opened_file(int fd, int dirfd, const char *path)
{
	struct shm_fd *e = shim_fd(fd);
	char abs[4096];

	if (!e)
		return;
	note_fd(fd);
	if (classify(fd, e, !path) < 0)
		return;
	if (e->kind == IO_FILE + 1 && path) {
		/*
		 * The name the program used, made absolute; but dir/link/..
		 * is not dir when link is a symlink: then the kernel's name.
		 */
		if (has_dotdot(path)) {
			fd_link(fd, abs, sizeof(abs));
			if (abs[0] != '/')
				make_abs(dirfd, path, abs, sizeof(abs));
		} else {
			make_abs(dirfd, path, abs, sizeof(abs));
		}
		e->file = (uint16_t)shim_file_index(abs);
	}
	count_open(e);
}

void shim_fd_opened(int fd, int kind)
{
	struct shm_fd *e = shim_fd(fd);

	if (!e)
		return;
	note_fd(fd);
	memset(e, 0, sizeof(*e));
	if (kind < 0) {
		if (classify(fd, e, 1) < 0)
			return;
	} else {
		e->kind = (uint8_t)(kind + 1);
	}
	count_open(e);
}

void shim_fd_socket(int fd, int domain, int type)
{
	struct shm_fd *e = shim_fd(fd);

	if (!e)
		return;
	note_fd(fd);
	memset(e, 0, sizeof(*e));
	e->kind = IO_SOCKET + 1;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain == AF_UNIX)
		e->transport = TR_UNIX;
	else if (domain == AF_INET || domain == AF_INET6)
		e->transport = type == SOCK_DGRAM ? TR_UDP : type == SOCK_STREAM ? TR_TCP : TR_NONE;
	count_open(e);
}

void shim_fd_closed(int fd)
{
	struct shm_fd *e = shim_fd(fd);

	if (e)
		memset(e, 0, sizeof(*e));
}

void shim_fd_dup(int oldfd, int newfd)
{
	struct shm_fd *o = shim_fd_classified(oldfd), *n = shim_fd(newfd);

	if (!n)
		return;
	note_fd(newfd);
	if (o)
		*n = *o;
	else
		memset(n, 0, sizeof(*n));
}

void shim_fd_close_range(unsigned first, unsigned last)
{
	uint32_t max = shim_shm->max_fd_seen;

	if (last > max)
		last = max;
	for (unsigned fd = first; fd <= last && fd < SHM_MAX_FDS; fd++)
		memset(&shm_fds(shim_shm)[fd], 0, sizeof(struct shm_fd));
}

void shim_listen_add(int fd)
{
	struct shm_listen *t = shm_listens(shim_shm);
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	char addr[SHM_ADDR_LEN];
	int pclass, tr = TR_NONE;
	struct shm_fd *e = shim_fd_classified(fd);

	if (e)
		e->state |= FDS_LISTEN;
	if (syscall(SYS_getsockname, fd, &ss, &l) < 0 ||
	    shim_format_addr((struct sockaddr *)&ss, l, addr, sizeof(addr), &tr, &pclass) < 0)
		return;
	tr = e && e->transport ? e->transport : sock_transport(fd, NULL);
	for (int i = 0; i < SHM_MAX_LISTENS; i++) {
		uint32_t z = 0;

		if (__atomic_load_n(&t[i].used, __ATOMIC_ACQUIRE) == 2 && !strcmp(t[i].addr, addr))
			return;
		if (__atomic_compare_exchange_n(&t[i].used, &z, 1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			shim_strlcpy(t[i].addr, addr, sizeof(t[i].addr));
			t[i].transport = (uint8_t)tr;
			t[i].pclass = (uint8_t)pclass;
			__atomic_store_n(&t[i].used, 2, __ATOMIC_RELEASE);
			return;
		}
	}
}
