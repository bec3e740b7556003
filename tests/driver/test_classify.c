/*
 * The analysis on shim reports of known content (the documented format of
 * docs/shim-report.md): classification, the suspicion verdicts and the
 * wrong-tool indicators for cases a local test machine cannot produce (an
 * external API, a cache) or that need exact control (DNS per request, a
 * file reopened in a loop, a run that only sleeps).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jget.h"
#include "phases.h"
#include "testlib.h"

static struct prof *session(double wall_ms, const char *const reports[])
{
	struct prof *p = calloc(1, sizeof(*p));
	static char *argv[] = {"/usr/bin/client", NULL};

	p->o.runs = 1;
	p->root = "/nonexistent-root";
	p->argv = argv;
	p->test_command = "client";
	p->entry_function = "main";
	p->runs = calloc(1, sizeof(*p->runs));
	p->nruns = 1;
	for (int i = 0; reports[i]; i++) {
		struct shim_set *s = &p->runs[0].shim;
		cJSON *j = cJSON_Parse(reports[i]);

		cr_assert_not_null(j, "bad fixture %d", i);
		s->p = realloc(s->p, sizeof(*s->p) * (size_t)(s->n + 1));
		memset(&s->p[s->n], 0, sizeof(s->p[0]));
		s->p[s->n].j = j;
		s->p[s->n].pid = (int)cJSON_GetObjectItem(j, "pid")->valuedouble;
		s->p[s->n].exe = cJSON_GetObjectItem(j, "exe")->valuestring;
		s->p[s->n].cmdline = "client";
		s->p[s->n].end_reason = "exit";
		s->n++;
	}
	p->stats[M_WALL_MS].valid = 1;
	p->stats[M_WALL_MS].median = wall_ms;
	p->stats[M_CPU_MS].valid = 1;
	phase_suspicions(p);
	phase_map(p);
	return p;
}

static const struct suspicion *verdict(const struct prof *p, const char *check)
{
	for (int i = 0; i < p->nsus; i++)
		if (!strcmp(p->sus[i].check, check))
			return &p->sus[i];
	return NULL;
}

static int indicated(const struct prof *p, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, p->wrong_tool) if (!strcmp(it->valuestring, name)) return 1;
	return 0;
}

Test(classify, external_api_with_nothing_to_batch)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":1000000000,\"cpu\":{\"user_ns\":"
	    "20000000,\"sys_ns\":0},\"net\":{\"connects\":1,\"peers\":[{\"addr\":\"93.184.216.34:"
	    "443\",\"role\":\"client\",\"class\":\"unknown\",\"connects\":1,\"round_trips\":1,"
	    "\"round_trip_ns\":930000000,\"blocked_ns\":940000000,\"connect_ns\":10000000,"
	    "\"send_calls\":1,\"recv_calls\":3}]}}",
	    NULL};
	struct prof *p = session(1000, r);

	cr_assert_str_eq(p->classification, "External", "%s", p->detail);
	cr_assert(strstr(p->detail, "1 round trips to the external 93.184.216.34:443 take 950 ms"),
		  "%s", p->detail);
	cr_assert(indicated(p, "external_service_no_alternative"));
	/* 950 ms for one external call is also inside the seed's 100-5000 ms
	 * reference range: both statements hold */
	cr_assert(indicated(p, "within_industry_norm"));
}

Test(classify, cache_round_trips)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":100000000,\"cpu\":{\"user_ns\":"
	    "5000000},\"net\":{\"connects\":1,\"peers\":[{\"addr\":\"127.0.0.1:6379\",\"role\":"
	    "\"client\",\"class\":\"redis\",\"connects\":1,\"round_trips\":4,\"round_trip_ns\":"
	    "80000000,\"blocked_ns\":80000000,\"send_calls\":4,\"recv_calls\":4}]}}",
	    NULL};
	struct prof *p = session(100, r);

	cr_assert_str_eq(p->classification, "Cache", "%s", p->detail);
	cr_assert_str_eq(jstr(p->steps, "[0].children[0].type", ""), "cache_op");
	cr_assert_eq(jnum(p->steps, "[0].children[0].round_trips", 0), 4);
	cr_assert_eq(verdict(p, "connection_per_request")->confirmed, 0);
}

