/*
 * End-to-end scenarios: perfprof on target programs whose dominant cost is
 * known, checking the classification, the evidence and its counts, and
 * the validity of every output.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drv.h"

static const cJSON *map(const struct drv *d)
{
	return tl_json_at(d->result, "performance_map");
}

static const char *cls(const struct drv *d)
{
	return tl_json_str(d->result, "bottleneck_classification");
}

static void ran_ok(const struct drv *d)
{
	cr_assert(d->r.exited && d->r.code == 0, "perfprof: %s\n%s", tl_status_str(&d->r),
		  d->r.err);
	drv_check_map(d);
}

Test(scenario, cpu_bound)
{
	struct drv d;
	size_t loglen = 0;
	char *log;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "2", "--warmup", "0", "--", tl_prog("drv_cpu"),
					  "60", NULL});
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "CPU", "detail: %s", tl_json_str(d.result, "bottleneck_detail"));
	/* 60 M xorshift rounds take about 100 ms of CPU on this class of
	 * machine; CPU time does not grow with the machine's load. */
	cr_assert_gt(tl_json_num(map(&d), "baseline.cpu_time_ms"), 40.0);
	cr_assert_leq(tl_json_num(map(&d), "baseline.cpu_time_ms"),
		      tl_json_num(map(&d), "baseline.wall_time_ms") * 1.05 + 2,
		      "one thread cannot use more CPU than wall time");
	cr_assert_eq(tl_json_num(map(&d), "baseline.http_round_trips"), 0);
	/* The one line it prints is all it writes. */
	asprintf(&log, "%s/raw/run-1.log", d.out);
	cr_assert_not_null(tl_read_file(log, &loglen));
	cr_assert_eq(tl_json_num(map(&d), "baseline.io_write_bytes"), (double)loglen);
	cr_assert_str_eq(tl_json_str(d.result, "top_bottlenecks[0].type"), "CPU");
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(d.result, "optimization_hints")), 0,
		     "nothing to confirm in a pure computation");
	tl_rm_rf(d.dir);
}

Test(scenario, n_plus_one_http)
{
	struct drv d;
	const cJSON *s, *step;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_http"),
					  "20", "5", NULL});
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "Architecture", "detail: %s",
			 tl_json_str(d.result, "bottleneck_detail"));
	cr_assert(strstr(tl_json_str(d.result, "bottleneck_detail"),
			 "20 sequential HTTP requests to 127.0.0.1:"),
		  "%s", tl_json_str(d.result, "bottleneck_detail"));
	cr_assert_eq(tl_json_num(map(&d), "baseline.http_round_trips"), 20);
	s = drv_suspicion(&d, "New connection per request", "confirmed");
	cr_assert_not_null(s);
	cr_assert(strstr(tl_json_str(s, "evidence"), "20 connects for 20 HTTP requests"), "%s",
		  tl_json_str(s, "evidence"));
	cr_assert_gt(cJSON_GetArraySize(tl_json_at(s, "affected_steps")), 0);
	s = drv_suspicion(&d, "I/O inside a loop", "confirmed");
	cr_assert_not_null(s);
	cr_assert(strstr(tl_json_str(s, "evidence"), "20 HTTP requests"));
	cr_assert_not_null(drv_suspicion(&d, "Sequential requests", "confirmed"));
	step = drv_step_of_type(tl_json_at(map(&d), "steps"), "http_call");
	cr_assert_not_null(step, "no http_call step");
	cr_assert_eq(tl_json_num(step, "http_round_trips"), 20);
	cr_assert_not_null(tl_json_str(step, "service"), "two processes: steps name their service");
	cr_assert_str_eq(tl_json_str(d.result, "top_bottlenecks[0].type"), "Architecture");
	cr_assert_gt(tl_json_num(d.result, "top_bottlenecks[0].share"), 50.0);
	cr_assert_geq(cJSON_GetArraySize(tl_json_at(d.result, "optimization_hints")), 2);
	tl_rm_rf(d.dir);
}

Test(scenario, small_file_io)
{
	struct drv d;
	const cJSON *s;
	char *file, *dir = tl_tmpdir("smallio");

	drv_need(0);
	asprintf(&file, "%s/records.dat", dir);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--",
					  tl_prog("drv_smallio"), file, "20000", NULL});
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "I/O-File", "detail: %s",
			 tl_json_str(d.result, "bottleneck_detail"));
	cr_assert_eq(tl_json_num(map(&d), "baseline.io_write_bytes"), 320000);
	cr_assert_eq(tl_json_num(map(&d), "baseline.io_read_bytes"), 320000);
	s = drv_suspicion(&d, "Small I/O sizes", "confirmed");
	cr_assert_not_null(s);
	/* 20000 writes, 20000 reads and the read that found the end */
	cr_assert(strstr(tl_json_str(s, "evidence"), "40001 read/write calls"), "%s",
		  tl_json_str(s, "evidence"));
	cr_assert(strstr(tl_json_str(s, "evidence"), "640000 bytes"));
	cr_assert_not_null(drv_step_of_type(tl_json_at(map(&d), "steps"), "file_io"));
	cr_assert_not_null(drv_suspicion(&d, "Same file opened repeatedly", "dismissed"));
	tl_rm_rf(d.dir);
	tl_rm_rf(dir);
}

