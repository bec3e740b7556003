/*
 * Corner cases for the shim tests: each mode does one thing that a shim can
 * easily get wrong, with a known outcome.
 *
 *   shim_edge ftab FILE N M      N x (fopen FILE, fputs 1 byte, fclose), then one fopen
 *                                of FILE and M putc_unlocked (inlined), fclose
 *   shim_edge keydtor N dtor|free  N threads one after another, each malloc(1000) that a
 *                                pthread key destructor frees (dtor) or the thread itself
 *   shim_edge threads N alloc|none  N threads alive at once, each malloc(16) + free (alloc)
 *                                or nothing (none)
 *   shim_edge reallocarray N     N reallocarray() calls on a live block that overflow
 *                                (ENOMEM, the block stays), then free
 *   shim_edge vforkkill          a vfork child sends itself SIGTERM, then _exit(0);
 *                                prints how the child ended
 *   shim_edge vforksig           a vfork child sets SIGPIPE to SIG_IGN and _exits; the
 *                                parent prints its own SIGPIPE disposition
 *   shim_edge execenv PROG ARGS  execve PROG with an environment without LD_PRELOAD
 *   shim_edge chdirexec DIR PROG ARGS  chdir(DIR), then execv PROG (same environment)
 *   shim_edge deepcwd DIR        chdir()s 25 directories of 200-byte names deep under DIR
 *                                (a working directory longer than PATH_MAX), writes 5 bytes
 *                                to leaf.txt there
 *   shim_edge daemon             daemon(1, 1); the daemon writes 3 bytes to /dev/null
 *   shim_edge forkpty            forkpty(); the child writes 3 bytes to /dev/null, _exits
 *   shim_edge sendmmsg           one sendmmsg of 2 datagrams (5 + 7 bytes) to 127.0.0.1:PORT,
 *                                one recvmmsg of both; prints "port PORT"
 *   shim_edge http3              a client and a server in one process on 127.0.0.1: the
 *                                client writes 3 HTTP requests in 3 writes, the server
 *                                reads them one by one and answers all 3 in one write;
 *                                prints "port PORT"
 *   shim_edge reconnect          a non-blocking connect to a listening socket of its own,
 *                                poll, then connect() again to learn it completed (0), and
 *                                once more (EISCONN); prints "port PORT"
 *   shim_edge accept             accepts a connection from itself on 127.0.0.1, exits 0
 *   shim_edge peek               a client sends 10 bytes; the server peeks at them
 *                                (MSG_PEEK), then receives them; prints "port PORT"
 *   shim_edge wildcard           a server listening on 0.0.0.0 accepts one connection
 *                                to 127.0.0.1 from itself; prints "port PORT"
 *   shim_edge peak N             N threads started one after another, all alive at the end:
 *                                thread k (1..N) holds a block of 30000/(k+1) - 16 bytes;
 *                                prints "held B", the usable bytes of those blocks
 *   shim_edge exit N|_exit N     exit(N) or _exit(N), N as given (-1, 259...)
 *   shim_edge fflushall FILE     fputs 100 bytes to FILE, fflush(NULL), 150 putc_unlocked
 *                                (inlined), fclose
 *   shim_edge freopen A B        50 putc_unlocked (inlined) to A, freopen B on the same FILE,
 *                                70 putc_unlocked, fclose
 *   shim_edge fsizelimit         lowers its own file size limit to 1000 bytes, exits 0
 *   shim_edge fsizeexec PROG     lowers its own file size limit to 1 MiB, execs PROG
 *   shim_edge ungetc FILE        pushes back a character of its own onto FILE (5 bytes), never
 *                                reads it, then reads the file: getc, ungetc of that byte,
 *                                then fread of the rest
 *   shim_edge mtstdio FILE       4 threads write to one FILE at once, 20000 x (fprintf, fputs,
 *                                fputc) each
 *   shim_edge fgetsnul FILE      writes 11 bytes, two lines with a NUL byte in each, to
 *                                FILE, and reads them back with fgets()
 *   shim_edge sigset             sigset(SIGTERM, handler) and sigignore(SIGUSR1), printing
 *                                what they returned and what sigaction() reads back
 *   shim_edge longjmp N          opens and closes /dev/null in a loop that a 50 us timer's
 *                                SIGALRM handler leaves with siglongjmp(), N times; then
 *                                writes 1 byte to /dev/null 100 times
 *   shim_edge efault             I/O calls given bad pointers (iovec, msghdr, mmsghdr,
 *                                sockaddr) that fail with EFAULT; prints their results
 *   shim_edge execfailkill       an execve() without the shim in its environment that fails,
 *                                then 7 bytes to /dev/null, then SIGKILL
 *   shim_edge exitsignal DIR     opens 3000 files under /usr/share (a long report), then
 *                                exits while a second thread waits for the report's temporary
 *                                file to appear in $PERFSHIM_OUT, creates DIR/signalled and
 *                                sends itself SIGTERM
 *   shim_edge allocs             5000 allocations of 1000 bytes, freed; exits 0
 *   shim_edge execbadenv         execve("/bin/true") with a bad environment pointer, execve()
 *                                and execv() of a bad path pointer, fexecve() with bad argv
 *                                (all EFAULT)
 *   shim_edge cleanup            a SIGTERM handler that prints "cleanup", restores SIG_DFL and
 *                                raises SIGTERM again (as GNU sort does); raises SIGTERM
 *   shim_edge sigkill            writes 7 bytes to /dev/null, then SIGKILLs itself
 *   shim_edge holding N hold|none  N threads, all alive at the exit: each mallocs and frees
 *                                16 bytes, then holds a block of 1000 (hold) or nothing
 *   shim_edge norename           makes renameat2() fail with EINVAL (a seccomp filter), as it
 *                                does on NFS, CIFS or 9p, then exits 0
 *   shim_edge symlink DIR        with the symlink DIR/link -> real/sub, writes 4 bytes to
 *                                DIR/link/f1 and 2 bytes to DIR/link/../f2 (DIR/real/f2)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(100);
}

static void ftab_mode(const char *path, int n, int m)
{
	FILE *f;

	for (int i = 0; i < n; i++) {
		if (!(f = fopen(path, "w")))
			die("fopen");
		fputs("x", f);
		fclose(f);
	}
	if (!(f = fopen(path, "w")))
		die("fopen");
	for (int i = 0; i < m; i++)
		putc_unlocked('a', f);
	fclose(f);
}

static pthread_key_t key;
static int keep_in_key;

static void *key_thread(void *arg)
{
	void *p = malloc(1000);

	(void)arg;
	if (keep_in_key)
		pthread_setspecific(key, p);
	else
		free(p);
	return NULL;
}

static void keydtor_mode(int n, const char *how)
{
	keep_in_key = !strcmp(how, "dtor");
	if (pthread_key_create(&key, free))
		die("pthread_key_create");
	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, key_thread, NULL) || pthread_join(t, NULL))
			die("pthread_create");
	}
}

static pthread_barrier_t barrier;
static int thread_allocs;

static void *alloc_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	if (thread_allocs)
		free(malloc(16));
	pthread_barrier_wait(&barrier);
	return NULL;
}

static void threads_mode(int n, const char *what)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t attr;

	thread_allocs = !strcmp(what, "alloc");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &attr, alloc_thread, NULL))
			die("pthread_create");
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

static void reallocarray_mode(int n)
{
	char *p = malloc(100);
	volatile size_t big = (size_t)1 << 32;

	for (int i = 0; i < n; i++) {
		errno = 0;
		if (reallocarray(p, big, big) || errno != ENOMEM)
			die("reallocarray");
	}
	free(p);
}

static void on_signal(int sig)
{
	(void)sig;
}

static const char *disposition(void (*h)(int))
{
	return h == SIG_DFL ? "default" : h == SIG_IGN ? "ignored" : h == on_signal ? "ours" : "other";
}

/* Deprecated, but old programs still call them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void sigset_mode(void)
{
	struct sigaction sa;
	void (*prev)(int) = sigset(SIGTERM, on_signal);

	if (sigaction(SIGTERM, NULL, &sa))
		die("sigaction");
	printf("SIGTERM was %s, is %s\n", disposition(prev), disposition(sa.sa_handler));
	if (sigignore(SIGUSR1) || sigaction(SIGUSR1, NULL, &sa))
		die("sigignore");
	printf("SIGUSR1 is %s\n", disposition(sa.sa_handler));
}
#pragma GCC diagnostic pop

static sigjmp_buf jump_env;
static volatile int jumps;

static void jump_handler(int sig)
{
	(void)sig;
	jumps++;
	siglongjmp(jump_env, 1);
}

static void longjmp_mode(int n)
{
	struct itimerval on = {{0, 50}, {0, 50}}, off = {{0, 0}, {0, 0}};
	struct sigaction sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = jump_handler;
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &on, NULL))
		die("setitimer");
	sigsetjmp(jump_env, 1);
	while (jumps < n)
		close(open("/dev/null", O_WRONLY));
	setitimer(ITIMER_REAL, &off, NULL);
	fd = open("/dev/null", O_WRONLY);
	for (int i = 0; i < 100; i++)
		write(fd, "x", 1);
}

/* Pointers the kernel rejects with EFAULT: the program gets an error, not a crash. */
static void efault_mode(void)
{
	static volatile uintptr_t bad = 8; /* opaque to the compiler's checks */
	struct iovec *bad_iov = (struct iovec *)bad;
	struct sockaddr_un un = {AF_UNIX, "x"};
	struct msghdr m;
	int fd = open("/dev/null", O_WRONLY), sv[2], s = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || s < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("setup");
	memset(&m, 0, sizeof(m));
	m.msg_name = &un;
	m.msg_namelen = sizeof(un);
	m.msg_iov = bad_iov;
	m.msg_iovlen = 1;
#define TRY(call)                                                                                  \
	do {                                                                                       \
		long r_;                                                                           \
		errno = 0;                                                                         \
		r_ = (long)(call);                                                                 \
		printf("%s = %ld errno %d\n", #call, r_, errno);                                   \
	} while (0)
	TRY(writev(fd, bad_iov, 1));
	TRY(readv(sv[0], bad_iov, 1));
	TRY(sendmsg(sv[0], &m, 0));
	TRY(recvmsg(sv[0], (struct msghdr *)bad, MSG_DONTWAIT));
	TRY(sendmmsg(sv[0], (struct mmsghdr *)bad, 1, 0));
	TRY(recvmmsg(sv[0], (struct mmsghdr *)bad, 1, MSG_DONTWAIT, NULL));
	TRY(sendto(sv[0], "x", 1, 0, (struct sockaddr *)bad, sizeof(un)));
	TRY(connect(s, (struct sockaddr *)bad, sizeof(struct sockaddr_in)));
#undef TRY
}

static char report_tmp[4096], signalled[4096];
static volatile int watching;

static void *signal_during_report(void *arg)
{
	(void)arg;
	watching = 1;
	while (access(report_tmp, F_OK))
		;
	close(open(signalled, O_WRONLY | O_CREAT, 0600));
	raise(SIGTERM);
	return NULL;
}

static int files_opened;

static int open_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F)
		close(open(path, O_RDONLY | O_NONBLOCK));
	return ++files_opened >= 3000;
}

