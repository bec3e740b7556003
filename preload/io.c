/*
 * Recording I/O: per-kind counters in the thread's slot, per-file counters
 * (batched per thread while it keeps using one file), and on sockets the
 * request/response state that counts round trips and HTTP requests.
 *
 * Round trips (client side): data written after data was read (or first)
 * starts a request; the first read that returns data after it ends one
 * round trip.  Server side: data read starts a request, the first write
 * after it answers it (`served`).
 */
#include <string.h>

#include "internal.h"

static void io_count(struct shm_thread *s, int k, int is_read, ssize_t r, uint64_t dt,
		     int stdio)
{
	struct io_counters *c = &s->io[k];

	if (is_read) {
		cnt_add(s, &c->read_calls, 1);
		if (r > 0)
			cnt_add(s, &c->read_bytes, (uint64_t)r);
		cnt_add(s, &c->read_blocked, dt);
	} else {
		cnt_add(s, &c->write_calls, 1);
		if (r > 0)
			cnt_add(s, &c->write_bytes, (uint64_t)r);
		cnt_add(s, &c->write_blocked, dt);
	}
	if (stdio) {
		c = &s->stdio[k];
		if (is_read) {
			cnt_add(s, &c->read_calls, 1);
			if (r > 0)
				cnt_add(s, &c->read_bytes, (uint64_t)r);
			cnt_add(s, &c->read_blocked, dt);
		} else {
			cnt_add(s, &c->write_calls, 1);
			if (r > 0)
				cnt_add(s, &c->write_bytes, (uint64_t)r);
			cnt_add(s, &c->write_blocked, dt);
		}
	}
}

void shim_file_flush_pending(struct shm_thread *s)
{
	struct file_pending *p = &s->fpend;
	struct shm_file *f;

	if (!p->file || !shim_shm)
		return;
	f = &shm_files(shim_shm)[p->file - 1];
	atomic_add(&f->read_calls, p->read_calls);
	atomic_add(&f->read_bytes, p->read_bytes);
	atomic_add(&f->write_calls, p->write_calls);
	atomic_add(&f->write_bytes, p->write_bytes);
	atomic_add(&f->blocked, p->blocked);
	memset(p, 0, sizeof(*p));
}

static void file_count(struct shm_thread *s, uint32_t file, int is_read, uint64_t calls,
		       ssize_t r, uint64_t dt)
{
	struct file_pending *p = &s->fpend;
	uint64_t bytes = r > 0 ? (uint64_t)r : 0;

	if (unlikely(s->state != 1)) {
		struct shm_file *f = &shm_files(shim_shm)[file - 1];

		atomic_add(is_read ? &f->read_calls : &f->write_calls, calls);
		atomic_add(is_read ? &f->read_bytes : &f->write_bytes, bytes);
		atomic_add(&f->blocked, dt);
		return;
	}
	if (p->file != file) {
		shim_file_flush_pending(s);
		p->file = file;
	}
	if (is_read) {
		p->read_calls += calls;
		p->read_bytes += bytes;
	} else {
		p->write_calls += calls;
		p->write_bytes += bytes;
	}
	p->blocked += dt;
}

/* "METHOD SP target SP HTTP/1.x" at the start of buf (a partial line counts). */
static int is_http_request(const char *b, size_t n)
{
	static const char *const methods[] = {"GET ",	  "POST ",    "PUT ",	"DELETE ", "HEAD ",
					      "OPTIONS ", "PATCH ",   "CONNECT ", "TRACE "};
	size_t m, i;

	if (!b || n < 4)
		return 0;
	for (m = 0; m < ARRAY_SIZE(methods); m++) {
		size_t len = strlen(methods[m]);

		if (n >= len && !memcmp(b, methods[m], len))
			break;
	}
	if (m == ARRAY_SIZE(methods))
		return 0;
	for (i = strlen(methods[m]); i < n && b[i] != '\r' && b[i] != '\n'; i++) {
		if ((unsigned char)b[i] < 0x20)
			return 0;
		if (b[i] == ' ')
			return i + 8 <= n ? !memcmp(b + i, " HTTP/1.", 8) : !memcmp(b + i, " HTTP/1.", n - i);
	}
	return i == n; /* the line continues in a later write */
}

/*
 * Requests in one write: the first must start the buffer; later ones start
 * right after the blank line that ends the previous request's headers
 * (pipelining).  Only the first 64 KiB are scanned.
 */
