/*
 * Phase 1: the baseline.  Warm-up runs (discarded), then counted runs, each
 * under the shim; medians and spread over the counted runs; baseline.json
 * in hyperfine's export shape with our metrics beside it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gpu.h"
#include "jget.h"
#include "locate.h"
#include "phases.h"
#include "writers.h"

/* When the first run left no shim report, find out why once. */
static void diagnose_shim(struct prof *p, const struct prof_run *r)
{
	char *exe;
	int st;

	if (!p->shim_lib) {
		p->shim_problem = xstrdup("libperfshim.so not found beside perfprof");
		return;
	}
	if (r->shim.n > 0)
		return;
	exe = which(p->argv[0]);
	st = exe ? elf_is_static(exe) : -1;
	if (st == 1)
		p->shim_problem = xasprintf("%s is statically linked: libperfshim.so cannot load "
					    "into it (no I/O, network, heap or lock counts)",
					    exe);
	else
		p->shim_problem = xstrdup("the command left no shim report (statically linked "
					  "programs, or LD_PRELOAD cleared by the command)");
	free(exe);
	warning_msg("%s; continuing with %s", p->shim_problem,
		    p->perftrace ? "perftrace alone" : "wall time and rusage alone");
}

static int pick_median_run(const struct prof *p)
{
	double med = p->stats[M_WALL_MS].median, best = INFINITY;
	int idx = p->o.warmup;

	for (int i = p->o.warmup; i < p->nruns; i++) {
		double d = fabs(p->runs[i].m.v[M_WALL_MS] - med);

		if (d < best) {
			best = d;
			idx = i;
		}
	}
	return idx;
}

static int baseline_runs(struct prof *p);

int phase_baseline(struct prof *p)
{
	int ret = baseline_runs(p);

	if (p->gpu) {
		gpu_close(p->gpu);
		p->gpu = NULL;
	}
	return ret;
}

static int baseline_runs(struct prof *p)
{
	int total = p->o.warmup + p->o.runs;
	struct run_metrics counted[256];

	static struct gpu_probe gpu;

	gpu_init(&gpu);
	p->gpu = &gpu;
	p->runs = calloc((size_t)total, sizeof(*p->runs));
	if (!p->runs)
		error_msg_and_die("out of memory");
	for (int i = 0; i < total; i++) {
		struct prof_run *r = &p->runs[i];
		int warm = i < p->o.warmup;
		char label[32];

		snprintf(label, sizeof(label), "%s %d", warm ? "warmup" : "run",
			 warm ? i + 1 : i - p->o.warmup + 1);
		prof_progress(p, "phase 1 baseline: %s of %d%s", label,
			      warm ? p->o.warmup : p->o.runs, warm ? " (discarded)" : "");
		if (prof_exec(p, r, label, NULL) < 0 && !r->st.started) {
			error_msg("cannot run %s: %s", p->argv[0], strerror(r->st.exec_errno));
			p->nruns = i + 1;
			return EXIT_ERROR;
		}
		p->nruns = i + 1;
		if (r->st.interrupted) {
			error_msg("interrupted during %s; everything it started was ended", label);
			return 130;
		}
		if (!run_ok(&r->st)) {
			prof_report_failure(p, r,
					    i == 0
						? "test fails before profiling - fix test first"
						: "test failed during the baseline runs (flaky?)");
			return EXIT_ERROR;
		}
		if (i == 0)
			diagnose_shim(p, r);
		if (r->shim.leftover_shm)
			prof_concern(p, "%s: %d process(es) died without writing a shim report",
				     label, r->shim.leftover_shm);
		{
			const char *why = NULL;
			double pct = gpu_result(&gpu, &why);

			metrics_from_run(&r->m, &r->st, &r->shim, p->shim_problem, pct, why);
		}
		if (!warm)
			prof_progress(p, "  %s: %.1f ms wall, %.1f ms CPU", label,
				      r->m.v[M_WALL_MS], r->m.v[M_CPU_MS]);
	}
	for (int i = 0; i < p->o.runs && i < 256; i++)
		counted[i] = p->runs[p->o.warmup + i].m;
	for (int k = 0; k < M_COUNT; k++)
		metric_stats(counted, p->o.runs, (enum metric)k, &p->stats[k]);
	p->median_run = pick_median_run(p);
	if (p->o.runs > 1) {
		static const enum metric watched[] = {M_WALL_MS, M_CPU_MS};

		for (size_t i = 0; i < ARRAY_SIZE(watched); i++) {
			const struct metric_stats *s = &p->stats[watched[i]];

			if (s->valid && s->spread_pct > 20.0)
				prof_concern(
				    p,
				    "CONCERNS: %s varies %.0f%% between the %d counted runs "
				    "(%.1f..%.1f ms)",
				    metric_defs[watched[i]].label, s->spread_pct, s->n, s->min,
				    s->max);
		}
	}
	return 0;
}

