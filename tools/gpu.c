/*
 * GPU utilization through NVML when the tree uses CUDA; see gpu.h.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu.h"

/* The few NVML entry points used, by their documented C signatures
 * (nvml.h); nvmlReturn_t is an int, 0 is NVML_SUCCESS. */
struct nvml_util {
	unsigned int gpu, memory;
};
typedef int (*nvml_init_fn)(void);
typedef int (*nvml_count_fn)(unsigned int *);
typedef int (*nvml_handle_fn)(unsigned int, void **);
typedef int (*nvml_util_fn)(void *, struct nvml_util *);

static nvml_init_fn nvml_init;
static nvml_count_fn nvml_count;
static nvml_handle_fn nvml_handle;
static nvml_util_fn nvml_util;
static nvml_init_fn nvml_shutdown;

void gpu_init(struct gpu_probe *g)
{
	memset(g, 0, sizeof(*g));
	g->nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (!g->nvml)
		return;
	nvml_init = (nvml_init_fn)dlsym(g->nvml, "nvmlInit_v2");
	nvml_count = (nvml_count_fn)dlsym(g->nvml, "nvmlDeviceGetCount_v2");
	nvml_handle = (nvml_handle_fn)dlsym(g->nvml, "nvmlDeviceGetHandleByIndex_v2");
	nvml_util = (nvml_util_fn)dlsym(g->nvml, "nvmlDeviceGetUtilizationRates");
	nvml_shutdown = (nvml_init_fn)dlsym(g->nvml, "nvmlShutdown");
	if (nvml_init && nvml_count && nvml_handle && nvml_util && nvml_init() == 0 &&
	    nvml_count(&g->ndev) == 0)
		g->ready = 1;
}

void gpu_reset(struct gpu_probe *g)
{
	g->cuda_lib[0] = 0;
	g->cuda_pid = 0;
	g->sum_pct = 0;
	g->samples = 0;
	g->why[0] = 0;
}

/* Whether pid maps a CUDA library; its name goes to out. */
static int maps_cuda(int pid, char *out, size_t len)
{
	static const char *const libs[] = {"libcuda.so", "libcudart.so", NULL};
	char path[64], line[4096];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		for (int i = 0; libs[i]; i++) {
			char *hit = strstr(line, libs[i]), *end;

			if (!hit)
				continue;
			end = strchr(hit, '\n');
			if (end)
				*end = 0;
			snprintf(out, len, "%s", hit);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The pids of the tree under pid (itself included), at most max. */
static int tree(int pid, int *out, int n, int max)
{
	char path[320], buf[4096];
	DIR *d;
	struct dirent *de;

	if (n >= max)
		return n;
	out[n++] = pid;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return n;
	while ((de = readdir(d)) && n < max) {
		int fd;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		for (char *s = buf; *s && n < max;) {
			char *e;
			long c = strtol(s, &e, 10);

			if (e == s)
				break;
			n = tree((int)c, out, n, max);
			s = e;
			while (*s == ' ' || *s == '\n')
				s++;
		}
	}
	closedir(d);
	return n;
}

void gpu_tick(void *ctx, int pid)
{
	struct gpu_probe *g = ctx;
	unsigned int best = 0;

	if (!g->cuda_pid) {
		int pids[256], n = tree(pid, pids, 0, 256);

		for (int i = 0; i < n && !g->cuda_pid; i++)
			if (maps_cuda(pids[i], g->cuda_lib, sizeof(g->cuda_lib)))
				g->cuda_pid = pids[i];
	}
	if (!g->cuda_pid || !g->ready)
		return;
	for (unsigned int i = 0; i < g->ndev; i++) {
		void *h = NULL;
		struct nvml_util u;

		if (nvml_handle(i, &h) == 0 && nvml_util(h, &u) == 0 && u.gpu > best)
			best = u.gpu;
	}
	g->sum_pct += best;
	g->samples++;
}

/* Reasons outlive the probe (the metrics keep pointers to them): one
 * copy of each distinct text for the session. */
static const char *intern(const char *s)
{
	static char *pool[16];

	for (int i = 0; i < 16; i++) {
		if (pool[i] && !strcmp(pool[i], s))
			return pool[i];
		if (!pool[i]) {
			pool[i] = strdup(s);
			return pool[i] ? pool[i] : "GPU utilization not measured";
		}
	}
	return "GPU utilization not measured";
}

double gpu_result(struct gpu_probe *g, const char **why)
{
	if (!g->cuda_pid)
		snprintf(g->why, sizeof(g->why),
			 "no process of the tree mapped libcuda or libcudart: no GPU in use");
	else if (!g->nvml)
		snprintf(g->why, sizeof(g->why),
			 "the tree mapped %s but NVML (libnvidia-ml.so.1) is not installed",
			 g->cuda_lib);
	else if (!g->ready)
		snprintf(g->why, sizeof(g->why), "NVML is installed but could not be initialised");
	else if (!g->samples)
		snprintf(g->why, sizeof(g->why), "CUDA was seen too late in the run to sample");
	else
		return g->sum_pct / g->samples;
	*why = intern(g->why);
	return -1;
}

void gpu_close(struct gpu_probe *g)
{
	if (g->ready && nvml_shutdown)
		nvml_shutdown();
	if (g->nvml)
		dlclose(g->nvml);
	memset(g, 0, sizeof(*g));
}
