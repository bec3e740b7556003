/*
 * The layout of a perfshim counter file, DIR/perfshim.<pid>.<n>.shm.
 *
 * The shim maps this file MAP_SHARED at its first call and keeps every
 * counter in it, so the counters survive the process: a clean end turns the
 * file into the JSON report (report.c), and `perfprof recover` does the same
 * for a process that was killed.  Nothing here is a pointer; the file is read
 * back by another process.
 *
 * Ownership: a thread slot is written only by the thread that owns it (plain
 * stores); the fd, file, peer, site and module tables are shared and updated
 * with relaxed atomics.  All times are in clock ticks (see `clock` in the
 * header): TSC ticks or nanoseconds.
 *
 * Bump SHM_VERSION on any change to these structures.
 */
#ifndef PERFSHIM_LAYOUT_H
#define PERFSHIM_LAYOUT_H

#include <stdint.h>

#define SHM_MAGIC	 0x314d485350524550ULL /* "PERPSHM1", little endian */
#define SHM_VERSION	 3

#define SHM_MAX_THREADS	 256	/* counter slots; more threads share the last slot */
#define SHM_MAX_FDS	 65536	/* descriptors tracked individually */
#define SHM_MAX_FILES	 4096
#define SHM_MAX_PEERS	 1024
#define SHM_MAX_LISTENS	 64
#define SHM_MAX_SITES	 1024	/* span sites */
#define SHM_MAX_HSITES	 2048	/* sampled heap allocation stacks */
#define SHM_MAX_MODULES	 512
#define SHM_HSITE_FRAMES 24
#define SHM_HIST_BUCKETS 40	/* heap size histogram, powers of two */
#define SHM_PATH_LEN	 232
#define SHM_ADDR_LEN	 112
#define SHM_NAME_LEN	 128
#define SHM_EXE_LEN	 512
#define SHM_ARGV_LEN	 4096

enum io_kind { IO_FILE, IO_SOCKET, IO_PIPE, IO_TTY, IO_OTHER, IO_NKINDS };

enum end_reason { END_RUNNING, END_EXIT, END_EXEC, END_SIGNAL, END_RECOVERED };

enum clock_kind { CLOCK_KIND_MONO = 1, CLOCK_KIND_TSC = 2 };

enum transport { TR_NONE, TR_TCP, TR_UDP, TR_UNIX };
enum peer_role { ROLE_CLIENT, ROLE_SERVER };
enum peer_class {
	PC_UNKNOWN,
	PC_HTTP,
	PC_POSTGRES,
	PC_MYSQL,
	PC_REDIS,
	PC_MEMCACHED,
	PC_MONGODB,
	PC_DNS,
	PC_NCLASSES
};

struct io_counters {
	uint64_t read_calls, read_bytes, read_blocked, write_calls, write_bytes, write_blocked, opens;
};

/* Per-file counts a thread accumulates while it keeps using one file. */
struct file_pending {
	uint32_t file; /* index + 1 into files[], 0 = none */
	uint32_t pad;
	uint64_t read_calls, read_bytes, write_calls, write_bytes, blocked;
};

struct shm_thread {
	uint32_t state; /* 0 free, 1 owned, 2 shared overflow slot */
	uint32_t tid;
	uint64_t last_tick; /* last event this thread recorded */
	struct io_counters io[IO_NKINDS];
	struct io_counters stdio[IO_NKINDS];
	struct file_pending fpend;
	uint64_t poll_calls, poll_blocked;
	uint64_t heap_frees, heap_reallocs, heap_bytes; /* allocations: the sum of hist[] */
	/* The owner's heap change not folded into heap_live yet, plus heap_bias (heap.c). */
	uint64_t heap_biased, heap_bias;
	uint64_t hist[SHM_HIST_BUCKETS];
	uint64_t lock_contended, lock_wait;
	uint64_t dns_lookups, dns_failures, dns_blocked;
	uint64_t spans_dropped;
} __attribute__((aligned(64)));

