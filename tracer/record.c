/*
 * The recording session: one thread of perftrace drives every tracee.
 *
 * Each traced thread has its own next due time, jittered uniformly in
 * [0.5, 1.5) periods so that periodic work does not alias with the sampling;
 * a min-heap orders them.  When a thread is due it gets a PTRACE_INTERRUPT;
 * its stop arrives through waitpid (woken by SIGCHLD on a signalfd), the
 * sample is captured, the thread resumed, and only then is the stack
 * unwound and the record written.  Events (clone, fork, exec, signals,
 * job-control stops) are handled in the same loop.  A thread still waiting
 * in the call of its last sample is sampled without a stop (sample_repeat).
 * An interrupt whose stop has not arrived when the next one is due (no CPU
 * for the thread, or an uninterruptible sleep) makes its sample, when it
 * comes, stand for both ticks (the sample's weight): the thread had not
 * moved.
 *
 * Stopping: the first SIGINT/SIGTERM/SIGHUP sends SIGTERM to a launched
 * command (as perf record does) and keeps recording until it exits; in
 * attach mode it detaches at once.  A second one detaches from everything.
 * Detaching interrupts each thread, repairs a call the interrupt would have
 * broken, and lets it go running.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "error.h"
#include "record.h"
#include "safefile.h"

#define FLUSH_NS    100000000ull /* samples reach the file within 0.1 s */
#define TRACER_NICE (-10)	 /* with CAP_SYS_NICE (root) */
#define SPIN_NS	    30000ull	 /* how long to poll for the stops of interrupts in flight */

/* Resumes a stopped tracee; ESRCH means it was killed meanwhile, which is fine. */
static void resume(struct tthread *t, int sig)
{
	t->flags &= ~TH_GROUP_STOP;
	ptrace(t->rs_track ? PTRACE_SYSCALL : PTRACE_CONT, t->tid, 0, (void *)(long)sig);
}

/*
 * A syscall stop: only the calls restart.c follows make them.  At the
 * entry, note that the call is under way; at the exit, the call either
 * ended (stop following it) or was interrupted again by a sample, which is
 * taken here (the exit stop consumed the interrupt) and repairs it again.
 */
static int handle_syscall_stop(struct session *s, struct tthread *t)
{
	int sampled = 0, interrupted = !!(t->flags & TH_INTERRUPTED);

	if (interrupted) {
		t->flags &= ~TH_INTERRUPTED;
		s->inflight--;
	}
	if (t->rs_track == RS_ENTERING) {
		t->rs_track = RS_IN_CALL;
		if (interrupted)
			sampled = sample_capture(s, t, 0, 0) == 0;
	} else if (t->rs_track == RS_IN_CALL) {
		t->rs_track = 0;
		/*
		 * An interrupt sent while it was at the entry stop is still
		 * pending and fails the call with EINTR without a stop of its
		 * own: repair it all the same (restart_call leaves a real
		 * signal's EINTR alone).
		 */
		if (interrupted)
			sampled = sample_capture(s, t, 0, 1) == 0;
		else
			sample_fixup_only(s, t, 1);
	}
	if (interrupted && !sampled)
		t->missed = 0;
	resume(t, 0);
	return sampled;
}

/* --- events --- */

static void handle_exec(struct session *s, struct tthread *t)
{
	struct tproc *p = t->proc;
	unsigned long former = 0;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &former);
	/* Every other thread is gone; the exec'ing one now has the leader's tid. */
	for (size_t i = 0; i < ARRAY_SIZE(s->threads); i++) {
		struct tthread *o = s->threads[i], *next;

		for (; o; o = next) {
			next = o->hnext;
			if (o->proc == p && o != t)
				thread_end(s, o);
		}
	}
	if (p->exec_seen) {
		thread_end(s, t);
		p->image++;
	}
	p->exec_seen = 1;
	p->maps_ok = 0;
	unwinder_destroy(&p->uw);
	unwinder_init(&p->uw);
	proc_write_record(s, p);
	if (p->pid == s->launched && s->errpipe >= 0) {
		close(s->errpipe);
		s->errpipe = -1;
	}
	if (!thread_find(s, p->pid)) {
		thread_add(s, p->pid, p);
	} else {
		read_comm(t->tid, t->comm, sizeof(t->comm));
		thread_write_record(s, t);
	}
}

