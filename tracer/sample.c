/*
 * One sample: what happens while the thread is stopped (sample_capture: its
 * registers and one process_vm_readv of the top of its stack), and what
 * happens after it was resumed (sample_commit: unwind from the copy, classify
 * the wait, write the record).  The repair of system calls the interrupt
 * breaks is in restart.c.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "compiler.h"
#include "record.h"
#include "waits.h"

#define IOV_BATCH      64	  /* return-address slots checked per process_vm_readv */
#define MAPS_RELOAD_NS 2000000ull /* at most one /proc/PID/maps per 2 ms per process */

struct wait_ent {
	uint32_t id;
	int state;
	char *target;
	struct wait_ent *next;
};

static int get_regs(pid_t tid, struct user_regs_struct *r)
{
	struct iovec io = {r, sizeof(*r)};

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0 ? -errno : 0;
}

/* Copies [sp, sp + len) page by page, so that a read stops at the stack's end. */
static size_t copy_stack(pid_t tid, uint64_t sp, unsigned char *buf, size_t len)
{
	struct iovec local[64], remote[64];
	uint64_t addr = sp;
	size_t n = 0, done = 0;
	ssize_t got;

	while (done < len && n < ARRAY_SIZE(local)) {
		size_t chunk = MIN(4096 - (addr & 4095), len - done);

		local[n].iov_base = buf + done;
		local[n].iov_len = chunk;
		remote[n].iov_base = (void *)(uintptr_t)addr;
		remote[n].iov_len = chunk;
		n++;
		done += chunk;
		addr += chunk;
	}
	got = process_vm_readv(tid, local, n, remote, n, 0);
	return got < 0 ? 0 : (size_t)got;
}

void sample_fixup_only(struct session *s, struct tthread *t, int same)
{
	struct user_regs_struct r;

	(void)s;
	if (get_regs(t->tid, &r) == 0 && (long)r.orig_rax >= 0)
		restart_call(t, &r, same);
}

int sample_capture(struct session *s, struct tthread *t, int signal_stop, int same)
{
	struct capture *c = &s->cap;
	int err;

	c->t = NULL;
	c->stop_seen_ns = mono_ns();
	c->flags = 0;
	c->stack_len = 0;
	err = get_regs(t->tid, &c->regs);
	if (err)
		return err;
	c->t = t;
	c->raw_sc[0] = c->regs.orig_rax;
	c->raw_sc[1] = c->regs.rdi;
	c->raw_sc[2] = c->regs.rsi;
	c->raw_sc[3] = c->regs.rdx;
	c->raw_sc[4] = c->regs.r10;
	c->raw_sc[5] = c->regs.r8;
	c->raw_sc[6] = c->regs.r9;
	c->raw_sc[7] = c->regs.rsp;
	c->raw_sc[8] = c->regs.rip;
	if ((long)c->regs.orig_rax >= 0) {
		long rax = (long)c->regs.rax;
		struct user_regs_struct fix = c->regs;

		c->flags |= TFS_IN_SYSCALL;
		if (rax == -EINTR || (rax <= -512 && rax >= -516))
			c->flags |= TFS_BLOCKED;
		/*
		 * A sleep interrupted once resumes as restart_syscall, whose
		 * registers no longer say what it continues: remember it.
		 */
		if ((long)c->regs.orig_rax == SYS_restart_syscall) {
			if (t->rb_pc == c->regs.rip && t->rb_nr >= 0)
				c->raw_sc[0] = c->regs.orig_rax = t->rb_nr;
		} else if (rax == -516 /* -ERESTART_RESTARTBLOCK */) {
			t->rb_pc = c->regs.rip;
			t->rb_nr = (long)c->regs.orig_rax;
		}
		if (!signal_stop && restart_call(t, &fix, same))
			c->flags |= TFS_RESTARTED;
	}
	if (!s->o->floor) {
		/* Copy no further than the end of the stack's mapping when it is known. */
		size_t len = s->o->stack_bytes;
		const struct vma *v =
		    t->proc->maps_ok ? vmas_find(&t->proc->vmas, c->regs.rsp) : NULL;

		if (v && v->end - c->regs.rsp < len)
			len = v->end - c->regs.rsp;
		c->stack_len = copy_stack(t->tid, c->regs.rsp, c->stack, len);
	}
	return 0;
}

