/*
 * TCP ping-pong on loopback: a client thread sends 32 bytes, a server thread
 * echoes them, N times on one connection.  Prints the time of its own work:
 * "work_ns N cpu_ns M" (wall and process CPU time).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long n;
static int lfd;

static void *server(void *a)
{
	char buf[32];
	int c = accept(lfd, NULL, NULL);

	(void)a;
	for (long i = 0; i < n; i++)
		if (read(c, buf, 32) != 32 || write(c, buf, 32) != 32)
			exit(1);
	close(c);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	struct timespec a, b, ca, cb;
	char buf[32] = "ping";
	pthread_t t;
	int fd, one = 1;

	n = argc > 1 ? atol(argv[1]) : 50000;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &l))
		return 1;
	pthread_create(&t, NULL, server, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (write(fd, buf, 32) != 32 || read(fd, buf, 32) != 32)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	pthread_join(t, NULL);
	printf("work_ns %lld cpu_ns %lld\n",
	       (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       (cb.tv_sec - ca.tv_sec) * 1000000000LL + (cb.tv_nsec - ca.tv_nsec));
	return 0;
}
