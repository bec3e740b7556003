/*
 * Unit tests of the driver's modules: message normalization and suspicion
 * de-duplication, the YAML emitter, slugs, statistics, path lookups in
 * JSON, safe file creation, discovery helpers, the activity model.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activity.h"
#include "callchain.h"
#include "discover.h"
#include "jget.h"
#include "metrics.h"
#include "outfile.h"
#include "strbuf.h"
#include "suspect.h"
#include "testlib.h"
#include "yamlw.h"

Test(normalize, seed_examples)
{
	/* The worked example of output_normalization.md section 2. */
	char *a = sus_normalize("Error connecting to 192.168.1.10:5432 - timeout after 30000ms");
	char *b = sus_normalize("Error connecting to 192.168.1.11:5432 - timeout after 29998ms");

	cr_assert_str_eq(a, "Error connecting to <IP> - timeout after <N>ms");
	cr_assert_str_eq(a, b);
	free(a);
	a = sus_normalize("AssertionError: expected 42, got 0");
	cr_assert_str_eq(a, "AssertionError: expected 42, got 0");
	free(a);
	a = sus_normalize("id 123e4567-e89b-12d3-a456-426614174000 at 2026-03-15 10:00:01");
	cr_assert_str_eq(a, "id <UUID> at <TS>");
	free(a);
	a = sus_normalize("GET /items/deadbeef12 trace_id=abc123 took 1234 ms, 12 tries");
	cr_assert_str_eq(a, "GET /items/<ID> trace_id=<TRACE> took <N> ms, 12 tries");
	free(a);
}

Test(normalize, dedup_merges_steps)
{
	struct prof p;

	memset(&p, 0, sizeof(p));
	sus_add(&p, "connection_per_request", "Connection management", "a", 1, 10,
		"New connection per request to 127.0.0.1:8080", "e1", "n");
	sus_add_step(&p.sus[0], "1.1");
	sus_add(&p, "connection_per_request", "Connection management", "b", 1, 5,
		"New connection per request to 127.0.0.1:9090", "e2", "n");
	sus_add_step(&p.sus[1], "1.2");
	sus_add(&p, "connection_per_request", "Connection management", "c", 0, 5,
		"New connection per request to 127.0.0.1:9090", "e3", "n");
	sus_add(&p, "n_plus_one", "Architecture", "d", 1, 5, "I/O inside a loop", "e4", "n");
	sus_dedup(&p);
	cr_assert_eq(p.nsus, 3);
	cr_assert_eq(p.sus[0].nsteps, 2);
	cr_assert_str_eq(p.sus[0].steps[0], "1.1");
	cr_assert_str_eq(p.sus[0].steps[1], "1.2");
	cr_assert_float_eq(p.sus[0].share_pct, 15.0, 1e-9);
	cr_assert_eq(p.sus[1].confirmed, 0, "a dismissed twin stays separate");
	cr_assert_str_eq(p.sus[2].check, "n_plus_one");
}

Test(yaml, block_style_and_quoting)
{
	cJSON *j = cJSON_Parse("{\"a\":1,\"b\":\"x: y\\n\\\"q\\\"\",\"c\":[{\"id\":\"1\",\"kids\":"
			       "[]},{\"id\":\"2\",\"v\":2.5}],\"d\":null,\"e\":true,\"f\":{},"
			       "\"g\":[1,2]}");
	struct strbuf sb = STRBUF_INIT;

	cr_assert_not_null(j);
	yaml_emit(&sb, j);
	cr_assert_str_eq(sb_str(&sb), "a: 1\n"
				      "b: \"x: y\\n\\\"q\\\"\"\n"
				      "c:\n"
				      "- id: \"1\"\n"
				      "  kids: []\n"
				      "- id: \"2\"\n"
				      "  v: 2.5\n"
				      "d: null\n"
				      "e: true\n"
				      "f: {}\n"
				      "g:\n"
				      "- 1\n"
				      "- 2\n");
	sb_free(&sb);
	cJSON_Delete(j);
}

