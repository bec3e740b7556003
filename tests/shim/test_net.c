/*
 * Network accounting against a local server: connects, round trips, HTTP
 * requests recognised in the written bytes, pipelining, non-blocking
 * connects, UDP peers, DNS lookups, and the server's own view.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shimtest.h"

#define REQ_LEN	 31 /* "GET /item HTTP/1.1\r\nHost: x\r\n\r\n" */
#define RESP_LEN 40 /* "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" */

struct server {
	pid_t pid;
	int port;
	char addr[64];
};

/* Starts shim_server, under the shim when dir is not NULL. */
static struct server server_start(const char *tmp, const char *dir)
{
	struct server s = {0};
	char *portfile, *prog = tl_prog("shim_server"), *pre = NULL, *out = NULL;

	cr_assert(asprintf(&portfile, "%s/port", tmp) > 0);
	if (dir) {
		cr_assert(asprintf(&pre, "%s/libperfshim.so", tl_build()) > 0);
		cr_assert(asprintf(&out, "%s", dir) > 0);
	}
	s.pid = fork();
	cr_assert_geq(s.pid, 0);
	if (s.pid == 0) {
		if (dir) {
			setenv("LD_PRELOAD", pre, 1);
			setenv("PERFSHIM_OUT", out, 1);
		}
		execl(prog, prog, portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		char *text = tl_read_file(portfile, NULL);

		if (text) {
			s.port = atoi(text);
			break;
		}
		usleep(10000);
	}
	cr_assert_gt(s.port, 0, "server did not start");
	snprintf(s.addr, sizeof(s.addr), "127.0.0.1:%d", s.port);
	return s;
}

static int server_stop(struct server *s)
{
	int st = 0;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, &st, 0);
	return st;
}

static char *port_str(const struct server *s)
{
	char *p;

	cr_assert(asprintf(&p, "%d", s->port) > 0);
	return p;
}

static cJSON *peer(cJSON *rep, const char *addr, const char *role)
{
	cJSON *p, *hit = NULL;
	int n = 0;

	cJSON_ArrayForEach(p, tl_json_at(rep, "net.peers"))
	{
		if (!strcmp(tl_json_str(p, "addr"), addr) && !strcmp(tl_json_str(p, "role"), role)) {
			hit = p;
			n++;
		}
	}
	cr_assert_eq(n, 1, "expected one %s peer %s, found %d", role, addr, n);
	return hit;
}

/* Runs shim_client under the shim and returns its report. */
static cJSON *client(const char *dir, const char *const args[])
{
	const char *argv[8] = {tl_prog("shim_client")};
	struct tl_result r;

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	r = shim_run(dir, argv, NULL);
	cr_assert(r.exited && r.code == 0, "client %s: %s: %s", args[0], tl_status_str(&r), r.err);
	return shim_report(dir, "/shim_client", 0);
}

Test(net, keepalive_http_is_one_connect_and_n_round_trips)
{
	char *tmp = tl_tmpdir("net"), *dir = tl_tmpdir("net");
	struct server s = server_start(tmp, NULL);
	cJSON *rep = client(dir, (const char *[]){"http", port_str(&s), "5", "keepalive", NULL});
	cJSON *p = peer(rep, s.addr, "client");

	EXPECT_NUM(rep, "net.connects", 1);
	EXPECT_NUM(rep, "net.round_trips", 5);
	EXPECT_NUM(rep, "net.http_round_trips", 5);
	EXPECT_NUM(p, "connects", 1);
	EXPECT_NUM(p, "round_trips", 5);
	EXPECT_NUM(p, "http_requests", 5);
	EXPECT_NUM(p, "http_round_trips", 5);
	EXPECT_NUM(p, "bytes_sent", 5 * REQ_LEN);
	EXPECT_NUM(p, "bytes_received", 5 * RESP_LEN);
	EXPECT_NUM(p, "send_calls", 5);
	EXPECT_NUM(p, "recv_calls", 5 * RESP_LEN); /* the client reads a byte at a time */
	cr_expect_str_eq(tl_json_str(p, "class"), "http");
	cr_expect_str_eq(tl_json_str(p, "transport"), "tcp");
	cr_expect_gt(jnum(p, "round_trip_ns"), 0);
	cr_expect_leq(jnum(p, "round_trip_ns"), jnum(rep, "wall_ns"));
	EXPECT_NUM(rep, "io.by_kind.socket.write_bytes", 5 * REQ_LEN);
	server_stop(&s);
	tl_rm_rf(tmp);
	tl_rm_rf(dir);
}