static unsigned count_http_requests(const char *b, size_t n)
{
	unsigned count;
	const char *p, *end;

	if (!is_http_request(b, n))
		return 0;
	count = 1;
	end = b + (n < 65536 ? n : 65536);
	for (p = b; (p = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)); ) {
		p += 4;
		if (p < end && is_http_request(p, (size_t)(end - p)))
			count++;
	}
	return count;
}

static void connect_done(struct shm_fd *e, uint64_t t)
{
	struct shm_peer *p = shim_peer(e->peer);
	uint64_t dt = t > e->req_start ? t - e->req_start : 0;

	e->state &= (uint8_t)~FDS_CONNECTING;
	atomic_add(&shim_shm->net_connect_ticks, dt);
	if (p)
		atomic_add(&p->connect_ticks, dt);
}

void shim_net_connected_check(int fd, uint64_t t)
{
	struct shm_fd *e = shim_fd(fd);

	if (e && (e->state & FDS_CONNECTING))
		connect_done(e, t);
}

static void net_write(struct shm_fd *e, const void *buf, size_t buflen, ssize_t r, uint64_t t0,
		      uint64_t dt)
{
	struct shm_peer *p = shim_peer(e->peer);

	if (e->state & FDS_CONNECTING)
		connect_done(e, t0);
	if (!p)
		return;
	atomic_add(&p->send_calls, 1);
	atomic_add(&p->blocked, dt);
	if (r <= 0)
		return;
	atomic_add(&p->bytes_sent, (uint64_t)r);
	if (e->state & FDS_WROTE) {
		/* Pipelining: more requests written before the first response is read. */
		if (e->role == ROLE_CLIENT && (e->state & FDS_HTTP))
			atomic_add(&p->http_requests,
				   count_http_requests(buf, buflen < (size_t)r ? buflen : (size_t)r));
		return;
	}
	if (e->role == ROLE_CLIENT) {
		unsigned nreq = count_http_requests(buf, buflen < (size_t)r ? buflen : (size_t)r);

		e->req_start = t0;
		if (nreq) {
			e->state |= FDS_HTTP;
			atomic_add(&p->http_requests, nreq);
			if (p->pclass == PC_UNKNOWN)
				p->pclass = PC_HTTP;
		} else {
			e->state &= (uint8_t)~FDS_HTTP;
		}
	} else if (e->state & FDS_READ) {
		atomic_add(&p->served, 1);
	}
	e->state = (uint8_t)((e->state & ~FDS_READ) | FDS_WROTE);
}

static void net_read(struct shm_fd *e, const void *buf, ssize_t r, uint64_t t0, uint64_t t1,
		     uint64_t dt)
{
	struct shm_peer *p = shim_peer(e->peer);

	if (e->state & FDS_CONNECTING)
		connect_done(e, t0);
	if (!p)
		return;
	atomic_add(&p->recv_calls, 1);
	atomic_add(&p->blocked, dt);
	if (r <= 0)
		return;
	atomic_add(&p->bytes_received, (uint64_t)r);
	if (e->state & FDS_READ) {
		/* Pipelining: more requests read before the first one is answered. */
		if (e->role == ROLE_SERVER && buf && (e->state & FDS_HTTP))
			atomic_add(&p->http_requests, count_http_requests(buf, (size_t)r));
		return;
	}
	if (e->role == ROLE_CLIENT) {
		if (e->state & FDS_WROTE) {
			atomic_add(&p->round_trips, 1);
			atomic_add(&p->round_trip_ticks, t1 - e->req_start);
			if (e->state & FDS_HTTP)
				atomic_add(&p->http_round_trips, 1);
		}
	} else if (buf) {
		unsigned nreq = count_http_requests(buf, (size_t)r);

		if (nreq) {
			e->state |= FDS_HTTP;
			atomic_add(&p->http_requests, nreq);
			if (p->pclass == PC_UNKNOWN)
				p->pclass = PC_HTTP;
		} else {
			e->state &= (uint8_t)~FDS_HTTP;
		}
	}
	e->state = (uint8_t)((e->state & ~FDS_WROTE) | FDS_READ);
}

static void io_event(int fd, int is_read, const void *buf, size_t buflen, ssize_t r, uint64_t t0,
		     uint64_t t1, int stdio)
{
	struct shm_thread *s = shim_slot();
	struct shm_fd *e = shim_fd_classified(fd);
	int k = shim_kind_of(e);
	uint64_t dt = t1 - t0;

	io_count(s, k, is_read, r, dt, stdio);
	s->last_tick = t1;
	if (!e)
		return;
	if (k == IO_FILE) {
		if (e->file)
			file_count(s, e->file, is_read, 1, r, dt);
	} else if (k == IO_SOCKET) {
		if (is_read)
			net_read(e, buf, r, t0, t1, dt);
		else
			net_write(e, buf, buflen, r, t0, dt);
	}
}