static cJSON *stats_json(const struct metric_stats *s, const struct run_metrics *runs, int n,
			 enum metric k)
{
	cJSON *o = cJSON_CreateObject(), *vals;

	if (!s->valid) {
		cJSON_AddNullToObject(o, "median");
		cJSON_AddStringToObject(o, "null_reason", s->why ? s->why : "not measured");
		return o;
	}
	jadd_round(o, "median", s->median, 3);
	jadd_round(o, "mean", s->mean, 3);
	jadd_round(o, "stddev", s->stddev, 3);
	jadd_round(o, "min", s->min, 3);
	jadd_round(o, "max", s->max, 3);
	jadd_round(o, "spread_pct", s->spread_pct, 1);
	vals = cJSON_AddArrayToObject(o, "values");
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(vals, cJSON_CreateNumber(round(runs[i].v[k] * 1000) / 1000));
	return o;
}

cJSON *baseline_json(const struct prof *p)
{
	cJSON *root = cJSON_CreateObject(), *results = cJSON_AddArrayToObject(root, "results");
	cJSON *r = cJSON_CreateObject(), *times, *codes, *metrics, *runs;
	struct run_metrics counted[256];
	int n = p->o.runs > 256 ? 256 : p->o.runs;
	double secs[256];

	for (int i = 0; i < n; i++) {
		counted[i] = p->runs[p->o.warmup + i].m;
		secs[i] = counted[i].v[M_WALL_MS] / 1e3;
	}
	cJSON_AddItemToArray(results, r);
	cJSON_AddStringToObject(r, "command", p->test_command);
	{
		const struct metric_stats *w = &p->stats[M_WALL_MS];
		double user = 0, sys = 0;

		for (int i = 0; i < n; i++) {
			user += counted[i].v[M_USER_MS] / 1e3 / n;
			sys += counted[i].v[M_SYS_MS] / 1e3 / n;
		}
		cJSON_AddNumberToObject(r, "mean", w->mean / 1e3);
		cJSON_AddNumberToObject(r, "stddev", w->stddev / 1e3);
		cJSON_AddNumberToObject(r, "median", w->median / 1e3);
		cJSON_AddNumberToObject(r, "user", user);
		cJSON_AddNumberToObject(r, "system", sys);
		cJSON_AddNumberToObject(r, "min", w->min / 1e3);
		cJSON_AddNumberToObject(r, "max", w->max / 1e3);
	}
	times = cJSON_AddArrayToObject(r, "times");
	codes = cJSON_AddArrayToObject(r, "exit_codes");
	for (int i = 0; i < n; i++) {
		const struct run_status *st = &p->runs[p->o.warmup + i].st;

		cJSON_AddItemToArray(times, cJSON_CreateNumber(secs[i]));
		cJSON_AddItemToArray(codes,
				     cJSON_CreateNumber(st->exited ? st->code : 128 + st->signo));
	}
	metrics = cJSON_AddObjectToObject(r, "metrics");
	for (int k = 0; k < M_COUNT; k++) {
		cJSON *m = stats_json(&p->stats[k], counted, n, (enum metric)k);

		cJSON_AddStringToObject(m, "unit", metric_defs[k].unit);
		cJSON_AddItemToObject(metrics, metric_defs[k].key, m);
	}
	runs = cJSON_AddArrayToObject(r, "runs");
	for (int i = 0; i < p->nruns; i++) {
		const struct prof_run *pr = &p->runs[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "label", pr->label);
		cJSON_AddBoolToObject(o, "counted", i >= p->o.warmup);
		cJSON_AddStringToObject(o, "status", run_status_str(&pr->st, p->o.timeout_s));
		cJSON_AddNumberToObject(o, "processes_reaped", pr->st.reaped);
		cJSON_AddNumberToObject(o, "processes_left_running", pr->st.leftover);
		cJSON_AddNumberToObject(o, "shim_reports", pr->shim.n);
		for (int k = 0; k < M_COUNT; k++)
			jadd_num_or_null(o, metric_defs[k].key, pr->m.valid[k],
					 round(pr->m.v[k] * 1000) / 1000);
		cJSON_AddItemToArray(runs, o);
	}
	{
		cJSON *pp = cJSON_AddObjectToObject(root, "perfprof");

		cJSON_AddNumberToObject(pp, "warmup_runs", p->o.warmup);
		cJSON_AddNumberToObject(pp, "counted_runs", p->o.runs);
		cJSON_AddNumberToObject(pp, "median_run", p->median_run - p->o.warmup + 1);
		cJSON_AddStringToObject(pp, "statistic", "median");
		if (p->shim_problem)
			cJSON_AddStringToObject(pp, "shim_problem", p->shim_problem);
		else
			cJSON_AddNullToObject(pp, "shim_problem");
		cJSON_AddBoolToObject(pp, "concerns",
				      p->stats[M_WALL_MS].valid &&
					  p->stats[M_WALL_MS].spread_pct > 20.0);
	}
	return root;
}