Test(net, a_connection_per_request_shows_in_connects)
{
	char *tmp = tl_tmpdir("net"), *dir = tl_tmpdir("net");
	struct server s = server_start(tmp, NULL);
	cJSON *rep = client(dir, (const char *[]){"http", port_str(&s), "4", "close", NULL});
	cJSON *p = peer(rep, s.addr, "client");

	EXPECT_NUM(rep, "net.connects", 4);
	EXPECT_NUM(p, "connects", 4);
	EXPECT_NUM(p, "round_trips", 4);
	EXPECT_NUM(p, "http_requests", 4);
	EXPECT_NUM(rep, "io.by_kind.socket.opens", 4);
	cr_expect_gt(jnum(p, "connect_ns"), 0);
	server_stop(&s);
	tl_rm_rf(tmp);
	tl_rm_rf(dir);
}

Test(net, non_http_round_trips_and_pipelining)
{
	char *tmp = tl_tmpdir("net"), *dir = tl_tmpdir("net"), *dir2 = tl_tmpdir("net");
	struct server s = server_start(tmp, NULL);
	cJSON *rep = client(dir, (const char *[]){"raw", port_str(&s), "6", NULL});
	cJSON *p = peer(rep, s.addr, "client");

	EXPECT_NUM(p, "round_trips", 6);
	EXPECT_NUM(p, "http_requests", 0);
	EXPECT_NUM(p, "bytes_sent", 60);
	EXPECT_NUM(p, "bytes_received", 60);
	cr_expect_str_eq(tl_json_str(p, "class"), "unknown");

	/* Five requests in one write, then five responses: one wait, five requests. */
	rep = client(dir2, (const char *[]){"pipelined", port_str(&s), "5", NULL});
	p = peer(rep, s.addr, "client");
	EXPECT_NUM(p, "http_requests", 5);
	EXPECT_NUM(p, "round_trips", 1);
	EXPECT_NUM(p, "bytes_sent", 5 * REQ_LEN);
	EXPECT_NUM(p, "bytes_received", 5 * RESP_LEN);
	server_stop(&s);
	tl_rm_rf(tmp);
	tl_rm_rf(dir);
	tl_rm_rf(dir2);
}

Test(net, non_blocking_connect_is_counted_and_timed)
{
	char *tmp = tl_tmpdir("net"), *dir = tl_tmpdir("net");
	struct server s = server_start(tmp, NULL);
	cJSON *rep = client(dir, (const char *[]){"nonblock", port_str(&s), NULL});
	cJSON *p = peer(rep, s.addr, "client");

	EXPECT_NUM(rep, "net.connects", 1);
	EXPECT_NUM(p, "connects", 1);
	EXPECT_NUM(p, "round_trips", 1);
	EXPECT_NUM(p, "http_requests", 1);
	cr_expect_gt(jnum(p, "connect_ns"), 0);
	EXPECT_NUM(rep, "io.poll.calls", 1);
	server_stop(&s);
	tl_rm_rf(tmp);
	tl_rm_rf(dir);
}