void shim_io_read(int fd, const void *buf, ssize_t r, uint64_t t0, uint64_t t1, int stdio)
{
	io_event(fd, 1, buf, r > 0 ? (size_t)r : 0, r, t0, t1, stdio);
}

void shim_io_write(int fd, const void *buf, size_t buflen, ssize_t r, uint64_t t0, uint64_t t1,
		   int stdio)
{
	io_event(fd, 0, buf, buflen, r, t0, t1, stdio);
}

/*
 * The program's iovec is read only after a call that succeeded: a failed
 * one may have been refused it (EFAULT), and reading it would crash the
 * program instead.  The same holds for every pointer below.
 */
void shim_io_readv(int fd, const struct iovec *iov, int n, ssize_t r, uint64_t t0, uint64_t t1)
{
	const void *b = r >= 0 && n > 0 && iov ? iov[0].iov_base : NULL;
	size_t l = r >= 0 && n > 0 && iov ? iov[0].iov_len : 0;

	if (r >= 0 && (size_t)r < l)
		l = (size_t)r;
	io_event(fd, 1, b, l, r, t0, t1, 0);
}

void shim_io_writev(int fd, const struct iovec *iov, int n, ssize_t r, uint64_t t0, uint64_t t1)
{
	const void *b = r >= 0 && n > 0 && iov ? iov[0].iov_base : NULL;
	size_t l = r >= 0 && n > 0 && iov ? iov[0].iov_len : 0;

	io_event(fd, 0, b, l, r, t0, t1, 0);
}

/* The socket e sends to `to` from now on (a datagram's destination). */
static void sendto_peer(struct shm_fd *e, const struct sockaddr *to, socklen_t tolen)
{
	char addr[SHM_ADDR_LEN];
	int pclass, tr = e->transport;

	if (shim_format_addr(to, tolen, addr, sizeof(addr), &tr, &pclass) == 0) {
		uint32_t idx = shim_peer_index(addr, tr ? tr : TR_UDP, ROLE_CLIENT, pclass);

		if (idx != e->peer) {
			e->peer = (uint16_t)idx;
			e->role = ROLE_CLIENT;
			e->state &= (uint8_t)~(FDS_WROTE | FDS_READ);
		}
	}
}

void shim_io_sendto(int fd, const void *buf, size_t len, ssize_t r, const struct sockaddr *to,
		    socklen_t tolen, uint64_t t0, uint64_t t1)
{
	struct shm_fd *e;

	if (r >= 0 && to && tolen && (e = shim_fd_classified(fd)) && shim_kind_of(e) == IO_SOCKET)
		sendto_peer(e, to, tolen);
	io_event(fd, 0, buf, len, r, t0, t1, 0);
}

/*
 * sendmmsg: one call with the bytes of all the messages it sent, by kind;
 * on a socket each message goes to its peer, the destination it names (as
 * with sendto) or the connected one.
 */
void shim_io_sendmmsg(int fd, const struct mmsghdr *v, int r, uint64_t t0, uint64_t t1)
{
	struct shm_thread *s = shim_slot();
	struct shm_fd *e = shim_fd_classified(fd);
	int k = shim_kind_of(e);
	ssize_t bytes = r;

	if (r > 0) {
		bytes = 0;
		for (int i = 0; i < r; i++)
			bytes += v[i].msg_len;
	}
	io_count(s, k, 0, bytes, t1 - t0, 0);
	s->last_tick = t1;
	if (!e || k != IO_SOCKET)
		return;
	if (r <= 0) {
		net_write(e, NULL, 0, r, t0, t1 - t0);
		return;
	}
	for (int i = 0; i < r; i++) {
		const struct msghdr *m = &v[i].msg_hdr;

		if (m->msg_name && m->msg_namelen)
			sendto_peer(e, m->msg_name, m->msg_namelen);
		net_write(e, m->msg_iovlen ? m->msg_iov[0].iov_base : NULL,
			  m->msg_iovlen ? m->msg_iov[0].iov_len : 0, (ssize_t)v[i].msg_len, t0,
			  i ? 0 : t1 - t0);
	}
}

void shim_io_poll(uint64_t t0, uint64_t t1)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->poll_calls, 1);
	cnt_add(s, &s->poll_blocked, t1 - t0);
	s->last_tick = t1;
}

