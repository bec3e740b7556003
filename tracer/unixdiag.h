/*
 * Unix sockets and their peers from sock_diag (see unixdiag.c).
 */
#ifndef PERFTRACE_UNIXDIAG_H
#define PERFTRACE_UNIXDIAG_H

/* ino: the socket's inode; peer: its peer's inode (0: none); name: its path, "" if unnamed. */
typedef void (*unixdiag_fn)(void *ctx, unsigned long ino, unsigned long peer, const char *name);

/* Calls fn for every unix socket of perftrace's network namespace; 0 or -errno. */
int unixdiag_dump(unixdiag_fn fn, void *ctx);

#endif
