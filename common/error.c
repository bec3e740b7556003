/*
 * One-line, one-write error messages for the CLIs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

static const char *progname = "perfprof";

void set_progname(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

const char *get_progname(void)
{
	return progname;
}

static void vmsg(const char *tag, int err, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s: %s", progname, tag);

	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if ((size_t)n < sizeof(buf) && err)
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* A short write of an error message is not worth a retry loop. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

#define DEFINE_MSG(name, tag, use_errno, die)                                                      \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int err = use_errno ? errno : 0;                                                   \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vmsg(tag, err, fmt, ap);                                                           \
		va_end(ap);                                                                        \
		if (die)                                                                           \
			exit(EXIT_ERROR);                                                          \
	}

DEFINE_MSG(error_msg, "", 0, 0)
DEFINE_MSG(perror_msg, "", 1, 0)
DEFINE_MSG(warning_msg, "warning: ", 0, 0)
DEFINE_MSG(error_msg_and_die, "", 0, 1)
DEFINE_MSG(perror_msg_and_die, "", 1, 1)