Test(scenario, slow_local_database)
{
	struct drv d;
	const cJSON *s, *step;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_db"),
					  "5", "40", NULL});
	if (d.r.exited && d.r.code == 1 && strstr(d.r.err, "port 5432"))
		cr_skip_test("port 5432 is in use on this machine");
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "I/O-DB", "detail: %s",
			 tl_json_str(d.result, "bottleneck_detail"));
	cr_assert(strstr(tl_json_str(d.result, "bottleneck_detail"), "5 queries to 127.0.0.1:5432"),
		  "%s", tl_json_str(d.result, "bottleneck_detail"));
	step = drv_step_of_type(tl_json_at(map(&d), "steps"), "db_query");
	cr_assert_not_null(step);
	cr_assert_eq(tl_json_num(step, "round_trips"), 5);
	s = drv_suspicion(&d, "New connection per request", "dismissed");
	cr_assert_not_null(s, "one connection for 5 queries");
	cr_assert(strstr(tl_json_str(s, "evidence"), "1 connects for 5 queries"), "%s",
		  tl_json_str(s, "evidence"));
	cr_assert_not_null(drv_suspicion(&d, "I/O inside a loop", "dismissed"));
	/* 5 x 40 ms: each query is far above the reference range of a simple
	 * query, so the norm indicator must not fire. */
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(d.result, "wrong_tool_indicators")), 0);
	tl_rm_rf(d.dir);
}

Test(scenario, lock_contention)
{
	struct drv d;
	const cJSON *s;

	drv_need(0);
	drv_profile(
	    &d, NULL,
	    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_lock"), NULL});
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "Architecture", "detail: %s",
			 tl_json_str(d.result, "bottleneck_detail"));
	cr_assert(strstr(tl_json_str(d.result, "bottleneck_detail"), "lock contention"));
	s = drv_suspicion(&d, "Lock contention", "confirmed");
	cr_assert_not_null(s);
	cr_assert(strstr(tl_json_str(s, "evidence"), "contended lock calls waited"));
	tl_rm_rf(d.dir);
}

Test(scenario, heap_growth)
{
	struct drv d;
	const cJSON *s;

	drv_need(0);
	drv_profile(
	    &d, NULL,
	    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_heap"), NULL});
	ran_ok(&d);
	/* 1000 x 64 KiB kept to the end: 62.5 MiB requested, a little more
	 * in usable size. */
	cr_assert_geq(tl_json_num(map(&d), "baseline.memory_delta_mb"), 62.5);
	cr_assert_lt(tl_json_num(map(&d), "baseline.memory_delta_mb"), 64.0);
	cr_assert_geq(tl_json_num(map(&d), "baseline.memory_peak_mb"), 62.5);
	s = drv_suspicion(&d, "Heap growing without bound", "confirmed");
	cr_assert_not_null(s);
	cr_assert(strstr(tl_json_str(s, "evidence"), "1000 allocs, 0 frees"), "%s",
		  tl_json_str(s, "evidence"));
	cr_assert(strstr(tl_json_str(d.details, "escalation"), "level 3"),
		  "memory abnormal escalates to allocation sites: %s",
		  tl_json_str(d.details, "escalation"));
	tl_rm_rf(d.dir);
}

Test(scenario, multi_process)
{
	struct drv d;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--",
					  tl_prog("drv_multi"), "20", "3", NULL});
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "CPU");
	cr_assert_eq(tl_json_num(d.baseline, "results[0].metrics.processes.median"), 4);
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(d.details, "processes")), 4);
	cr_assert_not_null(tl_json_str(map(&d), "steps[0].service"),
			   "several processes: the service field is set");
	tl_rm_rf(d.dir);
}

Test(scenario, baseline_runs_and_hyperfine_shape)
{
	struct drv d;
	const cJSON *r;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "3", "--warmup", "1", "--", tl_prog("drv_cpu"),
					  "20", NULL});
	ran_ok(&d);
	r = tl_json_at(d.baseline, "results[0]");
	cr_assert_not_null(r);
	static const char *const keys[] = {"command", "mean",	    "stddev", "median",
					   "user",    "system",	    "min",    "max",
					   "times",   "exit_codes", NULL};
	for (int i = 0; keys[i]; i++)
		cr_assert_not_null(tl_json_at(r, keys[i]), "baseline.json lacks %s", keys[i]);
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(r, "times")), 3);
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(r, "runs")), 4, "the warm-up is listed too");
	cr_assert_eq(tl_json_num(r, "exit_codes[0]"), 0);
	cr_assert_leq(tl_json_num(r, "min"), tl_json_num(r, "median"));
	cr_assert_leq(tl_json_num(r, "median"), tl_json_num(r, "max"));
	cr_assert_float_eq(tl_json_num(r, "median") * 1000,
			   tl_json_num(map(&d), "baseline.wall_time_ms"), 0.06);
	cr_assert_eq(tl_json_num(r, "metrics.processes.median"), 1);
	tl_rm_rf(d.dir);
}

