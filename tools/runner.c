/*
 * Process-tree runs with a time limit; see runner.h.
 *
 * All signals we care about arrive through one signalfd, so the wait loop is
 * a single poll() with the remaining time as its timeout: the main process's
 * exit is seen within microseconds, which keeps wall times honest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "runner.h"

#define GRACE_MS 2000

static int sig_fd = -1;
static sigset_t old_mask;
static int interrupted;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int run_init(void)
{
	sigset_t set;

	if (sig_fd >= 0)
		return 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &old_mask) < 0)
		return -errno;
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return -errno;
	return 0;
}

int run_was_interrupted(void)
{
	return interrupted;
}

static void add_rusage(struct rusage *sum, const struct rusage *ru)
{
	timeradd(&sum->ru_utime, &ru->ru_utime, &sum->ru_utime);
	timeradd(&sum->ru_stime, &ru->ru_stime, &sum->ru_stime);
	if (ru->ru_maxrss > sum->ru_maxrss)
		sum->ru_maxrss = ru->ru_maxrss;
	sum->ru_minflt += ru->ru_minflt;
	sum->ru_majflt += ru->ru_majflt;
	sum->ru_inblock += ru->ru_inblock;
	sum->ru_oublock += ru->ru_oublock;
	sum->ru_nvcsw += ru->ru_nvcsw;
	sum->ru_nivcsw += ru->ru_nivcsw;
}

/* Reaps every child that has ended; notes the main one.  Returns the number
 * reaped. */
static int reap(pid_t main_pid, struct run_status *st, int *main_done)
{
	int n = 0;

	for (;;) {
		struct rusage ru;
		int status;
		pid_t p = wait4(-1, &status, WNOHANG, &ru);

		if (p <= 0)
			break;
		n++;
		st->reaped++;
		add_rusage(&st->ru, &ru);
		if (p == main_pid && !*main_done) {
			*main_done = 1;
			/* After a timeout or a stop, wall_ns is already final. */
			if (!st->timed_out && !st->interrupted)
				st->wall_ns = now_ns() - st->wall_ns;
			if (WIFEXITED(status)) {
				st->exited = 1;
				st->code = WEXITSTATUS(status);
			} else if (WIFSIGNALED(status)) {
				st->signo = WTERMSIG(status);
			}
		}
	}
	return n;
}

/* Our direct children (pids), as the kernel lists them; count returned. */
static int list_children(pid_t *out, int max)
{
	char path[64], buf[8192];
	int n = 0, fd;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (char *s = buf; *s && n < max;) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s)
			break;
		out[n++] = (pid_t)v;
		s = end;
		while (*s == ' ' || *s == '\n')
			s++;
	}
	return n;
}

/* Sends sig to the command's group and to every child of ours (orphans that
 * were re-parented here, possibly in groups or sessions of their own). */
static int signal_tree(pid_t pgid, int sig)
{
	pid_t kids[512];
	int n = list_children(kids, 512);

	kill(-pgid, sig);
	for (int i = 0; i < n; i++) {
		pid_t g = getpgid(kids[i]);

		if (g > 0 && g != pgid && g != getpgrp())
			kill(-g, sig);
		kill(kids[i], sig);
	}
	return n;
}

static int drain_signals(void)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			stop = interrupted = 1;
	return stop || interrupted;
}

/* Ends whatever is left of the tree: SIGTERM, then SIGKILL after the grace
 * period; returns once every child has been reaped. */
static void end_tree(pid_t pgid, pid_t main_pid, struct run_status *st, int *main_done)
{
	uint64_t deadline = now_ns() + GRACE_MS * 1000000ull;
	int killed = 0;
	pid_t kids[1];

	reap(main_pid, st, main_done);
	if (!list_children(kids, 1) && kill(-pgid, 0) < 0)
		return;
	st->leftover += list_children(kids, 1);
	signal_tree(pgid, SIGTERM);
	signal_tree(pgid, SIGCONT);
	for (;;) {
		struct pollfd pfd = {.fd = sig_fd, .events = POLLIN};
		uint64_t now;

		reap(main_pid, st, main_done);
		if (!list_children(kids, 1))
			break;
		now = now_ns();
		if (!killed && now >= deadline) {
			signal_tree(pgid, SIGKILL);
			killed = 1;
		} else if (killed) {
			/* A new orphan may appear as its parent dies. */
			signal_tree(pgid, SIGKILL);
		}
		poll(&pfd, 1, killed ? 20 : (int)((deadline - now) / 1000000 + 1));
		drain_signals();
	}
	kill(-pgid, SIGKILL); /* members that left for no parent of ours */
}

