/*
 * The life of the shim in a process: start (on the first call, from the
 * initial environment), the constructor's libc-dependent setup, the end of
 * the image on exit, and the fatal-signal handlers that write the report
 * when a catchable signal kills the process.
 *
 * The exit report is written from an on_exit() handler registered by our
 * constructor.  Preloaded libraries are initialised before
 * __libc_start_main registers the dynamic linker's destructor pass, so our
 * handler runs after every destructor and atexit handler, and just before
 * stdio's final flush, which it performs itself (the same flush, in the same
 * order, a moment earlier) so the kernel's I/O counters are complete.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "stdio_track.h"

int shim_state = SHIM_UNINIT;
int shim_use_tsc;
extern char shim_dir[4096];
void shim_slot_key_init(void);

/*
 * The kernel keeps "tsc" as its clocksource only while the TSC is invariant
 * and synchronised across CPUs, so that is the whole test (CPUID itself
 * costs microseconds in a virtual machine, at every process start).
 */
int shim_tsc_usable(void)
{
	char src[64];
	int fd;
	ssize_t n;

	fd = shim_open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY, 0);
	if (fd < 0)
		return 0;
	n = shim_read_all(fd, src, sizeof(src) - 1);
	shim_close(fd);
	return n >= 3 && !memcmp(src, "tsc", 3) && (n == 3 || src[3] == '\n');
}

/* Values of our variables in the initial environment (/proc/self/environ). */
struct env {
	char out[4096];
	char heap_sample[32];
	char signals[8];
};

static void env_take(struct env *e, const char *entry, size_t len)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} vars[] = {
		{"PERFSHIM_OUT=", offsetof(struct env, out), sizeof(((struct env *)0)->out)},
		{"PERFSHIM_HEAP_SAMPLE=", offsetof(struct env, heap_sample),
		 sizeof(((struct env *)0)->heap_sample)},
		{"PERFSHIM_SIGNALS=", offsetof(struct env, signals), sizeof(((struct env *)0)->signals)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		size_t nl = strlen(vars[i].name);

		if (len >= nl && !memcmp(entry, vars[i].name, nl)) {
			char *dst = (char *)e + vars[i].off;
			size_t n = len - nl;

			if (n >= vars[i].cap)
				n = 0; /* too long to be ours: ignore */
			memcpy(dst, entry + nl, n);
			dst[n] = 0;
		}
	}
}

static int env_read(struct env *e)
{
	char buf[8192], entry[4200];
	size_t elen = 0;
	int fd = shim_open("/proc/self/environ", O_RDONLY, 0);

	memset(e, 0, sizeof(*e));
	if (fd < 0) {
		const char *v = getenv("PERFSHIM_OUT");

		if (!v)
			return -ENOENT;
		shim_strlcpy(e->out, v, sizeof(e->out));
		v = getenv("PERFSHIM_HEAP_SAMPLE");
		shim_strlcpy(e->heap_sample, v ? v : "", sizeof(e->heap_sample));
		v = getenv("PERFSHIM_SIGNALS");
		shim_strlcpy(e->signals, v ? v : "", sizeof(e->signals));
		return 0;
	}
	for (;;) {
		ssize_t n = syscall(SYS_read, fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i]) {
				if (elen < sizeof(entry))
					entry[elen] = buf[i];
				elen++;
				continue;
			}
			if (elen < sizeof(entry))
				env_take(e, entry, elen);
			elen = 0;
		}
	}
	shim_close(fd);
	return 0;
}

