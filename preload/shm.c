/*
 * The counter file: creating and mapping DIR/perfshim.<pid>.<n>.shm, thread
 * slots, the fork child's own file, and the end of an image (the JSON report).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "io.h"
#include "jsonw.h"
#include "report.h"

__thread struct shim_tls shim_tls __attribute__((tls_model("initial-exec")));
struct shm_header *shim_shm;
pid_t shim_pid;
char shim_dir[4096];
struct shm_fd *shim_fds_base;
static uint32_t shim_image;
static pthread_key_t slot_key;
static int slot_key_ok;

static size_t fmt_path(char *out, size_t cap, pid_t pid, uint32_t n, const char *suffix,
		       const char *prefix)
{
	char num[24];
	size_t len = shim_strlcpy(out, shim_dir, cap);

	len += shim_strlcpy(out + len, "/", cap - len);
	len += shim_strlcpy(out + len, prefix, cap - len);
	len += shim_strlcpy(out + len, "perfshim.", cap - len);
	jsonw_fmt_u64(num, (uint64_t)pid);
	len += shim_strlcpy(out + len, num, cap - len);
	len += shim_strlcpy(out + len, ".", cap - len);
	jsonw_fmt_u64(num, n);
	len += shim_strlcpy(out + len, num, cap - len);
	len += shim_strlcpy(out + len, suffix, cap - len);
	return len;
}

static void read_small(const char *path, char *buf, size_t cap, uint32_t *len)
{
	int fd = shim_open(path, O_RDONLY, 0);
	ssize_t n = 0;

	if (fd >= 0) {
		n = shim_read_all(fd, buf, cap - 1);
		shim_close(fd);
	}
	if (n < 0)
		n = 0;
	buf[n] = 0;
	if (len)
		*len = (uint32_t)n;
}

/* The fork child keeps its parent's descriptors, files, peers and sites, with counters at 0. */
static void copy_tables(struct shm_header *h, struct shm_header *p)
{
	struct shm_file *pf = shm_files(p), *hf = shm_files(h);
	struct shm_peer *pp = shm_peers(p), *hp = shm_peers(h);
	struct shm_order *po = shm_order(p), *ho = shm_order(h);
	uint32_t maxfd = p->max_fd_seen;
	uint32_t nf = MIN(p->nfiles, (uint32_t)SHM_MAX_FILES), np = MIN(p->npeers, (uint32_t)SHM_MAX_PEERS);

	memcpy(shm_fds(h), shm_fds(p),
	       sizeof(struct shm_fd) * (maxfd + 1 < SHM_MAX_FDS ? maxfd + 1 : SHM_MAX_FDS));
	h->max_fd_seen = maxfd;
	for (uint32_t k = 0; k < nf; k++) {
		int i = shm_order_get(po->files, k);

		if (i < 0 || pf[i].used != 2)
			continue;
		hf[i].used = 2;
		hf[i].hash = pf[i].hash;
		memcpy(hf[i].path, pf[i].path, sizeof(hf[i].path));
		shm_order_add(&h->nfiles, ho->files, SHM_MAX_FILES, (uint32_t)i);
	}
	for (uint32_t k = 0; k < np; k++) {
		int i = shm_order_get(po->peers, k);

		if (i < 0 || pp[i].used != 2)
			continue;
		shm_order_add(&h->npeers, ho->peers, SHM_MAX_PEERS, (uint32_t)i);
		hp[i].used = 2;
		hp[i].hash = pp[i].hash;
		hp[i].transport = pp[i].transport;
		hp[i].role = pp[i].role;
		hp[i].pclass = pp[i].pclass;
		memcpy(hp[i].addr, pp[i].addr, sizeof(hp[i].addr));
	}
	memcpy(shm_listens(h), shm_listens(p), sizeof(struct shm_listen) * SHM_MAX_LISTENS);
	memcpy(shm_sites(h), shm_sites(p), sizeof(struct shm_site) * SHM_MAX_SITES);
	h->nsites = p->nsites;
	memcpy(shm_modules(h), shm_modules(p), sizeof(struct shm_module) * SHM_MAX_MODULES);
	h->nmodules = p->nmodules;
}