static void write_module(struct session *s, struct elfmod *m)
{
	struct tf_module rec = {
	    .id = m->id,
	    .kind = m->kind,
	    .dev = m->dev,
	    .ino = m->ino,
	    .size = m->size,
	    .mtime_ns = m->mtime_ns,
	};

	tf_begin(&s->w, TF_MODULE, &rec, sizeof(rec));
	tf_put_str(&s->w, m->path);
	tf_put_bytes(&s->w, m->build_id, m->build_id_len);
	tf_put_bytes(&s->w, m->kind == TFM_VDSO ? m->data : NULL,
		     m->kind == TFM_VDSO ? m->data_len : 0);
	tf_end_rec(&s->w);
	m->written = 1;
}

/* A digest of the mappings, to tell whether a reload found anything new. */
static uint64_t maps_digest(const struct vmas *m)
{
	uint64_t h = m->n;

	for (size_t i = 0; i < m->n; i++)
		h = (h ^ m->v[i].start ^ (m->v[i].end << 7) ^ m->v[i].pgoff) * 0x100000001b3ull;
	return h;
}

int proc_load_maps(struct session *s, struct tproc *p, pid_t via)
{
	uint32_t pid = p->pid;
	int err = vmas_load(&p->vmas, via);
	uint64_t digest;

	p->maps_ns = mono_ns();
	if (err)
		return err;
	digest = maps_digest(&p->vmas);
	p->maps_changed = digest != p->maps_digest;
	p->maps_digest = digest;
	p->maps_ok = 1;
	unwinder_flush(&p->uw);
	for (size_t i = 0; i < p->vmas.n; i++)
		if (p->vmas.v[i].mod && !p->vmas.v[i].mod->written)
			write_module(s, p->vmas.v[i].mod);
	tf_begin(&s->w, TF_MAPS_RESET, &pid, sizeof(pid));
	tf_end_rec(&s->w);
	for (size_t i = 0; i < p->vmas.n; i++) {
		const struct vma *v = &p->vmas.v[i];
		struct tf_map m = {
		    .pid = p->pid,
		    .start = v->start,
		    .end = v->end,
		    .pgoff = v->pgoff,
		    .vaddr = v->vaddr,
		    .prot = v->prot,
		};

		if (!v->mod || !(v->prot & 4 /* PROT_EXEC */))
			continue;
		m.module_id = v->mod->id;
		tf_begin(&s->w, TF_MAP, &m, sizeof(m));
		tf_end_rec(&s->w);
	}
	return 0;
}

static uint32_t intern_wait(struct session *s, int state, const char *target)
{
	unsigned int h = state * 31;
	struct wait_ent *e;
	struct tf_wait rec;

	for (const char *p = target; *p; p++)
		h = h * 131 + (unsigned char)*p;
	h %= ARRAY_SIZE(s->waits);
	for (e = s->waits[h]; e; e = e->next)
		if (e->state == state && !strcmp(e->target, target))
			return e->id;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->target = strdup(target))) {
		free(e);
		return 0;
	}
	e->id = ++s->next_wait_id;
	e->state = state;
	e->next = s->waits[h];
	s->waits[h] = e;
	rec.id = e->id;
	rec.state = state;
	tf_begin(&s->w, TF_WAIT, &rec, sizeof(rec));
	tf_put_str(&s->w, target);
	tf_end_rec(&s->w);
	return e->id;
}

void waits_free(struct session *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->waits); i++) {
		while (s->waits[i]) {
			struct wait_ent *e = s->waits[i];

			s->waits[i] = e->next;
			free(e->target);
			free(e);
		}
	}
}

/* 1 if every pc lies in a known mapping. */
static int pcs_mapped(const struct tproc *p, const uint64_t *pcs, int n)
{
	for (int i = 0; i < n; i++)
		if (!vmas_find(&p->vmas, pcs[i]))
			return 0;
	return 1;
}

