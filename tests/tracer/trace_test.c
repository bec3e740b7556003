/*
 * See trace_test.h.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_test.h"

const char *tt_perftrace(void)
{
	static char *p;

	if (!p)
		p = tl_bpath("perftrace");
	return p;
}

char *tt_record(struct tl_result *r, const char *dir, int hz, const char *const *extra,
		const char *const *cmd, const char *const *env)
{
	const char *argv[64];
	char hzs[16], *out;
	int n = 0;

	if (asprintf(&out, "%s/rec.ptrace", dir) < 0)
		abort();
	snprintf(hzs, sizeof(hzs), "%d", hz);
	argv[n++] = tt_perftrace();
	argv[n++] = "record";
	argv[n++] = "-q";
	argv[n++] = "-F";
	argv[n++] = hzs;
	argv[n++] = "-o";
	argv[n++] = out;
	for (; extra && *extra && n < 40; extra++)
		argv[n++] = *extra;
	argv[n++] = "--";
	for (; *cmd && n < 63; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	cr_assert_eq(tl_run(r, argv, env, dir, NULL, 60), 0, "could not run perftrace");
	cr_assert(!r->timed_out, "perftrace record timed out; stderr: %s", r->err);
	return out;
}

cJSON *tt_report(const char *file, const char *dir)
{
	struct tl_result r;
	char *out;
	cJSON *j;

	if (asprintf(&out, "%s/report.json", dir) < 0)
		abort();
	const char *argv[] = {tt_perftrace(), "report", "-i", file, "--format",
			      "json",	      "-o",	out,  NULL};
	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 60), 0);
	cr_assert(r.exited && r.code == 0, "perftrace report: %s: %s", tl_status_str(&r), r.err);
	j = tl_json_load(out);
	cr_assert_not_null(j, "report.json does not parse");
	return j;
}

char *tt_folded(const char *file, const char *dir)
{
	struct tl_result r;
	const char *argv[] = {tt_perftrace(), "report", "-i", file, "--format", "folded", NULL};

	(void)dir;
	cr_assert_eq(tl_run(&r, argv, NULL, dir, NULL, 60), 0);
	cr_assert(r.exited && r.code == 0, "perftrace report: %s: %s", tl_status_str(&r), r.err);
	return r.out;
}

cJSON *tt_func(const cJSON *rep, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(rep, "functions"))
	{
		const char *n = tl_json_str(f, "name");

		if (n && !strcmp(n, name))
			return (cJSON *)f;
	}
	return NULL;
}

double tt_num(const cJSON *obj, const char *key)
{
	cr_assert_not_null(obj, "no object to read %s from", key);
	return tl_json_num(obj, key);
}

cJSON *tt_wait(const cJSON *rep, const char *kind, const char *prefix)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, cJSON_GetObjectItem(rep, "waits"))
	{
		const char *t = tl_json_str(w, "target"), *k = tl_json_str(w, "kind");

		if (t && !strncmp(t, prefix, strlen(prefix)) && (!kind || (k && !strcmp(k, kind))))
			return (cJSON *)w;
	}
	return NULL;
}

int tt_tree_has(const cJSON *node, const char *name)
{
	const cJSON *c;
	const char *n = tl_json_str(node, "name");

	if (n && !strcmp(n, name))
		return 1;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(node, "children"))
	{
		if (tt_tree_has(c, name))
			return 1;
	}
	return 0;
}

cJSON *tt_tree_proc(const cJSON *rep, int pid)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "tree"), "children"))
	{
		const cJSON *p = cJSON_GetObjectItem(c, "pid");

		if (p && (int)p->valuedouble == pid)
			return (cJSON *)c;
	}
	return NULL;
}

int tt_spawn(const char *const *argv, const char *out_path)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* a test that fails half-way must not leave its programs behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

char tt_proc_state(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}
