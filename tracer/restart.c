/*
 * Repairing the system calls that a sample's interrupt breaks.
 *
 * Interrupting a thread that waits in a system call makes the call return
 * early.  The kernel restarts most calls by itself (-ERESTARTSYS and
 * friends, rewound when the thread resumes), but some fail with EINTR after
 * any stop (signal(7): epoll_wait, socket calls with timeouts, semop,
 * sigtimedwait, ...).  For those, when no real signal is pending, perftrace
 * rewinds the thread to its syscall instruction so that the call runs again.
 *
 * A call with a timeout must not wait longer than it would have.  After
 * restarting one, perftrace follows it with PTRACE_SYSCALL until it returns,
 * so that when it interrupts it again it knows it is the same wait (the
 * syscall-exit stop comes first), and counts the time from the first
 * interrupt:
 *   - epoll_wait/epoll_pwait get what is left of their millisecond timeout;
 *   - any other timed wait (epoll_pwait2, semtimedop, rt_sigtimedwait,
 *     io_getevents, socket calls with SO_RCVTIMEO/SO_SNDTIMEO) is ended with
 *     the result of its timeout once its timeout has passed.
 * Time waited before the first interrupt is not known, so a timed wait can
 * end at most one sample period late; it never waits forever and never ends
 * early.  A wait without a timeout is restarted and left alone.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <elf.h>
#include <unistd.h>

#include "record.h"
#include "waits.h"

#define NO_TIMEOUT (-1ll)

/*
 * From /proc/tid/status: whether a signal is pending and not blocked (then an
 * EINTR is real and must stay).  Returns 0 or -errno.
 */
static int read_status(pid_t tid, int *pending)
{
	char path[64], line[128];
	unsigned long long pnd = 0, shd = 0, blk = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "SigPnd: %llx", &pnd);
		sscanf(line, "ShdPnd: %llx", &shd);
		sscanf(line, "SigBlk: %llx", &blk);
	}
	fclose(f);
	*pending = ((pnd | shd) & ~blk) != 0;
	return 0;
}

/* 1 if the two bytes before pc are a syscall instruction (0f 05). */
static int after_syscall_insn(struct tthread *t, uint64_t pc)
{
	unsigned char b[2];
	struct iovec l = {b, 2}, r = {(void *)(uintptr_t)(pc - 2), 2};

	if (!t->proc->maps_ok || vmas_read(&t->proc->vmas, pc - 2, b, 2) < 0) {
		if (process_vm_readv(t->tid, &l, 1, &r, 1, 0) != 2)
			return 0;
	}
	return b[0] == 0x0f && b[1] == 0x05;
}

/* A struct timespec in the target's memory, in ns; NO_TIMEOUT for NULL or unreadable. */
static long long timespec_arg(pid_t tid, uint64_t addr)
{
	struct timespec ts;
	struct iovec l = {&ts, sizeof(ts)}, r = {(void *)(uintptr_t)addr, sizeof(ts)};

	if (!addr || process_vm_readv(tid, &l, 1, &r, 1, 0) != sizeof(ts) || ts.tv_sec < 0)
		return NO_TIMEOUT;
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* SO_RCVTIMEO or SO_SNDTIMEO of the target's fd, through a copy of it (pidfd_getfd). */
static long long socket_timeout(struct tproc *p, long fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long ns = NO_TIMEOUT;
	int copy;

	if (p->pidfd < 0)
		p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0)
		return NO_TIMEOUT;
	copy = (int)syscall(SYS_pidfd_getfd, p->pidfd, (int)fd, 0);
	if (copy < 0)
		return NO_TIMEOUT;
	if (getsockopt(copy, SOL_SOCKET, opt, &tv, &len) == 0 && (tv.tv_sec || tv.tv_usec))
		ns = (long long)tv.tv_sec * 1000000000ll + tv.tv_usec * 1000ll;
	close(copy);
	return ns;
}

/* The timeout of an EINTR'd call, in ns, and the value it returns when it expires. */
static long long call_timeout(struct tthread *t, const struct user_regs_struct *r, long *result)
{
	long nr = (long)r->orig_rax;

	*result = -EAGAIN;
	switch (nr) {
	case SYS_epoll_pwait2:
		*result = 0;
		return timespec_arg(t->tid, r->r10);
	case SYS_semtimedop:
		return timespec_arg(t->tid, r->r10);
	case SYS_rt_sigtimedwait:
		return timespec_arg(t->tid, r->rdx);
	case SYS_io_getevents:
		*result = 0;
		return timespec_arg(t->tid, r->r8);
	case SYS_read:
	case SYS_readv:
	case SYS_recvfrom:
	case SYS_recvmsg:
	case SYS_accept:
	case SYS_accept4:
		return socket_timeout(t->proc, (long)r->rdi, SO_RCVTIMEO);
	case SYS_write:
	case SYS_writev:
	case SYS_sendto:
	case SYS_sendmsg:
		return socket_timeout(t->proc, (long)r->rdi, SO_SNDTIMEO);
	default:
		return NO_TIMEOUT; /* semop, msgrcv, absolute timeouts: a restart is exact */
	}
}

int restart_call(struct tthread *t, struct user_regs_struct *r, int same)
{
	long nr = (long)r->orig_rax, result;
	uint64_t now = mono_ns();
	int pending = 1, epoll_ms = nr == SYS_epoll_wait || nr == SYS_epoll_pwait, timed;
	struct iovec io = {r, sizeof(*r)};
	long long timeout = NO_TIMEOUT;

	if ((long)r->rax != -EINTR || !syscall_eintr_on_stop(nr) ||
	    read_status(t->tid, &pending) < 0 || pending || !after_syscall_insn(t, r->rip))
		return 0;
	if (!same || t->rs_nr != nr) {
		/* a new wait: it started at the latest now */
		t->rs_orig = epoll_ms ? (long)(int)r->r10 : 0;
		t->rs_first_ns = now;
	}
	if (epoll_ms) {
		long left = t->rs_orig - (long)((now - t->rs_first_ns) / 1000000);

		timed = t->rs_orig >= 0;
		if (timed)
			r->r10 = (uint64_t)(left < 0 ? 0 : left);
	} else {
		timeout = call_timeout(t, r, &result);
		timed = timeout != NO_TIMEOUT;
		if (timed && (long long)(now - t->rs_first_ns) >= timeout) {
			/* it would have timed out by now: end it as the timeout would */
			r->rax = (uint64_t)result;
			t->rs_track = 0;
			return ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_PRSTATUS, &io) == 0;
		}
	}
	r->rax = r->orig_rax;
	r->rip -= 2;
	if (ptrace(PTRACE_SETREGSET, t->tid, (void *)NT_PRSTATUS, &io) < 0)
		return 0;
	/* follow a timed wait to its syscall exit (see the top of the file) */
	t->rs_track = timed ? RS_ENTERING : 0;
	t->rs_nr = nr;
	return 1;
}
