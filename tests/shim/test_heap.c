/*
 * Heap accounting: exact allocs, frees, reallocs, bytes and histogram
 * (measured as the difference between a run with N operations and one with
 * none), live and peak bytes against what the program itself measured, and
 * sampled allocation sites with unbiased byte estimates.
 */
#include <math.h>

#include "shimtest.h"

static cJSON *heap_run(const char *mode, const char *n, const char *size, const char *sample,
		       char **out)
{
	char *dir = tl_tmpdir("heap"), *env;
	struct tl_result r;
	cJSON *rep;

	cr_assert(asprintf(&env, "PERFSHIM_HEAP_SAMPLE=%s", sample ? sample : "524288") > 0);
	r = shim_run(dir, (const char *[]){tl_prog("shim_heap"), mode, n, size, NULL},
		     (const char *[]){env, NULL});
	cr_assert(r.exited && r.code == 0, "%s: %s", tl_status_str(&r), r.err);
	rep = shim_report(dir, "/shim_heap", 0);
	if (out)
		*out = r.out;
	tl_rm_rf(dir);
	return rep;
}

static unsigned bucket(size_t size)
{
	unsigned b = 0;

	while (((size_t)1 << b) < size)
		b++;
	return b;
}

static double hist(cJSON *rep, unsigned b)
{
	cJSON *h;

	cJSON_ArrayForEach(h, tl_json_at(rep, "heap.histogram")) if (jnum(h, "le") ==
								      (double)((size_t)1 << b))
		return jnum(h, "count");
	return 0;
}

Test(heap, calls_and_bytes_are_exact)
{
	const int n = 100;
	cJSON *base = heap_run("calls", "0", NULL, NULL, NULL), *rep;
	double want_bytes = 0, want_hist[64] = {0};

	rep = heap_run("calls", "100", NULL, NULL, NULL);
	/* The program's array of held pointers: (n + 1) * 8 bytes instead of 8. */
	want_bytes += (n + 1) * 8 - 8;
	want_hist[bucket((n + 1) * 8)]++;
	want_hist[bucket(8)]--;
	for (int i = 0; i < n; i++) {
		size_t sizes[] = {1000, 1000, (size_t)(i + 1) * 64, 4096, 256};

		for (size_t k = 0; k < 5; k++) {
			want_bytes += (double)sizes[k];
			want_hist[bucket(sizes[k])]++;
		}
	}
	cr_expect_eq(jnum(rep, "heap.allocs") - jnum(base, "heap.allocs"), 5 * n);
	cr_expect_eq(jnum(rep, "heap.frees") - jnum(base, "heap.frees"), 5 * n);
	cr_expect_eq(jnum(rep, "heap.reallocs") - jnum(base, "heap.reallocs"), n - 1);
	cr_expect_eq(jnum(rep, "heap.bytes_allocated") - jnum(base, "heap.bytes_allocated"),
		     want_bytes, "bytes %.0f, expected %.0f",
		     jnum(rep, "heap.bytes_allocated") - jnum(base, "heap.bytes_allocated"),
		     want_bytes);
	for (unsigned b = 0; b < 40; b++)
		cr_expect_eq(hist(rep, b) - hist(base, b), want_hist[b],
			     "histogram le=%zu: %.0f more, expected %.0f", (size_t)1 << b,
			     hist(rep, b) - hist(base, b), want_hist[b]);
	/* Everything the loop allocated was freed: the same bytes are live at the end. */
	cr_expect_eq(jnum(rep, "heap.live_bytes"), jnum(base, "heap.live_bytes"));
}

Test(heap, peak_matches_what_the_program_held)
{
	char *out;
	cJSON *base = heap_run("calls", "0", NULL, NULL, NULL);
	cJSON *rep = heap_run("calls", "1000", NULL, NULL, &out);
	double held = 0, peak = jnum(rep, "heap.peak_live_bytes");
	double err = jnum(rep, "heap.peak_error_bytes");

	cr_assert_eq(sscanf(out, "held %lf", &held), 1);
	cr_assert_geq(held, 1000 * 1000);
	/* The peak is the held blocks plus what else was live then, within the stated error. */
	cr_expect_geq(peak, held - err, "peak %.0f < held %.0f", peak, held);
	cr_expect_leq(peak, held + jnum(base, "heap.peak_live_bytes") + err, "peak %.0f", peak);
	cr_expect_eq(err, 65536);
}

static cJSON *site_with(cJSON *rep, const char *sym)
{
	cJSON *s, *f;

	cJSON_ArrayForEach(s, tl_json_at(rep, "heap.sites")) cJSON_ArrayForEach(
		f, cJSON_GetObjectItem(s, "frames")) if (tl_json_str(f, "symbol") &&
							 !strncmp(tl_json_str(f, "symbol"), sym,
								  strlen(sym))) return s;
	return NULL;
}

Test(heap, sampled_sites_estimate_bytes_without_bias)
{
	/* 2000 x 50000 bytes = 100 MB from big_site, sampled every 64 KiB on average. */
	cJSON *rep = heap_run("sample", "2000", "50000", "65536", NULL), *site, *f;
	double est, samples;
	int have_module = 0;

	EXPECT_NUM(rep, "heap.sample_interval_bytes", 65536);
	site = site_with(rep, "big_site+");
	cr_assert_not_null(site, "no sampled site has big_site in its stack");
	est = jnum(site, "est_bytes");
	samples = jnum(site, "samples");
	/* Each allocation is sampled with p = 1-exp(-50000/65536) = 0.53: about 1066 of
	 * 2000, standard deviation 22 (2%); 8% is 3.8 standard deviations. */
	cr_expect(fabs(est - 1e8) < 0.08e8, "estimated %.0f bytes for 1e8 (%.0f samples)", est,
		  samples);
	cr_expect(fabs(jnum(site, "est_allocs") - 2000) < 160, "estimated %.1f allocations",
		  jnum(site, "est_allocs"));
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(site, "frames"))
	{
		const char *m = tl_json_str(f, "module");

		have_module += m && strstr(m, "shim_heap") != NULL;
	}
	cr_expect_gt(have_module, 0, "no frame is attributed to the program's module");
}

Test(heap, sampling_can_be_turned_off)
{
	cJSON *rep = heap_run("sample", "200", "50000", "0", NULL);

	cr_expect_eq(cJSON_GetArraySize(tl_json_at(rep, "heap.sites")), 0);
	cr_expect_geq(jnum(rep, "heap.allocs"), 200);
}