struct shm_fd {
	uint8_t kind;	   /* io_kind + 1; 0 = not classified yet */
	uint8_t transport; /* enum transport */
	uint8_t role;	   /* enum peer_role */
	uint8_t state;	   /* FDS_* bits */
	uint16_t file;	   /* index + 1 into files[] */
	uint16_t peer;	   /* index + 1 into peers[] */
	uint64_t req_start; /* first byte of the current request, or start of a pending connect */
};

#define FDS_WROTE	0x01 /* last data moved was written */
#define FDS_READ	0x02 /* last data moved was read */
#define FDS_HTTP	0x04 /* the current request is HTTP */
#define FDS_CONNECTING	0x08 /* non-blocking connect in progress */
#define FDS_LISTEN	0x10

struct shm_file {
	uint32_t used; /* 0 free, 1 being written, 2 ready */
	uint32_t hash;
	char path[SHM_PATH_LEN];
	uint64_t opens, read_calls, read_bytes, write_calls, write_bytes, blocked;
};

struct shm_peer {
	uint32_t used;
	uint32_t hash;
	uint8_t transport, role, pclass, pad[5];
	char addr[SHM_ADDR_LEN];
	uint64_t connects, connect_errors, connect_ticks, accepts;
	uint64_t round_trips, round_trip_ticks, http_requests, http_round_trips, served;
	uint64_t send_calls, bytes_sent, recv_calls, bytes_received, blocked;
};

struct shm_listen {
	uint32_t used;
	uint8_t transport, pclass, pad[2];
	char addr[SHM_ADDR_LEN];
};

struct shm_site {
	uint32_t used;
	uint32_t line;
	char name[SHM_NAME_LEN];
	char file[SHM_NAME_LEN];
};

/* Per thread slot and span site. */
struct shm_span_stat {
	uint64_t calls, total, self, min, max;
	uint32_t active; /* activations of this site open on the owning thread */
	uint32_t pad;
};

struct shm_hsite {
	uint32_t used;
	uint32_t nframes;
	uint64_t hash;
	uint64_t frames[SHM_HSITE_FRAMES];
	uint64_t samples, est_bytes, est_allocs_milli, sampled_bytes;
};

struct shm_module {
	uint64_t start, end, offset;
	char path[SHM_PATH_LEN];
};

struct shm_header {
	uint64_t magic; /* written last at creation: a file without it is ignored */
	uint32_t version;
	uint32_t header_size;
	uint64_t file_size;
	int32_t pid, ppid;
	uint32_t image;
	uint32_t clock; /* enum clock_kind */
	uint64_t start_real_ns, start_mono_ns, start_tick;
	char boot_id[40];
	char exe[SHM_EXE_LEN];
	uint32_t argv_len; /* NUL-separated, as /proc/self/cmdline */
	char argv[SHM_ARGV_LEN];

	/* Written at the end (by the process or by recover). */
	uint32_t end_reason;
	int32_t exit_status;
	int32_t end_signal;
	uint32_t pad0;
	uint64_t end_tick;
	char exec_target[SHM_PATH_LEN];

	/* Shared, atomic. */
	int64_t heap_live;	  /* usable bytes, folded in from threads */
	int64_t heap_peak;
	uint64_t heap_peak_error; /* bound on the error of heap_peak: the largest heap_bias_sum */
	int64_t heap_bias_sum;	  /* sum of the threads' fold limits (heap.c) */
	uint64_t heap_sample_interval;
	uint64_t net_connects, net_connect_errors, net_connect_ticks, net_accepts;
	uint32_t threads_seen;
	uint32_t threads_shared; /* threads that found no free slot */
	uint32_t nthreads_live;
	uint32_t max_fd_seen;
	uint32_t files_dropped, peers_dropped, sites_dropped, hsites_dropped, fds_untracked;
	uint32_t nmodules;
	uint32_t modules_lock;
	uint32_t hsites_lock;
	uint32_t nsites;
	uint32_t threads_hwm; /* slots [0, threads_hwm) have been claimed at some time */
	/* Entries used in the hashed tables, in the order index (1-based indices; 0 = being added). */
	uint32_t nfiles, npeers, nhsites;
	uint32_t pad1;

