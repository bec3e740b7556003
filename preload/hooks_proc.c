/*
 * Exported process hooks: fork gives the child its own counter file, exec
 * ends the image with its report (taken back if exec fails), _exit writes
 * the report, and the signal-disposition calls keep the shim's fatal-signal
 * handlers invisible (lifecycle.c).
 *
 * A vfork child runs on its parent's memory until it execs or exits; the
 * assembly vfork in vfork.S marks the thread so that nothing it does is
 * recorded into, or ends, its parent's image.
 */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

static pid_t fork_common(pid_t (*fn)(void))
{
	pid_t r;
	int e;

	ENSURE_REAL();
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	if (!shim_on())
		return fn();
	ENTER();
	r = fn();
	e = errno;
	if (r == 0)
		shim_after_fork_child();
	errno = e;
	LEAVE();
	return r;
}

HOOK(pid_t, fork, (void))
{
	ENSURE_REAL();
	return fork_common(real_fork);
}

HOOK(pid_t, _Fork, (void))
{
	ENSURE_REAL();
	return fork_common(real__Fork);
}

/*
 * daemon(): libc's forks and ends the parent with its internal _exit(),
 * which no hook sees, so the parent's report would never be written.  The
 * same steps (those of glibc's daemon()), through the hooks: the calls of
 * fork, _exit, chdir, open, dup2 and close below resolve to the shim's own.
 */
HOOK(int, daemon, (int nochdir, int noclose))
{
	struct stat st;
	pid_t pid;
	int fd;

	ENSURE_REAL();
	if (!shim_on())
		return real_daemon ? real_daemon(nochdir, noclose) : (errno = ENOSYS, -1);
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if (!nochdir)
		chdir("/");
	if (noclose)
		return 0;
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > 2)
		close(fd);
	return 0;
}

/*
 * A program may leave a signal handler with longjmp().  If the signal
 * interrupted a hook while it recorded what its call did, the jump
 * discards the hook's frames with the thread still marked busy, and from
 * then on nothing the thread does would be counted.  The jump's target
 * stack pointer, in the jmp_buf (mangled with the pointer guard, as glibc
 * does on x86_64: xor %fs:0x30, rol 17), says whether the jump lands above
 * the outermost frame of the shim; then the mark goes.
 */
static void jump_from(const struct __jmp_buf_tag *env)
{
	uint64_t sp, guard;

	if (!shim_tls.busy || shim_tls.vfork_child || !env)
		return;
	sp = (uint64_t)env->__jmpbuf[6]; /* JB_RSP */
	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	sp = ((sp >> 17) | (sp << 47)) ^ guard;
	if (sp > shim_tls.busy_sp)
		shim_tls.busy = 0;
}

#define LONGJMP_HOOK(name)                                                                         \
	HOOK(void, name, (struct __jmp_buf_tag * env, int val))                                    \
	{                                                                                          \
		ENSURE_REAL();                                                                     \
		jump_from(env);                                                                    \
		real_##name(env, val);                                                             \
		__builtin_unreachable();                                                           \
	}
LONGJMP_HOOK(longjmp)
LONGJMP_HOOK(_longjmp)
LONGJMP_HOOK(siglongjmp)
LONGJMP_HOOK(__longjmp_chk)

/* Called by vfork.S when the vfork syscall fails in the parent. */
long shim_vfork_fail(long err);
long shim_vfork_fail(long err)
{
	errno = (int)err;
	return -1;
}

/*
 * 1 if this process's image is ours to end.  Not shim_on(): an _exit() or
 * exec from a signal handler that interrupted the shim comes while the
 * thread is busy, and must end the image all the same; a vfork child,
 * busy too, must not.
 */
static int ours(void)
{
	if (shim_state == SHIM_UNINIT)
		shim_init();
	return shim_state == SHIM_ACTIVE && !shim_tls.vfork_child &&
	       (pid_t)syscall(SYS_getpid) == shim_pid;
}

/*
 * 1 if the dynamic loader will preload the shim into path: a dynamically
 * linked ELF file or a script, not set-user-ID to someone else.  A path
 * that does not exist counts too: the exec fails and this image goes on.
 * (For a name that exec looks up in PATH, `dirfd` is -1: unknown, 0.)
 */