static void exitsignal_mode(const char *dir)
{
	const char *out = getenv("PERFSHIM_OUT");
	pthread_t t;

	snprintf(report_tmp, sizeof(report_tmp), "%s/.perfshim.%d.0.json.tmp", out ? out : ".",
		 (int)getpid());
	snprintf(signalled, sizeof(signalled), "%s/signalled", dir);
	nftw("/usr/share", open_one, 16, FTW_PHYS);
	if (pthread_create(&t, NULL, signal_during_report, NULL))
		die("pthread_create");
	while (!watching)
		;
	exit(0);
}

static FILE *shared_file;

static void *stdio_thread(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		fprintf(shared_file, "thread %ld line %d\n", (long)arg, i);
		fputs("x", shared_file);
		fputc('\n', shared_file);
	}
	return NULL;
}

static void mtstdio_mode(const char *path)
{
	pthread_t t[4];

	if (!(shared_file = fopen(path, "w")))
		die("fopen");
	for (long i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, stdio_thread, (void *)i))
			die("pthread_create");
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	fclose(shared_file);
}

static void cleanup_handler(int sig)
{
	write(1, "cleanup\n", 8);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void print_status(const char *who, int st)
{
	if (WIFEXITED(st))
		printf("%s exit %d\n", who, WEXITSTATUS(st));
	else
		printf("%s signal %d\n", who, WTERMSIG(st));
}

static void vforkkill_mode(void)
{
	pid_t p = vfork();
	int st;

	if (p == 0) {
		kill(getpid(), SIGTERM);
		_exit(0);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		die("vfork");
	print_status("child", st);
}

static void vforksig_mode(void)
{
	struct sigaction sa;
	pid_t p = vfork();
	int st;

	if (p == 0) {
		signal(SIGPIPE, SIG_IGN);
		_exit(0);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		die("vfork");
	if (sigaction(SIGPIPE, NULL, &sa))
		die("sigaction");
	printf("SIGPIPE %s flags %#x\n",
	       sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handled",
	       (unsigned)sa.sa_flags);
}

static void execenv_mode(char **argv)
{
	char *env[] = {"PATH=/usr/bin:/bin", NULL};

	execve(argv[0], argv, env);
	die("execve");
}

static void forkpty_mode(void)
{
	int master, st;
	pid_t p = forkpty(&master, NULL, NULL, NULL);

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		write(fd, "abc", 3);
		_exit(0);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		die("forkpty");
	print_status("child", st);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l))
		die("getsockname");
	return ntohs(a.sin_port);
}

static void sendmmsg_mode(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(0);
	char b1[] = "hello", b2[] = "worlds!", rb[2][64];
	struct iovec v[2] = {{b1, 5}, {b2, 7}}, rv[2] = {{rb[0], 64}, {rb[1], 64}};
	struct mmsghdr mm[2], rm[2];

	if (bind(r, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	a = loopback(bound_port(r));
	memset(mm, 0, sizeof(mm));
	memset(rm, 0, sizeof(rm));
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = &a;
		mm[i].msg_hdr.msg_namelen = sizeof(a);
		mm[i].msg_hdr.msg_iov = &v[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		rm[i].msg_hdr.msg_iov = &rv[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(s, mm, 2, 0) != 2 || recvmmsg(r, rm, 2, MSG_WAITFORONE, NULL) != 2)
		die("sendmmsg");
	printf("port %d\n", ntohs(a.sin_port));
}

/* A listening socket on addr (port 0), and a client connected to it, accepted. */
static void tcp_pair(in_addr_t listen_addr, int *client, int *server, int *port)
{
	struct sockaddr_in a = loopback(0);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = listen_addr;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4))
		die("listen");
	*port = bound_port(l);
	a = loopback(*port);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*client, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	if ((*server = accept(l, NULL, NULL)) < 0)
		die("accept");
	close(l);
}

static void read_exactly(int fd, char *buf, size_t n)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = read(fd, buf + have, n - have);

		if (r <= 0)
			die("read");
		have += (size_t)r;
	}
}

