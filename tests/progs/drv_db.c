/*
 * A local "database" on 127.0.0.1:5432 that answers slowly: a forked
 * server reads a query line and answers after DELAY_MS; the client sends
 * Q queries over one connection.
 *   drv_db [Q=5] [DELAY_MS=40]
 * Exit 77 when port 5432 is taken (the test skips).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

static void serve(int ls, int delay)
{
	int c = accept(ls, NULL, NULL);
	char buf[256];

	while (c >= 0 && read(c, buf, sizeof(buf)) > 0) {
		sleep_ms(delay);
		if (write(c, "ROW 1\n", 6) != 6)
			break;
	}
	_exit(0);
}

__attribute__((noinline)) static int query(int s, int i)
{
	char q[64], buf[64];
	int len = snprintf(q, sizeof(q), "SELECT * FROM items WHERE id = %d;\n", i);

	if (write(s, q, len) != len)
		return -1;
	return read(s, buf, sizeof(buf)) > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int nq = argc > 1 ? atoi(argv[1]) : 5, delay = argc > 2 ? atoi(argv[2]) : 40;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5432)};
	int ls = socket(AF_INET, SOCK_STREAM, 0), s, one = 1, st, bad = 0;
	pid_t srv;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "drv_db: port 5432: %s\n", strerror(errno));
		return errno == EADDRINUSE ? 77 : 1;
	}
	listen(ls, 4);
	srv = fork();
	if (srv == 0)
		serve(ls, delay);
	close(ls);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	for (int i = 0; i < nq; i++)
		bad |= query(s, i);
	close(s);
	waitpid(srv, &st, 0);
	return bad ? 1 : 0;
}
