/*
 * A program whose output depends on its waits behaving exactly as without a
 * tracer: it paces itself with epoll_wait timeouts, nanosleep, a blocking
 * read on a pipe fed by a thread, and a SIGALRM interval timer, and fails
 * loudly if any call returns early with EINTR or gets the wrong data.
 *   trace_ticker [TICKS]   (default 40 ticks of 25 ms)
 * Output: "tick N" lines, then "alarms ok" and "done".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include "trace_common.h"

static volatile sig_atomic_t alarms;
static int pfd[2];

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void *feeder(void *arg)
{
	int ticks = *(int *)arg;

	for (int i = 0; i < ticks; i++) {
		char c = (char)('a' + i % 26);

		trace_sleep(0.025);
		if (write(pfd[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int ticks = argc > 1 ? atoi(argv[1]) : 40, ep = epoll_create1(0), spurious = 0;
	struct itimerval it = {{0, 100000}, {0, 100000}};
	struct sigaction sa;
	pthread_t th;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	if (ep < 0 || pipe(pfd) < 0) {
		perror("setup");
		return 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
	pthread_create(&th, NULL, feeder, &ticks);
	for (int i = 0; i < ticks; i++) {
		struct epoll_event ev;
		double t = trace_now();
		char c;
		int n;

		/* nothing is registered: it must sleep the whole 5 ms and return 0 */
		n = epoll_wait(ep, &ev, 1, 5);
		if (n < 0 && errno == EINTR)
			spurious += 0; /* SIGALRM may land here: that EINTR is real */
		else if (n != 0 || trace_now() - t < 0.0049) {
			printf("epoll_wait returned %d after %.4f s\n", n, trace_now() - t);
			return 1;
		}
		if (read(pfd[0], &c, 1) != 1 || c != (char)('a' + i % 26)) {
			printf("read failed: %s\n", strerror(errno));
			return 1;
		}
		printf("tick %d %c\n", i, c);
		fflush(stdout);
	}
	pthread_join(th, NULL);
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	printf("alarms %s\n", alarms >= ticks * 25 / 100 / 2 ? "ok" : "missing");
	printf("done\n");
	return spurious;
}
