/*
 * Per-FILE buffer tracking for bytes moved by inline stdio macros
 * (stdio_track.c).  Call shim_stdio_pre() before a stdio call on f and
 * shim_stdio_post() after it, inside the shim.
 */
#ifndef PERFSHIM_STDIO_TRACK_H
#define PERFSHIM_STDIO_TRACK_H

#include <stdio.h>

void shim_stdio_pre(FILE *f);
void shim_stdio_post(FILE *f);
void shim_stdio_forget(FILE *f);
/* Counts what inline code left in every known buffer; at exit. */
void shim_stdio_sweep(void);
/* shim_stdio_post() of every known FILE, after a flush of them all. */
void shim_stdio_post_all(void);

/*
 * The stdio hooks hold f's lock from shim_stdio_pre() to shim_stdio_post(),
 * so that another thread's call cannot move the buffer pointers in between
 * (its bytes would be counted again as inline ones).  glibc sets
 * _IO_FLAGS2_NEED_LOCK (128) on every FILE once the process has a second
 * thread; before that, and for FILEs locked by their caller
 * (FSETLOCKING_BYCALLER), there is nothing to lock.  Returns 1 if locked.
 */
static inline int shim_stdio_lock(FILE *f)
{
	if (!f || (f->_flags & _IO_USER_LOCK) || !(f->_flags2 & 128))
		return 0;
	flockfile(f);
	return 1;
}

static inline void shim_stdio_unlock(FILE *f, int locked)
{
	if (locked)
		funlockfile(f);
}

#endif
