/*
 * Lock contention: 4 threads each take one mutex 40 times and hold it for
 * about 1 ms (sleeping); while one holds it the three others wait, so most
 * of their time is lock waiting and almost none is CPU.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long sink;

__attribute__((noinline)) static void hold_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};

	sink++;
	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 40; i++) {
		pthread_mutex_lock(&mu);
		hold_ms(1);
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
