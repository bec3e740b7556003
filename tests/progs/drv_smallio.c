/*
 * Repeated small file I/O: writes argv[2] (default 20000) records of 16
 * bytes with one write(2) each to the file argv[1], then reads them back
 * 16 bytes per read(2).  One open for writing, one for reading.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static int write_records(const char *path, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (write(fd, "0123456789abcdef", 16) != 16)
			return -1;
	return close(fd);
}

__attribute__((noinline)) static int read_records(const char *path)
{
	char buf[16];
	int fd = open(path, O_RDONLY), n = 0;

	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) == 16)
		n++;
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 20000;

	if (argc < 2 || write_records(argv[1], n) < 0 || read_records(argv[1]) != n) {
		perror("drv_smallio");
		return 1;
	}
	unlink(argv[1]);
	return 0;
}