static void handle_new(struct session *s, struct tthread *t, int event)
{
	unsigned long tid = 0;

	(void)event;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &tid) < 0 || !tid)
		return;
	/* Its first stop may have arrived before this event did. */
	if (!thread_find(s, tid)) {
		struct tthread *n = thread_add(s, tid, NULL);

		if (n)
			n->flags |= TH_NEWBORN;
	}
}

static void handle_exit(struct session *s, pid_t tid, int status)
{
	struct tthread *t = thread_find(s, tid);
	struct tproc *p = t ? t->proc : NULL;

	if (tid == s->launched) {
		s->launched_status = status;
		if (s->errpipe >= 0) {
			int e = 0;

			if (read(s->errpipe, &e, sizeof(e)) == sizeof(e))
				s->exec_errno = e;
			close(s->errpipe);
			s->errpipe = -1;
		}
	}
	if (!t)
		return;
	thread_end(s, t);
	if (p->pid == tid)
		proc_end(s, p, status);
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void handle_stop(struct session *s, pid_t tid, int status)
{
	struct tthread *t = thread_find(s, tid);
	int sig = WSTOPSIG(status), event = (unsigned int)status >> 16;
	int sampled = 0;

	if (!t) {
		/* a thread or process born before its parent's event was seen */
		t = thread_add(s, tid, NULL);
		if (!t) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return;
		}
		t->flags |= TH_NEWBORN;
	}
	if ((t->flags & TH_NEWBORN) && event == PTRACE_EVENT_STOP && sig == SIGTRAP) {
		/*
		 * Its birth stop: it has not run yet, so there is nothing to
		 * sample, and the ticks it waited for us are not its own.
		 */
		t->flags &= ~TH_NEWBORN;
		if (t->flags & TH_INTERRUPTED) {
			t->flags &= ~TH_INTERRUPTED;
			s->inflight--;
		}
		t->missed = 0;
		t->due_ns = first_due(s);
		if (t->heap_idx < s->nheap)
			heap_down(s, t->heap_idx);
		resume(t, 0);
		return;
	}
	t->flags &= ~TH_NEWBORN;
	if (t->flags & TH_DETACHING) {
		if (event == 0 && sig == (SIGTRAP | 0x80)) {
			if (t->rs_track == RS_IN_CALL)
				sample_fixup_only(s, t, 1);
			ptrace(PTRACE_DETACH, tid, 0, 0);
		} else if (event == 0) {
			ptrace(PTRACE_DETACH, tid, 0, (void *)(long)sig);
		} else {
			if (!(event == PTRACE_EVENT_STOP && is_stop_signal(sig)))
				sample_fixup_only(s, t, 0);
			ptrace(PTRACE_DETACH, tid, 0, 0);
		}
		thread_end(s, t);
		return;
	}
	if (event == 0 && sig == (SIGTRAP | 0x80)) {
		if (handle_syscall_stop(s, t))
			sample_commit(s, mono_ns());
		return;
	}
	if (t->flags & TH_INTERRUPTED) {
		/* Any stop consumes a pending interrupt. */
		t->flags &= ~TH_INTERRUPTED;
		s->inflight--;
		if (t->proc->exec_seen && event != PTRACE_EVENT_EXEC &&
		    !(event == PTRACE_EVENT_STOP && is_stop_signal(sig)))
			sampled = sample_capture(s, t, event == 0, 0) == 0;
		else if (event == PTRACE_EVENT_EXEC)
			t->lost += 1 + t->missed, s->lost += 1 + t->missed;
		if (!sampled)
			t->missed = 0;
	}
	switch (event) {
	case PTRACE_EVENT_STOP:
		if (is_stop_signal(sig)) {
			/* job control: stay stopped, as without us */
			t->flags |= TH_GROUP_STOP;
			ptrace(PTRACE_LISTEN, tid, 0, 0);
		} else {
			resume(t, 0);
		}
		break;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		handle_new(s, t, event);
		resume(t, 0);
		break;
	case PTRACE_EVENT_EXEC:
		handle_exec(s, t);
		t = thread_find(s, tid);
		if (t)
			resume(t, 0);
		break;
	case 0:
		/* signal-delivery-stop: deliver it as it came; a handler may run, so stop
		 * following a call */
		t->rs_track = 0;
		resume(t, sig);
		break;
	default:
		resume(t, 0);
		break;
	}
	if (sampled) {
		sample_commit(s, mono_ns());
		if (t && t->samples % 64 == 1)
			refresh_comm(s, t);
	}
}

