/*
 * perftrace record: the ptrace sampling session.  record.c runs the event
 * loop (timers, ptrace stops and events), tasks.c keeps the processes,
 * threads and timer heap, launch.c starts or attaches to the target and
 * explains refusals, sample.c takes one sample, restart.c repairs the calls
 * a sample's interrupt breaks.
 */
#ifndef PERFTRACE_RECORD_H
#define PERFTRACE_RECORD_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "modules.h"
#include "tfile.h"
#include "unwind.h"

struct record_opts {
	unsigned int hz;	  /* samples per second per thread */
	const char *output;	  /* sample file */
	int overwrite;		  /* the user named the output: replace it if it exists */
	double duration_s;	  /* stop after this long (0: until the target exits) */
	pid_t pid;		  /* attach to this process ... */
	char **argv;		  /* ... or run this command */
	int no_children;	  /* do not follow fork/vfork */
	int floor;		  /* only interrupt, read registers, resume */
	unsigned int stack_bytes; /* stack copy per sample */
	unsigned int max_frames;
	int quiet;
};

/* Runs a whole recording; returns the exit status perftrace should exit with. */
int trace_record(const struct record_opts *o);

/* --- internals shared by record.c, launch.c and sample.c --- */

struct tproc {
	pid_t pid, ppid;
	uint32_t image; /* exec count */
	int exec_seen;	/* launched command: nothing is sampled before its exec */
	int maps_ok;
	uint64_t maps_ns; /* when the mappings were last read */
	uint64_t maps_digest;
	int maps_changed; /* the last read found new mappings (the loader is at work) */
	struct vmas vmas;
	struct unwinder uw;
	int nthreads;
	int pidfd; /* opened when a socket's timeout must be read, else -1 */
	struct tproc *next;
};

enum {
	RS_ENTERING = 1, /* resumed with PTRACE_SYSCALL into the restarted call */
	RS_IN_CALL = 2,	 /* inside it: its syscall-exit stop comes next */
};

enum {
	TH_INTERRUPTED = 1 << 0, /* PTRACE_INTERRUPT sent, stop not seen yet */
	TH_GROUP_STOP = 1 << 1,	 /* in a job-control stop (PTRACE_LISTEN) */
	TH_DETACHING = 1 << 2,
	TH_GONE = 1 << 3, /* dead, its exit not reported yet (a leader waiting for its threads) */
	TH_NEWBORN = 1 << 4, /* auto-attached at its birth: its first stop comes before it ran */
};

struct tthread {
	pid_t tid;
	struct tproc *proc;
	unsigned int flags;
	uint64_t due_ns;   /* next scheduled sample */
	uint64_t sched_ns; /* due time of the interrupt in flight */
	uint64_t int_ns;   /* when it was sent */
	size_t heap_idx;
	uint64_t samples, lost;
	uint32_t missed; /* ticks that came due while the interrupt was in flight */
	char comm[16];
	/* restarting a call the kernel returns EINTR from (see restart.c) */
	int rs_track;	      /* RS_*: following a restarted timed wait */
	uint64_t rs_first_ns; /* when perftrace first interrupted that wait */
	long rs_orig;	      /* epoll_wait's timeout, as the program asked */
	long rs_nr;	      /* the call being followed */
	/* the last sample, when it was taken blocked in a call (see sample_repeat) */
	int sc_fd; /* /proc/TID/syscall, -1 until needed */
	int last_blocked;
	uint64_t last_sc[9]; /* nr, 6 arguments, sp, pc, as /proc/TID/syscall shows them */
	uint32_t *last_ra;   /* where each return address was (from its sp) */
	uint64_t *last_pcs;
	uint16_t last_n, last_cap;
	uint8_t last_state, last_flags;
	int32_t last_syscall;
	uint32_t last_wait;
	/* the call a restart_syscall continues (the kernel hides it) */
	uint64_t rb_pc;
	long rb_nr;
	struct tthread *hnext;
};

/* One sample in flight: captured while stopped, committed after the resume. */
struct capture {
	struct tthread *t;
	struct user_regs_struct regs;
	uint64_t raw_sc[9]; /* the call as /proc/TID/syscall would show it */
	uint64_t stop_seen_ns;
	unsigned char *stack;
	size_t stack_len;
	int flags; /* TFS_* */
};