int shim_shm_fits(void)
{
	struct rlimit lim;

	return syscall(SYS_getrlimit, RLIMIT_FSIZE, &lim) < 0 || lim.rlim_cur == RLIM_INFINITY ||
	       lim.rlim_cur >= shm_layout(NULL);
}

int shim_shm_create(pid_t pid, pid_t ppid, struct shm_header *parent)
{
	char path[4200], json[4200];
	uint64_t size = shm_layout(NULL);
	struct shm_header *h;
	uint32_t n;
	int fd = -1;

	/*
	 * A file size limit below the counter file: ftruncate() would raise
	 * SIGXFSZ, which ends the program.  The shim stays off instead.
	 */
	if (!shim_shm_fits())
		return -EFBIG;

	for (n = 0; n < 100000; n++) {
		fmt_path(path, sizeof(path), pid, n, ".shm", "");
		fmt_path(json, sizeof(json), pid, n, ".json", "");
		fd = shim_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
		if (fd < 0) {
			/* Left by our own previous image, which exec'd after writing its report. */
			if (syscall(SYS_faccessat, AT_FDCWD, json, F_OK, 0) == 0)
				syscall(SYS_unlinkat, AT_FDCWD, path, 0);
			continue;
		}
		if (syscall(SYS_faccessat, AT_FDCWD, json, F_OK, 0) == 0) {
			syscall(SYS_unlinkat, AT_FDCWD, path, 0);
			shim_close(fd);
			continue;
		}
		break;
	}
	if (fd < 0)
		return -EEXIST;
	if (syscall(SYS_ftruncate, fd, (long)size) < 0) {
		int e = -errno;

		shim_close(fd);
		syscall(SYS_unlinkat, AT_FDCWD, path, 0);
		return e;
	}
	h = (void *)syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	shim_close(fd);
	if (h == MAP_FAILED) {
		int e = -errno;

		syscall(SYS_unlinkat, AT_FDCWD, path, 0);
		return e;
	}
	/* The file is sparse: fault in single pages, never a read-ahead window of zeroes. */
	syscall(SYS_madvise, h, size, MADV_RANDOM);
	shm_layout(h);
	h->version = SHM_VERSION;
	h->header_size = sizeof(*h);
	h->file_size = size;
	h->pid = pid;
	h->ppid = ppid;
	h->image = n;
	h->clock = shim_use_tsc ? CLOCK_KIND_TSC : CLOCK_KIND_MONO;
	h->start_tick = now_tick();
	h->start_mono_ns = mono_ns();
	h->start_real_ns = real_ns();
	h->heap_sample_interval = parent ? parent->heap_sample_interval : 0;
	read_small("/proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id), NULL);
	{
		long r = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", h->exe,
				 sizeof(h->exe) - 1);

		h->exe[r > 0 ? r : 0] = 0;
	}
	read_small("/proc/self/cmdline", h->argv, sizeof(h->argv), &h->argv_len);
	shm_threads(h)[SHM_MAX_THREADS - 1].state = 2;
	if (parent)
		copy_tables(h, parent);
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
	shim_image = n;
	shim_fds_base = shm_fds(h);
	__atomic_store_n(&shim_shm, h, __ATOMIC_RELEASE);
	return 0;
}

static void slot_dtor(void *v)
{
	(void)v;
	shim_slot_release();
}

/* Called once libc is ready (from the constructor). */
void shim_slot_key_init(void);
void shim_slot_key_init(void)
{
	if (!slot_key_ok && pthread_key_create(&slot_key, slot_dtor) == 0)
		slot_key_ok = 1;
	if (slot_key_ok && shim_tls.slot)
		pthread_setspecific(slot_key, (void *)1);
}

struct shm_thread *shim_slot_claim(void)
{
	struct shm_header *h = shim_shm;
	struct shm_thread *t = shm_threads(h);
	unsigned i;