static void http3_mode(void)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char buf[3 * sizeof(resp)], out[3 * sizeof(resp)];
	int c, s, port;

	tcp_pair(htonl(INADDR_LOOPBACK), &c, &s, &port);
	for (int i = 0; i < 3; i++)
		if (write(c, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
			die("write");
	for (int i = 0; i < 3; i++)
		read_exactly(s, buf, sizeof(req) - 1);
	for (int i = 0; i < 3; i++)
		memcpy(out + i * (sizeof(resp) - 1), resp, sizeof(resp) - 1);
	if (write(s, out, 3 * (sizeof(resp) - 1)) != 3 * (ssize_t)(sizeof(resp) - 1))
		die("write");
	read_exactly(c, buf, 3 * (sizeof(resp) - 1));
	printf("port %d\n", port);
}

static void reconnect_mode(void)
{
	struct sockaddr_in a = loopback(0);
	int l = socket(AF_INET, SOCK_STREAM, 0), c;
	struct pollfd p;

	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4))
		die("listen");
	a = loopback(bound_port(l));
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
		if (errno != EINPROGRESS)
			die("connect");
		p = (struct pollfd){c, POLLOUT, 0};
		if (poll(&p, 1, 5000) != 1)
			die("poll");
		/* Linux: a second connect() reports the completed connection with 0. */
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			die("connect again");
	}
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EISCONN)
		die("connect a third time");
	printf("port %d\n", ntohs(a.sin_port));
}

