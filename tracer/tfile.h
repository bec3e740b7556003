/*
 * The perftrace sample file (docs/perftrace-format.md): a fixed header, then
 * a stream of self-delimiting records written as they happen, so that a file
 * cut short at any byte still reads up to its last complete record.
 *
 * Every record starts with struct tf_rec (type, size); size counts the
 * header, is a multiple of 8 and at least 8.  Readers skip record types they
 * do not know, which is how the format grows without a version bump.
 * Integers are little-endian (the header says so); times are nanoseconds of
 * CLOCK_MONOTONIC since the header's start_mono_ns.
 */
#ifndef PERFTRACE_TFILE_H
#define PERFTRACE_TFILE_H

#include <stddef.h>
#include <stdint.h>

#define TF_MAGIC       "PERFTRC\n"
#define TF_VERSION     1
#define TF_HEADER_SIZE 64
#define TF_MAX_REC     (1u << 24) /* no record is larger than 16 MiB */
#define TF_MAX_FRAMES  2048

struct tf_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;	    /* TF_HEADER_SIZE */
	uint64_t start_realtime_ns; /* CLOCK_REALTIME at the start */
	uint64_t start_mono_ns;	    /* CLOCK_MONOTONIC at the start: time 0 of the records */
	uint32_t hz;		    /* requested rate per thread */
	uint32_t flags;		    /* TF_F_* */
	uint32_t stack_bytes;	    /* size of the stack copy per sample */
	uint32_t max_frames;
	uint32_t endian; /* 0x01020304 as written */
	uint32_t reserved[3];
};
_Static_assert(sizeof(struct tf_header) == TF_HEADER_SIZE, "header layout");

enum {
	TF_F_LAUNCH = 1 << 0,	   /* we started the command (else attached) */
	TF_F_FLOOR = 1 << 1,	   /* --floor: no stacks were taken */
	TF_F_NO_CHILDREN = 1 << 2, /* children were not followed */
};

struct tf_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t size;
};

enum tf_type {
	TF_PROC = 1,	   /* a process image: after start, fork or exec */
	TF_MODULE = 2,	   /* an ELF file (or the vdso, with its bytes) */
	TF_MAPS_RESET = 3, /* the mappings of pid are replaced by the TF_MAPs that follow */
	TF_MAP = 4,
	TF_THREAD = 5,
	TF_THREAD_END = 6,
	TF_WAIT = 7, /* what blocked samples wait on, interned */
	TF_SAMPLE = 8,
	TF_PROC_END = 9,
	TF_END = 10,  /* the last record of a complete file */
	TF_COMM = 11, /* a thread changed its name */
};

/* Thread states of a sample (also the order of the report's `states`). */
enum tf_state { TS_CPU = 0, TS_IO_FILE, TS_IO_NET, TS_LOCK, TS_SLEEP, TS_OTHER, TS_NR };

/* TF_SAMPLE flags */
enum {
	TFS_IN_SYSCALL = 1 << 0, /* stopped inside (or at the exit of) a system call */
	TFS_BLOCKED = 1 << 1,	 /* that call was waiting and was interrupted */
	TFS_LATE = 1 << 2,	 /* taken more than a quarter period after its due time */
	TFS_TRUNCATED = 1 << 3,	 /* the unwind stopped before the outermost frame */
	TFS_RESTARTED = 1 << 4,	 /* perftrace restarted a call the kernel would not */
	TFS_NOT_HELD = 1 << 5,	 /* taken without stopping the thread */
	TFS_REPEATED = 1 << 6,	 /* blocked still in the call of its previous sample: repeated */
};

enum tf_module_kind { TFM_FILE = 0, TFM_VDSO = 1 };

enum tf_end_reason {
	TFE_EXITED = 0,	   /* every traced process ended */
	TFE_SIGNALLED = 1, /* perftrace was asked to stop (SIGINT, SIGTERM, SIGHUP) */
	TFE_DURATION = 2,  /* --duration elapsed */
};

/* Fixed parts of the records; variable parts follow as described. */
struct tf_proc {
	uint32_t pid, ppid;
	uint32_t image; /* 0 at start, +1 per exec */
	uint32_t argc;
	uint64_t time_ns;
	/* then: str exe, str comm, argc x str */
};

struct tf_module {
	uint32_t id; /* >= 1 */
	uint32_t kind;
	uint64_t dev, ino, size, mtime_ns;
	/* then: str path, bytes build_id, bytes image (vdso only, else empty) */
};

