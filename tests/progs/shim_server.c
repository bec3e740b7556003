/*
 * A small TCP server for the tests, on 127.0.0.1, one thread per connection.
 *
 *   shim_server PORTFILE [DELAY_MS]
 *
 * Writes the port it listens on to PORTFILE (written to a temporary name and
 * renamed, so a reader never sees half of it).  A connection whose first
 * bytes are an HTTP request line is served as HTTP/1.1 with keep-alive:
 * every request (read up to the blank line) gets "HTTP/1.1 200 OK" with a
 * 2-byte body, after DELAY_MS milliseconds.  Any other connection is an echo
 * server.  "GET /quit" ends the server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int delay_ms;

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	if (ms > 0)
		nanosleep(&ts, NULL);
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[8192];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have - 1);
		char *end;

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		if (have >= 4 && memcmp(buf, "GET ", 4) && memcmp(buf, "POST", 4)) {
			/* echo */
			if (write(fd, buf, have) != (ssize_t)have)
				break;
			have = 0;
			continue;
		}
		while ((end = strstr(buf, "\r\n\r\n"))) {
			static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
			size_t used = (size_t)(end + 4 - buf);

			if (!strncmp(buf, "GET /quit", 9))
				exit(0);
			pause_ms(delay_ms);
			if (write(fd, resp, sizeof(resp) - 1) != sizeof(resp) - 1)
				goto out;
			memmove(buf, buf + used, have - used + 1);
			have -= used;
		}
	}
out:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	char tmp[4096];
	FILE *f;
	int s, one = 1;

	if (argc < 2)
		return 2;
	delay_ms = argc > 2 ? atoi(argv[2]) : 0;
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64) ||
	    getsockname(s, (struct sockaddr *)&a, &l)) {
		perror("shim_server");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	rename(tmp, argv[1]);
	for (;;) {
		int c = accept(s, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		pthread_create(&t, NULL, serve, (void *)(long)c);
		pthread_detach(t);
	}
}
