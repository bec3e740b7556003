/*
 * Loads the shared library argv[1] with dlopen, then sleeps argv[2]
 * milliseconds (default 400): a process that maps a library the driver
 * looks for (the CUDA driver, for GPU sampling).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	int ms = argc > 2 ? atoi(argv[2]) : 400;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	if (argc < 2 || !dlopen(argv[1], RTLD_NOW)) {
		fprintf(stderr, "drv_dlopen: %s\n",
			argc < 2 ? "usage: drv_dlopen LIB [MS]" : dlerror());
		return 1;
	}
	nanosleep(&ts, NULL);
	return 0;
}