struct tf_map {
	uint32_t pid, module_id;
	uint64_t start, end, pgoff;
	uint64_t vaddr; /* the ELF virtual address that `start` maps: pc - start + vaddr */
	uint32_t prot;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
	uint32_t pad;
};

struct tf_thread {
	uint32_t tid, pid;
	uint64_t time_ns;
	/* then: str comm */
};

struct tf_thread_end {
	uint32_t tid;
	uint32_t lost; /* due samples that could not be taken */
	uint64_t time_ns;
};

struct tf_wait {
	uint32_t id;	/* >= 1 */
	uint32_t state; /* enum tf_state */
			/* then: str target */
};

struct tf_sample {
	uint32_t tid;
	uint32_t stop_ns; /* interrupt sent to thread resumed: how long it was held, at most */
	uint64_t time_ns; /* when its stop was seen */
	uint32_t late_ns; /* stop seen minus due time */
	uint32_t hold_ns; /* stop seen to thread resumed: perftrace's own part of stop_ns */
	uint8_t state;
	uint8_t flags;
	uint16_t nframes;
	int32_t syscall;  /* -1 when not in a system call */
	uint32_t wait_id; /* 0: none */
	uint16_t weight; /* due ticks it stands for: 1, plus those missed while it could not stop */
	uint16_t pad;
	/* then: uint64_t pc[nframes], innermost first */
};

struct tf_proc_end {
	uint32_t pid;
	int32_t status; /* wait(2) status, -1 if not known (not our child, detached) */
	uint64_t time_ns;
};

struct tf_end {
	uint64_t time_ns;
	uint64_t samples, lost, late;
	uint32_t reason;
	int32_t exit_status; /* wait status of the launched command, -1 if none */
};

struct tf_comm {
	uint32_t tid, pad;
	/* then: str comm */
};

/*
 * Writer.  Records are assembled whole in a buffer and reach the file only as
 * complete records, at the latest tf_flush_ms after they were added, so that
 * a perftrace killed by SIGKILL loses at most that much.
 */
struct tf_writer {
	int fd;
	int err;
	char *buf;
	size_t len, cap;
	size_t rec; /* start of the record being built, or (size_t)-1 */
	uint64_t last_flush_ns;
};

/* Takes ownership of fd; writes the header.  Returns 0 or -errno. */
int tf_open(struct tf_writer *w, int fd, const struct tf_header *h);
/* Begins a record; the fixed part (len bytes at p) is copied. */
void tf_begin(struct tf_writer *w, enum tf_type type, const void *p, size_t len);
void tf_put(struct tf_writer *w, const void *p, size_t len);
/* A string: u16 length, bytes (at most 65535, longer ones are cut). */
void tf_put_str(struct tf_writer *w, const char *s);
/* Bytes with a u32 length. */
void tf_put_bytes(struct tf_writer *w, const void *p, uint32_t len);
/* Pads and closes the record. */
void tf_end_rec(struct tf_writer *w);
/* Writes what is buffered when at least max_age_ns passed since the last write. */
int tf_maybe_flush(struct tf_writer *w, uint64_t now_ns, uint64_t max_age_ns);
int tf_flush(struct tf_writer *w);
/* Flushes, fsyncs and closes; returns 0 or the first -errno of the writer. */
int tf_close(struct tf_writer *w);

/*
 * Reader over a file loaded in memory.  tf_next() returns 1 with the next
 * record, 0 at a clean end, -ENODATA at a record cut short by the end of the
 * file, or -EBADMSG at a malformed one (the reader then stops: what came
 * before stays valid).
 */
struct tf_reader {
	const unsigned char *base;
	size_t len, pos;
	struct tf_header hdr;
};

struct tf_cursor {
	const unsigned char *p, *end;
	int bad; /* sticky: a read ran past the record */
};

/* Checks the header.  Returns 0, -EINVAL (not a sample file) or -ENOTSUP (newer version). */
int tf_reader_init(struct tf_reader *r, const void *base, size_t len);
int tf_next(struct tf_reader *r, struct tf_rec *rec, struct tf_cursor *body);
/* Copies len bytes into out (zeroes when the record is too short; sets bad). */
void tf_get(struct tf_cursor *c, void *out, size_t len);
/* A string of the record, NUL-terminated in out (cut to outlen - 1). */
void tf_get_str(struct tf_cursor *c, char *out, size_t outlen);
/* Bytes with a u32 length: points into the file; *len gets the length. */
const void *tf_get_bytes(struct tf_cursor *c, uint32_t *len);

#endif