static void drain_events(struct session *s)
{
	for (;;) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid <= 0)
			return;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			handle_exit(s, tid, status);
		else if (WIFSTOPPED(status))
			handle_stop(s, tid, status);
	}
}

/*
 * Sends the interrupts that are due; the tids interrupted go to fired[]
 * (at most max), for poll_fired().  Returns how many.
 */
static size_t fire_timers(struct session *s, uint64_t now, pid_t *fired, size_t max)
{
	size_t nfired = 0;

	while (s->nheap && s->heap[0]->due_ns <= now) {
		struct tthread *t = s->heap[0];

		if (t->flags & TH_INTERRUPTED) {
			/*
			 * It could not stop yet (no CPU for it, or an uninterruptible
			 * sleep), so it has not moved: its sample, when it comes,
			 * stands for this tick too.
			 */
			if (t->missed < UINT16_MAX - 1)
				t->missed++;
			/* a leader that exited stays a zombie while its threads run */
			if ((t->missed == 2 || t->missed % 64 == 0) && thread_is_dead(t->tid)) {
				thread_gone(s, t);
				continue;
			}
		} else if ((t->flags & TH_GROUP_STOP) && t->proc->exec_seen) {
			/* stopped by job control: that is where its time goes */
			sample_stopped(s, t, now);
		} else if (t->proc->exec_seen && !sample_repeat(s, t, now)) {
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0) {
				t->flags |= TH_INTERRUPTED;
				s->inflight++;
				t->sched_ns = t->due_ns;
				t->int_ns = mono_ns();
				if (nfired < max)
					fired[nfired++] = t->tid;
			} else if (errno == ESRCH) {
				/* dead: a leader whose exit waits for its other threads */
				thread_gone(s, t);
				continue;
			}
		}
		t->due_ns += next_interval(s);
		/*
		 * After a stall of perftrace itself, do not fire a burst to
		 * catch up: the ticks it slept through are lost samples.
		 */
		if (t->due_ns < now) {
			uint64_t skipped = (now - t->due_ns) / s->period_ns;

			t->lost += skipped;
			s->lost += skipped;
			t->due_ns = now + next_interval(s);
		}
		heap_down(s, 0);
	}
	return nfired;
}

/*
 * Polls the threads just interrupted, by tid: waitpid(-1) would walk every
 * tracee each time, which costs with many threads.  Returns when all have
 * stopped or after SPIN_NS; whatever remains arrives through SIGCHLD.
 */
static void poll_fired(struct session *s, pid_t *fired, size_t n, uint64_t since)
{
	size_t left = n;

	while (left && mono_ns() - since < SPIN_NS) {
		for (size_t i = 0; i < n; i++) {
			struct tthread *t;
			int status;
			pid_t got;

			if (!fired[i])
				continue;
			t = thread_find(s, fired[i]);
			if (!t || !(t->flags & TH_INTERRUPTED)) {
				/* its stop was handled already */
				fired[i] = 0;
				left--;
				continue;
			}
			got = waitpid(fired[i], &status, __WALL | WNOHANG);
			if (got == 0)
				continue;
			fired[i] = 0;
			left--;
			if (got < 0)
				continue; /* gone and reaped already */
			if (WIFEXITED(status) || WIFSIGNALED(status))
				handle_exit(s, got, status);
			else if (WIFSTOPPED(status))
				handle_stop(s, got, status);
		}
	}
}

/* Interrupts every thread and lets it go; returns when all are released. */
static void detach_all(struct session *s)
{
	uint64_t deadline = mono_ns() + 2000000000ull;

	for (size_t i = 0; i < ARRAY_SIZE(s->threads); i++) {
		struct tthread *next;

		for (struct tthread *t = s->threads[i]; t; t = next) {
			next = t->hnext;
			if (t->flags & TH_GONE) {
				/* nothing to let go of: it died */
				thread_end(s, t);
				continue;
			}
			t->flags |= TH_DETACHING;
			if (t->flags & TH_GROUP_STOP) {
				/* listening: it is stopped and can be released as it is */
				ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
			} else if (!(t->flags & TH_INTERRUPTED)) {
				ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
			}
		}
	}
	while (s->nlive > 0 && mono_ns() < deadline) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid < 0)
			break;
		if (tid == 0) {
			struct timespec ts = {0, 1000000};

			nanosleep(&ts, NULL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			handle_exit(s, tid, status);
		} else if (WIFSTOPPED(status)) {
			struct tthread *t = thread_find(s, tid);

			if (!t) {
				/* a thread born while we let go */
				ptrace(PTRACE_DETACH, tid, 0, 0);
				continue;
			}
			handle_stop(s, tid, status);
		}
	}
	/* Whatever did not stop in time is released by the kernel when we exit. */
	while (s->procs)
		proc_end(s, s->procs, -1);
}

