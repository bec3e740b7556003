/*
 * The bundled example: a tiny order service with two known costs.
 *
 * main() starts an "inventory" service (a forked child serving HTTP on an
 * ephemeral port of 127.0.0.1) and builds the report of an order of 35
 * items.  build_report() asks the inventory for each item's price with its
 * own HTTP request over a new connection (N+1 requests, no pooling; the
 * inventory takes about 8 ms per lookup), then sign_report() computes a
 * checksum of the report the slow way (the CPU hotspot).
 *
 *   make demo      profiles it with perfprof
 *   build/examples/shop [ITEMS=35] [LOOKUP_MS=8] [SIGN_ROUNDS=100]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- the inventory service ------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Stands for the inventory's own database lookup. */
__attribute__((noinline)) static int lookup_price(int item, int ms)
{
	sleep_ms(ms);
	return 100 + (item * 37) % 900;
}

__attribute__((noinline)) static void handle_request(int c, int ms)
{
	char req[512], resp[128];
	int item = -1, n;

	n = (int)read(c, req, sizeof(req) - 1);
	if (n <= 0)
		return;
	req[n] = 0;
	if (sscanf(req, "GET /price/%d ", &item) != 1) {
		n = snprintf(resp, sizeof(resp), "HTTP/1.0 404 Not Found\r\n\r\n");
	} else {
		char body[32];
		int len = snprintf(body, sizeof(body), "%d", lookup_price(item, ms));

		n = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s",
			     len, body);
	}
	if (write(c, resp, (size_t)n) < 0)
		return;
}

static void inventory_serve(int ls, int requests, int ms)
{
	for (int i = 0; i < requests; i++) {
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			_exit(1);
		handle_request(c, ms);
		close(c);
	}
	_exit(0);
}

/* --- the order service ----------------------------------------------- */

__attribute__((noinline)) static int fetch_price(int port, int item)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	char req[128], resp[256];
	int s = socket(AF_INET, SOCK_STREAM, 0), n, len, price = -1;
	char *body;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto out;
	len = snprintf(req, sizeof(req), "GET /price/%d HTTP/1.0\r\nHost: inventory\r\n\r\n", item);
	if (write(s, req, (size_t)len) != len)
		goto out;
	n = (int)read(s, resp, sizeof(resp) - 1);
	if (n <= 0)
		goto out;
	resp[n] = 0;
	body = strstr(resp, "\r\n\r\n");
	if (body)
		price = atoi(body + 4);
out:
	if (s >= 0)
		close(s);
	return price;
}

/* The hotspot: a checksum recomputed over the whole report for every
 * round instead of once. */
__attribute__((noinline)) static unsigned long sign_report(const int *prices, int n, int rounds)
{
	unsigned long h = 1469598103934665603ul;

	for (int r = 0; r < rounds * 40000; r++)
		for (int i = 0; i < n; i++) {
			h ^= (unsigned long)prices[i] + (unsigned long)r;
			h *= 1099511628211ul;
		}
	return h;
}

__attribute__((noinline)) static int build_report(int port, int items, int rounds)
{
	int *prices = calloc((size_t)items, sizeof(int)), total = 0;
	unsigned long sig;

	if (!prices)
		return -1;
	for (int i = 0; i < items; i++) {
		prices[i] = fetch_price(port, i);
		if (prices[i] < 0) {
			free(prices);
			return -1;
		}
		total += prices[i];
	}
	sig = sign_report(prices, items, rounds);
	printf("order of %d items: total %d, signature %016lx\n", items, total, sig);
	free(prices);
	return 0;
}

int main(int argc, char **argv)
{
	int items = argc > 1 ? atoi(argv[1]) : 35, ms = argc > 2 ? atoi(argv[2]) : 8;
	int rounds = argc > 3 ? atoi(argv[3]) : 100, ls, st, ret;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	pid_t inv;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 64) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
		perror("shop: inventory socket");
		return 1;
	}
	fflush(stdout);
	inv = fork();
	if (inv < 0) {
		perror("shop: fork");
		return 1;
	}
	if (inv == 0)
		inventory_serve(ls, items, ms);
	close(ls);
	ret = build_report(ntohs(a.sin_port), items, rounds);
	waitpid(inv, &st, 0);
	return ret == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
