/*
 * N+1 HTTP target: starts a local HTTP server (a forked child on an
 * ephemeral port of 127.0.0.1), then fetches /items/0 .. /items/N-1 one
 * after another, each over a new connection, and stops the server.
 *   drv_http [N=20] [SERVER_DELAY_MS=5]
 * Known counts in the client: N connects, N HTTP requests and round trips
 * to the server; the server accepts N connections.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void handle(int c, int delay_ms)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char buf[1024];

	if (read(c, buf, sizeof(buf)) <= 0)
		return;
	sleep_ms(delay_ms);
	if (write(c, resp, sizeof(resp) - 1) < 0)
		return;
}

static void serve(int ls, int n, int delay_ms)
{
	for (int i = 0; i < n; i++) {
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			_exit(1);
		handle(c, delay_ms);
		close(c);
	}
	_exit(0);
}

__attribute__((noinline)) static int fetch_item(int port, int i)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	char req[128], buf[256];
	int s = socket(AF_INET, SOCK_STREAM, 0), n, len;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	len = snprintf(req, sizeof(req), "GET /items/%d HTTP/1.0\r\nHost: localhost\r\n\r\n", i);
	if (write(s, req, len) != len)
		return -1;
	n = read(s, buf, sizeof(buf));
	close(s);
	return n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20, delay = argc > 2 ? atoi(argv[2]) : 5;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), ok = 0, st;
	pid_t srv;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 64) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
		perror("drv_http: listen");
		return 1;
	}
	srv = fork();
	if (srv == 0)
		serve(ls, n, delay);
	close(ls);
	for (int i = 0; i < n; i++)
		ok += fetch_item(ntohs(a.sin_port), i) == 0;
	waitpid(srv, &st, 0);
	printf("fetched %d of %d\n", ok, n);
	return ok == n ? 0 : 1;
}
