/*
 * One kind of wait per mode, each in a function of its own:
 *   trace_waits file PATH [SECONDS]  read_file(): reads PATH over and over (io_file)
 *   trace_waits lock [SECONDS]       wait_for_lock(): a mutex another thread holds (lock)
 *   trace_waits sleep [SECONDS]      take_nap(): nanosleep (sleep)
 *   trace_waits leader [SECONDS]     the main thread leaves at once (pthread_exit),
 *                                    a worker spins in outlive_leader()
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int done;

__attribute__((noinline)) static long read_file(const char *path, double secs)
{
	static char buf[1 << 20];
	double end = trace_now() + secs;
	long total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		exit(1);
	}
	while (trace_now() < end) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			lseek(fd, 0, SEEK_SET);
		else
			total += n;
	}
	close(fd);
	return total;
}

static void *holder(void *arg)
{
	(void)arg;
	while (!done) {
		pthread_mutex_lock(&mu);
		trace_spin_until(trace_now() + 0.02);
		pthread_mutex_unlock(&mu);
		trace_sleep(0.0005);
	}
	return NULL;
}

__attribute__((noinline)) static long wait_for_lock(double secs)
{
	double end = trace_now() + secs;
	long n = 0;

	while (trace_now() < end) {
		pthread_mutex_lock(&mu);
		n++;
		pthread_mutex_unlock(&mu);
		trace_sleep(0.0005); /* let the holder take it again */
	}
	return n;
}

static double leader_secs;

__attribute__((noinline)) static void *outlive_leader(void *arg)
{
	(void)arg;
	trace_spin_until(trace_now() + leader_secs);
	printf("worker done\n");
	return NULL;
}

__attribute__((noinline)) static void take_nap(double secs)
{
	trace_sleep(secs);
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc < 2) {
		fprintf(stderr, "usage: trace_waits file PATH|lock|sleep [SECONDS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "file") && argc > 2) {
		printf("read %d\n", read_file(argv[2], argc > 3 ? atof(argv[3]) : 1.0) > 0);
	} else if (!strcmp(argv[1], "lock")) {
		pthread_create(&th, NULL, holder, NULL);
		trace_sleep(0.005);
		printf("locked %d\n", wait_for_lock(argc > 2 ? atof(argv[2]) : 1.0) > 0);
		done = 1;
		pthread_join(th, NULL);
	} else if (!strcmp(argv[1], "leader")) {
		leader_secs = argc > 2 ? atof(argv[2]) : 1.0;
		pthread_create(&th, NULL, outlive_leader, NULL);
		pthread_exit(NULL);
	} else if (!strcmp(argv[1], "sleep")) {
		take_nap(argc > 2 ? atof(argv[2]) : 1.0);
		printf("slept\n");
	} else {
		fprintf(stderr, "trace_waits: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