static void wildcard_mode(void)
{
	char buf[4];
	int c, s, port;

	tcp_pair(htonl(INADDR_ANY), &c, &s, &port);
	if (write(c, "ping", 4) != 4)
		die("write");
	read_exactly(s, buf, 4);
	if (write(s, "pong", 4) != 4)
		die("write");
	read_exactly(c, buf, 4);
	printf("port %d\n", port);
}

static pthread_mutex_t peak_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t peak_cond = PTHREAD_COND_INITIALIZER;
static int peak_holding;
static size_t peak_held;

static void *peak_thread(void *arg)
{
	long k = (long)arg;
	void *p;

	free(malloc(16));
	p = malloc((size_t)(30000 / (k + 1) - 16));
	pthread_mutex_lock(&peak_lock);
	peak_held += malloc_usable_size(p);
	peak_holding++;
	pthread_cond_broadcast(&peak_cond);
	pthread_mutex_unlock(&peak_lock);
	pause();
	return NULL;
}

static void peak_mode(int n)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long k = 1; k <= n; k++) {
		pthread_t t;

		if (pthread_create(&t, &attr, peak_thread, (void *)k))
			die("pthread_create");
		pthread_mutex_lock(&peak_lock);
		while (peak_holding < k)
			pthread_cond_wait(&peak_cond, &peak_lock);
		pthread_mutex_unlock(&peak_lock);
	}
	printf("held %zu\n", peak_held);
	fflush(stdout);
}

