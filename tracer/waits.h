/*
 * What a sampled thread was doing, from its registers at the stop: on CPU,
 * or inside a system call, and then which one and on what (a file path, a
 * TCP/UDP peer, a unix socket, a pipe, a futex, a sleep).  Runs after the
 * thread was resumed; only /proc and the target's memory are read.
 */
#ifndef PERFTRACE_WAITS_H
#define PERFTRACE_WAITS_H

#include <sys/types.h>
#include <sys/user.h>

struct wait_info {
	int state;	  /* enum tf_state */
	char target[256]; /* "" when there is nothing to name */
};

/*
 * Classifies a sample of thread pid (a tid: /proc is read through the thread,
 * whose fds and network namespace are its process's).  in_syscall: it stopped
 * inside a system call (orig_rax >= 0).  Never fails: what cannot be found
 * out is left generic.
 */
void waits_classify(pid_t pid, const struct user_regs_struct *r, int in_syscall,
		    struct wait_info *out);
/* "read", "futex", ...; NULL for numbers this table does not name. */
const char *syscall_name(long nr);
/*
 * 1 when the kernel returns EINTR to the program if the call is interrupted
 * by a stop (signal(7): epoll_wait, socket calls with timeouts, ...), so
 * that perftrace must restart it itself.
 */
int syscall_eintr_on_stop(long nr);
/* Forgets cached socket descriptions (tests). */
void waits_reset(void);

#endif
