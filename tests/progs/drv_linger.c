/*
 * Leaves a child behind: forks a process that ignores SIGTERM and sleeps
 * for 60 s, in a session of its own, then exits at once.  The driver must
 * end it.  Prints the child's pid.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	pid_t c = fork();

	if (c == 0) {
		setsid();
		signal(SIGTERM, SIG_IGN);
		sleep(60);
		_exit(0);
	}
	printf("%d\n", (int)c);
	return 0;
}