static uint64_t parse_u64(const char *s, uint64_t def)
{
	uint64_t v = 0;

	if (!s || !*s)
		return def;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return def;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static int want_signals = 1;
static struct env env; /* large: not on the stack of whoever calls malloc first */

/* The directory PERFSHIM_OUT=v names from the working directory now; 0 or -1. */
static int out_dir(const char *v, char *dst, size_t cap)
{
	size_t n = 0;

	if (v[0] != '/') {
		if (syscall(SYS_getcwd, dst, cap) < 0)
			return -1;
		n = strlen(dst);
		if (n + 1 < cap)
			dst[n++] = '/';
	}
	shim_strlcpy(dst + n, v, cap - n);
	n = strlen(dst);
	while (n > 1 && dst[n - 1] == '/')
		dst[--n] = 0;
	return 0;
}

/*
 * 1 if the page of p is mapped: the program's pointers to the new
 * environment are read only then, so that one the kernel would refuse
 * (EFAULT) is not a crash.  known[] holds the last two pages found mapped
 * (an environment lies on a page or two: a few mincore() calls per exec).
 */
static int mapped(const void *p, uintptr_t *known)
{
	uintptr_t page = (uintptr_t)p & ~(uintptr_t)4095;
	unsigned char vec;

	if (page == known[0] || page == known[1])
		return 1;
	if (syscall(SYS_mincore, page, 1, &vec) < 0)
		return 0;
	known[1] = known[0];
	known[0] = page;
	return 1;
}

int shim_mapped(const void *p)
{
	uintptr_t known[2] = {1, 1};

	return mapped(p, known);
}

int shim_env_continues(char *const envp[])
{
	static const char out[] = "PERFSHIM_OUT=", pre[] = "LD_PRELOAD=";
	int have_out = 0, have_pre = 0;
	uintptr_t known[2] = {1, 1}; /* the last pages found mapped */
	char dir[4096];

	for (; envp && mapped(envp, known) && *envp; envp++) {
		const char *v = *envp;

		if (!mapped(v, known))
			return 0;
		/* The same directory: a relative name means another one after a chdir(). */
		if (!strncmp(v, out, sizeof(out) - 1))
			have_out = out_dir(v + sizeof(out) - 1, dir, sizeof(dir)) == 0 &&
				   !strcmp(dir, shim_dir);
		else if (!strncmp(v, pre, sizeof(pre) - 1))
			have_pre = strstr(v, "libperfshim") != NULL;
	}
	return have_out && have_pre;
}

int shim_init(void)
{
	int expected = SHIM_UNINIT, saved = errno;
	int ret;

	if (!__atomic_compare_exchange_n(&shim_state, &expected, SHIM_INITING, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return __atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) == SHIM_ACTIVE;
	ENTER();
	ENSURE_REAL();
	if (env_read(&env) < 0 || !env.out[0] || out_dir(env.out, shim_dir, sizeof(shim_dir)) < 0) {
		ret = SHIM_OFF;
		goto out;
	}
	syscall(SYS_mkdirat, AT_FDCWD, shim_dir, 0700);
	want_signals = parse_u64(env.signals, 1) != 0;
	shim_use_tsc = shim_tsc_usable();
	shim_pid = (pid_t)syscall(SYS_getpid);
	if (shim_shm_create(shim_pid, (pid_t)syscall(SYS_getppid), NULL) < 0) {
		ret = SHIM_OFF;
		goto out;
	}
	shim_shm->heap_sample_interval = parse_u64(env.heap_sample, 524288);
	ret = SHIM_ACTIVE;
out:
	LEAVE();
	__atomic_store_n(&shim_state, ret, __ATOMIC_RELEASE);
	errno = saved;
	return ret == SHIM_ACTIVE;
}

static void on_exit_handler(int status, void *arg)
{
	(void)arg;
	if (shim_state != SHIM_ACTIVE || shim_tls.vfork_child ||
	    (pid_t)syscall(SYS_getpid) != shim_pid)
		return;
	/* stdio's final flush, now rather than a moment later (see the top). */
	ENTER();
	shim_stdio_sweep();
	real_fflush(NULL);
	LEAVE();
	shim_finish(END_EXIT, status, 0, NULL);
}

/*
 * libc forks internally too (forkpty, daemon), where the fork hook does not
 * see it; the atfork child handlers run for those forks as well.  Ours is
 * registered first, so it runs before the program's.
 */
static void atfork_child(void)
{
	ENTER();
	shim_after_fork_child();
	LEAVE();
}

__attribute__((constructor)) static void shim_ctor(void)
{
	if (!shim_init())
		return;
	on_exit(on_exit_handler, NULL);
	pthread_atfork(NULL, NULL, atfork_child);
	shim_slot_key_init();
	shim_heap_init();
	if (want_signals)
		shim_signals_install();
}

/*
 * Fatal signals.  For each signal whose default action ends the process and
 * that the program leaves at SIG_DFL, the shim installs a handler that writes
 * the report, restores SIG_DFL and lets the signal take effect again.  The
 * sigaction()/signal() hooks keep this invisible: the program reads back
 * SIG_DFL, and installing its own handler or SIG_IGN replaces ours.
 */
static const int fatal[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGILL,  SIGTRAP,   SIGABRT, SIGBUS,
			    SIGFPE,  SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,   SIGALRM, SIGTERM,
			    SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS};
static volatile int owned[65];

int shim_signal_owned(int sig)
{
	if (sig <= 0 || sig >= 65 || !owned[sig])
		return 0;
	return !(shim_tls.vfork_child && (shim_tls.vfork_disowned >> (sig - 1) & 1));
}

static void fatal_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	pid_t pid = (pid_t)syscall(SYS_getpid);
	struct sigaction dfl;

	(void)uc;
	/* If the report is being written (exit, exec), by another thread or by this one. */
	if (shim_state == SHIM_ACTIVE && !shim_tls.vfork_child && pid == shim_pid &&
	    shim_finish(END_SIGNAL, 0, sig, NULL) == -EALREADY)
		shim_finish_interrupted(END_SIGNAL, 0, sig);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	shim_signal_set(sig, NULL);
	real_sigaction(sig, &dfl, NULL);
	/*
	 * A fault re-executes and faults again; anything else is sent again,
	 * to this process: a vfork child is not shim_pid.
	 */
	if (!(si && si->si_code > 0 &&
	      (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)))
		syscall(SYS_tgkill, pid, shim_gettid(), sig);
	errno = saved;
}

static int take(int sig)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_sigaction = fatal_handler;
	act.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&act.sa_mask);
	if (real_sigaction(sig, &act, NULL) < 0)
		return -1;
	owned[sig] = 1;
	return 0;
}

void shim_signals_install(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++) {
		struct sigaction old;
		int sig = fatal[i];

		if (real_sigaction(sig, NULL, &old) < 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		take(sig);
	}
}

int shim_signal_reclaim(int sig)
{
	size_t i;

	if (!want_signals || shim_state != SHIM_ACTIVE || shim_tls.vfork_child)
		return -1;
	for (i = 0; i < ARRAY_SIZE(fatal) && fatal[i] != sig; i++)
		;
	return i < ARRAY_SIZE(fatal) ? take(sig) : -1;
}

void shim_signal_query(int sig, struct sigaction *old)
{
	/* What the program set last was SIG_DFL (else we would not own it). */
	real_sigaction(sig, NULL, old);
	old->sa_handler = SIG_DFL;
	sigemptyset(&old->sa_mask);
	old->sa_flags = 0;
}

void shim_signal_set(int sig, const struct sigaction *act)
{
	(void)act;
	/* A vfork child changes its own disposition, not its parent's. */
	if (shim_tls.vfork_child)
		shim_tls.vfork_disowned |= 1ULL << (sig - 1);
	else
		owned[sig] = 0;
}
