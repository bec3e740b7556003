/*
 * A client that spends half of its time computing and half waiting for a
 * local TCP server (a thread of the same process) to answer.
 *   trace_net [SECONDS]   prints "port N" first, then "requests N"
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

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.5, end;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	pthread_t th;
	long n = 0;
	int fd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &len) < 0) {
		perror("server");
		return 1;
	}
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	pthread_create(&th, NULL, server, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
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
	printf("requests %ld\n", n);
	return 0;
}