static int unwind(struct session *s, struct tproc *p, int *truncated)
{
	struct capture *c = &s->cap;
	struct unwind_input in = {
	    .regs = &c->regs,
	    .stack = c->stack,
	    .stack_start = c->regs.rsp,
	    .stack_len = c->stack_len,
	    .vmas = &p->vmas,
	};

	return unwind_stack(&p->uw, &in, s->pcs, s->o->max_frames, truncated, s->ra_off);
}

void sample_stopped(struct session *s, struct tthread *t, uint64_t now)
{
	struct tf_sample rec = {
	    .tid = t->tid,
	    .time_ns = now - s->t0,
	    .state = TS_OTHER,
	    .flags = TFS_NOT_HELD,
	    .syscall = -1,
	    .weight = 1,
	};

	rec.wait_id = intern_wait(s, TS_OTHER, "stopped (job control)");
	tf_begin(&s->w, TF_SAMPLE, &rec, sizeof(rec));
	tf_end_rec(&s->w);
	t->samples++;
	s->samples++;
}

static void remember(struct session *s, struct tthread *t, const struct tf_sample *rec);

void sample_commit(struct session *s, uint64_t resumed_ns)
{
	struct capture *c = &s->cap;
	struct tthread *t = c->t;
	struct tproc *p;
	struct tf_sample rec = {0};
	struct wait_info wi;
	int n = 1, truncated = 0;

	if (!t)
		return;
	c->t = NULL;
	p = t->proc;
	rec.tid = t->tid;
	rec.time_ns = c->stop_seen_ns - s->t0;
	rec.stop_ns = (uint32_t)MIN(resumed_ns - t->int_ns, UINT32_MAX);
	rec.hold_ns = (uint32_t)MIN(resumed_ns - c->stop_seen_ns, UINT32_MAX);
	rec.late_ns = (uint32_t)MIN(c->stop_seen_ns - t->sched_ns, UINT32_MAX);
	rec.syscall = (c->flags & TFS_IN_SYSCALL) ? (int32_t)c->regs.orig_rax : -1;
	rec.flags = c->flags;
	if (rec.late_ns > s->period_ns / 4) {
		rec.flags |= TFS_LATE;
		s->late++;
	}
	s->pcs[0] = c->regs.rip;
	if (!p->maps_ok)
		proc_load_maps(s, p, t->tid);
	if (s->o->floor) {
		/* no stack, no classification: only where the thread was */
		if (!pcs_mapped(p, s->pcs, 1) &&
		    (p->maps_changed || resumed_ns - p->maps_ns > MAPS_RELOAD_NS))
			proc_load_maps(s, p, t->tid);
	} else {
		n = unwind(s, p, &truncated);
		/*
		 * Code we have not seen mapped (the loader still at work, a
		 * dlopen): read the maps again and unwind again.  A broken
		 * unwind can invent such addresses too, hence the rate limit
		 * once a reload finds nothing new.
		 */
		if ((truncated == 2 || !pcs_mapped(p, s->pcs, n)) &&
		    (p->maps_changed || resumed_ns - p->maps_ns > MAPS_RELOAD_NS) &&
		    proc_load_maps(s, p, t->tid) == 0)
			n = unwind(s, p, &truncated);
		/* through the thread itself: a leader that exited has no fds or maps left */
		waits_classify(t->tid, &c->regs, !!(c->flags & TFS_IN_SYSCALL), &wi);
		rec.state = wi.state;
		if (wi.target[0])
			rec.wait_id = intern_wait(s, wi.state, wi.target);
	}
	if (truncated)
		rec.flags |= TFS_TRUNCATED;
	rec.nframes = n;
	rec.weight = 1 + t->missed;
	t->missed = 0;
	tf_begin(&s->w, TF_SAMPLE, &rec, sizeof(rec));
	tf_put(&s->w, s->pcs, n * sizeof(s->pcs[0]));
	tf_end_rec(&s->w);
	t->samples += rec.weight;
	s->samples += rec.weight;
	remember(s, t, &rec);
}