Test(net, udp_datagrams_and_dns_lookups)
{
	char *dir = tl_tmpdir("net"), *dir2 = tl_tmpdir("net");
	int port = tl_free_port();
	char portbuf[16], addr[64];
	cJSON *rep, *p;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	rep = client(dir, (const char *[]){"udp", portbuf, "3", NULL});
	p = peer(rep, addr, "client");
	cr_expect_str_eq(tl_json_str(p, "transport"), "udp");
	EXPECT_NUM(p, "send_calls", 3);
	EXPECT_NUM(p, "bytes_sent", 15);
	EXPECT_NUM(p, "connects", 0);
	EXPECT_NUM(rep, "net.connects", 0);

	rep = client(dir2, (const char *[]){"dns", "3", NULL});
	EXPECT_NUM(rep, "net.dns.lookups", 3);
	EXPECT_NUM(rep, "net.dns.failures", 0);
	tl_rm_rf(dir);
	tl_rm_rf(dir2);
}

/* An echo server on a unix socket, in a child of the test (not under the shim). */
static pid_t unix_echo(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	cr_assert(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 4) == 0);
	pid = fork();
	if (pid == 0) {
		char buf[64];
		int c = accept(s, NULL, NULL);
		ssize_t n;

		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		_exit(0);
	}
	close(s);
	return pid;
}

Test(net, unix_sockets_are_peers_classed_by_their_path)
{
	char *tmp = tl_tmpdir("net"), *dir = tl_tmpdir("net"), *path, *addr;
	pid_t echo;
	cJSON *rep, *p;

	/* The name PostgreSQL gives its socket. */
	cr_assert(asprintf(&path, "%s/.s.PGSQL.5432", tmp) > 0);
	cr_assert(asprintf(&addr, "unix:%s", path) > 0);
	echo = unix_echo(path);
	rep = client(dir, (const char *[]){"unix", path, "3", NULL});
	p = peer(rep, addr, "client");
	cr_expect_str_eq(tl_json_str(p, "transport"), "unix");
	cr_expect_str_eq(tl_json_str(p, "class"), "postgres");
	EXPECT_NUM(p, "connects", 1);
	EXPECT_NUM(p, "round_trips", 3);
	EXPECT_NUM(p, "bytes_sent", 30);
	EXPECT_NUM(p, "bytes_received", 30);
	waitpid(echo, NULL, 0);
	tl_rm_rf(tmp);
	tl_rm_rf(dir);
}

Test(net, the_server_sees_accepts_requests_and_its_listening_socket)
{
	char *tmp = tl_tmpdir("net"), *sdir = tl_tmpdir("net"), *cdir = tl_tmpdir("net");
	struct server s = server_start(tmp, sdir);
	int st;
	cJSON *rep, *p, *l;
	int found = 0;

	client(cdir, (const char *[]){"http", port_str(&s), "3", "keepalive", NULL});
	tl_rm_rf(cdir);
	cdir = tl_tmpdir("net");
	client(cdir, (const char *[]){"raw", port_str(&s), "2", NULL});
	st = server_stop(&s);
	/* The shim's handler wrote the report and let SIGTERM end the server as before. */
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "server status %#x", st);
	rep = shim_report(sdir, "/shim_server", 0);
	cr_expect_str_eq(tl_json_str(rep, "end_reason"), "signal");
	EXPECT_NUM(rep, "signal", SIGTERM);
	EXPECT_NUM(rep, "net.accepts", 2);
	cJSON_ArrayForEach(l, tl_json_at(rep, "net.listens")) found +=
		!strcmp(tl_json_str(l, "addr"), s.addr);
	cr_expect_eq(found, 1, "listening address %s not reported", s.addr);
	p = peer(rep, s.addr, "server");
	EXPECT_NUM(p, "accepts", 2);
	EXPECT_NUM(p, "http_requests", 3);
	EXPECT_NUM(p, "served", 5);
	EXPECT_NUM(p, "bytes_received", 3 * REQ_LEN + 20);
	EXPECT_NUM(p, "bytes_sent", 3 * RESP_LEN + 20);
	tl_rm_rf(tmp);
	tl_rm_rf(sdir);
	tl_rm_rf(cdir);
}