static int holding_blocks;

static void *holding_thread(void *arg)
{
	(void)arg;
	free(malloc(16));
	if (holding_blocks)
		malloc(1000);
	pthread_mutex_lock(&peak_lock);
	peak_holding++;
	pthread_cond_broadcast(&peak_cond);
	pthread_mutex_unlock(&peak_lock);
	pause();
	return NULL;
}

static void holding_mode(int n, const char *what)
{
	pthread_attr_t attr;

	holding_blocks = !strcmp(what, "hold");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int k = 1; k <= n; k++) {
		pthread_t t;

		if (pthread_create(&t, &attr, holding_thread, NULL))
			die("pthread_create");
	}
	pthread_mutex_lock(&peak_lock);
	while (peak_holding < n)
		pthread_cond_wait(&peak_cond, &peak_lock);
	pthread_mutex_unlock(&peak_lock);
}

/* Filesystems without RENAME_NOREPLACE answer renameat2() with EINVAL; so does this filter. */
static void norename_mode(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_renameat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		die("seccomp");
	if (syscall(SYS_renameat2, AT_FDCWD, "/nonexistent/a", AT_FDCWD, "/nonexistent/b", 0) == 0 ||
	    errno != EINVAL)
		die("the filter");
}

static void write_file(const char *dir, const char *name, const char *data)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		die(path);
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		die("write");
	close(fd);
}

