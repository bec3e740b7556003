/*
 * Getting hold of the target: running a command under the tracer, or
 * attaching to every thread of a running process, and saying why the kernel
 * refused when it does.
 *
 * Everything is PTRACE_SEIZE'd, never PTRACE_ATTACH'd: a seized tracee gets
 * no SIGSTOP, can be interrupted with PTRACE_INTERRUPT, and is released
 * running (not stopped) by the kernel if perftrace dies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "record.h"

int ptrace_opts(const struct record_opts *o)
{
	/* TRACESYSGOOD: restart.c follows some calls with PTRACE_SYSCALL */
	int opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD;

	if (!o->no_children)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
	return opts;
}

static long read_long_file(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v = dflt;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* The value of "Key:" in /proc/pid/status, or -1. */
static long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int have_cap_sys_ptrace(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 19) & 1; /* CAP_SYS_PTRACE */
}

void explain_eperm(pid_t pid, char *buf, size_t len)
{
	long tracer = status_field(pid, "TracerPid");
	long scope = read_long_file("/proc/sys/kernel/yama/ptrace_scope", -1);
	char exe[64];
	struct stat st;
	int cap = have_cap_sys_ptrace();

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	if (tracer > 0) {
		snprintf(buf, len,
			 "it is already traced by process %ld (a debugger or another "
			 "tracer); detach that one first",
			 tracer);
	} else if (status_field(pid, "Tgid") >= 0 && status_field(pid, "VmSize") < 0) {
		/* kernel threads have no memory of their own, hence no VmSize */
		snprintf(buf, len, "it is a kernel thread, which cannot be traced");
	} else if (scope == 3) {
		snprintf(buf, len,
			 "kernel.yama.ptrace_scope is 3: ptrace is disabled until reboot");
	} else if (scope == 2 && !cap) {
		snprintf(buf, len,
			 "kernel.yama.ptrace_scope is 2: only a process with "
			 "CAP_SYS_PTRACE may attach (run as root)");
	} else if (scope == 1 && !cap) {
		snprintf(buf, len,
			 "kernel.yama.ptrace_scope is 1: only descendants may be "
			 "traced; run the command under perftrace, set the sysctl to 0, or give "
			 "perftrace CAP_SYS_PTRACE");
	} else if (!cap && stat(exe, &st) == 0 && st.st_uid != getuid()) {
		snprintf(buf, len,
			 "it belongs to another user; run perftrace as that user or "
			 "with CAP_SYS_PTRACE");
	} else if (!cap) {
		snprintf(buf, len,
			 "it is not dumpable (setuid, or it called "
			 "prctl(PR_SET_DUMPABLE, 0)), or a security module refuses; run "
			 "perftrace with CAP_SYS_PTRACE");
	} else {
		snprintf(buf, len,
			 "a security policy refuses ptrace here (seccomp, a "
			 "container without CAP_SYS_PTRACE, or an LSM)");
	}
}

static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int launch_command(struct session *s)
{
	int go[2], err[2];
	pid_t pid;
	char c = 0;
	ssize_t n;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		perror_msg("pipe");
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		perror_msg("fork");
		return -errno;
	}
	if (pid == 0) {
		int e;

		close(go[1]);
		close(err[0]);
		reset_signals();
		/* Wait until the parent has seized us, so that exec is traced. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		close(go[0]);
		execvp(s->o->argv[0], s->o->argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	s->launched = pid;
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)ptrace_opts(s->o)) < 0) {
		int e = errno;
		char why[256];

		if (e == EPERM)
			explain_eperm(pid, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", strerror(e));
		error_msg("cannot trace '%s': ptrace refused: %s", s->o->argv[0], why);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(go[1]);
		close(err[0]);
		return -e;
	}
	proc_add(s, pid, getpid(), 0);
	thread_add(s, pid, NULL);
	n = write(go[1], &c, 1);
	close(go[1]);
	if (n != 1) {
		perror_msg("starting '%s'", s->o->argv[0]);
		close(err[0]);
		return -EIO;
	}
	/* Read later, once the child exec'd (EOF) or died (its errno). */
	s->errpipe = err[0];
	return 0;
}

/* Seizes every thread listed in /proc/pid/task; returns how many were new. */
static int seize_tasks(struct session *s, pid_t pid, int *first_err)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int added = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		*first_err = errno == ENOENT ? ESRCH : errno;
		return 0;
	}
	while ((d = readdir(dir))) {
		pid_t tid = atoi(d->d_name);

		if (tid <= 0 || thread_find(s, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)ptrace_opts(s->o)) < 0) {
			if (!*first_err && errno != ESRCH)
				*first_err = errno;
			continue;
		}
		thread_add(s, tid, NULL);
		added++;
	}
	closedir(dir);
	return added;
}

int attach_process(struct session *s, pid_t pid)
{
	int e = 0;
	char why[256];

	if (pid <= 0 || kill(pid, 0) < 0) {
		if (pid > 0 && errno == EPERM)
			goto refused;
		error_msg("no such process: %d", (int)pid);
		return -ESRCH;
	}
	if (status_field(pid, "Tgid") != pid) {
		error_msg("%d is a thread, not a process; attach to its process %ld instead",
			  (int)pid, status_field(pid, "Tgid"));
		return -EINVAL;
	}
	if (pid == getpid()) {
		error_msg("perftrace cannot trace itself");
		return -EINVAL;
	}
	/* Threads started while we attach show up in a later pass. */
	while (seize_tasks(s, pid, &e) > 0)
		;
	if (s->nlive > 0)
		return 0;
	if (e == ESRCH || e == 0) {
		error_msg("no such process: %d", (int)pid);
		return -ESRCH;
	}
	if (e != EPERM) {
		errno = e;
		perror_msg("cannot attach to process %d", (int)pid);
		return -e;
	}
refused:
	explain_eperm(pid, why, sizeof(why));
	error_msg("cannot attach to process %d: ptrace refused: %s", (int)pid, why);
	return -EPERM;
}