void shim_net_connect(int fd, const struct sockaddr *sa, socklen_t len, int ret, int err,
		      uint64_t t0, uint64_t t1)
{
	struct shm_fd *e = shim_fd_classified(fd);
	char addr[SHM_ADDR_LEN];
	int pclass, tr;
	struct shm_peer *p;
	uint32_t idx;

	if (!e || shim_kind_of(e) != IO_SOCKET)
		return;
	if (ret < 0 && (err == EALREADY || err == EISCONN || err == EINTR || err == EFAULT))
		return;
	/* connect() again on a pending non-blocking connect: 0 once it completed, not a new one. */
	if (e->state & FDS_CONNECTING) {
		if (ret == 0)
			connect_done(e, t1);
		if (ret == 0 || err == EINPROGRESS)
			return;
	}
	tr = e->transport;
	if (shim_format_addr(sa, len, addr, sizeof(addr), &tr, &pclass) < 0)
		return;
	if (sa->sa_family == AF_UNSPEC)
		return;
	idx = shim_peer_index(addr, tr, ROLE_CLIENT, pclass);
	p = shim_peer(idx);
	e->peer = (uint16_t)idx;
	e->role = ROLE_CLIENT;
	e->state &= FDS_LISTEN;
	if (tr == TR_UDP)
		return; /* no handshake: nothing to count */
	if (ret < 0 && err != EINPROGRESS) {
		atomic_add(&shim_shm->net_connect_errors, 1);
		if (p)
			atomic_add(&p->connect_errors, 1);
		return;
	}
	atomic_add(&shim_shm->net_connects, 1);
	if (p)
		atomic_add(&p->connects, 1);
	if (ret == 0) {
		atomic_add(&shim_shm->net_connect_ticks, t1 - t0);
		if (p)
			atomic_add(&p->connect_ticks, t1 - t0);
	} else {
		e->state |= FDS_CONNECTING;
		e->req_start = t0;
	}
	shim_slot()->last_tick = t1;
}

void shim_net_accept(int lfd, int fd)
{
	struct shm_fd *l = shim_fd_classified(lfd), *e = shim_fd(fd);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char addr[SHM_ADDR_LEN];
	int pclass, tr = l ? l->transport : TR_NONE;
	uint32_t idx;

	shim_fd_opened(fd, IO_SOCKET);
	atomic_add(&shim_shm->net_accepts, 1);
	if (!e)
		return;
	e->transport = (uint8_t)tr;
	e->role = ROLE_SERVER;
	/* The listening address (0.0.0.0:80), not the one this client reached (127.0.0.1:80). */
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) < 0 ||
	    shim_format_addr((struct sockaddr *)&ss, sl, addr, sizeof(addr), &tr, &pclass) < 0)
		return;
	idx = shim_peer_index(addr, tr, ROLE_SERVER, pclass);
	e->peer = (uint16_t)idx;
	if (idx)
		atomic_add(&shim_peer(idx)->accepts, 1);
}

void shim_dns(int failed, uint64_t t0, uint64_t t1)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->dns_lookups, 1);
	if (failed)
		cnt_add(s, &s->dns_failures, 1);
	cnt_add(s, &s->dns_blocked, t1 - t0);
	s->last_tick = t1;
}

void shim_lock_wait(uint64_t t0, uint64_t t1)
{
	struct shm_thread *s = shim_slot();

	cnt_add(s, &s->lock_contended, 1);
	cnt_add(s, &s->lock_wait, t1 - t0);
	s->last_tick = t1;
}

void shim_io_unget(int fd)
{
	struct shm_thread *s = shim_slot();
	struct shm_fd *e = shim_fd(fd);
	int k = shim_kind_of(e);

	/* The byte will be read again and counted then. */
	cnt_add(s, &s->io[k].read_bytes, (uint64_t)-1);
	cnt_add(s, &s->stdio[k].read_bytes, (uint64_t)-1);
	if (e && k == IO_FILE && e->file && s->state == 1 && s->fpend.file == e->file)
		s->fpend.read_bytes--;
}

void shim_io_inline(int fd, int is_read, ssize_t bytes)
{
	struct shm_thread *s = shim_slot();
	struct shm_fd *e = shim_fd_classified(fd);
	int k = shim_kind_of(e);

	if (is_read) {
		cnt_add(s, &s->io[k].read_bytes, (uint64_t)bytes);
		cnt_add(s, &s->stdio[k].read_bytes, (uint64_t)bytes);
	} else {
		cnt_add(s, &s->io[k].write_bytes, (uint64_t)bytes);
		cnt_add(s, &s->stdio[k].write_bytes, (uint64_t)bytes);
	}
	if (e && k == IO_FILE && e->file)
		file_count(s, e->file, is_read, 0, bytes, 0);
}
