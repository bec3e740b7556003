/*
 * Running one command under the driver's control: its own process group,
 * stdin from /dev/null, stdout and stderr into a log file, a time limit, and
 * the resource usage of the whole process tree.
 *
 * perfprof makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so the
 * processes a command leaves behind are re-parented to us: their rusage is
 * counted too, and when the command's main process has exited, everything
 * still alive in its tree is ended (SIGTERM, then SIGKILL after a grace
 * period).  Nothing a run started outlives it.
 */
#ifndef PERFPROF_RUNNER_H
#define PERFPROF_RUNNER_H

#include <stdint.h>
#include <sys/resource.h>

struct run_spec {
	char *const *argv;    /* argv[0] is looked up in PATH when it has no '/' */
	char *const *envp;    /* the child's whole environment */
	const char *cwd;      /* NULL: ours */
	const char *log_path; /* stdout and stderr, a new file; NULL: ours */
	double timeout_s;     /* <= 0: no limit */
	/* Called every tick_ms while the command runs (NULL: never), with the
	 * pid of its main process; for probes such as GPU sampling. */
	void (*tick)(void *ctx, int pid);
	void *tick_ctx;
	int tick_ms;
};

struct run_status {
	int started;	/* the exec succeeded */
	int exec_errno; /* why it did not */
	int exited;	/* main process exited (code valid) */
	int code;
	int signo;	  /* or was killed by this signal */
	int timed_out;	  /* we killed it at the time limit */
	int interrupted;  /* we were asked to stop (SIGINT, SIGTERM, SIGHUP) */
	uint64_t wall_ns; /* from spawn to the main process's exit */
	struct rusage ru; /* summed over every reaped process; ru_maxrss is the max */
	int reaped;	  /* processes reaped (the main one and orphans) */
	int leftover;	  /* processes still alive after the main one exited */
};

/* Once, before the first run: become a subreaper and route SIGCHLD, SIGINT,
 * SIGTERM and SIGHUP through a signalfd.  0 or -errno. */
int run_init(void);
/* Runs spec to completion (or the time limit) and fills st.  Returns 0 when
 * the process was started (whatever its outcome), -errno when it could not
 * be (st->exec_errno tells why exec failed). */
int run_cmd(const struct run_spec *spec, struct run_status *st);
/* "exit 0", "exit 3", "signal 11 (Segmentation fault)", "timeout after 300 s",
 * "interrupted", "not started: No such file or directory"; a static buffer. */
const char *run_status_str(const struct run_status *st, double timeout_s);
/* 1 when the run ended by exit status 0. */
int run_ok(const struct run_status *st);
/* The last nlines lines of a file (malloc'd, "" when empty or unreadable). */
char *run_tail(const char *path, int nlines);
/* 1 after SIGINT/SIGTERM/SIGHUP reached us during any run. */
int run_was_interrupted(void);

#endif
