/*
 * The outputs as others consume them: report.html in a real browser, the
 * compare table, test discovery for --target, managed-mode envelopes, and
 * the files perfprof writes (modes, places).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drv.h"

static char *chromium(void)
{
	static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};

	for (int i = 0; names[i]; i++)
		if (tl_have(names[i]))
			return (char *)names[i];
	return NULL;
}

/* Renders report.html of d in headless Chromium; returns the DOM. */
static char *render(const struct drv *d, const char *br)
{
	char *url, *profile = tl_tmpdir("chromium"), *udd, *dom;
	struct tl_result r;
	const char *argv[] = {br,
			      "--headless",
			      "--no-sandbox",
			      "--disable-gpu",
			      "--no-first-run",
			      "--disable-background-networking",
			      "--disable-component-update",
			      "--disable-sync",
			      "--enable-logging=stderr",
			      "--v=0",
			      NULL,
			      "--dump-dom",
			      NULL,
			      NULL};

	asprintf(&url, "file://%s/report.html", d->out);
	asprintf(&udd, "--user-data-dir=%s", profile);
	argv[10] = udd;
	argv[12] = url;
	cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 90), 0);
	cr_assert(r.exited && r.code == 0, "chromium: %s\n%s", tl_status_str(&r), r.err);
	cr_assert_null(strstr(r.err, "Uncaught"), "script errors: %s", r.err);
	cr_assert_null(strstr(r.err, "ERR_FILE_NOT_FOUND"), "a resource is missing: %s", r.err);
	/* The DOM as the browser built it: every section is there. */
	cr_assert(strstr(r.out, "<h2 id=\"baseline\">Baseline</h2>"), "DOM: %.2000s", r.out);
	cr_assert(strstr(r.out, "id=\"steps\""));
	cr_assert(strstr(r.out, "id=\"suspicions\""));
	cr_assert(strstr(r.out, "<svg") || strstr(r.out, "No flame graph: "),
		  "the flame graph or why there is none");
	cr_assert(strstr(r.out, "id=\"profile-result\""));
	tl_rm_rf(profile);
	dom = r.out;
	return dom;
}

Test(outputs, report_html_renders_in_chromium)
{
	struct drv d;
	char *dom, *br = chromium();

	drv_need(0);
	if (!br)
		cr_skip_test("chromium is not installed (scripts/deps.sh browser)");
	/* an N+1 session with two services */
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_http"),
					  "12", "2", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	dom = render(&d, br);
	cr_assert(strstr(dom, "class=\"cls\">Architecture</p>"));
	cr_assert(strstr(dom, "12 sequential HTTP requests"));
	tl_rm_rf(d.dir);
	/* a static binary: no shim, nulls with their reasons */
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--",
					  tl_prog("drv_static"), NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	dom = render(&d, br);
	cr_assert(strstr(dom, "statically linked"), "the reason of the nulls is shown");
	tl_rm_rf(d.dir);
	/* heap growth: allocation sites */
	drv_profile(
	    &d, NULL,
	    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_heap"), NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	dom = render(&d, br);
	cr_assert(strstr(dom, "id=\"heap\""), "allocation sites are shown");
	cr_assert(strstr(dom, "accumulate"), "named by function");
	tl_rm_rf(d.dir);
}

Test(outputs, report_is_self_contained)
{
	struct drv d;
	char *html, *s;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_cpu"),
					  "10", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	asprintf(&html, "%s/report.html", d.out);
	s = tl_read_file(html, NULL);
	cr_assert_not_null(s);
	/* the only URL is the SVG namespace, which is a name, not a resource */
	for (char *q = s; (q = strstr(q, "xmlns=\"http://www.w3.org/2000/svg\""));)
		memset(q, ' ', strlen("xmlns=\"http://www.w3.org/2000/svg\""));
	cr_assert_null(strstr(s, "http://"), "no network resource");
	cr_assert_null(strstr(s, "https://"));
	cr_assert_null(strstr(s, " src="), "no external script or image");
	cr_assert_null(strstr(s, "<link"));
	tl_rm_rf(d.dir);
}

Test(outputs, files_are_private_and_in_place)
{
	struct drv d;
	static const char *const files[] = {"performance_map.yaml", "profile_result.json",
					    "baseline.json",	    "report.html",
					    "profile_details.json", NULL};
	struct stat st;

	drv_need(0);
	drv_profile(&d, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_cpu"),
					  "10", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	for (int i = 0; files[i]; i++) {
		char *p;

		asprintf(&p, "%s/%s", d.out, files[i]);
		cr_assert_eq(stat(p, &st), 0, "%s missing", p);
		cr_assert_eq(st.st_mode & 0777, 0600, "%s mode %o", p, st.st_mode & 0777);
	}
	cr_assert_eq(stat(d.envelope_path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	/* Nothing else in the project root than the documented folders. */
	{
		DIR *dd = opendir(d.dir);
		struct dirent *de;

		cr_assert_not_null(dd);
		while ((de = readdir(dd))) {
			const char *b = de->d_name;

			cr_assert(!strcmp(b, ".") || !strcmp(b, "..") || !strcmp(b, ".perfprof") ||
				      !strcmp(b, ".hex-skills"),
				  "unexpected %s in the project root", b);
		}
		closedir(dd);
	}
	drv_check_envelope(&d);
	tl_rm_rf(d.dir);
}

Test(outputs, managed_mode_envelope)
{
	struct drv d;
	char *dir = tl_tmpdir("managed"), *path;
	cJSON *e;

	drv_need(0);
	asprintf(&path, "%s/coord/summary.json", dir);
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--run-id",
					  "run-ln-810-20260326-abc123", "--summary-artifact-path",
					  path, "--", tl_prog("drv_cpu"), "10", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	e = tl_json_load(path);
	cr_assert_not_null(e, "the envelope goes to the given path");
	cr_assert_str_eq(tl_json_str(e, "run_id"), "run-ln-810-20260326-abc123");
	tl_rm_rf(dir);
}

Test(outputs, compare_two_sessions)
{
	struct drv a, b;
	struct tl_result r;
	const cJSON *row;
	cJSON *j;

	drv_need(0);
	drv_profile(&a, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_http"),
					  "20", "2", NULL});
	drv_profile(&b, NULL,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--", tl_prog("drv_http"),
					  "5", "2", NULL});
	cr_assert_eq(a.r.code, 0, "%s", a.r.err);
	cr_assert_eq(b.r.code, 0, "%s", b.r.err);
	{
		const char *argv[] = {
		    tl_bpath("perfprof"), "compare", a.out, b.out, "--json", NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 30), 0);
	}
	cr_assert_eq(r.code, 0, "%s", r.err);
	j = cJSON_Parse(r.out);
	cr_assert_not_null(j, "%s", r.out);
	row = NULL;
	{
		const cJSON *it;

		cJSON_ArrayForEach(
		    it, tl_json_at(j, "metrics")) if (!strcmp(tl_json_str(it, "name"),
							      "http_round_trips")) row = it;
	}
	cr_assert_not_null(row);
	cr_assert_eq(tl_json_num(row, "before"), 20);
	cr_assert_eq(tl_json_num(row, "after"), 5);
	cr_assert_float_eq(tl_json_num(row, "delta_pct"), -75.0, 1e-9);
	cr_assert_float_eq(tl_json_num(row, "ratio"), 0.25, 1e-9);
	{
		const char *argv[] = {tl_bpath("perfprof"), "compare", a.out, b.out, NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 30), 0);
	}
	cr_assert(strstr(r.out, "Before"), "%s", r.out);
	cr_assert(strstr(r.out, "-75.0%"), "%s", r.out);
	{
		const char *argv[] = {tl_bpath("perfprof"), "compare", a.out, "/nonexistent", NULL};

		cr_assert_eq(tl_run(&r, argv, NULL, NULL, NULL, 30), 0);
	}
	cr_assert_eq(r.code, 1);
	cr_assert(strstr(r.err, "is it a perfprof output directory?"), "%s", r.err);
	tl_rm_rf(a.dir);
	tl_rm_rf(b.dir);
}