Test(classify, dns_per_request_and_connection_per_request)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":200000000,\"cpu\":{\"user_ns\":"
	    "5000000},\"net\":{\"connects\":12,\"dns\":{\"lookups\":12,\"blocked_ns\":24000000},"
	    "\"peers\":[{\"addr\":\"127.0.0.1:8080\",\"role\":\"client\",\"class\":\"http\","
	    "\"connects\":12,\"round_trips\":12,\"http_requests\":12,\"round_trip_ns\":150000000,"
	    "\"blocked_ns\":150000000}]}}",
	    NULL};
	struct prof *p = session(200, r);
	const struct suspicion *s = verdict(p, "dns_per_request");

	cr_assert_not_null(s);
	cr_assert(s->confirmed);
	cr_assert_str_eq(s->evidence, "12 DNS lookups for 12 connects, 24.0 ms");
	s = verdict(p, "connection_per_request");
	cr_assert(s->confirmed);
	cr_assert_str_eq(s->evidence, "12 connects for 12 HTTP requests to 127.0.0.1:8080 (http), "
				      "150.0 ms blocked");
	cr_assert_str_eq(p->classification, "Architecture", "12 requests: a loop");
	cr_assert_gt(p->nsus, 3);
	cr_assert_eq(cJSON_GetArraySize(p->wrong_tool), 0);
}

Test(classify, file_reopened_in_a_loop)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":100000000,\"cpu\":{\"user_ns\":"
	    "5000000},\"io\":{\"files\":[{\"path\":\"/etc/app.conf\",\"opens\":50,\"read_calls\":"
	    "100,\"read_bytes\":409600,\"blocked_ns\":60000000}],\"kernel\":{\"syscr\":100,"
	    "\"rchar\":409600}}}",
	    NULL};
	struct prof *p = session(100, r);
	const struct suspicion *s = verdict(p, "file_reopened");

	cr_assert_str_eq(p->classification, "Architecture", "%s", p->detail);
	cr_assert(strstr(p->detail, "/etc/app.conf opened 50 times"), "%s", p->detail);
	cr_assert(s && s->confirmed);
	s = verdict(p, "small_io");
	cr_assert(s && !s->confirmed, "4 KiB per call is not small");
}

Test(classify, a_run_that_only_sleeps)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":500000000,\"cpu\":{\"user_ns\":"
	    "2000000}}",
	    NULL};
	struct prof *p = session(500, r);

	cr_assert_str_eq(p->classification, "Unknown", "%s", p->detail);
	cr_assert(strstr(p->detail, "no measured activity explains the run"), "%s", p->detail);
	cr_assert_eq(cJSON_GetArraySize(p->top), 0, "nothing measured is a bottleneck");
}

Test(classify, within_the_norm_of_local_http)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":30000000,\"cpu\":{\"user_ns\":"
	    "2000000},\"net\":{\"connects\":1,\"peers\":[{\"addr\":\"127.0.0.1:8080\",\"role\":"
	    "\"client\",\"class\":\"http\",\"connects\":1,\"round_trips\":3,\"http_requests\":3,"
	    "\"round_trip_ns\":24000000,\"blocked_ns\":24000000}]}}",
	    NULL};
	struct prof *p = session(30, r);

	cr_assert_str_eq(p->classification, "I/O-Network", "%s", p->detail);
	cr_assert(indicated(p, "within_industry_norm"));
	cr_assert(strstr(jstr(p->wrong_tool_evidence, "[0].evidence", ""),
			 "measured 8.00 ms per operation on 127.0.0.1:8080 (3 operations); "
			 "reference range for HTTP (localhost/internal): 1-50 ms"),
		  "%s", jstr(p->wrong_tool_evidence, "[0].evidence", ""));
	cr_assert_not(indicated(p, "already_optimized"),
		      "three requests one after another can still run concurrently");
	cr_assert(verdict(p, "sequential_calls")->confirmed);
}

Test(classify, one_request_already_optimized)
{
	static const char *const r[] = {
	    "{\"pid\":1,\"exe\":\"/usr/bin/client\",\"wall_ns\":10000000,\"cpu\":{\"user_ns\":"
	    "1000000},\"net\":{\"connects\":1,\"peers\":[{\"addr\":\"127.0.0.1:8080\",\"role\":"
	    "\"client\",\"class\":\"http\",\"connects\":1,\"round_trips\":1,\"http_requests\":1,"
	    "\"round_trip_ns\":8000000,\"blocked_ns\":8000000}]}}",
	    NULL};
	struct prof *p = session(10, r);

	cr_assert_str_eq(p->classification, "I/O-Network", "%s", p->detail);
	cr_assert(indicated(p, "within_industry_norm"));
	cr_assert(indicated(p, "already_optimized"), "one request on one connection");
	cr_assert_str_eq(jstr(p->top, "[0].type", ""), "I/O-Network");
	cr_assert_float_eq(jnum(p->top, "[0].share", 0), 80.0, 0.05);
}
