/*
 * A parent that forks a child which execs another program, then both work:
 *   trace_fork CHILD_PROG [SECONDS]
 * The parent spins in parent_work() while the child runs
 * "CHILD_PROG child SECONDS" (trace_fork itself by default), then reaps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_common.h"

__attribute__((noinline)) static long parent_work(double secs)
{
	return trace_spin_until(trace_now() + secs);
}

__attribute__((noinline)) static long child_work(double secs)
{
	return trace_spin_until(trace_now() + secs);
}

int main(int argc, char **argv)
{
	const char *secs = argc > 2 ? argv[2] : "0.6";
	int status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child")) {
		child_work(atof(secs));
		return 7;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(argc > 1 ? argv[1] : "/proc/self/exe", "trace_fork", "child", secs,
		      (char *)NULL);
		_exit(127);
	}
	parent_work(atof(secs));
	waitpid(pid, &status, 0);
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
