/*
 * The recording session: one thread of perftrace drives every tracee.
 *
 * Each traced thread has its own next due time, jittered uniformly in
 * [0.5, 1.5) periods so that periodic work does not alias with the sampling;
 * a min-heap orders them.  When a thread is due it gets a PTRACE_INTERRUPT;
 * its stop arrives through waitpid (woken by SIGCHLD on a signalfd), the
 * sample is captured, the thread resumed, and only then is the stack
 * unwound and the record written.  Events (clone, fork, exec, signals,
 * job-control stops) are handled in the same loop.  An interrupt whose stop
 * has not arrived when the next one is due (the thread sleeps
 * uninterruptibly) counts as a lost sample.
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

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* xorshift64*: cheap, and good enough to jitter timers. */
static double rnd(struct session *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (double)((s->rng * 2685821657736338717ull) >> 11) / (double)(1ull << 53);
}

/* --- timer heap --- */

static void heap_swap(struct session *s, size_t a, size_t b)
{
	struct tthread *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void heap_up(struct session *s, size_t i)
{
	while (i && s->heap[(i - 1) / 2]->due_ns > s->heap[i]->due_ns) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct session *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && s->heap[l]->due_ns < s->heap[m]->due_ns)
			m = l;
		if (r < s->nheap && s->heap[r]->due_ns < s->heap[m]->due_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static int heap_push(struct session *s, struct tthread *t)
{
	if (s->nheap == s->capheap) {
		size_t cap = s->capheap ? s->capheap * 2 : 64;
		struct tthread **nh = realloc(s->heap, cap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		s->heap = nh;
		s->capheap = cap;
	}
	t->heap_idx = s->nheap;
	s->heap[s->nheap++] = t;
	heap_up(s, t->heap_idx);
	return 0;
}

static void heap_remove(struct session *s, struct tthread *t)
{
	size_t i = t->heap_idx;

	if (i >= s->nheap || s->heap[i] != t)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heap_idx = i;
		heap_down(s, i);
		heap_up(s, i);
	}
	t->heap_idx = (size_t)-1;
}

static uint64_t next_interval(struct session *s)
{
	return (uint64_t)(s->period_ns * (0.5 + rnd(s)));
}

/* --- threads and processes --- */

struct tthread *thread_find(struct session *s, pid_t tid)
{
	struct tthread *t = s->threads[tid % ARRAY_SIZE(s->threads)];

	while (t && t->tid != tid)
		t = t->hnext;
	return t;
}

static void read_comm(pid_t tid, char *out, size_t len)
{
	char path[64];
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, len - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	out[n] = 0;
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
}

static struct tproc *proc_find(struct session *s, pid_t pid)
{
	struct tproc *p = s->procs;

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

/* Reads the whole of a small /proc file; returns its length (0 on error). */
static size_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

void proc_write_record(struct session *s, struct tproc *p)
{
	char path[64], exe[4096], comm[32], args[8192];
	struct tf_proc rec = {.pid = p->pid, .ppid = p->ppid, .image = p->image};
	size_t alen, argc = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	read_comm(p->pid, comm, sizeof(comm));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)p->pid);
	alen = read_small(path, args, sizeof(args) - 1);
	args[alen] = 0;
	for (size_t i = 0; i < alen; i += strlen(args + i) + 1)
		argc++;
	rec.argc = argc;
	rec.time_ns = mono_ns() - s->t0;
	tf_begin(&s->w, TF_PROC, &rec, sizeof(rec));
	tf_put_str(&s->w, exe);
	tf_put_str(&s->w, comm);
	for (size_t i = 0; i < alen; i += strlen(args + i) + 1)
		tf_put_str(&s->w, args + i);
	tf_end_rec(&s->w);
}

struct tproc *proc_add(struct session *s, pid_t pid, pid_t ppid, int write_record)
{
	struct tproc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->ppid = ppid;
	p->pidfd = -1;
	p->exec_seen = write_record;
	if (unwinder_init(&p->uw) < 0) {
		free(p);
		return NULL;
	}
	p->next = s->procs;
	s->procs = p;
	if (write_record)
		proc_write_record(s, p);
	return p;
}

static void thread_end(struct session *s, struct tthread *t);

static void proc_end(struct session *s, struct tproc *p, int status)
{
	struct tf_proc_end rec = {.pid = p->pid, .status = status, .time_ns = mono_ns() - s->t0};
	struct tproc **pp = &s->procs;

	for (size_t i = 0; i < ARRAY_SIZE(s->threads) && p->nthreads > 0; i++) {
		struct tthread *t = s->threads[i], *next;

		for (; t; t = next) {
			next = t->hnext;
			if (t->proc == p)
				thread_end(s, t);
		}
	}

	if (p->exec_seen) {
		tf_begin(&s->w, TF_PROC_END, &rec, sizeof(rec));
		tf_end_rec(&s->w);
	}
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	vmas_free(&p->vmas);
	unwinder_destroy(&p->uw);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static void thread_write_record(struct session *s, struct tthread *t)
{
	struct tf_thread rec = {.tid = t->tid, .pid = t->proc->pid, .time_ns = mono_ns() - s->t0};

	tf_begin(&s->w, TF_THREAD, &rec, sizeof(rec));
	tf_put_str(&s->w, t->comm);
	tf_end_rec(&s->w);
}

struct tthread *thread_add(struct session *s, pid_t tid, struct tproc *p)
{
	struct tthread *t;
	size_t h = tid % ARRAY_SIZE(s->threads);

	if (!p) {
		char path[64], buf[2048];
		size_t n;
		long tgid = tid, ppid = 0;
		char *q;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
		n = read_small(path, buf, sizeof(buf) - 1);
		buf[n] = 0;
		if ((q = strstr(buf, "\nTgid:")))
			tgid = strtol(q + 6, NULL, 10);
		if ((q = strstr(buf, "\nPPid:")))
			ppid = strtol(q + 6, NULL, 10);
		p = proc_find(s, tgid);
		if (!p)
			p = proc_add(s, tgid, ppid, 1);
		if (!p)
			return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->proc = p;
	t->heap_idx = (size_t)-1;
	t->sc_fd = -1;
	t->rs_nr = -1;
	t->rb_nr = -1;
	read_comm(tid, t->comm, sizeof(t->comm));
	t->hnext = s->threads[h];
	s->threads[h] = t;
	p->nthreads++;
	s->nlive++;
	t->due_ns = mono_ns() + (uint64_t)(s->period_ns * rnd(s));
	if (p->exec_seen)
		thread_write_record(s, t);
	heap_push(s, t);
	return t;
}

static void thread_end(struct session *s, struct tthread *t)
{
	struct tthread **pp = &s->threads[t->tid % ARRAY_SIZE(s->threads)];
	struct tf_thread_end rec = {.tid = t->tid, .lost = t->lost, .time_ns = mono_ns() - s->t0};

	if (s->cap.t == t)
		s->cap.t = NULL;
	if (t->flags & TH_INTERRUPTED) {
		s->inflight--;
		t->lost += 1 + t->missed;
		s->lost += 1 + t->missed;
	}
	if (t->proc->exec_seen) {
		tf_begin(&s->w, TF_THREAD_END, &rec, sizeof(rec));
		tf_end_rec(&s->w);
	}
	heap_remove(s, t);
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	t->proc->nthreads--;
	s->nlive--;
	if (t->sc_fd >= 0)
		close(t->sc_fd);
	free(t->last_pcs);
	free(t->last_ra);
	free(t);
}

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

static void refresh_comm(struct session *s, struct tthread *t)
{
	char comm[16];
	struct tf_comm rec = {.tid = t->tid};

	read_comm(t->tid, comm, sizeof(comm));
	if (!comm[0] || !strcmp(comm, t->comm))
		return;
	memcpy(t->comm, comm, sizeof(comm));
	tf_begin(&s->w, TF_COMM, &rec, sizeof(rec));
	tf_put_str(&s->w, comm);
	tf_end_rec(&s->w);
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
	if (!thread_find(s, tid))
		thread_add(s, tid, NULL);
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
		t = thread_add(s, tid, NULL);
		if (!t) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return;
		}
	}
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
		/* signal-delivery-stop: deliver it as it came (a handler may run: stop following a
		 * call) */
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
			}
		}
		t->due_ns += next_interval(s);
		/* After a long stall, do not fire a burst to catch up. */
		if (t->due_ns < now)
			t->due_ns = now + next_interval(s);
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
		for (struct tthread *t = s->threads[i]; t; t = t->hnext) {
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