Test(yaml, parses_back_with_python)
{
	cJSON *j = cJSON_Parse("{\"steps\":[{\"id\":\"1\",\"function\":\"main\",\"children\":[{"
			       "\"id\":\"1.1\",\"wall_time_ms\":0.1}]}],\"x\":\"#not a comment\"}");
	struct strbuf sb = STRBUF_INIT;
	char *dir, *path;
	struct tl_result r;

	if (!tl_have("python3"))
		cr_skip_test("python3 is not installed");
	{
		const char *chk[] = {"python3", "-c", "import yaml", NULL};

		tl_run(&r, chk, NULL, NULL, NULL, 20);
		if (!r.exited || r.code)
			cr_skip_test("python3 has no yaml module");
	}
	yaml_emit(&sb, j);
	dir = tl_tmpdir("yaml");
	asprintf(&path, "%s/m.yaml", dir);
	tl_write_file(path, sb.buf, sb.len);
	{
		const char *argv[] = {"python3", "-c",
				      "import sys,yaml,json;d=yaml.safe_load(open(sys.argv[1]));"
				      "print(json.dumps(d,sort_keys=True))",
				      path, NULL};

		tl_run(&r, argv, NULL, NULL, NULL, 20);
	}
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "{\"steps\": [{\"children\": [{\"id\": \"1.1\", \"wall_time_ms\": "
				"0.1}], \"function\": \"main\", \"id\": \"1\"}], \"x\": \"#not a "
				"comment\"}\n");
	tl_rm_rf(dir);
}

Test(slug, sanitize)
{
	char *s = discover_sanitize("src/Server.c:handle request");

	cr_assert_str_eq(s, "src-server.c-handle-request");
	free(s);
	s = discover_sanitize("../..");
	cr_assert_str_eq(s, "run", "a slug never climbs out of its directory");
	free(s);
	s = discover_sanitize("");
	cr_assert_str_eq(s, "run");
	free(s);
}

Test(slug, shell_quoting)
{
	char *const argv[] = {"sh", "-c", "echo 'a b'", "x=1", NULL};
	char *s = discover_join_argv(argv);

	cr_assert_str_eq(s, "sh -c 'echo '\\''a b'\\''' x=1");
	free(s);
}

Test(stats, median_stddev_spread)
{
	struct run_metrics r[4];
	struct metric_stats s;
	double v[] = {3, 1, 2};

	cr_assert_float_eq(stat_median(v, 3), 2, 1e-12);
	cr_assert_float_eq(stat_median((double[]){4, 1, 3, 2}, 4), 2.5, 1e-12);
	cr_assert_float_eq(stat_stddev((double[]){2, 4, 4, 4, 5, 5, 7, 9}, 8), 2.138089935, 1e-6);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++) {
		r[i].v[M_WALL_MS] = 100 + 10 * i;
		r[i].valid[M_WALL_MS] = 1;
	}
	metric_stats(r, 3, M_WALL_MS, &s);
	cr_assert(s.valid);
	cr_assert_float_eq(s.median, 110, 1e-9);
	cr_assert_float_eq(s.min, 100, 1e-9);
	cr_assert_float_eq(s.max, 120, 1e-9);
	cr_assert_float_eq(s.spread_pct, 20.0 / 110 * 100, 1e-9);
	r[1].valid[M_WALL_MS] = 0;
	r[1].why[M_WALL_MS] = "because";
	metric_stats(r, 3, M_WALL_MS, &s);
	cr_assert_not(s.valid, "one unmeasured run makes the statistic null");
	cr_assert_str_eq(s.why, "because");
}

Test(jget, paths)
{
	cJSON *j = cJSON_Parse("{\"a\":{\"b\":[{\"c\":5},{\"c\":\"s\"}]},\"n\":-3}");

	cr_assert_float_eq(jnum(j, "a.b[0].c", 0), 5, 1e-12);
	cr_assert_str_eq(jstr(j, "a.b[1].c", "?"), "s");
	cr_assert_float_eq(jnum(j, "a.b[2].c", 7), 7, 1e-12);
	cr_assert_float_eq(jnum(j, "a.x.y", 8), 8, 1e-12);
	cr_assert_eq(ju64(j, "n"), 0);
	cr_assert_not(jhas(j, "a.b[1].c"));
	cJSON_Delete(j);
}