	if (!shim_tls.dead) {
		for (i = 0; i < SHM_MAX_THREADS - 1; i++) {
			uint32_t z = 0;

			if (__atomic_load_n(&t[i].state, __ATOMIC_RELAXED) != 0 ||
			    !__atomic_compare_exchange_n(&t[i].state, &z, 1, 0, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED))
				continue;
			t[i].tid = (uint32_t)shim_gettid();
			{
				uint32_t hwm = __atomic_load_n(&h->threads_hwm, __ATOMIC_RELAXED);

				while (hwm < i + 1 &&
				       !__atomic_compare_exchange_n(&h->threads_hwm, &hwm, i + 1, 1,
								    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
					;
			}
			shim_tls.slot = &t[i];
			shim_tls.slot_idx = i;
			shim_heap_attach(&t[i]);
			__atomic_fetch_add(&h->threads_seen, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&h->nthreads_live, 1, __ATOMIC_RELAXED);
			if (slot_key_ok)
				pthread_setspecific(slot_key, (void *)1);
			return &t[i];
		}
		__atomic_fetch_add(&h->threads_seen, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&h->threads_shared, 1, __ATOMIC_RELAXED);
	}
	shim_heap_detach();
	shim_tls.slot = &t[SHM_MAX_THREADS - 1];
	shim_tls.slot_idx = SHM_MAX_THREADS - 1;
	/* A sharing thread too must fold its pending heap bytes when it exits. */
	if (slot_key_ok && !shim_tls.dead)
		pthread_setspecific(slot_key, (void *)1);
	return shim_tls.slot;
}

void shim_slot_release(void)
{
	struct shm_thread *s = shim_tls.slot;
	struct shm_header *h = shim_shm;

	if (!s || !h)
		return;
	ENTER();
	shim_heap_flush();
	shim_heap_detach();
	shim_file_flush_pending(s);
	if (s->state == 1) {
		unsigned idx = shim_tls.slot_idx;

		for (uint32_t i = 0; i < h->nsites && i < SHM_MAX_SITES; i++)
			shm_span(h, idx, i)->active = 0;
		__atomic_fetch_sub(&h->nthreads_live, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->state, 0, __ATOMIC_RELEASE);
	}
	shim_tls.slot = NULL;
	shim_tls.dead = 1;
	shim_heap_release();
	shim_tls.span_depth = 0;
	LEAVE();
}

void shim_after_fork_child(void)
{
	struct shm_header *old = shim_shm;
	int64_t live;

	/* Done already: from the atfork handler, then again from the fork hook. */
	if (!old || (pid_t)syscall(SYS_getpid) == shim_pid)
		return;
	live = __atomic_load_n(&old->heap_live, __ATOMIC_RELAXED) + shim_heap_pending_bytes();
	/*
	 * Counted in live: the thread goes on with nothing unfolded, off the
	 * old slot (not cleared: that mapping is still the parent's).
	 */
	shim_tls.own_biased = shim_tls.heap_bias;
	shim_tls.heap_acc = &shim_tls.own_biased;
	shim_tls.slot = NULL;
	shim_tls.dead = 0;
	shim_pid = (pid_t)syscall(SYS_getpid);
	if (shim_shm_create(shim_pid, (pid_t)old->pid, old) < 0) {
		shim_state = SHIM_OFF;
		shim_shm = NULL;
	} else {
		shim_shm->heap_live = live;
		shim_shm->heap_peak = live;
		/* The thread goes on with its fold limit; the parent's others are not here. */
		shim_shm->heap_bias_sum = (int64_t)shim_tls.heap_bias;
		shim_shm->heap_peak_error = shim_tls.heap_bias;
	}
	syscall(SYS_munmap, old, old->file_size);
	if (shim_state == SHIM_ACTIVE) {
		shim_slot();
		if (slot_key_ok)
			pthread_setspecific(slot_key, (void *)1);
	}
}

/* The report file: written under a temporary name, renamed without replacing. */
struct fd_sink {
	int fd;
};

static int fd_sink(void *ctx, const char *p, size_t n)
{
	return shim_write_all(((struct fd_sink *)ctx)->fd, p, n);
}

static void read_kernel(struct report_end *e)
{
	char buf[2048];
	struct rusage ru;

	read_small("/proc/self/io", buf, sizeof(buf), NULL);
	e->have_kernel = report_parse_proc_io(buf, &e->kio) == 0;
	if (!e->have_kernel)
		shim_strlcpy(e->kernel_error, "/proc/self/io unreadable", sizeof(e->kernel_error));
	if (syscall(SYS_getrusage, RUSAGE_SELF, &ru) == 0) {
		e->have_rusage = 1;
		e->user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000ULL + ru.ru_utime.tv_usec * 1000ULL;
		e->sys_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000ULL + ru.ru_stime.tv_usec * 1000ULL;
		e->minflt = ru.ru_minflt;
		e->majflt = ru.ru_majflt;
		e->nvcsw = ru.ru_nvcsw;
		e->nivcsw = ru.ru_nivcsw;
	}
	read_small("/proc/self/status", buf, sizeof(buf), NULL);
	e->have_mem = report_parse_status(buf, &e->peak_rss, &e->rss) == 0;
}

/*
 * The report (and a counter file put back after a failed exec) is not the
 * program's output, but a file size limit the program set applies to it,
 * and past it the kernel raises SIGXFSZ, which would end the process.
 * While the shim writes such a file the soft limit is lifted to the hard
 * one, and SIGXFSZ blocked; one it raised is taken back.
 */
struct fsize_guard {
	int limited;
	struct rlimit lim;
	uint64_t mask, pending;
};

#define XFSZ_BIT (1ULL << (SIGXFSZ - 1))

static void fsize_lift(struct fsize_guard *g)
{
	uint64_t block = XFSZ_BIT;
	struct rlimit up;

	g->limited =
	    syscall(SYS_getrlimit, RLIMIT_FSIZE, &g->lim) == 0 && g->lim.rlim_cur != RLIM_INFINITY;
	if (!g->limited)
		return;
	up = g->lim;
	up.rlim_cur = up.rlim_max;
	syscall(SYS_setrlimit, RLIMIT_FSIZE, &up);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, &g->mask, sizeof(block));
	g->pending = 0;
	syscall(SYS_rt_sigpending, &g->pending, sizeof(g->pending));
}

static void fsize_restore(struct fsize_guard *g)
{
	struct timespec zero = {0, 0};
	uint64_t xfsz = XFSZ_BIT, now = 0;

	if (!g->limited)
		return;
	syscall(SYS_setrlimit, RLIMIT_FSIZE, &g->lim);
	syscall(SYS_rt_sigpending, &now, sizeof(now));
	if ((now & XFSZ_BIT) && !(g->pending & XFSZ_BIT))
		syscall(SYS_rt_sigtimedwait, &xfsz, NULL, &zero, sizeof(xfsz));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &g->mask, NULL, sizeof(g->mask));
}

