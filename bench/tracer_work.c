/*
 * Workload for bench/tracer_overhead.sh: it times its own work.
 *   tracer_work cpu THREADS UNITS   each thread computes UNITS work units
 *                                   (a recursive descent into libm calls);
 *                                   prints "work_s S", the wall time from the
 *                                   first thread's start to the last one's end
 *   tracer_work server THREADS ITERATIONS   each thread computes 20 units,
 *                                   then sleeps 5 ms, ITERATIONS times (about
 *                                   1.5% of a CPU per thread: 64 of them do not
 *                                   saturate two); prints "work_s S", the mean
 *                                   per thread of the wall time spent computing
 *   tracer_work sleep THREADS SECONDS   threads that sleep in 1 ms naps (for
 *                                   recording many samples cheaply)
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_barrier_t start;
static long units;
static double secs;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static double leaf(double x)
{
	double s = 0;

	for (int i = 0; i < 200; i++)
		s += sin(x + i) * cos(x - i);
	return s;
}

__attribute__((noinline)) static double descend(int depth, double x)
{
	if (depth == 0)
		return leaf(x);
	return descend(depth - 1, x * 1.0001) + 1e-9 * depth;
}

static double *span; /* per cpu worker: when it started and ended its work */

static void *cpu_worker(void *arg)
{
	volatile double sink = 0;
	double *mine = arg;

	pthread_barrier_wait(&start);
	mine[0] = now();
	for (long u = 0; u < units; u++)
		sink += descend(24, (double)u);
	mine[1] = now();
	return NULL;
}

static double *busy; /* per thread: wall time spent computing (server) */

static void *server_worker(void *arg)
{
	volatile double sink = 0;
	struct timespec nap = {0, 5000000};
	double *mine = arg;

	pthread_barrier_wait(&start);
	for (long it = 0; it < units; it++) {
		double t0 = now();

		for (int u = 0; u < 20; u++)
			sink += descend(24, (double)u);
		*mine += now() - t0;
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = {0, 1000000};
	double end;

	(void)arg;
	pthread_barrier_wait(&start);
	end = now() + secs;
	while (now() < end)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 1;
	int cpu = argc > 1 && !strcmp(argv[1], "cpu");
	int server = argc > 1 && !strcmp(argv[1], "server");
	pthread_t *th;
	double t0;

	if (argc < 4 || n < 1 || (!cpu && !server && strcmp(argv[1], "sleep"))) {
		fprintf(stderr,
			"usage: tracer_work cpu|server|sleep THREADS UNITS|ITERATIONS|SECONDS\n");
		return 2;
	}
	units = atol(argv[3]);
	secs = atof(argv[3]);
	th = calloc(n, sizeof(*th));
	busy = calloc(n, sizeof(*busy));
	span = calloc(2 * n, sizeof(*span));
	pthread_barrier_init(&start, NULL, n + 1);
	for (int i = 0; i < n; i++) {
		void *(*fn)(void *) = cpu ? cpu_worker : server ? server_worker : sleeper;

		pthread_create(&th[i], NULL, fn, cpu ? (void *)&span[2 * i] : (void *)&busy[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now();
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (cpu) {
		/* from the first worker's start to the last one's end, as the workers saw it */
		double first = span[0], last = span[1];

		for (int i = 1; i < n; i++) {
			first = span[2 * i] < first ? span[2 * i] : first;
			last = span[2 * i + 1] > last ? span[2 * i + 1] : last;
		}
		printf("work_s %.6f\n", last - first);
	} else if (server) {
		double sum = 0;

		for (int i = 0; i < n; i++)
			sum += busy[i];
		printf("work_s %.6f\n", sum / n);
	} else {
		printf("work_s %.6f\n", now() - t0);
	}
	return 0;
}
