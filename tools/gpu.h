/*
 * GPU utilization of a run (seed: "only if CUDA/GPU detected in stack"):
 * while the command runs, the processes of its tree are checked for a
 * mapping of the CUDA driver or runtime; once one is seen, NVML's device
 * utilization is sampled at every tick.  NVML is loaded with dlopen, so
 * perfprof needs no GPU library to build or run.
 */
#ifndef PERFPROF_GPU_H
#define PERFPROF_GPU_H

struct gpu_probe {
	void *nvml; /* dlopen handle of libnvidia-ml.so.1, or NULL */
	int ready;  /* nvmlInit succeeded */
	unsigned int ndev;
	char cuda_lib[64]; /* the CUDA library a process mapped, "" when none */
	int cuda_pid;
	double sum_pct;
	int samples;
	char why[200]; /* reason when there is no figure */
};

/* Once per session: loads NVML when it is installed. */
void gpu_init(struct gpu_probe *g);
/* Before each run. */
void gpu_reset(struct gpu_probe *g);
/* The runner's tick (runner.h): ctx is the probe, pid the main process. */
void gpu_tick(void *ctx, int pid);
/* After the run: the mean utilization (percent, the busiest device per
 * sample) over the samples taken once CUDA was seen, or -1 with *why (a
 * string that lives as long as the program). */
double gpu_result(struct gpu_probe *g, const char **why);
void gpu_close(struct gpu_probe *g);

#endif