static char report_buf[65536];
static int finished;
static int finish_done;	    /* the report of the image being finished is written (or failed) */
static pid_t finishing_tid; /* the thread writing it */
static char json_path[4200];
static int exec_fd = -1; /* the unlinked counter file while an exec is under way */

/*
 * After a failed exec: the counter file under its name again, for recovery
 * if the process is killed later.  Its data is copied from the mapping
 * (only the extents holding data: the file is sparse), and the new file is
 * mapped over the old one at the same address, so that every pointer into
 * the mapping stays valid.
 */
static void shm_restore(struct shm_header *h, int old)
{
	struct fsize_guard lim;
	char path[4200];
	uint64_t size = h->file_size;
	int64_t off = 0, end;
	int fd;

	fmt_path(path, sizeof(path), h->pid, h->image, ".shm", "");
	fsize_lift(&lim);
	fd = shim_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fsize_restore(&lim);
		return; /* counting goes on in the mapping; only recovery is lost */
	}
	if (syscall(SYS_ftruncate, fd, (long)size) < 0)
		goto fail;
	while ((off = syscall(SYS_lseek, old, off, SEEK_DATA)) >= 0 && (uint64_t)off < size) {
		end = syscall(SYS_lseek, old, off, SEEK_HOLE);
		if (end < 0 || (uint64_t)end > size)
			end = (int64_t)size;
		while (off < end) {
			long r =
			    syscall(SYS_pwrite64, fd, (char *)h + off, (size_t)(end - off), off);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				goto fail;
			off += r;
		}
	}
	if ((void *)syscall(SYS_mmap, h, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			    0) != (void *)h)
		goto fail;
	syscall(SYS_madvise, h, size, MADV_RANDOM);
	shim_close(fd);
	fsize_restore(&lim);
	return;
fail:
	shim_close(fd);
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	fsize_restore(&lim);
}

