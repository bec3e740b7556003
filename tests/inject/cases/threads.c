/*
 * perfinject test case for the real shim: spans from several threads, and
 * spans left by longjmp(), which the shim closes when an outer span exits.
 *
 * EXPECT span "threads.c:work" 4000
 * EXPECT span "threads.c:worker" 4
 * EXPECT span "threads.c:jumper" 2
 * EXPECT span "threads.c:main" 1
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static volatile unsigned long sink;

static void work(unsigned long i)
{
	sink += i * i;
}

static void *worker(void *arg)
{
	unsigned long i;

	(void)arg;
	for (i = 0; i < 1000; i++)
		work(i);
	return NULL;
}

static void jumper(int k)
{
	longjmp(env, k + 1);
}

int main(void)
{
	pthread_t t[4];
	volatile int jumps = 0;
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (setjmp(env) < 3) {
		jumps++;
		jumper(jumps);
	}
	printf("jumps=%d\n", jumps);
	return 0;
}