static int loads_shim(int dirfd, const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	struct stat st;
	long n;
	int fd;

	if (dirfd == -1 || !path)
		return 0;
	if (syscall(SYS_newfstatat, dirfd, path, &st, 0) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	/* Only regular files are opened (a FIFO would block); set-ID to another
	 * user or group, the loader ignores LD_PRELOAD. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_ISUID && st.st_uid != getuid()) ||
	    (st.st_mode & S_ISGID && st.st_gid != getgid()))
		return 0;
	fd = (int)syscall(SYS_openat, dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = syscall(SYS_pread64, fd, &eh, sizeof(eh), 0);
	if (n >= 2 && !memcmp(&eh, "#!", 2)) {
		shim_close(fd);
		return 1;
	}
	if (n == (long)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_phnum <= 64 &&
	    eh.e_phentsize == sizeof(ph[0])) {
		n = syscall(SYS_pread64, fd, ph, sizeof(ph[0]) * eh.e_phnum, (long)eh.e_phoff);
		for (int i = 0; i * (long)sizeof(ph[0]) < n; i++)
			if (ph[i].p_type == PT_INTERP) {
				shim_close(fd);
				return 1;
			}
	}
	shim_close(fd);
	return 0;
}

/*
 * Ends the image before an exec of path (from dirfd) into environment
 * envp; returns 1 if the exec must be undone on failure.  The counter file
 * is handed over only to a new image that runs the shim into our directory
 * (and whose file size limit lets the shim start).
 */
static int exec_begin(int dirfd, const char *path, char *const envp[])
{
	struct stat st;
	int handover;

	if (!ours())
		return 0;
	/* A path the kernel cannot read: the exec fails with EFAULT, nothing ends. */
	if (path && syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == EFAULT)
		return 0;
	handover = shim_env_continues(envp) && shim_shm_fits() && loads_shim(dirfd, path);
	return shim_finish(END_EXEC, handover ? EXEC_HANDOVER : 0, 0, path) == 0;
}

/* The dirfd for exec_begin() of a file that exec may look up in PATH. */
static int search_dirfd(const char *file)
{
	return file && strchr(file, '/') ? AT_FDCWD : -1;
}

static void exec_failed(int begun)
{
	int e = errno;

	if (begun)
		shim_unfinish();
	errno = e;
}

HOOK(int, execve, (const char *path, char *const argv[], char *const envp[]))
{
	int begun, r;

	ENSURE_REAL();
	begun = exec_begin(AT_FDCWD, path, envp);
	r = real_execve(path, argv, envp);
	exec_failed(begun);
	return r;
}

HOOK(int, execv, (const char *path, char *const argv[]))
{
	int begun, r;

	ENSURE_REAL();
	begun = exec_begin(AT_FDCWD, path, environ);
	r = real_execv(path, argv);
	exec_failed(begun);
	return r;
}

HOOK(int, execvp, (const char *file, char *const argv[]))
{
	int begun, r;

	ENSURE_REAL();
	begun = exec_begin(search_dirfd(file), file, environ);
	r = real_execvp(file, argv);
	exec_failed(begun);
	return r;
}

HOOK(int, execvpe, (const char *file, char *const argv[], char *const envp[]))
{
	int begun, r;

	ENSURE_REAL();
	begun = exec_begin(search_dirfd(file), file, envp);
	r = real_execvpe(file, argv, envp);
	exec_failed(begun);
	return r;
}

HOOK(int, fexecve, (int fd, char *const argv[], char *const envp[]))
{
	int begun, r;

	ENSURE_REAL();
	/* (argv[0] names the exec; an argv the kernel would refuse is not read.) */
	begun = exec_begin(-1,
			   argv && shim_mapped(argv) && argv[0] && shim_mapped(argv[0]) ? argv[0] : "",
			   envp);
	r = real_fexecve(fd, argv, envp);
	exec_failed(begun);
	return r;
}

HOOK(int, execveat, (int dirfd, const char *path, char *const argv[], char *const envp[], int fl))
{
	int begun, r;

	ENSURE_REAL();
	if (!real_execveat) {
		errno = ENOSYS;
		return -1;
	}
	begun = exec_begin(fl ? -1 : dirfd, path, envp);
	r = real_execveat(dirfd, path, argv, envp, fl);
	exec_failed(begun);
	return r;
}

/* The execl family: collect the variadic arguments into an argv on the stack. */
static size_t count_args(va_list ap)
{
	size_t n = 1;

	while (va_arg(ap, char *))
		n++;
	return n;
}

#define COLLECT(argv, n, first, ap)                                                                \
	do {                                                                                       \
		argv[0] = (char *)(first);                                                         \
		for (size_t i_ = 1; i_ <= n; i_++)                                                 \
			argv[i_] = va_arg(ap, char *);                                             \
	} while (0)

HOOK(int, execl, (const char *path, const char *arg, ...))
{
	va_list ap;
	size_t n;

	va_start(ap, arg);
	n = count_args(ap);
	va_end(ap);
	{
		char *argv[n + 1];

		va_start(ap, arg);
		COLLECT(argv, n, arg, ap);
		va_end(ap);
		return hook_execv(path, argv);
	}
}

HOOK(int, execlp, (const char *file, const char *arg, ...))
{
	va_list ap;
	size_t n;

	va_start(ap, arg);
	n = count_args(ap);
	va_end(ap);
	{
		char *argv[n + 1];

		va_start(ap, arg);
		COLLECT(argv, n, arg, ap);
		va_end(ap);
		return hook_execvp(file, argv);
	}
}

HOOK(int, execle, (const char *path, const char *arg, ...))
{
	va_list ap;
	size_t n;

	va_start(ap, arg);
	n = count_args(ap);
	va_end(ap);
	{
		char *argv[n + 1];
		char *const *envp;

		va_start(ap, arg);
		COLLECT(argv, n, arg, ap);
		envp = va_arg(ap, char *const *);
		va_end(ap);
		return hook_execve(path, argv, envp);
	}
}

HOOK(void, _exit, (int status))
{
	ENSURE_REAL();
	if (ours())
		shim_finish(END_EXIT, status, 0, NULL);
	if (real__exit)
		real__exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

HOOK(void, _Exit, (int status))
{
	ENSURE_REAL();
	if (ours())
		shim_finish(END_EXIT, status, 0, NULL);
	if (real__Exit)
		real__Exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

HOOK(void, quick_exit, (int status))
{
	ENSURE_REAL();
	/* at_quick_exit handlers run after this; their I/O is not in the report. */
	if (ours())
		shim_finish(END_EXIT, status, 0, NULL);
	real_quick_exit(status);
	__builtin_unreachable();
}

/*
 * A program that gives a fatal signal back to SIG_DFL (the cleanup idiom:
 * its handler restores the default and raises the signal again) gets the
 * shim's handler back instead, and reads SIG_DFL, as at the start: the
 * report is then written as for a signal the program never handled.
 */
HOOK(int, sigaction, (int sig, const struct sigaction *act, struct sigaction *old))
{
	ENSURE_REAL();
	if (!shim_signal_owned(sig)) {
		struct sigaction prev;

		if (act && act->sa_handler == SIG_DFL && real_sigaction(sig, NULL, &prev) == 0 &&
		    shim_signal_reclaim(sig) == 0) {
			if (old)
				*old = prev;
			return 0;
		}
		return real_sigaction(sig, act, old);
	}
	if (act && act->sa_handler != SIG_DFL) {
		struct sigaction prev;
		int r;

		shim_signal_query(sig, &prev);
		r = real_sigaction(sig, act, NULL);
		if (r == 0) {
			shim_signal_set(sig, act);
			if (old)
				*old = prev;
		}
		return r;
	}
	if (old)
		shim_signal_query(sig, old);
	return 0;
}

static sighandler_t signal_common(sighandler_t (*fn)(int, sighandler_t), int sig, sighandler_t h)
{
	struct sigaction prev;
	sighandler_t r;

	if (!shim_signal_owned(sig)) {
		/* SIG_DFL gives the signal back to the shim (see sigaction above). */
		if (h == SIG_DFL && real_sigaction(sig, NULL, &prev) == 0 &&
		    shim_signal_reclaim(sig) == 0)
			return prev.sa_handler;
		return fn(sig, h);
	}
	if (h == SIG_DFL)
		return SIG_DFL;
	r = fn(sig, h);
	if (r == SIG_ERR)
		return r;
	shim_signal_set(sig, NULL);
	return SIG_DFL;
}

HOOK(sighandler_t, signal, (int sig, sighandler_t h))
{
	ENSURE_REAL();
	return signal_common(real_signal, sig, h);
}

HOOK(sighandler_t, sysv_signal, (int sig, sighandler_t h))
{
	ENSURE_REAL();
	return signal_common(real_sysv_signal, sig, h);
}

HOOK(sighandler_t, bsd_signal, (int sig, sighandler_t h))
{
	ENSURE_REAL();
	return signal_common(real_bsd_signal, sig, h);
}

/*
 * sigset() and sigignore() set dispositions with libc's internal sigaction:
 * the shim only learns that the program's disposition replaced its own, and
 * hides its handler in what sigset() returns.  (SIG_HOLD only blocks.)
 */
HOOK(sighandler_t, sigset, (int sig, sighandler_t h))
{
	sighandler_t r;
	int owned;

	ENSURE_REAL();
	if (!real_sigset) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	owned = shim_signal_owned(sig);
	r = real_sigset(sig, h);
	if (!owned || r == SIG_ERR)
		return r;
	if (h != SIG_HOLD)
		shim_signal_set(sig, NULL);
	return r == SIG_HOLD ? r : SIG_DFL;
}

HOOK(int, sigignore, (int sig))
{
	int r;

	ENSURE_REAL();
	if (!real_sigignore) {
		errno = ENOSYS;
		return -1;
	}
	if ((r = real_sigignore(sig)) == 0 && shim_signal_owned(sig))
		shim_signal_set(sig, NULL);
	return r;
}
