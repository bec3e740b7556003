/*
 * Sample shares against a known split of wall time: three threads on CPU in
 * their own functions 60%, 30% and 10% of the same second and a half, asleep
 * otherwise.  Shares are statistical: each must be within 5 points.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_test.h"

static int cmp_desc(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a < b) - (a > b);
}

static cJSON *run_split(const char *dir, int hz, const char *const *extra)
{
	const char *cmd[] = {tl_prog("trace_split"), "1.5", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, hz, extra, cmd, NULL);

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_str_eq(r.out, "split done\n");
	return tt_report(file, dir);
}

Test(shares, cpu_split_across_functions_and_threads)
{
	char *dir = tl_tmpdir("tr-split");
	cJSON *rep = run_split(dir, 200, NULL), *t;
	double a = tt_num(tt_func(rep, "spin_a"), "total_samples");
	double b = tt_num(tt_func(rep, "spin_b"), "total_samples");
	double c = tt_num(tt_func(rep, "spin_c"), "total_samples");
	double sum = a + b + c, cpu[3] = {0};
	int nthreads = 0, k = 0;

	cr_assert_gt(sum, 200, "only %.0f samples in the spinning functions", sum);
	cr_assert(fabs(100 * a / sum - 60) <= 5, "spin_a %.1f%% (60 expected)", 100 * a / sum);
	cr_assert(fabs(100 * b / sum - 30) <= 5, "spin_b %.1f%% (30 expected)", 100 * b / sum);
	cr_assert(fabs(100 * c / sum - 10) <= 5, "spin_c %.1f%% (10 expected)", 100 * c / sum);
	/* per thread: the on-CPU share of each worker, sorted */
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(rep, "threads"))
	{
		double n = tt_num(t, "samples"),
		       on = tt_num(cJSON_GetObjectItem(t, "states"), "cpu");

		nthreads++;
		if (n > 0 && on / n > 0.05 && k < 3)
			cpu[k++] = 100 * on / n;
	}
	cr_assert_eq(nthreads, 4);
	cr_assert_eq(k, 3, "%d threads on CPU", k);
	qsort(cpu, 3, sizeof(double), cmp_desc);
	cr_assert(fabs(cpu[0] - 60) <= 5, "busiest thread on CPU %.1f%% (60 expected)", cpu[0]);
	cr_assert(fabs(cpu[1] - 30) <= 5, "second thread on CPU %.1f%% (30 expected)", cpu[1]);
	cr_assert(fabs(cpu[2] - 10) <= 5, "third thread on CPU %.1f%% (10 expected)", cpu[2]);
	tl_rm_rf(dir);
}

Test(shares, samples_convert_to_wall_time)
{
	char *dir = tl_tmpdir("tr-period");
	cJSON *rep = run_split(dir, 100, NULL), *t;
	double period = tt_num(rep, "sample_period_ns");

	/*
	 * Jittered, but the mean interval is about the requested one; ticks
	 * perftrace sleeps through on a loaded machine are lost and lengthen it.
	 */
	cr_assert(fabs(period - 1e7) < 0.3e7, "mean interval %.0f ns at 100 Hz", period);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(rep, "threads"))
	{
		double wall = tt_num(t, "samples") * period, dur = tt_num(t, "duration_ns");

		cr_assert(fabs(wall - dur) < 0.1 * dur + 2 * period,
			  "thread %.0f: %.0f samples x period = %.0f ns, lived %.0f ns",
			  tt_num(t, "tid"), tt_num(t, "samples"), wall, dur);
	}
	tl_rm_rf(dir);
}

Test(shares, a_leader_that_leaves_early_does_not_skew_the_period)
{
	char *dir = tl_tmpdir("tr-leader");
	const char *cmd[] = {tl_prog("trace_waits"), "leader", "0.8", NULL};
	struct tl_result r;
	char *file = tt_record(&r, dir, 200, NULL, cmd, NULL);
	cJSON *rep, *t;
	double period, longest = 0, shortest = 1e18, worker_rate = 0;

	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	cr_assert_str_eq(r.out, "worker done\n");
	rep = tt_report(file, dir);
	period = tt_num(rep, "sample_period_ns");
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(rep, "threads"))
	{
		double d = tt_num(t, "duration_ns");

		if (d > longest) {
			longest = d;
			worker_rate = d / tt_num(t, "samples");
		}
		shortest = d < shortest ? d : shortest;
	}
	/* the period is the worker's own interval: the leader's short life does not skew it */
	cr_assert(fabs(period - worker_rate) < 0.05 * worker_rate, "period %.0f, worker %.0f",
		  period, worker_rate);
	/* the leader's life ends when it leaves, not when its process does */
	cr_assert_lt(shortest, 0.2e9, "the leader lived %.0f ns", shortest);
	cr_assert_gt(longest, 0.7e9);
	cr_assert_gt(tt_num(tt_func(rep, "outlive_leader"), "total_samples"), 100);
	tl_rm_rf(dir);
}
