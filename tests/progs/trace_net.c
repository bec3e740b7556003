/*
 * A client that spends half of its time computing and half waiting for a
 * local TCP server (a thread of the same process) to answer.
 *   trace_net [SECONDS]   prints "port N" first, then "requests N"
 *   trace_net unix PATH [SECONDS]   the same over a unix socket bound at PATH
 * The client thread computes 5 ms in compute(), then waits in fetch_reply()
 * for a reply that the server sends 5 ms after the request.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "trace_common.h"

#define STEP 0.005

static int lfd;

static void *server(void *arg)
{
	int fd = accept(lfd, NULL, NULL);
	char c;

	(void)arg;
	while (read(fd, &c, 1) == 1) {
		trace_sleep(STEP);
		if (write(fd, &c, 1) != 1)
			break;
	}
	close(fd);
	return NULL;
}

__attribute__((noinline)) static long compute(void)
{
	return trace_spin_until(trace_now() + STEP);
}

__attribute__((noinline)) static int fetch_reply(int fd)
{
	char c = 'q';

	if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

static int open_tcp(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	return fd;
}

int main(int argc, char **argv)
{
	int is_unix = argc > 2 && !strcmp(argv[1], "unix");
	double secs = atof(is_unix ? (argc > 3 ? argv[3] : "1.5") : (argc > 1 ? argv[1] : "1.5"));
	struct sockaddr_un u = {.sun_family = AF_UNIX};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	pthread_t th;
	double end;
	long n = 0;
	int fd, port = 0;

	if (is_unix) {
		snprintf(u.sun_path, sizeof(u.sun_path), "%s", argv[2]);
		unlink(u.sun_path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&u, sizeof(u)) < 0 ||
		    listen(lfd, 1) < 0) {
			perror("server");
			return 1;
		}
		printf("path %s\n", u.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
	} else {
		fd = open_tcp(&port);
		if (fd < 0) {
			perror("server");
			return 1;
		}
		printf("port %d\n", port);
		a.sin_port = htons(port);
	}
	fflush(stdout);
	pthread_create(&th, NULL, server, NULL);
	if (is_unix ? connect(fd, (struct sockaddr *)&u, sizeof(u))
		    : connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		return 1;
	}
	end = trace_now() + secs;
	while (trace_now() < end) {
		compute();
		if (fetch_reply(fd) < 0) {
			perror("fetch_reply");
			return 1;
		}
		n++;
	}
	close(fd);
	pthread_join(th, NULL);
	if (is_unix)
		unlink(u.sun_path);
	printf("requests %ld\n", n);
	return 0;
}