Test(outfile, atomic_private_and_no_symlinks)
{
	char *dir = tl_tmpdir("outfile"), *f, *link, *victim, *sub;
	struct stat st;
	size_t len;

	asprintf(&f, "%s/a/b/c.txt", dir);
	asprintf(&sub, "%s/a/b", dir);
	cr_assert_eq(out_mkdirs(sub), 0);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(out_write_str(f, "one"), 0);
	cr_assert_eq(stat(f, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(out_write_str(f, "two"), 0, "a second session replaces the file");
	cr_assert_str_eq(tl_read_file(f, &len), "two");
	/* A symlink planted at the name is replaced, never written through. */
	asprintf(&victim, "%s/victim", dir);
	asprintf(&link, "%s/a/b/l.txt", dir);
	tl_write_file(victim, "keep", 4);
	cr_assert_eq(symlink(victim, link), 0);
	cr_assert_eq(out_write_str(link, "x"), 0);
	cr_assert_str_eq(tl_read_file(victim, &len), "keep");
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	/* A symlink as the directory to create is refused. */
	free(link);
	asprintf(&link, "%s/a/evil", dir);
	cr_assert_eq(symlink(dir, link), 0);
	cr_assert_eq(out_mkdirs(link), -ENOTDIR);
	cr_assert_eq(out_create_log(f), -EEXIST);
	tl_rm_rf(dir);
}

static const char server_c[] =
    "#include <x.h>\nstatic int helper(void);\n\nint\nhelper2(void) {}\n"
    "int handle_request(struct req *r)\n{\n\tif (!strcmp(r->path, \"/items\"))\n"
    "\t\treturn helper();\n\treturn 0;\n}\n";

Test(discover, definitions_routes_and_tests)
{
	char *dir = tl_tmpdir("disc"), *p;
	char *routes[4];
	const char *what = NULL;
	int n;

	asprintf(&p, "%s/src", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/tests", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/src/server.c", dir);
	tl_write_file(p, server_c, strlen(server_c));
	cr_assert_eq(discover_find_definition(p, "handle_request"), 6);
	cr_assert_eq(discover_find_definition(p, "helper"), 0, "a prototype is no definition");
	cr_assert_eq(discover_find_definition(p, "nothere"), 0);
	n = discover_routes(p, "handle_request", routes, 4);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(routes[0], "/items");
	asprintf(&p, "%s/tests/test_other.sh", dir);
	tl_write_file(p, "echo handle_request\n", 20);
	asprintf(&p, "%s/tests/e2e_items.sh", dir);
	tl_write_file(p, "curl http://x/items\n", 20);
	cr_assert_str_eq(discover_grep_tests(dir, "/items", 0), "tests/e2e_items.sh");
	cr_assert_str_eq(discover_grep_tests(dir, "handle_request", 0), "tests/test_other.sh");
	cr_assert_null(discover_grep_tests(dir, "server", 1));
	asprintf(&p, "%s/Makefile", dir);
	tl_write_file(p, "all:\n\ttrue\ncheck: all\n\t./t\n", 24);
	cr_assert_str_eq(discover_project_tests(dir, &what), "make check");
	cr_assert_str_eq(what, "Makefile");
	tl_rm_rf(dir);
}

static cJSON *report(const char *json)
{
	cJSON *j = cJSON_Parse(json);

	cr_assert_not_null(j, "bad fixture: %s", json);
	return j;
}

Test(activity, accounting_and_depth_first)
{
	/* Two processes of one run, as the shim documents them: a client
	 * waiting on a server it started. */
	struct shim_set set;
	struct activities a;
	const struct activity *top;
	enum act_kind k;
	const struct activity *largest;

	memset(&set, 0, sizeof(set));
	set.p = calloc(2, sizeof(*set.p));
	set.n = 2;
	set.p[0].j = report("{\"pid\":10,\"exe\":\"/bin/client\",\"cpu\":{\"user_ns\":1000000,"
			    "\"sys_ns\":5000000},\"io\":{\"read\":{\"blocked_ns\":3000000},"
			    "\"write\":{\"blocked_ns\":1000000}},\"net\":{\"peers\":[{\"addr\":"
			    "\"127.0.0.1:8080\",\"role\":\"client\",\"class\":\"http\","
			    "\"connects\":20,\"round_trips\":20,\"http_requests\":20,"
			    "\"blocked_ns\":90000000,\"connect_ns\":1000000}]}}");
	set.p[0].pid = 10;
	set.p[0].exe = "/bin/client";
	set.p[1].j = report("{\"pid\":11,\"exe\":\"/bin/server\",\"cpu\":{\"user_ns\":30000000,"
			    "\"sys_ns\":0},\"net\":{\"listens\":[{\"addr\":\"127.0.0.1:8080\"}]}}");
	set.p[1].pid = 11;
	set.p[1].exe = "/bin/server";
	act_build(&a, &set, 100);
	cr_assert_eq(a.n, 3);
	/* sys time inside I/O calls is not counted twice: 1 + (5 - 4) ms */
	cr_assert_float_eq(a.a[0].ms, 2.0, 1e-9);
	top = act_top(&a);
	cr_assert_str_eq(top->what, "127.0.0.1:8080");
	cr_assert_float_eq(top->ms, 91.0, 1e-9);
	cr_assert_eq(top->ops, 20);
	cr_assert(top->in_tree);
	cr_assert_eq(top->server->pid, 11);
	cr_assert_str_eq(act_step_type(top), "http_call");
	cr_assert_float_eq(act_server_busy(&a, top->server, &k, &largest), 30.0, 1e-9);
	cr_assert_eq(k, A_CPU);
	act_free(&a);
}

static const char chain_c[] = "#include <unistd.h>\n"			  /* 1 */
			      "static int fetch(int i)\n"		  /* 2 */
			      "{\n"					  /* 3 */
			      "\treturn (int)write(1, \"\", 0) + i;\n"	  /* 4 */
			      "}\n"					  /* 5 */
			      "static int other(void)\n"		  /* 6 */
			      "{\n"					  /* 7 */
			      "\treturn 2; /* fetch(3) in a comment */\n" /* 8 */
			      "}\n"					  /* 9 */
			      "int entry(int n)\n"			  /* 10 */
			      "{\n"					  /* 11 */
			      "\tint s = 0;\n"				  /* 12 */
			      "\tfor (int i = 0; i < n; i++)\n"		  /* 13 */
			      "\t\ts += fetch(i);\n"			  /* 14 */
			      "\ts += other();\n"			  /* 15 */
			      "\treturn s;\n"				  /* 16 */
			      "}\n";					  /* 17 */

static const char chain_py[] = "def get(x):\n"		     /* 1 */
			       "    return open(x).read()\n" /* 2 */
			       "\n"			     /* 3 */
			       "def run(items):\n"	     /* 4 */
			       "    helper()\n"		     /* 5 */
			       "    for i in items:\n"	     /* 6 */
			       "        get(i)\n"	     /* 7 */
			       "\n"			     /* 8 */
			       "def helper():\n"	     /* 9 */
			       "    pass\n";		     /* 10 */

static const cJSON *call_to(const cJSON *node, const char *fn)
{
	const cJSON *c;

	cJSON_ArrayForEach(
	    c, tl_json_at(node, "calls")) if (!strcmp(tl_json_str(c, "function"), fn)) return c;
	return NULL;
}

Test(callchain, c_and_python_calls_loops_and_io)
{
	char *dir = tl_tmpdir("chain"), *p;
	const char *why = NULL, *caller, *loc;
	const cJSON *c;
	cJSON *ch;
	int line, inl;

	asprintf(&p, "%s/a.c", dir);
	tl_write_file(p, chain_c, strlen(chain_c));
	asprintf(&p, "%s/b.py", dir);
	tl_write_file(p, chain_py, strlen(chain_py));
	ch = callchain_build(dir, NULL, "entry", &why);
	if (!ch && why && strstr(why, "not part of this build"))
		cr_skip_test("%s", why);
	cr_assert_not_null(ch, "%s", why);
	cr_assert_str_eq(tl_json_str(ch, "location"), "a.c:10");
	c = call_to(ch, "fetch");
	cr_assert_not_null(c);
	cr_assert_eq(tl_json_num(c, "call_line"), 14);
	cr_assert(cJSON_IsTrue(tl_json_at(c, "in_loop")));
	cr_assert_str_eq(tl_json_str(c, "io_calls[0].name"), "write");
	cr_assert_eq(tl_json_num(c, "io_calls[0].line"), 4);
	c = call_to(ch, "other");
	cr_assert_not_null(c);
	cr_assert_not(cJSON_IsTrue(tl_json_at(c, "in_loop")));
	cr_assert_eq(cJSON_GetArraySize(tl_json_at(c, "calls")), 0, "a call in a comment is none");
	cr_assert_eq(callchain_find_call(ch, "fetch", &caller, &loc, &line, &inl), 0);
	cr_assert_str_eq(caller, "entry");
	cr_assert_eq(line, 14);
	cr_assert(inl);
	cJSON_Delete(ch);
	ch = callchain_build(dir, NULL, "run", &why);
	cr_assert_not_null(ch, "%s", why);
	c = call_to(ch, "get");
	cr_assert_not_null(c);
	cr_assert_eq(tl_json_num(c, "call_line"), 7);
	cr_assert(cJSON_IsTrue(tl_json_at(c, "in_loop")));
	cr_assert_str_eq(tl_json_str(c, "io_calls[0].name"), "open");
	c = call_to(ch, "helper");
	cr_assert_not_null(c);
	cr_assert_not(cJSON_IsTrue(tl_json_at(c, "in_loop")));
	cr_assert_null(callchain_build(dir, NULL, "nosuch", &why));
	cr_assert_not_null(why);
	tl_rm_rf(dir);
}