static void child_exec(const struct run_spec *spec, int log_fd, int err_fd, pid_t parent)
{
	int null_fd = open("/dev/null", O_RDONLY);
	int e;

	/* If perfprof itself is killed, the command does not run on alone. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (null_fd >= 0 && null_fd != STDIN_FILENO) {
		dup2(null_fd, STDIN_FILENO);
		close(null_fd);
	}
	if (log_fd >= 0) {
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
	}
	if (spec->cwd && chdir(spec->cwd) < 0) {
		e = errno;
		goto fail;
	}
	execvpe(spec->argv[0], spec->argv, spec->envp);
	e = errno;
fail:
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int run_cmd(const struct run_spec *spec, struct run_status *st)
{
	int log_fd = -1, pfd[2] = {-1, -1}, main_done = 0, ret = 0, e;
	uint64_t deadline = 0, next_tick = 0;
	pid_t pid, self;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	if (sig_fd < 0 && (ret = run_init()) < 0)
		return ret;
	if (spec->log_path) {
		log_fd =
		    open(spec->log_path,
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
		if (log_fd < 0) {
			ret = -errno;
			goto out;
		}
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	drain_signals();
	st->wall_ns = now_ns();
	self = getpid();
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0)
		child_exec(spec, log_fd, pfd[1], self);
	setpgid(pid, pid);
	close(pfd[1]);
	pfd[1] = -1;
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		st->exec_errno = e;
		ret = -e;
	} else {
		st->started = 1;
	}
	if (spec->timeout_s > 0)
		deadline = st->wall_ns + (uint64_t)(spec->timeout_s * 1e9);
	while (!main_done) {
		struct pollfd p = {.fd = sig_fd, .events = POLLIN};
		int wait_ms = -1;
		uint64_t now;

		reap(pid, st, &main_done);
		if (main_done)
			break;
		now = now_ns();
		if (deadline) {
			if (now >= deadline) {
				st->timed_out = 1;
				break;
			}
			wait_ms = (int)((deadline - now) / 1000000) + 1;
		}
		if (spec->tick && spec->tick_ms > 0) {
			if (now >= next_tick) {
				spec->tick(spec->tick_ctx, (int)pid);
				next_tick = now + (uint64_t)spec->tick_ms * 1000000ull;
			}
			if (wait_ms < 0 || wait_ms > (int)((next_tick - now) / 1000000) + 1)
				wait_ms = (int)((next_tick - now) / 1000000) + 1;
		}
		if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
			break;
		if (drain_signals()) {
			st->interrupted = 1;
			break;
		}
	}
	if (!main_done) {
		if (!st->timed_out)
			st->interrupted = 1;
		st->wall_ns = now_ns() - st->wall_ns;
	}
	end_tree(pid, pid, st, &main_done);
out:
	if (log_fd >= 0)
		close(log_fd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return ret;
}

int run_ok(const struct run_status *st)
{
	return st->started && st->exited && st->code == 0 && !st->timed_out && !st->interrupted;
}

const char *run_status_str(const struct run_status *st, double timeout_s)
{
	static char buf[160];

	if (!st->started)
		snprintf(buf, sizeof(buf), "not started: %s", strerror(st->exec_errno));
	else if (st->timed_out)
		snprintf(buf, sizeof(buf), "timeout after %g s", timeout_s);
	else if (st->interrupted)
		snprintf(buf, sizeof(buf), "interrupted");
	else if (st->exited)
		snprintf(buf, sizeof(buf), "exit %d", st->code);
	else
		snprintf(buf, sizeof(buf), "signal %d (%s)", st->signo, strsignal(st->signo));
	return buf;
}

char *run_tail(const char *path, int nlines)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf = NULL;
	struct stat sb;
	off_t start;
	size_t len = 0;
	ssize_t n;

	if (fd < 0 || fstat(fd, &sb) < 0)
		goto out;
	start = sb.st_size > 65536 ? sb.st_size - 65536 : 0;
	buf = malloc((size_t)(sb.st_size - start) + 1);
	if (!buf)
		goto out;
	while ((n = pread(fd, buf + len, (size_t)(sb.st_size - start) - len, start + (off_t)len)) >
	       0)
		len += (size_t)n;
	buf[len] = 0;
	{
		size_t end = len;
		int seen = 0;

		while (end > 0 && buf[end - 1] == '\n')
			end--;
		buf[end] = 0;
		for (size_t i = end; i > 0; i--) {
			if (buf[i - 1] == '\n' && ++seen == nlines) {
				memmove(buf, buf + i, end - i + 1);
				break;
			}
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (!buf)
		buf = strdup("");
	if (!buf)
		error_msg_and_die("out of memory");
	return buf;
}