	/* Offsets of the tables from the start of the file. */
	uint64_t off_threads, off_fds, off_files, off_peers, off_listens, off_sites, off_spans,
		off_hsites, off_modules, off_order;
};

/*
 * The order index: which entries of the hashed tables are used, so that
 * readers touch only those.  A counter file is sparse, and reading a hole
 * costs a page of zeroes; the report must not read 16 MB to find 20 entries.
 */
struct shm_order {
	uint16_t files[SHM_MAX_FILES];
	uint16_t peers[SHM_MAX_PEERS];
	uint16_t hsites[SHM_MAX_HSITES];
};

/* The tables follow the header in this order, each 4096-aligned. */
#define SHM_ALIGN(x) (((x) + 4095) & ~(uint64_t)4095)

static inline uint64_t shm_layout(struct shm_header *h)
{
	uint64_t off = SHM_ALIGN(sizeof(struct shm_header));

#define PLACE(field, size)                                                                         \
	do {                                                                                       \
		if (h)                                                                             \
			h->field = off;                                                            \
		off = SHM_ALIGN(off + (size));                                                     \
	} while (0)
	PLACE(off_threads, sizeof(struct shm_thread) * SHM_MAX_THREADS);
	PLACE(off_fds, sizeof(struct shm_fd) * SHM_MAX_FDS);
	PLACE(off_files, sizeof(struct shm_file) * SHM_MAX_FILES);
	PLACE(off_peers, sizeof(struct shm_peer) * SHM_MAX_PEERS);
	PLACE(off_listens, sizeof(struct shm_listen) * SHM_MAX_LISTENS);
	PLACE(off_sites, sizeof(struct shm_site) * SHM_MAX_SITES);
	PLACE(off_spans,
	      sizeof(struct shm_span_stat) * (uint64_t)SHM_MAX_THREADS * SHM_MAX_SITES);
	PLACE(off_hsites, sizeof(struct shm_hsite) * SHM_MAX_HSITES);
	PLACE(off_modules, sizeof(struct shm_module) * SHM_MAX_MODULES);
	PLACE(off_order, sizeof(struct shm_order));
#undef PLACE
	return off;
}

#define SHM_TABLE(h, field, type) ((type *)((char *)(h) + (h)->field))
#define shm_threads(h)	SHM_TABLE(h, off_threads, struct shm_thread)
#define shm_fds(h)	SHM_TABLE(h, off_fds, struct shm_fd)
#define shm_files(h)	SHM_TABLE(h, off_files, struct shm_file)
#define shm_peers(h)	SHM_TABLE(h, off_peers, struct shm_peer)
#define shm_listens(h)	SHM_TABLE(h, off_listens, struct shm_listen)
#define shm_sites(h)	SHM_TABLE(h, off_sites, struct shm_site)
#define shm_hsites(h)	SHM_TABLE(h, off_hsites, struct shm_hsite)
#define shm_modules(h)	SHM_TABLE(h, off_modules, struct shm_module)
#define shm_order(h)	SHM_TABLE(h, off_order, struct shm_order)

/* Appends table index i to an order list (see struct shm_order). */
static inline void shm_order_add(uint32_t *count, uint16_t *list, uint32_t max, uint32_t i)
{
	uint32_t k = __atomic_fetch_add(count, 1, __ATOMIC_RELAXED);

	if (k < max)
		__atomic_store_n(&list[k], (uint16_t)(i + 1), __ATOMIC_RELEASE);
}

/* The i-th used entry of an order list, or -1 while it is being added. */
static inline int shm_order_get(const uint16_t *list, uint32_t k)
{
	return (int)__atomic_load_n(&list[k], __ATOMIC_ACQUIRE) - 1;
}
static inline struct shm_span_stat *shm_span(struct shm_header *h, unsigned slot, unsigned site)
{
	return SHM_TABLE(h, off_spans, struct shm_span_stat) + (uint64_t)slot * SHM_MAX_SITES +
	       site;
}

#endif
