/*
 * Error reporting for the command-line tools (strace's error_prints.h
 * vocabulary).  Every message is one line, prefixed by the program name, and
 * leaves the process in one write(2) so messages of concurrent processes do not
 * interleave.  Not for use inside the preloaded shim.
 */
#ifndef PERFPROF_ERROR_H
#define PERFPROF_ERROR_H

#include "compiler.h"

/* Set the prefix of every message; defaults to "perfprof". */
void set_progname(const char *name);
const char *get_progname(void);

void error_msg(const char *fmt, ...) ATTR_FORMAT(1, 2);
/* As error_msg, with ": strerror(errno)" appended. */
void perror_msg(const char *fmt, ...) ATTR_FORMAT(1, 2);
void error_msg_and_die(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;
void perror_msg_and_die(const char *fmt, ...) ATTR_FORMAT(1, 2) ATTR_NORETURN;
/* "progname: warning: ..." */
void warning_msg(const char *fmt, ...) ATTR_FORMAT(1, 2);

/* Exit status used by the *_and_die helpers. */
#define EXIT_ERROR 1
/* Exit status for a usage error (bad option, missing argument). */
#define EXIT_USAGE 2

#endif
