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

#endif
