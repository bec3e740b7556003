/*
 * Small-I/O system call workload: a loop of 512-byte pwrite and pread on a
 * file in the page cache, and 64-byte write/read through a pipe.  Prints the
 * time of its own work: "work_ns N cpu_ns M" (wall and process CPU time).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	char path[] = "/tmp/perfprof-bench.XXXXXX", buf[512];
	struct timespec a, b, ca, cb;
	int fd = mkstemp(path), p[2];

	if (fd < 0 || pipe(p))
		return 1;
	unlink(path);
	memset(buf, 'b', sizeof(buf));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		off_t off = (off_t)(i % 64) * 512;

		if (pwrite(fd, buf, 512, off) != 512 || pread(fd, buf, 512, off) != 512)
			return 1;
		if (write(p[1], buf, 64) != 64 || read(p[0], buf, 64) != 64)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	printf("work_ns %lld cpu_ns %lld\n",
	       (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       (cb.tv_sec - ca.tv_sec) * 1000000000LL + (cb.tv_nsec - ca.tv_nsec));
	return 0;
}
