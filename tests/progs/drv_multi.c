/*
 * A multi-process test: forks argv[2] workers (default 3) that each burn
 * CPU for argv[1] million iterations (default 20) and waits for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static unsigned long work(unsigned long n)
{
	unsigned long x = 1;

	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

int main(int argc, char **argv)
{
	unsigned long m = argc > 1 ? strtoul(argv[1], NULL, 10) : 20;
	int n = argc > 2 ? atoi(argv[2]) : 3, bad = 0, st;

	for (int i = 0; i < n; i++)
		if (fork() == 0)
			_exit(work(m * 1000000ul) == 42);
	for (int i = 0; i < n; i++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	return bad;
}
