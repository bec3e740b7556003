/*
 * Compiler helpers shared by every component.  Header-only, no libc calls,
 * safe to include from the preloaded shim.
 */
#ifndef PERFPROF_COMPILER_H
#define PERFPROF_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ATTR_FORMAT(a, b) __attribute__((format(printf, a, b)))
#define ATTR_NORETURN	__attribute__((noreturn))
#define ATTR_UNUSED	__attribute__((unused))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

#endif