static void symlink_mode(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/real", dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		die("mkdir");
	snprintf(path, sizeof(path), "%s/real/sub", dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		die("mkdir");
	snprintf(path, sizeof(path), "%s/link", dir);
	if (symlink("real/sub", path) && errno != EEXIST)
		die("symlink");
	write_file(dir, "link/f1", "1234");
	write_file(dir, "link/../f2", "12");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "ftab") && argc == 5)
		ftab_mode(argv[2], atoi(argv[3]), atoi(argv[4]));
	else if (!strcmp(mode, "keydtor") && argc == 4)
		keydtor_mode(atoi(argv[2]), argv[3]);
	else if (!strcmp(mode, "threads") && argc == 4)
		threads_mode(atoi(argv[2]), argv[3]);
	else if (!strcmp(mode, "reallocarray") && argc == 3)
		reallocarray_mode(atoi(argv[2]));
	else if (!strcmp(mode, "vforkkill"))
		vforkkill_mode();
	else if (!strcmp(mode, "vforksig"))
		vforksig_mode();
	else if (!strcmp(mode, "execenv") && argc >= 3)
		execenv_mode(argv + 2);
	else if (!strcmp(mode, "chdirexec") && argc >= 4) {
		if (chdir(argv[2]))
			die("chdir");
		execv(argv[3], argv + 3);
		die("execv");
	} else if (!strcmp(mode, "deepcwd") && argc == 3) {
		char name[201];
		int fd;

		memset(name, 'd', 200);
		name[200] = 0;
		if (chdir(argv[2]))
			die("chdir");
		for (int i = 0; i < 25; i++)
			if ((mkdir(name, 0700) && errno != EEXIST) || chdir(name))
				die("deeper");
		if ((fd = open("leaf.txt", O_WRONLY | O_CREAT, 0600)) < 0 || write(fd, "hello", 5) != 5)
			die("leaf.txt");
		close(fd);
	} else if (!strcmp(mode, "daemon")) {
		int fd;

		if (daemon(1, 1))
			die("daemon");
		fd = open("/dev/null", O_WRONLY);
		write(fd, "abc", 3);
	} else if (!strcmp(mode, "forkpty"))
		forkpty_mode();
	else if (!strcmp(mode, "sendmmsg"))
		sendmmsg_mode();
	else if (!strcmp(mode, "http3"))
		http3_mode();
	else if (!strcmp(mode, "reconnect"))
		reconnect_mode();
	else if (!strcmp(mode, "accept")) {
		int c, sv, port;

		tcp_pair(htonl(INADDR_LOOPBACK), &c, &sv, &port);
	} else if (!strcmp(mode, "peek")) {
		char buf[16];
		int c, sv, port;

		tcp_pair(htonl(INADDR_LOOPBACK), &c, &sv, &port);
		if (write(c, "0123456789", 10) != 10 || recv(sv, buf, 10, MSG_PEEK | MSG_WAITALL) != 10 ||
		    recv(sv, buf, 10, MSG_WAITALL) != 10)
			die("peek");
		printf("port %d\n", port);
	} else if (!strcmp(mode, "wildcard"))
		wildcard_mode();
	else if (!strcmp(mode, "holding") && argc == 4)
		holding_mode(atoi(argv[2]), argv[3]);
	else if (!strcmp(mode, "norename"))
		norename_mode();
	else if (!strcmp(mode, "peak") && argc == 3)
		peak_mode(atoi(argv[2]));
	else if (!strcmp(mode, "exit") && argc == 3)
		exit(atoi(argv[2]));
	else if (!strcmp(mode, "_exit") && argc == 3)
		_exit(atoi(argv[2]));
	else if (!strcmp(mode, "fflushall") && argc == 3) {
		FILE *f = fopen(argv[2], "w");
		char line[101];

		if (!f)
			die("fopen");
		memset(line, 'x', 100);
		line[100] = 0;
		fputs(line, f);
		fflush(NULL);
		for (int i = 0; i < 150; i++)
			putc_unlocked('y', f);
		fclose(f);
	} else if (!strcmp(mode, "freopen") && argc == 4) {
		FILE *f = fopen(argv[2], "w");

		if (!f)
			die("fopen");
		for (int i = 0; i < 50; i++)
			putc_unlocked('a', f);
		if (!(f = freopen(argv[3], "w", f)))
			die("freopen");
		for (int i = 0; i < 70; i++)
			putc_unlocked('b', f);
		fclose(f);
	} else if (!strcmp(mode, "fsizelimit")) {
		struct rlimit lim = {1000, RLIM_INFINITY};

		if (getrlimit(RLIMIT_FSIZE, &lim) == 0)
			lim.rlim_cur = 1000;
		if (setrlimit(RLIMIT_FSIZE, &lim))
			die("setrlimit");
	} else if (!strcmp(mode, "fsizeexec") && argc == 3) {
		struct rlimit lim = {1 << 20, RLIM_INFINITY};

		if (getrlimit(RLIMIT_FSIZE, &lim) == 0)
			lim.rlim_cur = 1 << 20;
		if (setrlimit(RLIMIT_FSIZE, &lim))
			die("setrlimit");
		execl(argv[2], argv[2], (char *)NULL);
		die("execl");
	} else if (!strcmp(mode, "ungetc") && argc == 3) {
		FILE *f = fopen(argv[2], "w");
		char buf[16];
		int c;

		if (!f || fputs("hello", f) < 0 || fclose(f))
			die("write");
		if (!(f = fopen(argv[2], "r")))
			die("fopen");
		ungetc('#', f);		/* its own character, never read */
		fclose(f);
		if (!(f = fopen(argv[2], "r")))
			die("fopen");
		c = getc(f);
		ungetc(c, f);		/* a lexer's look-ahead: the byte is read again */
		if (fread(buf, 1, sizeof(buf), f) != 5)
			die("fread");
		fclose(f);
	} else if (!strcmp(mode, "mtstdio") && argc == 3) {
		mtstdio_mode(argv[2]);
	} else if (!strcmp(mode, "fgetsnul") && argc == 3) {
		FILE *f = fopen(argv[2], "w");
		char line[64];

		if (!f || fwrite("ab\0cd\nxy\0z\n", 1, 11, f) != 11 || fclose(f))
			die("write");
		if (!(f = fopen(argv[2], "r")))
			die("fopen");
		while (fgets(line, sizeof(line), f))
			;
		fclose(f);
	} else if (!strcmp(mode, "sigset")) {
		sigset_mode();
	} else if (!strcmp(mode, "longjmp") && argc == 3) {
		longjmp_mode(atoi(argv[2]));
	} else if (!strcmp(mode, "efault")) {
		efault_mode();
	} else if (!strcmp(mode, "execfailkill")) {
		char *env[] = {"PATH=/usr/bin:/bin", NULL}, *args[] = {"nothing", NULL};
		int fd;

		if (execve("/nonexistent/nothing", args, env) == 0 || errno != ENOENT)
			die("execve");
		fd = open("/dev/null", O_WRONLY);
		write(fd, "7 bytes", 7);
		kill(getpid(), SIGKILL);
	} else if (!strcmp(mode, "exitsignal") && argc == 3) {
		exitsignal_mode(argv[2]);
	} else if (!strcmp(mode, "allocs")) {
		for (int i = 0; i < 5000; i++)
			free(malloc(1000));
	} else if (!strcmp(mode, "execbadenv")) {
		static volatile uintptr_t bad = 8;
		char *args[] = {"true", NULL};
		int r;

		int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);

		errno = 0;
		r = execve("/bin/true", args, (char **)bad);
		printf("execve = %d errno %d\n", r, errno);
		errno = 0;
		r = execve((char *)bad, args, environ);
		printf("execve = %d errno %d\n", r, errno);
		errno = 0;
		r = execv((char *)bad, args);
		printf("execv = %d errno %d\n", r, errno);
		errno = 0;
		r = fexecve(fd, (char **)bad, environ);
		printf("fexecve = %d errno %d\n", r, errno);
	} else if (!strcmp(mode, "cleanup")) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = cleanup_handler;
		if (sigaction(SIGTERM, &sa, NULL))
			die("sigaction");
		raise(SIGTERM);
	} else if (!strcmp(mode, "sigkill")) {
		int fd = open("/dev/null", O_WRONLY);

		write(fd, "7 bytes", 7);
		kill(getpid(), SIGKILL);
	} else if (!strcmp(mode, "symlink") && argc == 3)
		symlink_mode(argv[2]);
	else {
		fprintf(stderr, "usage: shim_edge MODE ARGS (see the source)\n");
		return 2;
	}
	return 0;
}
