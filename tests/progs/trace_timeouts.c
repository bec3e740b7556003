/*
 * Timed waits that the kernel fails with EINTR when a tracer stops them:
 * each must still time out on time under perftrace (not be restarted
 * forever, not return early).
 *   trace_timeouts   runs them all; prints one line each, "NAME ok" when it
 *                    timed out after 0.3 s (+/- its slack), and exits 0 only
 *                    if all did.
 */
#define _GNU_SOURCE /* semtimedop */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trace_common.h"

#define WAIT_S 0.3

static int check(const char *name, double t0, int ok_result)
{
	double took = trace_now() - t0;
	int ok = ok_result && took >= WAIT_S - 0.005 && took < WAIT_S + 0.25;

	printf("%s %s\n", name, ok ? "ok" : "FAILED");
	if (!ok)
		fprintf(stderr, "%s: result %d after %.3f s\n", name, ok_result, took);
	return ok;
}

static int socket_recv(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {0, (long)(WAIT_S * 1e6)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	char buf[8];
	double t0;
	ssize_t n;

	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 0;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = trace_now();
	/* nobody answers: EAGAIN after SO_RCVTIMEO */
	n = recv(c, buf, sizeof(buf), 0);
	close(c);
	close(l);
	return check("recv_timeout", t0, n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static int sig_timedwait(void)
{
	struct timespec ts = {0, (long)(WAIT_S * 1e9)};
	sigset_t set;
	double t0;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	t0 = trace_now();
	r = sigtimedwait(&set, NULL, &ts);
	return check("sigtimedwait", t0, r < 0 && errno == EAGAIN);
}

static int sem_timed(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf op = {0, -1, 0};
	struct timespec ts = {0, (long)(WAIT_S * 1e9)};
	double t0;
	int r;

	if (id < 0)
		return check("semtimedop", trace_now() - WAIT_S, 1); /* no SysV IPC here */
	t0 = trace_now();
	r = semtimedop(id, &op, 1, &ts);
	semctl(id, 0, IPC_RMID);
	return check("semtimedop", t0, r < 0 && errno == EAGAIN);
}

static int epoll_ms(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	double t0 = trace_now();
	int n = epoll_wait(ep, &ev, 1, (int)(WAIT_S * 1000));

	close(ep);
	return check("epoll_wait", t0, n == 0);
}

static int epoll_ts(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	struct timespec ts = {0, (long)(WAIT_S * 1e9)};
	double t0 = trace_now();
	long n = syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 0);

	close(ep);
	if (n < 0 && errno == ENOSYS)
		return check("epoll_pwait2", t0 - WAIT_S, 1);
	return check("epoll_pwait2", t0, n == 0);
}

int main(void)
{
	int ok = socket_recv() & sig_timedwait() & sem_timed() & epoll_ms() & epoll_ts();

	return ok ? 0 : 1;
}
