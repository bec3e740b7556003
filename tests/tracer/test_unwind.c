/*
 * Complete stacks: through libc and libm, through deep recursion, in an
 * -O2 -fomit-frame-pointer build (DWARF only), in C++ (demangled), and in a
 * static binary.  Checked on the folded output: one line per distinct
 * stack, root first, with its sample count.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_test.h"

struct tally {
	long with, complete, total;
};

/*
 * Over the folded lines that contain `must`, counts the samples whose stack
 * also contains `prefix` right after the process frame (a complete stack
 * from the entry point down).
 */
static struct tally tally(const char *folded, const char *must, const char *prefix)
{
	struct tally t = {0, 0, 0};
	char *copy = strdup(folded), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' '), *first;
		long n;

		if (!sp)
			continue;
		n = atol(sp + 1);
		*sp = 0;
		t.total += n;
		if (!strstr(line, must))
			continue;
		t.with += n;
		first = strchr(line, ';');
		if (first && !strncmp(first + 1, prefix, strlen(prefix)))
			t.complete += n;
	}
	free(copy);
	return t;
}

static char *record_folded(const char *tag, const char *const *cmd, struct tl_result *r)
{
	char *dir = tl_tmpdir(tag);
	char *file = tt_record(r, dir, 200, NULL, cmd, NULL);

	cr_assert(r->exited && r->code == 0, "%s: %s", tl_status_str(r), r->err);
	return tt_folded(file, dir);
}

#define ENTRY "_start;__libc_start_main;__libc_start_call_main;main;"

Test(unwind, through_libc_and_libm)
{
	const char *cmd[] = {tl_prog("trace_stack"), "libm", "1.0", NULL};
	struct tl_result r;
	char *folded = record_folded("tr-libm", cmd, &r);
	/* glibc's qsort is qsort_r and msort_with_tmp inside */
	struct tally t = tally(folded, ";by_angle", ENTRY "sort_points;qsort");
	struct tally lm = tally(folded, ";by_angle;", ENTRY "sort_points;qsort");

	cr_assert_gt(t.with, 50, "only %ld samples in by_angle:\n%s", t.with, folded);
	cr_assert_geq(t.complete * 100, t.with * 97, "%ld of %ld stacks complete", t.complete,
		      t.with);
	/* samples inside libm, below the comparator that qsort (libc) called */
	cr_assert_gt(lm.with, 10, "no samples below by_angle:\n%s", folded);
	cr_assert_geq(lm.complete * 100, lm.with * 97);
	cr_assert(strstr(folded, ";by_angle;__atan2") || strstr(folded, ";by_angle;atan2") ||
		      strstr(folded, ";by_angle;__ieee754_atan2") ||
		      strstr(folded, ";by_angle;__log1p") || strstr(folded, ";by_angle;log1p"),
		  "no libm frame under by_angle:\n%s", folded);
}

Test(unwind, deep_recursion)
{
	const char *cmd[] = {tl_prog("trace_stack"), "recurse", "250", "0.8", NULL};
	struct tl_result r;
	char *folded = record_folded("tr-rec", cmd, &r), *copy = strdup(folded), *save = NULL;
	long deep = 0, bottom = 0;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long n = atol(strrchr(line, ' ') + 1), depth = 0;

		if (!strstr(line, ";bottom"))
			continue;
		bottom += n;
		for (const char *p = line; (p = strstr(p, ";recurse;")); p++)
			depth++;
		if (depth == 250 && strstr(line, ENTRY "recurse;"))
			deep += n;
	}
	cr_assert_gt(bottom, 100, "%ld samples at the bottom", bottom);
	cr_assert_geq(deep * 100, bottom * 97, "%ld of %ld stacks have all 250 frames", deep,
		      bottom);
}

Test(unwind, omitted_frame_pointers)
{
	const char *cmd[] = {tl_prog("trace_nofp"), "0.8", NULL};
	struct tl_result r;
	char *folded = record_folded("tr-nofp", cmd, &r);
	struct tally t = tally(folded, ";inner_fn", ENTRY "outer_fn;middle_fn;inner_fn");

	cr_assert_gt(t.with, 100);
	cr_assert_geq(t.complete * 100, t.with * 97, "%ld of %ld complete:\n%s", t.complete, t.with,
		      folded);
}

Test(unwind, cxx_names_are_demangled)
{
	const char *cmd[] = {tl_prog("trace_cxx"), "0.8", NULL};
	struct tl_result r;
	char *folded = record_folded("tr-cxx", cmd, &r);
	const char *area = "geo::Circle::area(double) const";
	struct tally t = tally(folded, area, ENTRY "double geo::total_area<geo::Shape>(");

	cr_assert_gt(t.with, 100, "no %s:\n%s", area, folded);
	cr_assert_geq(t.complete * 100, t.with * 97, "%ld of %ld complete:\n%s", t.complete, t.with,
		      folded);
	cr_assert_null(strstr(folded, "_ZN3geo"), "mangled names left:\n%s", folded);
}

Test(unwind, static_binary)
{
	const char *cmd[] = {tl_prog("trace_static"), "0.6", NULL};
	struct tl_result r;
	char *folded = record_folded("tr-static", cmd, &r);
	struct tally t = tally(folded, ";static_spin", "_start;__libc_start_main");

	cr_assert_str_eq(r.out, "static 1\n");
	cr_assert_gt(t.with * 100, t.total * 85, "%ld of %ld in static_spin:\n%s", t.with, t.total,
		     folded);
	cr_assert_geq(t.complete * 100, t.with * 97, "%ld of %ld complete:\n%s", t.complete, t.with,
		      folded);
}