/* A small project: src/server.c defines handle_request, which serves
 * "/items"; tests/e2e_items.sh requests that route. */
static char *make_project(void)
{
	char *dir = tl_tmpdir("proj"), *p, *script;
	static const char src[] =
	    "#include <string.h>\n\nint handle_request(const char *path)\n{\n"
	    "\tif (!strcmp(path, \"/items\"))\n\t\treturn 1;\n\treturn 0;\n}\n";

	asprintf(&p, "%s/src", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/tests", dir);
	mkdir(p, 0700);
	asprintf(&p, "%s/src/server.c", dir);
	tl_write_file(p, src, strlen(src));
	asprintf(&script, "#!/bin/sh\n# exercises GET /items\nexec %s 10\n", tl_prog("drv_cpu"));
	asprintf(&p, "%s/tests/e2e_items.sh", dir);
	tl_write_file(p, script, strlen(script));
	asprintf(&p, "%s/Makefile", dir);
	tl_write_file(p, "check:\n\tsh tests/e2e_items.sh\n", 31);
	return dir;
}

Test(outputs, target_discovers_its_test)
{
	char *dir = make_project();
	struct drv d;

	drv_need(0);
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--target",
					  "src/server.c:handle_request", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert_str_eq(tl_json_str(d.result, "performance_map.test_command"),
			 "sh tests/e2e_items.sh");
	cr_assert_str_eq(tl_json_str(d.result, "e2e_test.source"), "route");
	cr_assert_str_eq(tl_json_str(d.result, "e2e_test.command"), "sh tests/e2e_items.sh");
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.type"), "function");
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.function"), "handle_request");
	cr_assert_str_eq(tl_json_str(d.result, "entry_point_info.location"), "src/server.c:3");
	drv_check_map(&d);
	tl_rm_rf(dir);
}

Test(outputs, target_without_test_uses_the_suite)
{
	char *dir = make_project(), *p;
	struct drv d;

	drv_need(0);
	asprintf(&p, "%s/tests/e2e_items.sh", dir);
	unlink(p);
	asprintf(&p, "%s/Makefile", dir);
	{
		char *mk;

		asprintf(&mk, "check:\n\t%s 10\n", tl_prog("drv_cpu"));
		tl_write_file(p, mk, strlen(mk));
	}
	drv_profile(&d, dir,
		    (const char *const[]){"--runs", "1", "--warmup", "0", "--target",
					  "src/server.c:handle_request", NULL});
	cr_assert_eq(d.r.code, 0, "%s", d.r.err);
	cr_assert(strstr(d.r.err, "No e2e test covers handle_request. Full test suite serves as "
				  "functional gate."),
		  "%s", d.r.err);
	cr_assert_str_eq(tl_json_str(d.result, "performance_map.test_command"), "make check");
	cr_assert_str_eq(tl_json_str(d.result, "e2e_test.source"), "none");
	cr_assert(cJSON_IsNull(tl_json_at(d.result, "e2e_test.command")));
	tl_rm_rf(dir);
}
