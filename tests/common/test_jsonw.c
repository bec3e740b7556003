/*
 * The allocation-free JSON writer: output parses back with cJSON, strings are
 * escaped, numbers are exact, and a failing sink is reported.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jsonw.h"
#include "testlib.h"

struct mem {
	char data[8192];
	size_t len;
	int fail_after;
};

static int mem_sink(void *ctx, const char *p, size_t n)
{
	struct mem *m = ctx;

	if (m->fail_after >= 0 && m->len + n > (size_t)m->fail_after)
		return -ENOSPC;
	memcpy(m->data + m->len, p, n);
	m->len += n;
	m->data[m->len] = 0;
	return 0;
}

static void write_sample(struct jsonw *w)
{
	jsonw_obj_begin(w, NULL);
	jsonw_u64(w, "big", UINT64_MAX);
	jsonw_i64(w, "neg", -1234567890123LL);
	jsonw_fixed(w, "pi", 3.14159, 3);
	jsonw_fixed(w, "small", -0.05, 2);
	jsonw_str(w, "esc", "a\"b\\c\n\t\x01 \xc3\xa9 \xff");
	jsonw_strn(w, "cut", "abcdef", 3);
	jsonw_str(w, "nul", NULL);
	jsonw_arr_begin(w, "arr");
	jsonw_u64(w, NULL, 1);
	jsonw_obj_begin(w, NULL);
	jsonw_bool(w, "t", 1);
	jsonw_null(w, "n");
	jsonw_obj_end(w);
	jsonw_arr_begin(w, NULL);
	jsonw_arr_end(w);
	jsonw_arr_end(w);
	jsonw_obj_end(w);
}

static void check_parsed(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	cr_assert_not_null(j, "output does not parse: %s", text);
	/* cJSON holds numbers as doubles: check the digits in the text itself. */
	cr_expect_not_null(strstr(text, "18446744073709551615"));
	cr_expect_eq(tl_json_num(j, "neg"), -1234567890123.0);
	cr_expect_float_eq(tl_json_num(j, "pi"), 3.142, 1e-9);
	cr_expect_float_eq(tl_json_num(j, "small"), -0.05, 1e-9);
	cr_expect_str_eq(tl_json_str(j, "esc"), "a\"b\\c\n\t\x01 \xc3\xa9 \xc3\xbf");
	cr_expect_str_eq(tl_json_str(j, "cut"), "abc");
	cr_expect(cJSON_IsNull(tl_json_at(j, "nul")));
	cr_expect_eq(tl_json_num(j, "arr[0]"), 1);
	cr_expect(cJSON_IsTrue(tl_json_at(j, "arr[1].t")));
	cr_expect_eq(cJSON_GetArraySize(tl_json_at(j, "arr[2]")), 0);
	cJSON_Delete(j);
}

Test(jsonw, compact_and_pretty_parse_back)
{
	for (int pretty = 0; pretty < 2; pretty++) {
		struct mem m = {.fail_after = -1};
		char buf[7]; /* tiny, to exercise flushing */
		struct jsonw w;

		jsonw_init(&w, buf, sizeof(buf), mem_sink, &m, pretty);
		write_sample(&w);
		cr_assert_eq(jsonw_finish(&w), 0);
		check_parsed(m.data);
	}
}

Test(jsonw, sink_error_is_sticky)
{
	struct mem m = {.fail_after = 10};
	char buf[4];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf), mem_sink, &m, 0);
	write_sample(&w);
	cr_expect_eq(jsonw_finish(&w), -ENOSPC);
	cr_expect_leq(m.len, 10);
}

Test(jsonw, fmt_u64)
{
	char b[21];

	cr_expect_eq(jsonw_fmt_u64(b, 0), 1);
	cr_expect_str_eq(b, "0");
	cr_expect_eq(jsonw_fmt_u64(b, 1000000007ULL), 10);
	cr_expect_str_eq(b, "1000000007");
}