struct session {
	const struct record_opts *o;
	struct tf_writer w;
	uint64_t t0;	    /* CLOCK_MONOTONIC at the start */
	uint64_t period_ns; /* mean interval */
	uint64_t rng;
	struct tthread *threads[4096];
	struct tproc *procs;
	struct tthread **heap;
	size_t nheap, capheap;
	int nlive;    /* traced threads */
	int inflight; /* interrupts sent whose stop has not been seen */
	pid_t launched;
	int launched_status; /* wait status, -1 while running */
	int errpipe;	     /* launch: reads the child's exec errno */
	int exec_errno;
	int sigfd;
	int stop_requested; /* 1: stop asked for; 2: asked twice */
	int end_reason;
	uint64_t samples, lost, late, repeated;
	struct capture cap;
	uint64_t *pcs;
	uint32_t *ra_off; /* of the capture being committed (unwind_stack) */
	struct wait_ent *waits[256];
	uint32_t next_wait_id;
};

/* tasks.c: clocks, processes, threads, the timer heap */
uint64_t mono_ns(void);
uint64_t real_ns(void);
struct tthread *thread_find(struct session *s, pid_t tid);
/*
 * Adds thread tid of process p (NULL: the process named by /proc/TID/status,
 * added if new), writes its TF_THREAD once the process has exec'd, and
 * schedules its first sample within a period.  Returns NULL without memory.
 */
struct tthread *thread_add(struct session *s, pid_t tid, struct tproc *p);
/* Writes TF_THREAD_END (counting an interrupt in flight as lost) and frees t. */
void thread_end(struct session *s, struct tthread *t);
/* t died but stays known until its exit is reported: its TF_THREAD_END now, no more samples. */
void thread_gone(struct session *s, struct tthread *t);
/* 1 if /proc says tid is a zombie or gone. */
int thread_is_dead(pid_t tid);
void thread_write_record(struct session *s, struct tthread *t);
/* Writes TF_COMM when the thread renamed itself. */
void refresh_comm(struct session *s, struct tthread *t);
void read_comm(pid_t tid, char *out, size_t len);
struct tproc *proc_add(struct session *s, pid_t pid, pid_t ppid, int write_record);
struct tproc *proc_find(struct session *s, pid_t pid);
/* Ends p's threads, writes TF_PROC_END (status: wait status or -1) and frees p. */
void proc_end(struct session *s, struct tproc *p, int status);
void proc_write_record(struct session *s, struct tproc *p);
/* The heap entry at i moved later: restore the order. */
void heap_down(struct session *s, size_t i);
/* When a thread that starts now is first due: uniform within a period. */
uint64_t first_due(struct session *s);
/* A jittered interval: uniform in [0.5, 1.5) periods. */
uint64_t next_interval(struct session *s);

/* launch.c */
int ptrace_opts(const struct record_opts *o);

/* launch.c: return 0 or -errno, after an error message. */
int launch_command(struct session *s);
int attach_process(struct session *s, pid_t pid);
/* Why PTRACE_SEIZE of pid failed with EPERM, as a sentence. */
void explain_eperm(pid_t pid, char *buf, size_t len);

/* sample.c */
/*
 * While t is stopped: registers, stack copy, restart fix-up (same: see
 * restart_call).  0 or -errno.
 */
int sample_capture(struct session *s, struct tthread *t, int signal_stop, int same);
/* After the resume: unwind, classify, write. */
void sample_commit(struct session *s, uint64_t resumed_ns);
/*
 * Before interrupting t: if its last sample found it in a call and
 * /proc/TID/syscall shows it waiting in a call with the same number,
 * arguments, stack pointer and instruction, and the return addresses of that
 * sample are still in their slots on its stack (read without a stop: it is
 * asleep), the thread is where it was, and the sample is written again
 * without stopping it.  Returns 1 if it did.
 */
int sample_repeat(struct session *s, struct tthread *t, uint64_t now);
/* A sample of a thread in a job-control stop, which cannot be read (no stack). */
void sample_stopped(struct session *s, struct tthread *t, uint64_t now);
/*
 * restart.c: if the stopped thread t was failed with EINTR by the stop in a
 * call the kernel does not restart, restarts it (or ends it as its timeout
 * would) through PTRACE_SETREGSET, and sets t->rs_track when the call must be
 * followed to its exit (it leaves t->rs_track alone when it does nothing).
 * r: its registers, modified.  same: t is at the
 * syscall-exit stop of a call perftrace restarted before.  Returns 1 if it
 * changed the call.
 */
int restart_call(struct tthread *t, struct user_regs_struct *r, int same);
/* The register-only restart fix-up, for a stop in which no sample is taken. */
void sample_fixup_only(struct session *s, struct tthread *t, int same);
/* Frees the interned wait targets. */
void waits_free(struct session *s);
/*
 * Reads p's mappings through its thread via (/proc/VIA/maps: a leader that
 * exited has none left) and writes the TF_MAPS_RESET/TF_MAP (and new
 * TF_MODULE) records.
 */
int proc_load_maps(struct session *s, struct tproc *p, pid_t via);

#endif
