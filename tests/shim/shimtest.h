/*
 * Helpers for the shim suites: run a program under libperfshim.so and find
 * its reports.  Included by each test_*.c of this folder.
 */
#ifndef PERFPROF_SHIMTEST_H
#define PERFPROF_SHIMTEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* Runs argv under the shim with PERFSHIM_OUT=dir, plus extra env entries. */
static inline struct tl_result shim_run(const char *dir, const char *const argv[],
					const char *const extra[])
{
	struct tl_result r;
	char *pre, *out;
	const char *env[16];
	int n = 0;

	if (asprintf(&pre, "LD_PRELOAD=%s/libperfshim.so", tl_build()) < 0 ||
	    asprintf(&out, "PERFSHIM_OUT=%s", dir) < 0)
		abort();
	env[n++] = pre;
	env[n++] = out;
	while (extra && *extra && n < 15)
		env[n++] = *extra++;
	env[n] = NULL;
	cr_assert_eq(tl_run(&r, argv, env, NULL, NULL, 60), 0, "cannot run %s", argv[0]);
	return r;
}

/* Every report in dir, parsed; NULL-terminated. */
static inline cJSON **shim_reports(const char *dir, int *count)
{
	int n;
	char **files = tl_glob(dir, "perfshim.*.json", &n);
	cJSON **out = calloc((size_t)n + 1, sizeof(*out));

	for (int i = 0; i < n; i++) {
		out[i] = tl_json_load(files[i]);
		cr_assert_not_null(out[i], "%s is not valid JSON", files[i]);
	}
	if (count)
		*count = n;
	return out;
}

/* The one report whose exe ends with `exe` and whose image is `image`. */
static inline cJSON *shim_report(const char *dir, const char *exe, int image)
{
	int n, found = 0;
	cJSON **all = shim_reports(dir, &n), *hit = NULL;

	for (int i = 0; i < n; i++) {
		const char *e = tl_json_str(all[i], "exe");
		size_t el = e ? strlen(e) : 0, xl = strlen(exe);

		if (e && el >= xl && !strcmp(e + el - xl, exe) &&
		    tl_json_num(all[i], "image") == image) {
			hit = all[i];
			found++;
		}
	}
	cr_assert_eq(found, 1, "expected one report of %s image %d in %s, found %d (of %d)", exe,
		     image, dir, found, n);
	return hit;
}

static inline double jnum(const cJSON *j, const char *path)
{
	return tl_json_num(j, path);
}

#define EXPECT_NUM(j, path, want)                                                                  \
	cr_expect_eq(jnum(j, path), (double)(want), "%s = %.0f, expected %.0f", path,              \
		     jnum(j, path), (double)(want))

#endif