/* Keeps what sample_repeat() needs when the sample found t in a call. */
static void remember(struct session *s, struct tthread *t, const struct tf_sample *rec)
{
	t->last_blocked = 0;
	/* (a timed wait that restart.c follows is not repeated: see sample_repeat) */
	/* (a call counted as CPU work would be a wait when found asleep in it) */
	if (s->o->floor || !(rec->flags & TFS_IN_SYSCALL) || rec->state == TS_CPU)
		return;
	for (int i = 1; i < rec->nframes; i++)
		if (s->ra_off[i] == UINT32_MAX)
			return; /* a frame that cannot be checked without a stop */
	if (rec->nframes > t->last_cap) {
		uint64_t *n = realloc(t->last_pcs, rec->nframes * sizeof(*n));
		uint32_t *ra = realloc(t->last_ra, rec->nframes * sizeof(*ra));

		if (n)
			t->last_pcs = n;
		if (ra)
			t->last_ra = ra;
		if (!n || !ra)
			return;
		t->last_cap = rec->nframes;
	}
	memcpy(t->last_pcs, s->pcs, rec->nframes * sizeof(*s->pcs));
	memcpy(t->last_ra, s->ra_off, rec->nframes * sizeof(*s->ra_off));
	memcpy(t->last_sc, s->cap.raw_sc, sizeof(t->last_sc));
	t->last_n = rec->nframes;
	t->last_state = rec->state;
	t->last_flags = rec->flags & ~(TFS_LATE | TFS_RESTARTED);
	t->last_syscall = rec->syscall;
	t->last_wait = rec->wait_id;
	t->last_blocked = 1;
}

int sample_repeat(struct session *s, struct tthread *t, uint64_t now)
{
	char path[64], buf[320];
	unsigned long long v[9];
	struct tf_sample rec = {0};
	ssize_t n;

	if (!t->last_blocked || t->rs_track)
		return 0;
	if (t->sc_fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)t->tid);
		t->sc_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (t->sc_fd < 0) {
			t->last_blocked = 0; /* out of descriptors: interrupt as usual */
			return 0;
		}
	}
	n = pread(t->sc_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "nr arg1 .. arg6 sp pc" while blocked in a call, "running" otherwise */
	if (sscanf(buf, "%llu %llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
		return 0;
	/* a sleep that an earlier interrupt broke continues as restart_syscall */
	if (v[0] == SYS_restart_syscall && t->rb_pc == v[8] && t->rb_nr >= 0)
		v[0] = (unsigned long long)t->rb_nr;
	for (int i = 0; i < 9; i++)
		if (v[i] != t->last_sc[i])
			return 0;
	/* the same call at the same depth: from the same callers? */
	for (int i = 1; i < t->last_n; i += IOV_BATCH) {
		struct iovec l[IOV_BATCH], r[IOV_BATCH];
		uint64_t got[IOV_BATCH];
		int k, m = MIN(IOV_BATCH, t->last_n - i);

		for (k = 0; k < m; k++) {
			l[k].iov_base = &got[k];
			l[k].iov_len = 8;
			r[k].iov_base = (void *)(uintptr_t)(v[7] + t->last_ra[i + k]);
			r[k].iov_len = 8;
		}
		if (process_vm_readv(t->tid, l, m, r, m, 0) != 8 * m)
			return 0;
		for (k = 0; k < m; k++)
			if (got[k] != t->last_pcs[i + k])
				return 0;
	}
	rec.tid = t->tid;
	rec.time_ns = now - s->t0;
	rec.late_ns = (uint32_t)MIN(now - t->due_ns, UINT32_MAX);
	rec.state = t->last_state;
	/* /proc/TID/syscall shows a call only while the thread waits in it */
	rec.flags = t->last_flags | TFS_BLOCKED | TFS_NOT_HELD | TFS_REPEATED;
	rec.nframes = t->last_n;
	rec.syscall = t->last_syscall;
	rec.wait_id = t->last_wait;
	rec.weight = 1;
	tf_begin(&s->w, TF_SAMPLE, &rec, sizeof(rec));
	tf_put(&s->w, t->last_pcs, t->last_n * sizeof(*t->last_pcs));
	tf_end_rec(&s->w);
	t->samples++;
	s->samples++;
	s->repeated++;
	return 1;
}