static void handle_signal(struct session *s, int sig)
{
	if (sig == SIGCHLD)
		return;
	s->stop_requested++;
	if (s->stop_requested == 1 && s->launched > 0 && s->launched_status == -1) {
		kill(s->launched, SIGTERM);
		if (!s->o->quiet)
			error_msg("stopping: sent SIGTERM to %d (again to detach at once)",
				  (int)s->launched);
	}
}

static int open_output(const struct record_opts *o)
{
	int fd = safe_create(o->output, o->overwrite);

	if (fd == -EEXIST && o->overwrite)
		error_msg("%s exists and is not a regular file; not replacing it", o->output);
	else if (fd == -EEXIST)
		error_msg("%s already exists; remove it or name the output with -o", o->output);
	else if (fd < 0)
		error_msg("cannot create %s: %s", o->output, strerror(-fd));
	return fd;
}

static int exit_status_of(struct session *s)
{
	int st = s->launched_status;

	if (s->launched <= 0)
		return 0;
	if (s->exec_errno) {
		errno = s->exec_errno;
		perror_msg("cannot run '%s'", s->o->argv[0]);
		return s->exec_errno == ENOENT ? 127 : 126;
	}
	if (st == -1)
		return EXIT_ERROR;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) {
		/* Die the same way, so that a shell sees what it would have seen. */
		struct rlimit rl = {0, 0};
		sigset_t set;

		setrlimit(RLIMIT_CORE, &rl);
		signal(WTERMSIG(st), SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, WTERMSIG(st));
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return EXIT_ERROR;
}

static void wait_launched(struct session *s)
{
	int status;

	if (s->launched <= 0 || s->launched_status != -1)
		return;
	if (s->stop_requested > 1) {
		error_msg("detached from %d, which runs on", (int)s->launched);
		return;
	}
	while (waitpid(s->launched, &status, 0) < 0)
		if (errno != EINTR)
			return;
	s->launched_status = status;
}

static void write_end(struct session *s)
{
	struct tf_end rec = {
	    .time_ns = mono_ns() - s->t0,
	    .samples = s->samples,
	    .lost = s->lost,
	    .late = s->late,
	    .reason = s->end_reason,
	    .exit_status = s->launched > 0 ? s->launched_status : -1,
	};

	tf_begin(&s->w, TF_END, &rec, sizeof(rec));
	tf_end_rec(&s->w);
}

static void run_loop(struct session *s, uint64_t deadline)
{
	struct pollfd pfd = {.fd = s->sigfd, .events = POLLIN};
	pid_t fired[256];
	size_t nfired;

	while (s->nlive > 0) {
		uint64_t now = mono_ns(), wake;
		struct timespec ts;
		struct signalfd_siginfo si;

		if (s->launched > 0 && s->launched_status != -1)
			break; /* the command is done: let its leftovers go */
		if (s->stop_requested > (s->launched > 0 ? 1 : 0)) {
			s->end_reason = TFE_SIGNALLED;
			break;
		}
		if (deadline && now >= deadline) {
			s->end_reason = TFE_DURATION;
			break;
		}
		nfired = fire_timers(s, now, fired, ARRAY_SIZE(fired));
		drain_events(s);
		/*
		 * The stop of a thread running on another CPU arrives within
		 * microseconds; sleeping until SIGCHLD would add a wake-up to
		 * the time it is held, so poll for a little while first (not
		 * longer: a tracee woken onto our CPU waits while we poll).
		 */
		poll_fired(s, fired, nfired, now);
		tf_maybe_flush(&s->w, now, FLUSH_NS);
		wake = now + FLUSH_NS;
		/*
		 * Wake for a batch of due samples rather than for each: with many
		 * threads that is fewer wake-ups, hence fewer preemptions of the
		 * target's threads, at the price of samples up to 1/16 period
		 * late (the jitter is half a period anyway).
		 */
		if (s->nheap && s->heap[0]->due_ns + s->period_ns / 16 < wake)
			wake = s->heap[0]->due_ns + s->period_ns / 16;
		if (deadline && deadline < wake)
			wake = deadline;
		now = mono_ns();
		if (wake <= now)
			continue;
		ts.tv_sec = (wake - now) / 1000000000ull;
		ts.tv_nsec = (wake - now) % 1000000000ull;
		if (ppoll(&pfd, 1, &ts, NULL) > 0) {
			while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
				handle_signal(s, si.ssi_signo);
		}
	}
}

