/*
 * Lock contention: 4 threads each take one mutex 40 times and hold it for
 * about 1 ms of spinning; most of their time is spent waiting for it.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long sink;

static void spin_ms(double ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 1000; i++)
			sink += i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6 < ms);
}

__attribute__((noinline)) static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 40; i++) {
		pthread_mutex_lock(&mu);
		spin_ms(1.0);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("%lu\n", sink);
	return 0;
}
