/*
 * Known network behaviour for the shim tests.
 *
 *   shim_client http PORT N keepalive   1 connect, N HTTP requests on it
 *   shim_client http PORT N close       N connects, 1 HTTP request each
 *   shim_client raw PORT N              1 connect, N x (write 10 bytes, read 10 back)
 *   shim_client pipelined PORT N        1 connect, N HTTP requests in one write, then the N responses
 *   shim_client nonblock PORT           non-blocking connect, poll, SO_ERROR, 1 request
 *   shim_client udp PORT N              N datagrams of 5 bytes to 127.0.0.1:PORT
 *   shim_client dns N                   N getaddrinfo("localhost")
 *   shim_client unix PATH N             connect to a unix socket, N x (write 10, read 10 back)
 *   shim_client quit PORT               tells the server to exit
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_in addr(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int dial(int port)
{
	struct sockaddr_in a = addr(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static const char req[] = "GET /item HTTP/1.1\r\nHost: x\r\n\r\n";
static const char resp_tail[] = "\r\n\r\nok";

/* Reads one response (headers and the 2-byte body). */
static void read_response(int fd)
{
	char buf[512];
	size_t have = 0;

	while (have < 6 || memcmp(buf + have - 6, resp_tail, 6)) {
		ssize_t n = read(fd, buf + have, 1);

		if (n <= 0) {
			fprintf(stderr, "short response\n");
			exit(1);
		}
		have++;
		if (have == sizeof(buf))
			exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int port = argc > 2 ? atoi(argv[2]) : 0, n = argc > 3 ? atoi(argv[3]) : 1;

	if (!strcmp(mode, "http")) {
		int keep = argc > 4 && !strcmp(argv[4], "keepalive"), fd = -1;

		for (int i = 0; i < n; i++) {
			if (fd < 0)
				fd = dial(port);
			if (write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
				return 1;
			read_response(fd);
			if (!keep) {
				close(fd);
				fd = -1;
			}
		}
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(mode, "raw")) {
		int fd = dial(port);
		char buf[10];

		for (int i = 0; i < n; i++) {
			size_t got = 0;

			if (send(fd, "0123456789", 10, 0) != 10)
				return 1;
			while (got < 10) {
				ssize_t r = recv(fd, buf + got, 10 - got, 0);

				if (r <= 0)
					return 1;
				got += (size_t)r;
			}
		}
		close(fd);
	} else if (!strcmp(mode, "pipelined")) {
		int fd = dial(port);
		size_t len = (sizeof(req) - 1) * (size_t)n;
		char *all = malloc(len);

		for (int i = 0; i < n; i++)
			memcpy(all + i * (sizeof(req) - 1), req, sizeof(req) - 1);
		if (write(fd, all, len) != (ssize_t)len)
			return 1;
		for (int i = 0; i < n; i++)
			read_response(fd);
		free(all);
		close(fd);
	} else if (!strcmp(mode, "nonblock")) {
		struct sockaddr_in a = addr(port);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
		socklen_t el = sizeof(err);
		struct pollfd p = {fd, POLLOUT, 0};

		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EINPROGRESS) {
			/* loopback may connect at once; either way it is one connect */
		}
		poll(&p, 1, 5000);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err)
			return 1;
		fcntl(fd, F_SETFL, 0);
		if (write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
			return 1;
		read_response(fd);
		close(fd);
	} else if (!strcmp(mode, "udp")) {
		struct sockaddr_in a = addr(port);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		for (int i = 0; i < n; i++)
			sendto(fd, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a));
		close(fd);
	} else if (!strcmp(mode, "dns")) {
		n = port;
		for (int i = 0; i < n; i++) {
			struct addrinfo *res = NULL;

			if (getaddrinfo("localhost", "80", NULL, &res) == 0)
				freeaddrinfo(res);
		}
	} else if (!strcmp(mode, "unix") && argc > 3) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		char buf[10];

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		for (int i = 0; i < n; i++) {
			size_t got = 0;

			if (write(fd, "0123456789", 10) != 10)
				return 1;
			while (got < 10) {
				ssize_t r = read(fd, buf + got, 10 - got);

				if (r <= 0)
					return 1;
				got += (size_t)r;
			}
		}
		close(fd);
	} else if (!strcmp(mode, "quit")) {
		int fd = dial(port);
		static const char q[] = "GET /quit HTTP/1.1\r\n\r\n";

		if (write(fd, q, sizeof(q) - 1) < 0)
			return 1;
		close(fd);
	} else {
		fprintf(stderr, "usage: see shim_client.c\n");
		return 2;
	}
	return 0;
}
