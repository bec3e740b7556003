/*
 * Exported stdio hooks.  glibc's stdio moves data with internal calls that
 * no preload can see, so bytes are counted where the program hands them to a
 * FILE or takes them from it, and attributed to the kind of fileno(FILE).
 * FILEs without a descriptor (fmemopen, open_memstream) are not I/O.
 *
 * The optimised inline forms of getc_unlocked/putc_unlocked touch the FILE
 * buffer without calling libc; only their __uflow/__overflow calls (one
 * byte each) are seen, the rest shows in io.reconcile.
 */
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "stdio_track.h"

static inline int fp_fd(FILE *f)
{
	return f ? f->_fileno : -1;
}

/*
 * STDIO_PASS(f, call): pass through when the shim is off; otherwise take f's
 * lock (stdio_track.h) and account what inline code did to f's buffer since
 * the last call (stdio_track.c).  STDIO_DONE(f, record): run `record` with
 * t1_ set, remember f's buffer pointers, and let the lock go; every path
 * after STDIO_PASS goes through it once.  errno is kept.
 */
#define STDIO_PASS(f, call)                                                                        \
	ENSURE_REAL();                                                                             \
	if (!shim_on())                                                                            \
		return call;                                                                       \
	int locked_ = shim_stdio_lock(f);                                                          \
	ENTER();                                                                                   \
	shim_stdio_pre(f);                                                                         \
	LEAVE()

#define STDIO_DONE(f, record)                                                                      \
	do {                                                                                       \
		uint64_t t1_ = now_tick();                                                         \
		int e_ = errno;                                                                    \
		if (likely(!shim_tls.busy)) {                                                      \
			ENTER();                                                                   \
			record;                                                                    \
			shim_stdio_post(f);                                                        \
			LEAVE();                                                                   \
		}                                                                                  \
		shim_stdio_unlock(f, locked_);                                                     \
		(void)t1_;                                                                         \
		errno = e_;                                                                        \
	} while (0)

static void w(FILE *f, const void *buf, size_t len, ssize_t bytes, uint64_t t0, uint64_t t1)
{
	int fd = fp_fd(f);

	if (fd >= 0)
		shim_io_write(fd, buf, len, bytes, t0, t1, 1);
}

static void rd(FILE *f, const void *buf, ssize_t bytes, uint64_t t0, uint64_t t1)
{
	int fd = fp_fd(f);

	if (fd >= 0)
		shim_io_read(fd, buf, bytes, t0, t1, 1);
}

