/*
 * The bundled example (examples/shop.c), profiled as `make demo` does, in
 * a copy of its sources: N+1 HTTP requests to the inventory service it
 * starts are the primary bottleneck, sign_report() the CPU hotspot.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv.h"

static char *copy_example(void)
{
	char *dir = tl_tmpdir("example"), *src, *dst, *data;
	size_t len;

	asprintf(&src, "%s/examples/shop.c", tl_srcdir());
	data = tl_read_file(src, &len);
	cr_assert_not_null(data, "cannot read %s", src);
	asprintf(&dst, "%s/examples", dir);
	mkdir(dst, 0700);
	asprintf(&dst, "%s/examples/shop.c", dir);
	tl_write_file(dst, data, len);
	return dir;
}

Test(example, shop_bottlenecks)
{
	char *dir = copy_example();
	struct drv d;
	const cJSON *m, *step;
	const char *detail;

	drv_need(0);
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--target",
					  "examples/shop.c:build_report", "--",
					  tl_bpath("examples/shop"), NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	drv_check_map(&d);
	m = tl_json_at(d.result, "performance_map");
	cr_assert_str_eq(tl_json_str(m, "bottleneck_classification"), "Architecture");
	detail = tl_json_str(m, "bottleneck_detail");
	cr_assert(strstr(detail, "35 sequential HTTP requests to 127.0.0.1:"), "%s", detail);
	cr_assert_eq(tl_json_num(m, "baseline.http_round_trips"), 35);
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.function"), "build_report");
	cr_assert(strstr(tl_json_str(d.result, "entry_point_info.location"), "examples/shop.c:"));
	step = drv_step_of_type(tl_json_at(m, "steps"), "http_call");
	cr_assert_not_null(step);
	cr_assert_eq(tl_json_num(step, "http_round_trips"), 35);
	cr_assert_str_eq(tl_json_str(d.result, "top_bottlenecks[0].type"), "Architecture");
	cr_assert_str_eq(tl_json_str(d.result, "top_bottlenecks[1].type"), "CPU",
			 "the checksum is the second bottleneck");
	cr_assert_gt(tl_json_num(d.result, "top_bottlenecks[1].share"), 10.0);
	cr_assert_not_null(drv_suspicion(&d, "New connection per request", "confirmed"));
	cr_assert_not_null(drv_suspicion(&d, "I/O inside a loop", "confirmed"));
	tl_rm_rf(dir);
}
