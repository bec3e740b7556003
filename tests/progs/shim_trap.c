/*
 * libshimtrap.so, preloaded after the shim: a getsockname() that, called
 * from the shim, does what SHIM_TRAP names.  The shim calls getsockname()
 * itself while it records an accept(), so this stands for a signal handler
 * that runs while the shim is busy, at a known moment:
 *
 *   SHIM_TRAP=_exit   _exit(3)
 *   SHIM_TRAP=exec    execl("/bin/true", "true", NULL)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);
	const char *what = getenv("SHIM_TRAP");
	Dl_info caller;

	if (!dladdr(__builtin_return_address(0), &caller) || !caller.dli_fname ||
	    !strstr(caller.dli_fname, "libperfshim"))
		what = NULL;
	if (what && !strcmp(what, "_exit"))
		_exit(3);
	if (what && !strcmp(what, "exec"))
		execl("/bin/true", "true", (char *)NULL);
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "getsockname");
	return real(fd, addr, len);
}