#define FWRITE_HOOK(name)                                                                          \
	HOOK(size_t, name, (const void *p, size_t sz, size_t n, FILE *f))                          \
	{                                                                                          \
		uint64_t t0;                                                                       \
		size_t r;                                                                          \
		STDIO_PASS(f, real_##name(p, sz, n, f));                                              \
		t0 = now_tick();                                                                   \
		r = real_##name(p, sz, n, f);                                                      \
		STDIO_DONE(f, w(f, p, sz * n, (ssize_t)(r * sz), t0, t1_));                           \
		return r;                                                                          \
	}
FWRITE_HOOK(fwrite)
FWRITE_HOOK(fwrite_unlocked)

#define FREAD_HOOK(name)                                                                           \
	HOOK(size_t, name, (void *p, size_t sz, size_t n, FILE *f))                                \
	{                                                                                          \
		uint64_t t0;                                                                       \
		size_t r;                                                                          \
		STDIO_PASS(f, real_##name(p, sz, n, f));                                              \
		t0 = now_tick();                                                                   \
		r = real_##name(p, sz, n, f);                                                      \
		STDIO_DONE(f, rd(f, p, (ssize_t)(r * sz), t0, t1_));                                  \
		return r;                                                                          \
	}
FREAD_HOOK(fread)
FREAD_HOOK(fread_unlocked)

#define FREAD_CHK_HOOK(name)                                                                       \
	HOOK(size_t, name, (void *p, size_t bl, size_t sz, size_t n, FILE *f))                     \
	{                                                                                          \
		uint64_t t0;                                                                       \
		size_t r;                                                                          \
		STDIO_PASS(f, real_##name(p, bl, sz, n, f));                                          \
		t0 = now_tick();                                                                   \
		r = real_##name(p, bl, sz, n, f);                                                  \
		STDIO_DONE(f, rd(f, p, (ssize_t)(r * sz), t0, t1_));                                  \
		return r;                                                                          \
	}
FREAD_CHK_HOOK(__fread_chk)
FREAD_CHK_HOOK(__fread_unlocked_chk)

#define FPUTS_HOOK(name)                                                                           \
	HOOK(int, name, (const char *s, FILE *f))                                                  \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		STDIO_PASS(f, real_##name(s, f));                                                     \
		t0 = now_tick();                                                                   \
		r = real_##name(s, f);                                                             \
		STDIO_DONE(f, w(f, s, strlen(s), r >= 0 ? (ssize_t)strlen(s) : -1, t0, t1_));         \
		return r;                                                                          \
	}
FPUTS_HOOK(fputs)
FPUTS_HOOK(fputs_unlocked)

HOOK(int, puts, (const char *s))
{
	uint64_t t0;
	int r;

	STDIO_PASS(stdout, real_puts(s));
	t0 = now_tick();
	r = real_puts(s);
	STDIO_DONE(stdout, w(stdout, s, strlen(s), r >= 0 ? (ssize_t)strlen(s) + 1 : -1, t0, t1_));
	return r;
}

#define PUTC_HOOK(name)                                                                            \
	HOOK(int, name, (int c, FILE *f))                                                          \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		STDIO_PASS(f, real_##name(c, f));                                                     \
		t0 = now_tick();                                                                   \
		r = real_##name(c, f);                                                             \
		STDIO_DONE(f, w(f, NULL, 0, r != EOF ? 1 : -1, t0, t1_));                              \
		return r;                                                                          \
	}
PUTC_HOOK(fputc)
PUTC_HOOK(putc)
PUTC_HOOK(_IO_putc)
PUTC_HOOK(fputc_unlocked)
PUTC_HOOK(putc_unlocked)

#define PUTCHAR_HOOK(name)                                                                         \
	HOOK(int, name, (int c))                                                                   \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		STDIO_PASS(stdout, real_##name(c));                                                        \
		t0 = now_tick();                                                                   \
		r = real_##name(c);                                                                \
		STDIO_DONE(stdout, w(stdout, NULL, 0, r != EOF ? 1 : -1, t0, t1_));                         \
		return r;                                                                          \
	}
PUTCHAR_HOOK(putchar)
PUTCHAR_HOOK(putchar_unlocked)

#define GETC_HOOK(name)                                                                            \
	HOOK(int, name, (FILE *f))                                                                 \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		STDIO_PASS(f, real_##name(f));                                                        \
		t0 = now_tick();                                                                   \
		r = real_##name(f);                                                                \
		STDIO_DONE(f, rd(f, NULL, r != EOF ? 1 : 0, t0, t1_));                                \
		return r;                                                                          \
	}
GETC_HOOK(fgetc)
GETC_HOOK(getc)
GETC_HOOK(_IO_getc)
GETC_HOOK(fgetc_unlocked)
GETC_HOOK(getc_unlocked)
GETC_HOOK(__uflow)

#define GETCHAR_HOOK(name)                                                                         \
	HOOK(int, name, (void))                                                                    \
	{                                                                                          \
		uint64_t t0;                                                                       \
		int r;                                                                             \
		STDIO_PASS(stdin, real_##name());                                                         \
		t0 = now_tick();                                                                   \
		r = real_##name();                                                                 \
		STDIO_DONE(stdin, rd(stdin, NULL, r != EOF ? 1 : 0, t0, t1_));                            \
		return r;                                                                          \
	}
GETCHAR_HOOK(getchar)
GETCHAR_HOOK(getchar_unlocked)

HOOK(int, __overflow, (FILE *f, int c))
{
	uint64_t t0;
	int r;

	STDIO_PASS(f, real___overflow(f, c));
	t0 = now_tick();
	r = real___overflow(f, c);
	STDIO_DONE(f, w(f, NULL, 0, c != EOF && r != EOF ? 1 : 0, t0, t1_));
	return r;
}

/*
 * A byte pushed back where it was just read (glibc then only steps the
 * read pointer back) will be read, and counted, again: it comes off the
 * count now.  Any other (a character of the program's own, which glibc
 * keeps in a backup area) was never counted, and is counted if read.
 */
HOOK(int, ungetc, (int c, FILE *f))
{
	int r, again;

	STDIO_PASS(f, real_ungetc(c, f));
	again = f && c != EOF && f->_IO_read_ptr && f->_IO_read_ptr > f->_IO_read_base &&
		(unsigned char)f->_IO_read_ptr[-1] == (unsigned char)c;
	r = real_ungetc(c, f);
	STDIO_DONE(f, if (r != EOF && again && fp_fd(f) >= 0) shim_io_unget(fp_fd(f)));
	return r;
}

/*
 * The bytes fgets() stored in s.  strlen(s) stops at a NUL byte in the data;
 * the buffer pointers tell exactly when the call took the line from the
 * buffer with at most one refill (see consumed() below), and never less
 * than the truth, so the larger of the two is taken.
 */
static ssize_t line_bytes(FILE *f, const char *s, char *ptr0, char *end0)
{
	ssize_t len = (ssize_t)strlen(s), moved;

	if (!f)
		return len;
	if (f->_IO_read_end == end0 && f->_IO_read_ptr >= ptr0)
		moved = f->_IO_read_ptr - ptr0;
	else
		moved = (end0 - ptr0) + (f->_IO_read_ptr - f->_IO_read_base);
	return moved > len ? moved : len;
}

#define FGETS_HOOK(name)                                                                           \
	HOOK(char *, name, (char *s, int n, FILE *f))                                              \
	{                                                                                          \
		char *r, *ptr0, *end0;                                                             \
		uint64_t t0;                                                                       \
		STDIO_PASS(f, real_##name(s, n, f));                                               \
		ptr0 = f ? f->_IO_read_ptr : NULL; /* (NULL: libc's crash, not ours) */            \
		end0 = f ? f->_IO_read_end : NULL;                                                 \
		t0 = now_tick();                                                                   \
		r = real_##name(s, n, f);                                                          \
		STDIO_DONE(f, rd(f, s, r ? line_bytes(f, s, ptr0, end0) : 0, t0, t1_));            \
		return r;                                                                          \
	}
FGETS_HOOK(fgets)
FGETS_HOOK(fgets_unlocked)

#define FGETS_CHK_HOOK(name)                                                                       \
	HOOK(char *, name, (char *s, size_t bl, int n, FILE *f))                                   \
	{                                                                                          \
		char *r, *ptr0, *end0;                                                             \
		uint64_t t0;                                                                       \
		STDIO_PASS(f, real_##name(s, bl, n, f));                                           \
		ptr0 = f ? f->_IO_read_ptr : NULL; /* (NULL: libc's crash, not ours) */            \
		end0 = f ? f->_IO_read_end : NULL;                                                 \
		t0 = now_tick();                                                                   \
		r = real_##name(s, bl, n, f);                                                      \
		STDIO_DONE(f, rd(f, s, r ? line_bytes(f, s, ptr0, end0) : 0, t0, t1_));            \
		return r;                                                                          \
	}
FGETS_CHK_HOOK(__fgets_chk)
FGETS_CHK_HOOK(__fgets_unlocked_chk)

HOOK(ssize_t, getline, (char **l, size_t *n, FILE *f))
{
	uint64_t t0;
	ssize_t r;

	STDIO_PASS(f, real_getline(l, n, f));
	t0 = now_tick();
	r = real_getline(l, n, f);
	STDIO_DONE(f, rd(f, r > 0 ? *l : NULL, r > 0 ? r : 0, t0, t1_));
	return r;
}

#define GETDELIM_HOOK(name)                                                                        \
	HOOK(ssize_t, name, (char **l, size_t *n, int d, FILE *f))                                 \
	{                                                                                          \
		uint64_t t0;                                                                       \
		ssize_t r;                                                                         \
		STDIO_PASS(f, real_##name(l, n, d, f));                                               \
		t0 = now_tick();                                                                   \
		r = real_##name(l, n, d, f);                                                       \
		STDIO_DONE(f, rd(f, r > 0 ? *l : NULL, r > 0 ? r : 0, t0, t1_));                      \
		return r;                                                                          \
	}
GETDELIM_HOOK(getdelim)
GETDELIM_HOOK(__getdelim)

/* printf family: the return value is the number of bytes handed to the FILE. */
HOOK(int, vfprintf, (FILE *f, const char *fmt, va_list ap))
{
	uint64_t t0;
	int r;

	STDIO_PASS(f, real_vfprintf(f, fmt, ap));
	t0 = now_tick();
	r = real_vfprintf(f, fmt, ap);
	STDIO_DONE(f, w(f, NULL, 0, r, t0, t1_));
	return r;
}

HOOK(int, vprintf, (const char *fmt, va_list ap))
{
	return hook_vfprintf(stdout, fmt, ap);
}

HOOK(int, fprintf, (FILE *f, const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, printf, (const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook_vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, __vfprintf_chk, (FILE *f, int flag, const char *fmt, va_list ap))
{
	uint64_t t0;
	int r;

	STDIO_PASS(f, real___vfprintf_chk(f, flag, fmt, ap));
	t0 = now_tick();
	r = real___vfprintf_chk(f, flag, fmt, ap);
	STDIO_DONE(f, w(f, NULL, 0, r, t0, t1_));
	return r;
}

HOOK(int, __vprintf_chk, (int flag, const char *fmt, va_list ap))
{
	return hook___vfprintf_chk(stdout, flag, fmt, ap);
}

HOOK(int, __fprintf_chk, (FILE *f, int flag, const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook___vfprintf_chk(f, flag, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, __printf_chk, (int flag, const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook___vfprintf_chk(stdout, flag, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, vdprintf, (int fd, const char *fmt, va_list ap))
{
	uint64_t t0;
	int r;

	STDIO_PASS(NULL, real_vdprintf(fd, fmt, ap));
	t0 = now_tick();
	r = real_vdprintf(fd, fmt, ap);
	STDIO_DONE(NULL, shim_io_write(fd, NULL, 0, r, t0, t1_, 1));
	return r;
}

HOOK(int, dprintf, (int fd, const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook_vdprintf(fd, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, __vdprintf_chk, (int fd, int flag, const char *fmt, va_list ap))
{
	uint64_t t0;
	int r;

	STDIO_PASS(NULL, real___vdprintf_chk(fd, flag, fmt, ap));
	t0 = now_tick();
	r = real___vdprintf_chk(fd, flag, fmt, ap);
	STDIO_DONE(NULL, shim_io_write(fd, NULL, 0, r, t0, t1_, 1));
	return r;
}

HOOK(int, __dprintf_chk, (int fd, int flag, const char *fmt, ...))
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hook___vdprintf_chk(fd, flag, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * scanf family: the bytes consumed are read off the FILE's buffer pointers;
 * exact unless one call needs more than one refill of the buffer.
 */
static ssize_t consumed(FILE *f, char *ptr0, char *end0)
{
	if (f->_IO_read_end == end0 && f->_IO_read_ptr >= ptr0)
		return f->_IO_read_ptr - ptr0;
	return (end0 - ptr0) + (f->_IO_read_ptr - f->_IO_read_base);
}

static int scan(int (*fn)(FILE *, const char *, va_list), FILE *f, const char *fmt, va_list ap)
{
	char *ptr0, *end0;
	uint64_t t0;
	int r, locked_;

	ENSURE_REAL();
	if (!shim_on() || fp_fd(f) < 0)
		return fn(f, fmt, ap);
	locked_ = shim_stdio_lock(f);
	ENTER();
	shim_stdio_pre(f);
	LEAVE();
	ptr0 = f->_IO_read_ptr;
	end0 = f->_IO_read_end;
	t0 = now_tick();
	r = fn(f, fmt, ap);
	STDIO_DONE(f, rd(f, NULL, consumed(f, ptr0, end0), t0, t1_));
	return r;
}

HOOK(int, __isoc99_vfscanf, (FILE *f, const char *fmt, va_list ap))
{
	ENSURE_REAL();
	return scan(real___isoc99_vfscanf, f, fmt, ap);
}

HOOK(int, __isoc99_vscanf, (const char *fmt, va_list ap))
{
	ENSURE_REAL();
	return scan(real___isoc99_vfscanf, stdin, fmt, ap);
}

HOOK(int, __isoc99_fscanf, (FILE *f, const char *fmt, ...))
{
	va_list ap;
	int r;

	ENSURE_REAL();
	va_start(ap, fmt);
	r = scan(real___isoc99_vfscanf, f, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, __isoc99_scanf, (const char *fmt, ...))
{
	va_list ap;
	int r;

	ENSURE_REAL();
	va_start(ap, fmt);
	r = scan(real___isoc99_vfscanf, stdin, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(int, vfscanf, (FILE *f, const char *fmt, va_list ap))
{
	ENSURE_REAL();
	return scan(real_vfscanf, f, fmt, ap);
}

HOOK(int, fscanf, (FILE *f, const char *fmt, ...))
{
	va_list ap;
	int r;

	ENSURE_REAL();
	va_start(ap, fmt);
	r = scan(real_vfscanf, f, fmt, ap);
	va_end(ap);
	return r;
}

HOOK(void, perror, (const char *s))
{
	const char *msg;
	uint64_t t0;
	size_t len;
	int locked_;

	ENSURE_REAL();
	if (!shim_on()) {
		real_perror(s);
		return;
	}
	locked_ = shim_stdio_lock(stderr);
	ENTER();
	shim_stdio_pre(stderr);
	LEAVE();
	{
		int e = errno;

		msg = strerror(e);
		errno = e;
	}
	len = (s && *s ? strlen(s) + 2 : 0) + strlen(msg) + 1;
	t0 = now_tick();
	real_perror(s);
	STDIO_DONE(stderr, w(stderr, NULL, 0, (ssize_t)len, t0, t1_));
}

HOOK(int, fflush, (FILE *f))
{
	int r, locked_;

	ENSURE_REAL();
	if (!shim_on())
		return real_fflush(f);
	locked_ = shim_stdio_lock(f);
	ENTER();
	if (f)
		shim_stdio_pre(f);
	else
		shim_stdio_sweep();
	LEAVE();
	r = real_fflush(f);
	if (f) {
		STDIO_DONE(f, (void)0);
	} else {
		int e = errno;

		ENTER();
		shim_stdio_post_all();
		LEAVE();
		errno = e;
	}
	return r;
}

#define SEEK_HOOK(name, params, args)                                                              \
	HOOK(int, name, params)                                                                    \
	{                                                                                          \
		int r;                                                                             \
		STDIO_PASS(f, real_##name args);                                                   \
		r = real_##name args;                                                              \
		STDIO_DONE(f, (void)0);                                                            \
		return r;                                                                          \
	}
SEEK_HOOK(fseek, (FILE *f, long o, int wh), (f, o, wh))
SEEK_HOOK(fseeko, (FILE *f, off_t o, int wh), (f, o, wh))
SEEK_HOOK(fseeko64, (FILE *f, off_t o, int wh), (f, o, wh))
SEEK_HOOK(fsetpos, (FILE *f, const fpos_t *p), (f, p))
SEEK_HOOK(fsetpos64, (FILE *f, const fpos_t *p), (f, p))

HOOK(void, rewind, (FILE *f))
{
	int locked_;

	ENSURE_REAL();
	if (!shim_on()) {
		real_rewind(f);
		return;
	}
	locked_ = shim_stdio_lock(f);
	ENTER();
	shim_stdio_pre(f);
	LEAVE();
	real_rewind(f);
	STDIO_DONE(f, (void)0);
}
