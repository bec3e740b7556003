/*
 * Known I/O for the shim tests.  Each mode does an exact, documented amount
 * of I/O so that the tests can assert the shim's counters to the byte.
 *
 *   shim_io sys FILE N SIZE    N writes of SIZE bytes to FILE (1 open), then
 *                              N reads of SIZE plus one read at EOF (1 open),
 *                              one pwrite+pread of SIZE, one writev+readv of 2x SIZE
 *   shim_io pipe N SIZE        N writes and N reads of SIZE through a pipe
 *   shim_io null N             N writes of 7 bytes to /dev/null
 *   shim_io stdio FILE         the stdio calls listed in stdio_mode()
 *   shim_io inline FILE N      N putc_unlocked (inlined at -O2) then N getc_unlocked
 *   shim_io errno              prints the errno of failing calls
 *   shim_io reopen FILE N      opens FILE N times (opens, no I/O)
 *   shim_io tty                writes 5 bytes to the slave side of a new pseudo-terminal
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(100);
}

static void sys_mode(const char *path, int n, size_t size)
{
	char *buf = calloc(1, 2 * size);
	struct iovec iov[2] = {{buf, size}, {buf + size, size}};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("open");
	memset(buf, 'x', 2 * size);
	for (int i = 0; i < n; i++)
		if (write(fd, buf, size) != (ssize_t)size)
			die("write");
	if (pwrite(fd, buf, size, 0) != (ssize_t)size || writev(fd, iov, 2) != (ssize_t)(2 * size))
		die("pwrite");
	close(fd);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open");
	for (int i = 0; i < n; i++)
		if (read(fd, buf, size) != (ssize_t)size)
			die("read");
	if (readv(fd, iov, 2) != (ssize_t)(2 * size))
		die("readv");
	if (read(fd, buf, size) != 0)
		die("read at EOF");
	if (pread(fd, buf, size, 0) != (ssize_t)size)
		die("pread");
	close(fd);
}

static void pipe_mode(int n, size_t size)
{
	char buf[4096];
	int p[2];

	if (size > sizeof(buf) || pipe(p))
		die("pipe");
	memset(buf, 'p', sizeof(buf));
	for (int i = 0; i < n; i++) {
		if (write(p[1], buf, size) != (ssize_t)size || read(p[0], buf, size) != (ssize_t)size)
			die("pipe io");
	}
	close(p[0]);
	close(p[1]);
}

/*
 * Writes 50 + 18 + 6 + 4 + 3 = 81 bytes to FILE in 5 + 3 + 2 + 4 + 1 = 15
 * calls, then reads them back: fgets of the first 10-byte line... see below.
 */
static void stdio_mode(const char *path)
{
	char line[256], *lp = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		die("fopen");
	for (i = 0; i < 5; i++)
		fwrite("123456789\n", 1, 10, f); /* 50 bytes, 5 calls */
	for (i = 0; i < 3; i++)
		fprintf(f, "%d\n", 12345); /* 18 bytes, 3 calls */
	fputs("abc", f);		   /* 3 bytes */
	fputs("def", f);		   /* 3 bytes */
	for (i = 0; i < 4; i++)
		putc('z', f); /* 4 bytes, 4 calls */
	fprintf(f, "%s", "\n\n\n");   /* 3 bytes */
	fclose(f);

	f = fopen(path, "r");
	if (!f)
		die("fopen r");
	if (!fgets(line, sizeof(line), f)) /* "123456789\n": 10 bytes */
		die("fgets");
	if (getline(&lp, &cap, f) != 10) /* 10 bytes */
		die("getline");
	if (fread(line, 1, 30, f) != 30) /* 30 bytes */
		die("fread");
	if (fgetc(f) != '1') /* 1 byte */
		die("fgetc");
	while (fgets(line, sizeof(line), f)) /* the remaining 80 - 51 = 30 bytes */
		;
	free(lp);
	fclose(f);
	puts("stdio done"); /* 11 bytes to stdout */
}

static void inline_mode(const char *path, int n)
{
	FILE *f = fopen(path, "w");
	long got = 0;
	int c;

	if (!f)
		die("fopen");
	for (int i = 0; i < n; i++)
		putc_unlocked('a' + i % 26, f);
	fclose(f);
	f = fopen(path, "r");
	if (!f)
		die("fopen r");
	while ((c = getc_unlocked(f)) != EOF)
		got++;
	fclose(f);
	if (got != n)
		die("short inline read");
}

static void errno_mode(void)
{
	char b[4];
	int e[4];

	errno = 0;
	e[0] = read(-1, b, 1) < 0 ? errno : 0;
	e[1] = open("/nonexistent/x", O_RDONLY) < 0 ? errno : 0;
	e[2] = close(-1) < 0 ? errno : 0;
	errno = 1234;
	free(malloc(10));
	e[3] = errno;
	printf("errno %d %d %d %d\n", e[0], e[1], e[2], e[3]);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "sys") && argc == 5)
		sys_mode(argv[2], atoi(argv[3]), (size_t)atoi(argv[4]));
	else if (!strcmp(mode, "pipe") && argc == 4)
		pipe_mode(atoi(argv[2]), (size_t)atoi(argv[3]));
	else if (!strcmp(mode, "null") && argc == 3) {
		int fd = open("/dev/null", O_WRONLY);

		for (int i = atoi(argv[2]); i > 0; i--)
			if (write(fd, "1234567", 7) != 7)
				die("write");
		close(fd);
	} else if (!strcmp(mode, "stdio") && argc == 3)
		stdio_mode(argv[2]);
	else if (!strcmp(mode, "inline") && argc == 4)
		inline_mode(argv[2], atoi(argv[3]));
	else if (!strcmp(mode, "errno"))
		errno_mode();
	else if (!strcmp(mode, "tty")) {
		int m = posix_openpt(O_RDWR | O_NOCTTY), sl;

		if (m < 0 || grantpt(m) || unlockpt(m))
			die("posix_openpt");
		sl = open(ptsname(m), O_RDWR | O_NOCTTY);
		if (sl < 0 || write(sl, "hello", 5) != 5)
			die("pty");
		close(sl);
		close(m);
	} else if (!strcmp(mode, "reopen") && argc == 4) {
		for (int i = atoi(argv[3]); i > 0; i--)
			close(open(argv[2], O_RDONLY));
	} else {
		fprintf(stderr, "usage: see the comment in shim_io.c\n");
		return 2;
	}
	return 0;
}