Test(scenario, fast_database_is_within_the_norm)
{
	struct drv d;
	const cJSON *ev;

	drv_need(0);
	/* 6 queries of 4 ms: inside the reference range of a simple query
	 * (0.5-10 ms), and nothing to batch. */
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_db"),
					  "6", "4", NULL});
	if (d.r.exited && d.r.code == 1 && strstr(d.r.err, "port 5432"))
		cr_skip_test("port 5432 is in use on this machine");
	ran_ok(&d);
	cr_assert_str_eq(cls(&d), "I/O-DB", "detail: %s",
			 tl_json_str(d.result, "bottleneck_detail"));
	cr_assert_str_eq(tl_json_str(d.result, "wrong_tool_indicators[0]"), "within_industry_norm");
	ev = tl_json_at(d.details, "wrong_tool_evidence[0]");
	cr_assert_not_null(ev);
	cr_assert(strstr(tl_json_str(ev, "evidence"), "(6 operations); reference range for simple "
						      "query (indexed): 0.5-10 ms"),
		  "%s", tl_json_str(ev, "evidence"));
	tl_rm_rf(d.dir);
}

Test(scenario, http_endpoint)
{
	struct drv d;
	struct tl_result r;
	char *url, *script, *body;
	int port = tl_free_port();
	pid_t srv;

	drv_need(0);
	if (!tl_have("curl") || !tl_have("python3"))
		cr_skip_test("curl and python3 are needed for a local endpoint");
	srv = fork();
	if (srv == 0) {
		char ps[16];

		snprintf(ps, sizeof(ps), "%d", port);
		setpgid(0, 0);
		execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", ps,
		       (char *)NULL);
		_exit(127);
	}
	asprintf(&url, "http://127.0.0.1:%d/", port);
	{
		/* wait until it answers */
		const char *argv[] = {"curl",
				      "-s",
				      "-o",
				      "/dev/null",
				      "--retry",
				      "20",
				      "--retry-connrefused",
				      "--retry-delay",
				      "0",
				      url,
				      NULL};

		tl_run(&r, argv, NULL, NULL, NULL, 30);
	}
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--endpoint", url, NULL});
	kill(-srv, SIGTERM);
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	ran_ok(&d);
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.type"), "api_endpoint");
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.route"), "/");
	cr_assert_eq(tl_json_num(map(&d), "baseline.http_round_trips"), 1, "curl asks once");
	asprintf(&script, "%s/.hex-skills/optimization/t/profile_test.sh", d.dir);
	body = tl_read_file(script, NULL);
	cr_assert_not_null(body, "the generated test script is at %s", script);
	cr_assert(strstr(body, "curl") && strstr(body, url));
	tl_rm_rf(d.dir);
}

Test(scenario, gpu_needs_cuda_and_nvml)
{
	char *dir = tl_tmpdir("cuda"), *src, *lib;
	struct tl_result r;
	struct drv d;
	void *nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY);

	drv_need(0);
	if (nvml)
		cr_skip_test("NVML is installed here: this test covers machines without it");
	if (!tl_have("cc"))
		cr_skip_test("no C compiler to build a stand-in libcuda");
	/* a library named like the CUDA driver: what the probe looks for is
	 * the mapping, not what the library does */
	asprintf(&src, "%s/cuda.c", dir);
	asprintf(&lib, "%s/libcuda.so.1", dir);
	tl_write_file(src, "int cuInit(int f) { return f; }\n", 32);
	{
		const char *argv[] = {"cc", "-shared", "-fPIC", "-o", lib, src, NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 60), 0);
		cr_assert_eq(r.code, 0, "%s", r.err);
	}
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--no-trace", "--",
					  tl_prog("drv_dlopen"), lib, "400", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert(
	    cJSON_IsNull(tl_json_at(d.baseline, "results[0].metrics.gpu_utilization_pct.median")));
	cr_assert_str_eq(
	    tl_json_str(d.baseline, "results[0].metrics.gpu_utilization_pct.null_reason"),
	    "the tree mapped libcuda.so.1 but NVML (libnvidia-ml.so.1) is not installed");
	tl_rm_rf(d.dir);
	/* and a program without CUDA says so */
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--no-trace", "--",
					  tl_prog("drv_cpu"), "5", NULL});
	cr_assert_str_eq(
	    tl_json_str(d.baseline, "results[0].metrics.gpu_utilization_pct.null_reason"),
	    "no process of the tree mapped libcuda or libcudart: no GPU in use");
	tl_rm_rf(d.dir);
	tl_rm_rf(dir);
}
