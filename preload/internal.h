/*
 * The shim's internal API: what the hook files (hooks_*.c) call, and the
 * state they share.  Nothing here is visible outside libperfshim.so.
 *
 * Every hook follows one pattern (see hooks_io.c): make sure the real
 * function is resolved; if the shim is off, or this thread is already inside
 * the shim, call the real function and return; otherwise call it, then
 * record what it did through the shim_* functions below, with errno kept.
 */
#ifndef PERFSHIM_INTERNAL_H
#define PERFSHIM_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "compiler.h"
#include "clock.h"
#include "layout.h"
#include "real.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* Defines the exported hook `name` as the C function hook_<name>. */
#define HOOK(ret, name, args) SHIM_EXPORT ret hook_##name args __asm__(#name); ret hook_##name args

#define SPAN_STACK 256

struct span_frame {
	uint32_t site;
	uint32_t pad;
	uint64_t start;
	uint64_t child; /* inclusive time of spans nested in this one */
};

/* Per-thread state (initial-exec TLS: a fixed offset from %fs, no call). */
struct shim_tls {
	int busy;	 /* inside the shim, or a vfork child: hooks pass through */
	int in_resolve;	 /* inside shim_resolve() */
	int vfork_child; /* running as a vfork child on its parent's stack */
	int dead;	 /* slot released at thread exit */
	/* Signals (bit sig - 1) a vfork child took over from the shim: its
	 * dispositions are its own, owned[] is its parent's. */
	uint64_t vfork_disowned;
	uintptr_t busy_sp; /* stack pointer when busy last went from 0 to 1 */
	struct shm_thread *slot;
	unsigned slot_idx;
	/*
	 * Usable bytes not yet folded into the global live count, plus
	 * heap_bias (heap.h), kept in *heap_acc: the heap_biased of the
	 * thread's own slot, where the report sees it, else own_biased.
	 * heap_span is 2 * heap_bias - 1.  All 0 until the first fold.
	 */
	uint64_t *heap_acc;
	uint64_t own_biased, heap_bias, heap_span;
	int64_t sample_left;  /* bytes until the next sampled allocation */
	uint64_t rng;
	unsigned span_depth;
	struct span_frame spans[SPAN_STACK];
};

/* vfork.S writes busy and vfork_child at these offsets. */
_Static_assert(offsetof(struct shim_tls, busy) == 0, "vfork.S offset");
_Static_assert(offsetof(struct shim_tls, vfork_child) == 8, "vfork.S offset");
_Static_assert(offsetof(struct shim_tls, vfork_disowned) == 16, "vfork.S offset");

extern __thread struct shim_tls shim_tls __attribute__((tls_model("initial-exec")));

enum shim_state { SHIM_UNINIT, SHIM_INITING, SHIM_ACTIVE, SHIM_OFF };
extern int shim_state;
extern struct shm_header *shim_shm;
extern pid_t shim_pid;

/* Starts the shim if PERFSHIM_OUT is set (idempotent); returns 1 if active. */
int shim_init(void);

/*
 * 1 if this call should be recorded: the shim is active and the thread is
 * not already inside it.  The inline fast path of every hook.
 */
static inline int shim_on(void)
{
	if (likely(shim_state == SHIM_ACTIVE))
		return !shim_tls.busy;
	if (shim_state == SHIM_UNINIT)
		return shim_init() && !shim_tls.busy;
	return 0;
}

/* The calling thread's counter slot (claims one on first use). */
struct shm_thread *shim_slot_claim(void);
static inline struct shm_thread *shim_slot(void)
{
	struct shm_thread *s = shim_tls.slot;

	return likely(s != NULL) ? s : shim_slot_claim();
}

/* Adds to a slot counter; the shared overflow slot needs atomics. */
static inline void cnt_add(struct shm_thread *s, uint64_t *field, uint64_t v)
{
	if (likely(s->state == 1))
		*field += v;
	else
		__atomic_fetch_add(field, v, __ATOMIC_RELAXED);
}

static inline void atomic_add(uint64_t *field, uint64_t v)
{
	__atomic_fetch_add(field, v, __ATOMIC_RELAXED);
}

/*
 * Marks the thread inside the shim, and back.  The stack pointer at the
 * outermost mark tells a longjmp() out of a signal handler whether it
 * leaves the shim's frames behind (hooks_proc.c).
 */
static inline void shim_enter(void)
{
	if (!shim_tls.busy++)
		__asm__ volatile("mov %%rsp, %0" : "=r"(shim_tls.busy_sp));
}

static inline void shim_leave(void)
{
	if (likely(shim_tls.busy > 0))
		shim_tls.busy--;
}

#define ENTER() shim_enter()
#define LEAVE() shim_leave()

