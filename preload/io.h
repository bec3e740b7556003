/*
 * The read/write hooks' fast path, inline: a descriptor already classified,
 * not a socket, in a thread with its own slot, costs a few plain adds.
 * Everything else (first use of a descriptor, sockets with their request
 * state, a change of file) takes the slow path in io.c.
 */
#ifndef PERFSHIM_IO_H
#define PERFSHIM_IO_H

#include "internal.h"

/* shm_fds(shim_shm), kept in step with the mapping. */
extern struct shm_fd *shim_fds_base;

/* Records a read or write of r bytes on fd; returns 0 if the slow path must do it. */
static inline __attribute__((always_inline)) int shim_io_fast(int fd, int is_read, ssize_t r,
							      uint64_t t0, uint64_t t1)
{
	struct shm_thread *s = shim_tls.slot;
	uint64_t dt = t1 - t0, bytes = r > 0 ? (uint64_t)r : 0;
	struct io_counters *c;
	struct shm_fd *e;

	if (unlikely(!s || s->state != 1 || (unsigned)fd >= SHM_MAX_FDS))
		return 0;
	e = &shim_fds_base[fd];
	if (unlikely(e->kind == 0 || e->kind == IO_SOCKET + 1))
		return 0;
	if (e->file) {
		if (unlikely(s->fpend.file != e->file))
			return 0;
		if (is_read) {
			s->fpend.read_calls++;
			s->fpend.read_bytes += bytes;
		} else {
			s->fpend.write_calls++;
			s->fpend.write_bytes += bytes;
		}
		s->fpend.blocked += dt;
	}
	c = &s->io[e->kind - 1];
	if (is_read) {
		c->read_calls++;
		c->read_bytes += bytes;
		c->read_blocked += dt;
	} else {
		c->write_calls++;
		c->write_bytes += bytes;
		c->write_blocked += dt;
	}
	s->last_tick = t1;
	return 1;
}

#endif
