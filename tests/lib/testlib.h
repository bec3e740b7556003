/*
 * Shared helpers for the Criterion test suites: locating build outputs,
 * running a program with a controlled environment and capturing what it did,
 * temporary directories, and reading JSON reports with cJSON.
 *
 * Strings returned by these helpers are malloc'd and owned by the caller
 * unless stated otherwise; tests may leak them, each test runs in its own
 * process.
 */
#ifndef PERFPROF_TESTLIB_H
#define PERFPROF_TESTLIB_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Absolute path of the build directory (PERFPROF_BUILD, else "build"). */
const char *tl_build(void);
/* tl_build() + "/" + rel. */
char *tl_bpath(const char *rel);
/* Path of a target program built from tests/progs/<name>.c. */
char *tl_prog(const char *name);
/* Source tree root (PERFPROF_SRC, else the parent of the build dir). */
const char *tl_srcdir(void);

/* A fresh, empty directory under $TMPDIR; removed by tl_rm_rf(). */
char *tl_tmpdir(const char *tag);
void tl_rm_rf(const char *path);
/* Whole file, NUL-terminated; NULL if unreadable.  *len gets the size. */
char *tl_read_file(const char *path, size_t *len);
int tl_write_file(const char *path, const char *data, size_t len);

struct tl_result {
	int exited;	/* 1 if it exited normally */
	int code;	/* exit status when exited */
	int signo;	/* terminating signal otherwise */
	int timed_out;	/* killed by tl_run's timeout */
	char *out;	/* captured stdout, NUL-terminated */
	size_t out_len;
	char *err;	/* captured stderr, NUL-terminated */
	size_t err_len;
};

/*
 * Runs argv[0] (looked up in PATH if it has no slash) with the current
 * environment plus env[] ("NAME=value" entries, NULL-terminated, may be NULL;
 * "NAME=" with nothing after '=' removes NAME), stdin from `input` (NULL means
 * /dev/null), and a timeout in seconds after which the whole process group is
 * killed.  cwd may be NULL.  Returns 0, or -1 if it could not start.
 */
int tl_run(struct tl_result *r, const char *const argv[], const char *const env[], const char *cwd,
	   const char *input, int timeout_s);
void tl_result_free(struct tl_result *r);
/* "exit 0", "exit 3", "signal 9", "timeout" */
const char *tl_status_str(const struct tl_result *r);

/* Parses a JSON file; NULL on error. */
cJSON *tl_json_load(const char *path);
/* Follows a dotted path ("io.by_kind.file.write_bytes"; "[2]" indexes arrays). */
cJSON *tl_json_at(const cJSON *root, const char *path);
/* The number at path; aborts the test with a message when absent. */
double tl_json_num(const cJSON *root, const char *path);
/* The string at path, or NULL. */
const char *tl_json_str(const cJSON *root, const char *path);

/* Files in dir whose names match the glob; sorted; NULL-terminated array. */
char **tl_glob(const char *dir, const char *pattern, int *count);

/* 1 if an executable named prog is on PATH. */
int tl_have(const char *prog);

/* Free TCP port on 127.0.0.1 (bound and released; racy but fine for tests). */
int tl_free_port(void);

#endif