int trace_record(const struct record_opts *o)
{
	struct session *s = calloc(1, sizeof(*s));
	struct tf_header h = {.version = TF_VERSION, .header_size = TF_HEADER_SIZE};
	sigset_t set, old;
	int fd, ret = EXIT_ERROR;
	uint64_t deadline = 0;

	if (!s)
		error_msg_and_die("out of memory");
	s->o = o;
	s->launched_status = -1;
	s->errpipe = -1;
	s->period_ns = 1000000000ull / o->hz;
	s->rng = real_ns() | 1;
	s->cap.stack = malloc(o->stack_bytes ? o->stack_bytes : 1);
	s->pcs = calloc(o->max_frames + 1, sizeof(*s->pcs));
	s->ra_off = calloc(o->max_frames + 1, sizeof(*s->ra_off));
	if (!s->cap.stack || !s->pcs || !s->ra_off)
		error_msg_and_die("out of memory");

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		perror_msg_and_die("signalfd");

	fd = open_output(o);
	if (fd < 0)
		goto out;
	memcpy(h.magic, TF_MAGIC, 8);
	h.endian = 0x01020304;
	h.hz = o->hz;
	h.stack_bytes = o->floor ? 0 : o->stack_bytes;
	h.max_frames = o->max_frames;
	h.flags = (o->argv ? TF_F_LAUNCH : 0) | (o->floor ? TF_F_FLOOR : 0) |
		  (o->no_children ? TF_F_NO_CHILDREN : 0);
	s->t0 = mono_ns();
	h.start_mono_ns = s->t0;
	h.start_realtime_ns = real_ns();
	if (tf_open(&s->w, fd, &h) < 0) {
		errno = -s->w.err;
		perror_msg("cannot write %s", o->output);
		goto out_close;
	}
	tf_flush(&s->w);

	if (o->argv ? launch_command(s) < 0 : attach_process(s, o->pid) < 0) {
		tf_close(&s->w);
		unlink(o->output);
		goto out;
	}
	/*
	 * Samples are only as punctual as perftrace gets the CPU: when it may,
	 * it runs ahead of the threads it samples (after the fork, so that the
	 * command keeps its own priority).
	 */
	if (setpriority(PRIO_PROCESS, 0, TRACER_NICE) < 0)
		errno = 0;
	/* a /proc/TID/syscall descriptor per blocked thread (sample_repeat) */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (o->duration_s > 0)
		deadline = mono_ns() + (uint64_t)(o->duration_s * 1e9);
	run_loop(s, deadline);
	if (s->stop_requested && s->end_reason == TFE_EXITED)
		s->end_reason = TFE_SIGNALLED; /* the command ended of the SIGTERM we sent */
	if (s->nlive > 0)
		detach_all(s);
	write_end(s);
	if (tf_close(&s->w) < 0) {
		errno = -s->w.err;
		perror_msg("writing %s", o->output);
		ret = EXIT_ERROR;
		wait_launched(s);
		goto out;
	}
	wait_launched(s);
	if (!o->quiet && !s->exec_errno)
		error_msg("%llu samples (%llu lost, %llu late) written to %s",
			  (unsigned long long)s->samples, (unsigned long long)s->lost,
			  (unsigned long long)s->late, o->output);
	ret = exit_status_of(s);
	if (s->exec_errno)
		unlink(o->output);
	goto out;
out_close:
	close(fd);
out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	waits_free(s);
	elfmod_free_all();
	free(s->cap.stack);
	free(s->pcs);
	free(s->ra_off);
	free(s->heap);
	close(s->sigfd);
	free(s);
	return ret;
}