int shim_finish(int reason, int status, int sig, const char *exec_target)
{
	struct shm_header *h = shim_shm;
	struct report_end e;
	char tmp[4200], shm_path[4200];
	struct fd_sink sink;
	struct fsize_guard lim;
	int fd, ret, saved = errno;

	if (!h || __atomic_exchange_n(&finished, 1, __ATOMIC_ACQ_REL))
		return -EALREADY;
	__atomic_store_n(&finish_done, 0, __ATOMIC_RELAXED);
	finishing_tid = shim_gettid();
	ENTER();
	shim_heap_flush();
	if (shim_tls.slot)
		shim_file_flush_pending(shim_tls.slot);
	memset(&e, 0, sizeof(e));
	h->end_tick = now_tick();
	e.end_mono_ns = mono_ns();
	e.end_tick = h->end_tick;
	e.ratio_tick = h->end_tick;
	e.ratio_mono_ns = e.end_mono_ns;
	h->end_reason = (uint32_t)reason;
	/* The process's exit status is the low 8 bits of what exit() got, as wait() sees it. */
	h->exit_status = reason == END_EXIT ? status & 0377 : status;
	h->end_signal = sig;
	if (exec_target)
		shim_strlcpy(h->exec_target, exec_target, sizeof(h->exec_target));
	read_kernel(&e);
	e.symbolize = reason != END_SIGNAL;

	fsize_lift(&lim);
	fmt_path(json_path, sizeof(json_path), h->pid, h->image, ".json", "");
	fmt_path(tmp, sizeof(tmp), h->pid, h->image, ".json.tmp", ".");
	fd = shim_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST) {
		syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
		fd = shim_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	}
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	/* Whatever reached the file while it had a number below 3 (shim_open) goes. */
	syscall(SYS_ftruncate, fd, 0L);
	syscall(SYS_lseek, fd, 0L, SEEK_SET);
	sink.fd = fd;
	ret = report_write(h, &e, report_buf, sizeof(report_buf), fd_sink, &sink);
	shim_close(fd);
	if (ret == 0)
		ret = report_rename_noreplace(AT_FDCWD, tmp, AT_FDCWD, json_path);
	if (ret < 0) {
		syscall(SYS_unlinkat, AT_FDCWD, tmp, 0);
		goto out;
	}
	fmt_path(shm_path, sizeof(shm_path), h->pid, h->image, ".shm", "");
	/*
	 * Before an exec the counter file stays for a failed exec to go on
	 * with.  A new image that runs the shim removes it; for one that may
	 * not, the name must go now, and a close-on-exec descriptor is kept so
	 * that a failed exec can put the file back (shim_unfinish).
	 */
	if (reason == END_EXEC && status == EXEC_HANDOVER)
		goto out;
	if (reason == END_EXEC)
		exec_fd = shim_open(shm_path, O_RDONLY, 0);
	syscall(SYS_unlinkat, AT_FDCWD, shm_path, 0);
out:
	fsize_restore(&lim);
	__atomic_store_n(&finish_done, 1, __ATOMIC_RELEASE);
	LEAVE();
	errno = saved;
	return ret;
}

int shim_finish_interrupted(int reason, int status, int sig)
{
	struct timespec ms = {0, 1000000};

	/*
	 * This thread was writing it when the signal came: that report will
	 * never be finished, since the signal ends the process from here.  It
	 * is written again, with this end.
	 */
	if (__atomic_load_n(&finishing_tid, __ATOMIC_RELAXED) == shim_gettid()) {
		if (__atomic_load_n(&finish_done, __ATOMIC_ACQUIRE))
			return 0;
		__atomic_store_n(&finished, 0, __ATOMIC_RELEASE);
		return shim_finish(reason, status, sig, NULL);
	}
	for (int i = 0; i < 2000 && !__atomic_load_n(&finish_done, __ATOMIC_ACQUIRE); i++)
		syscall(SYS_nanosleep, &ms, NULL);
	return 0;
}

void shim_unfinish(void)
{
	struct shm_header *h = shim_shm;
	int saved = errno;

	if (!h)
		return;
	syscall(SYS_unlinkat, AT_FDCWD, json_path, 0);
	if (exec_fd >= 0) {
		shm_restore(h, exec_fd);
		shim_close(exec_fd);
		exec_fd = -1;
	}
	h->end_reason = END_RUNNING;
	h->end_tick = 0;
	h->exec_target[0] = 0;
	__atomic_store_n(&finished, 0, __ATOMIC_RELEASE);
	errno = saved;
}
