/*
 * The recorder's bookkeeping: the traced processes and threads with the
 * records that announce and end them, and the timer heap that orders the
 * threads by their next due sample (see record.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "record.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t real_ns(void)
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

void heap_down(struct session *s, size_t i)
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

uint64_t first_due(struct session *s)
{
	return mono_ns() + (uint64_t)(s->period_ns * rnd(s));
}

uint64_t next_interval(struct session *s)
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

void read_comm(pid_t tid, char *out, size_t len)
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

struct tproc *proc_find(struct session *s, pid_t pid)
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

void proc_end(struct session *s, struct tproc *p, int status)
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

void thread_write_record(struct session *s, struct tthread *t)
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
	t->due_ns = first_due(s);
	if (p->exec_seen)
		thread_write_record(s, t);
	heap_push(s, t);
	return t;
}

static void write_thread_end(struct session *s, struct tthread *t)
{
	struct tf_thread_end rec = {.tid = t->tid, .time_ns = mono_ns() - s->t0};

	if (t->flags & TH_INTERRUPTED) {
		t->flags &= ~TH_INTERRUPTED;
		s->inflight--;
		t->lost += 1 + t->missed;
		s->lost += 1 + t->missed;
	}
	rec.lost = t->lost;
	if (t->proc->exec_seen) {
		tf_begin(&s->w, TF_THREAD_END, &rec, sizeof(rec));
		tf_end_rec(&s->w);
	}
}

int thread_is_dead(pid_t tid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

void thread_gone(struct session *s, struct tthread *t)
{
	if (t->flags & TH_GONE)
		return;
	if (t->flags & TH_INTERRUPTED) {
		/* the interrupt went to a dead thread: nothing was lost */
		t->flags &= ~TH_INTERRUPTED;
		s->inflight--;
		t->missed = 0;
	}
	write_thread_end(s, t);
	t->flags |= TH_GONE;
	heap_remove(s, t);
}

void thread_end(struct session *s, struct tthread *t)
{
	struct tthread **pp = &s->threads[t->tid % ARRAY_SIZE(s->threads)];

	if (s->cap.t == t)
		s->cap.t = NULL;
	if (!(t->flags & TH_GONE))
		write_thread_end(s, t);
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

void refresh_comm(struct session *s, struct tthread *t)
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
