/*
 * Locating the shim, the tracer and the injector; see locate.h.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "locate.h"

static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	return strdup(buf);
}

static char *try_path(const char *dir, const char *rel, int want_exec)
{
	char buf[PATH_MAX];
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s/%s", dir, rel) >= (int)sizeof(buf))
		return NULL;
	if (stat(buf, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	if (want_exec && access(buf, X_OK) < 0)
		return NULL;
	return realpath(buf, NULL);
}

char *locate_product(const char *name)
{
	static const struct {
		const char *name, *env;
	} envs[] = {
	    {"libperfshim.so", "PERFPROF_SHIM"},
	    {"perftrace", "PERFPROF_PERFTRACE"},
	    {"perfinject", "PERFPROF_PERFINJECT"},
	};
	int is_lib = !strcmp(name, "libperfshim.so");
	char *dir, *p = NULL;

	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		const char *v;

		if (strcmp(envs[i].name, name))
			continue;
		v = getenv(envs[i].env);
		if (v)
			return *v ? realpath(v, NULL) : NULL;
	}
	dir = self_dir();
	if (!dir)
		return NULL;
	p = try_path(dir, name, !is_lib);
	if (!p && is_lib)
		p = try_path(dir, "../lib/perfprof/libperfshim.so", 0);
	free(dir);
	return p;
}

char *locate_inject_pypath(void)
{
	/* build/python (beside the binaries), or share/perfprof/python after
	 * make install, as perfinject --python-path reports it. */
	static const char *const rels[] = {"python", "../share/perfprof/python"};
	const char *v = getenv("PERFPROF_INJECT_PYTHONPATH");
	char *dir = self_dir(), *res = NULL;

	if (v)
		return *v ? strdup(v) : NULL;
	if (!dir)
		return NULL;
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]) && !res; i++) {
		char buf[PATH_MAX];
		struct stat st;

		snprintf(buf, sizeof(buf), "%s/%s/perfprof_spans.py", dir, rels[i]);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			*strrchr(buf, '/') = 0;
			res = realpath(buf, NULL);
		}
	}
	free(dir);
	return res;
}

int elf_is_static(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 1;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		ret = -ENOEXEC;
		goto out;
	}
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (size_t)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph)) {
			ret = -EIO;
			goto out;
		}
		/* static-pie has PT_DYNAMIC but no interpreter: LD_PRELOAD
		 * cannot reach it either. */
		if (ph.p_type == PT_INTERP) {
			ret = 0;
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

char *which(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? realpath(cmd, NULL) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n &&
		    snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, cmd) < (int)sizeof(buf)) {
			struct stat st;

			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
				return realpath(buf, NULL);
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}
