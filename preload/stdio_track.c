/*
 * Bytes that inline stdio macros move without calling libc.
 *
 * With optimisation, glibc's headers turn getc_unlocked, putc_unlocked and
 * friends into direct reads and writes of the FILE buffer; libc is called
 * only when the buffer is full or empty (__overflow, __uflow).  So that those
 * bytes are not missing, the shim remembers, per FILE, where the buffer
 * pointers stood after the last stdio call it saw, and at the next one (and
 * at exit) counts how far they moved in between: the bytes inline code put
 * into or took out of the buffer.  Such bytes are added to the byte counters
 * with no call.
 *
 * The table lives in process memory: it is bookkeeping, not a counter.
 * Concurrent use of one FILE from several threads without the FILE lock is
 * already a data race in the program; here it can only blur the attribution.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "stdio_track.h"

#define FTAB_SIZE 1024
#define TOMB	  ((FILE *)1)

struct fstate {
	FILE *f;
	char *wptr; /* write pointer after the last call we saw */
	char *rptr; /* read pointer after the last call we saw */
	char *rend; /* end of the read data then: a different end means a refill */
};

static struct fstate ftab[FTAB_SIZE];

/* Takes the free or tombstone entry s for f; returns s, or NULL if another FILE got it. */
static struct fstate *claim(struct fstate *s, FILE *cur, FILE *f)
{
	if (__atomic_compare_exchange_n(&s->f, &cur, f, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		s->wptr = f->_IO_write_base;
		s->rptr = f->_IO_read_ptr;
		s->rend = f->_IO_read_end;
		return s;
	}
	return cur == f ? s : NULL;
}

static struct fstate *lookup(FILE *f, int create)
{
	uint32_t h = (uint32_t)(((uintptr_t)f >> 4) * 2654435761u);
	struct fstate *tomb = NULL;

	for (uint32_t i = 0; i < FTAB_SIZE; i++) {
		struct fstate *s = &ftab[(h + i) & (FTAB_SIZE - 1)];
		FILE *cur = __atomic_load_n(&s->f, __ATOMIC_ACQUIRE);
		struct fstate *got;

		if (cur == f)
			return s;
		/*
		 * A program opens and closes far more FILEs than are open at
		 * once: the entries of closed ones (tombstones) must be reused,
		 * or the table fills up for good.  f is new once the probe
		 * reaches a free entry; it then takes the first tombstone seen.
		 */
		if (cur == TOMB) {
			if (!tomb)
				tomb = s;
			continue;
		}
		if (cur == NULL) {
			if (!create)
				return NULL;
			if (tomb && (got = claim(tomb, TOMB, f)))
				return got;
			if ((got = claim(s, NULL, f)))
				return got;
			tomb = NULL;
		}
	}
	if (create && tomb)
		return claim(tomb, TOMB, f);
	return NULL;
}

void shim_stdio_pre(FILE *f)
{
	struct fstate *s;
	char *w, *base;
	ssize_t wbytes = 0, rbytes = 0;

	if (!f || f->_fileno < 0)
		return;
	s = lookup(f, 1);
	if (!s)
		return;
	w = f->_IO_write_ptr;
	base = f->_IO_write_base;
	if (w && base && w > base) {
		/* Moved on from where we left it, or flushed by a call we did not see and refilled. */
		if (s->wptr && s->wptr >= base && s->wptr <= w)
			wbytes = w - s->wptr;
		else
			wbytes = w - base;
	}
	if (f->_IO_read_end == s->rend && s->rptr && f->_IO_read_ptr > s->rptr)
		rbytes = f->_IO_read_ptr - s->rptr;
	if (wbytes > 0)
		shim_io_inline(f->_fileno, 0, wbytes);
	if (rbytes > 0)
		shim_io_inline(f->_fileno, 1, rbytes);
	s->wptr = w;
	s->rptr = f->_IO_read_ptr;
	s->rend = f->_IO_read_end;
}

void shim_stdio_post(FILE *f)
{
	struct fstate *s;

	if (!f || f->_fileno < 0 || !(s = lookup(f, 1)))
		return;
	s->wptr = f->_IO_write_ptr;
	s->rptr = f->_IO_read_ptr;
	s->rend = f->_IO_read_end;
}

void shim_stdio_forget(FILE *f)
{
	struct fstate *s = f ? lookup(f, 0) : NULL;

	if (s)
		__atomic_store_n(&s->f, TOMB, __ATOMIC_RELEASE);
}

/* After a call that flushed every stream (fflush(NULL), fcloseall). */
void shim_stdio_post_all(void)
{
	for (int i = 0; i < FTAB_SIZE; i++) {
		FILE *f = __atomic_load_n(&ftab[i].f, __ATOMIC_ACQUIRE);

		if (f && f != TOMB)
			shim_stdio_post(f);
	}
}

void shim_stdio_sweep(void)
{
	shim_stdio_pre(stdout);
	shim_stdio_pre(stderr);
	shim_stdio_pre(stdin);
	for (int i = 0; i < FTAB_SIZE; i++) {
		FILE *f = __atomic_load_n(&ftab[i].f, __ATOMIC_ACQUIRE);

		if (f && f != TOMB && f != stdout && f != stderr && f != stdin)
			shim_stdio_pre(f);
	}
}