/* shm.c */
int shim_shm_create(pid_t pid, pid_t ppid, struct shm_header *parent);
/* 1 if the file size limit leaves room for a counter file (else the shim stays off). */
int shim_shm_fits(void);
void shim_slot_release(void);
void shim_after_fork_child(void);
/*
 * Ends the image: writes the JSON report; returns 0 or -errno.  For END_EXEC,
 * status is EXEC_HANDOVER when the new image will run the shim into the same
 * directory (it removes the counter file), else 0.
 */
int shim_finish(int reason, int status, int sig, const char *exec_target);
#define EXEC_HANDOVER 1
/*
 * For a fatal signal, after shim_finish() returned -EALREADY: waits (at
 * most 2 s) for the thread that is writing the report, or, if the signal
 * interrupted this thread writing it, writes it again with this end.
 */
int shim_finish_interrupted(int reason, int status, int sig);
/* Undoes shim_finish(END_EXEC) after a failed exec. */
void shim_unfinish(void);

/* fdtab.c: descriptor classification. */
struct shm_fd *shim_fd(int fd); /* NULL when fd is out of range */
struct shm_fd *shim_fd_classified(int fd);
void shim_fd_opened_file(int fd, int dirfd, const char *path);
void shim_fd_opened(int fd, int kind);
void shim_fd_socket(int fd, int domain, int type);
void shim_fd_closed(int fd);
void shim_fd_dup(int oldfd, int newfd);
void shim_fd_close_range(unsigned first, unsigned last);
void shim_io_unget(int fd);
/* Bytes moved by inline stdio code, with no call (stdio_track.c). */
void shim_io_inline(int fd, int is_read, ssize_t bytes);
void shim_cwd_changed(void);
uint32_t shim_file_index(const char *abspath);
int shim_format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap,
		     int *transport, int *pclass);
struct shm_peer *shim_peer(uint32_t idx);
uint32_t shim_peer_index(const char *addr, int transport, int role, int pclass);
void shim_listen_add(int fd);
int shim_kind_of(const struct shm_fd *f);

/* io.c: recording I/O. */
void shim_io_read(int fd, const void *buf, ssize_t r, uint64_t t0, uint64_t t1, int stdio);
void shim_io_write(int fd, const void *buf, size_t buflen, ssize_t r, uint64_t t0, uint64_t t1,
		   int stdio);
void shim_io_readv(int fd, const struct iovec *iov, int n, ssize_t r, uint64_t t0, uint64_t t1);
void shim_io_writev(int fd, const struct iovec *iov, int n, ssize_t r, uint64_t t0, uint64_t t1);
void shim_io_sendto(int fd, const void *buf, size_t len, ssize_t r, const struct sockaddr *to,
		    socklen_t tolen, uint64_t t0, uint64_t t1);
void shim_io_sendmmsg(int fd, const struct mmsghdr *v, int r, uint64_t t0, uint64_t t1);
void shim_io_poll(uint64_t t0, uint64_t t1);
void shim_net_connect(int fd, const struct sockaddr *sa, socklen_t len, int ret, int err,
		      uint64_t t0, uint64_t t1);
void shim_net_accept(int lfd, int fd);
void shim_net_connected_check(int fd, uint64_t t);
void shim_dns(int failed, uint64_t t0, uint64_t t1);
void shim_file_flush_pending(struct shm_thread *s);

/* heap.c, heap.h */
void shim_heap_flush(void);
void shim_heap_release(void);
void shim_heap_attach(struct shm_thread *s);
void shim_heap_detach(void);
int64_t shim_heap_pending_bytes(void);
void shim_heap_init(void);

/* lock.c */
void shim_lock_wait(uint64_t t0, uint64_t t1);

/* lifecycle.c */
/* 1 if an image started with envp runs the shim into our directory. */
int shim_env_continues(char *const envp[]);
/* 1 if the page of the program's pointer p is mapped (readable without a crash). */
int shim_mapped(const void *p);
void shim_signals_install(void);
/*
 * A program gives fatal signal sig back to SIG_DFL: the shim's handler is
 * installed instead (read back as SIG_DFL).  Returns 0 if it was.
 */
int shim_signal_reclaim(int sig);
void shim_signal_query(int sig, struct sigaction *old);
int shim_signal_owned(int sig);
void shim_signal_set(int sig, const struct sigaction *act);

/* Raw system calls, so the shim never re-enters its own hooks. */
long shim_sys(long nr, ...);
int shim_open(const char *path, int flags, int mode);
ssize_t shim_read_all(int fd, char *buf, size_t cap);
int shim_write_all(int fd, const char *buf, size_t len);
int shim_close(int fd);
pid_t shim_gettid(void);
size_t shim_strlcpy(char *dst, const char *src, size_t cap);
uint32_t shim_hash(const char *s);

#endif
