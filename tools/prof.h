/*
 * The state of one `perfprof` profiling session, shared by the phases:
 * what to run (phase 0), the runs and their shim reports (phase 1), the
 * sampled profile (phase 3), and the analysis the writers turn into the
 * performance map and the reports (phases 2, 4 and 5).
 */
#ifndef PERFPROF_PROF_H
#define PERFPROF_PROF_H

#include <cjson/cJSON.h>

#include "metrics.h"
#include "runner.h"
#include "shimdata.h"

struct gpu_probe;

struct prof_opts {
	int runs;		  /* counted runs (3) */
	int warmup;		  /* discarded runs (1) */
	double timeout_s;	  /* per run (300) */
	int freq;		  /* perftrace sampling frequency, Hz */
	const char *out_dir;	  /* --out */
	const char *target;	  /* --target FILE:FUNCTION */
	const char *endpoint;	  /* --endpoint URL */
	const char *root;	  /* project root (the working directory) */
	const char *slug;	  /* --slug */
	const char *run_id;	  /* --run-id (managed mode) */
	const char *summary_path; /* --summary-artifact-path (managed mode) */
	int instrument;		  /* --instrument: force phase 3 step 3 */
	int no_trace;		  /* --no-trace: skip perftrace */
	int quiet;
	char **cmd; /* after "--" */
	int ncmd;
};

/* One execution of the test command. */
struct prof_run {
	char label[32]; /* "warmup 1", "run 2", "deep", "instrumented 1" */
	char *dir;	/* its PERFSHIM_OUT */
	char *log;	/* its stdout+stderr */
	struct run_status st;
	struct shim_set shim;
	struct run_metrics m;
};

/* A suspicion of the seed's checklist, verified against the measurements. */
struct suspicion {
	char *category; /* "Connection management", "Architecture", ... */
	char *check;	/* stable id: "connection_per_request", ... */
	char *location; /* function and file:line, or the peer / path */
	char *description;
	int confirmed;
	char *evidence; /* the numbers */
	char *note;	/* how it was verified, or why it was dismissed */
	char *hint;	/* for confirmed ones: what to do */
	char **steps;	/* affected step ids */
	int nsteps;
	double share_pct;    /* of the wall time it accounts for, -1 unknown */
	char *instrument_fn; /* function to wrap (file:function), or NULL */
};

struct prof {
	struct prof_opts o;

	/* phase 0 */
	char **argv;		 /* what is run, NULL-terminated */
	char *test_command;	 /* as shown in the map */
	const char *test_source; /* user / route / function / module / endpoint */
	char *e2e_command;	 /* NULL when none */
	const char *e2e_source;
	const char *entry_type; /* "function" | "api_endpoint" | "pipeline" */
	char *entry_function;
	char *entry_location; /* file:line, or NULL */
	char *entry_route;
	char *entry_file; /* the --target file, or NULL */
	char *slug;
	char *root;    /* absolute project root */
	char *out_dir; /* absolute */
	char *raw_dir; /* out_dir/raw: shim reports and logs */

	/* products */
	char *shim_lib; /* NULL when not found */
	char *perftrace;
	char *perfinject;
	char *inject_pypath; /* perfinject's Python runtime dir, or NULL */
	char *shim_problem;  /* why the shim gave no data, or NULL */

	/* phase 1 */
	struct gpu_probe *gpu; /* sampled during the baseline runs when set */
	struct prof_run *runs; /* warmups then counted */
	int nruns;
	struct metric_stats stats[M_COUNT];
	int median_run; /* index in runs of the counted run nearest the median wall */

	/* phase 3 */
	struct prof_run deep;
	int have_deep;
	char *trace_file;
	cJSON *trace;		    /* perftrace's JSON report, or NULL */
	char *trace_problem;	    /* why there is none */
	double tracer_overhead_pct; /* deep wall vs baseline median, -1 unknown */
	struct prof_run *inst;	    /* instrumented re-runs */
	int ninst;
	char **instrumented; /* files holding wrappers now */
	int ninstrumented;
	char *inject_problem;
	cJSON *span_stats;   /* per-function medians from the instrumented runs */
	double inst_wall_ms; /* their median wall time, 0 when none */
	char *escalation;    /* what the escalation decided, and why */
	cJSON *line_profile; /* perftrace annotate of the hotspot, or NULL */

	/* phases 2, 4 */
	cJSON *call_chain;		/* read from the source (callchain.h), or NULL */
	const char *call_chain_problem; /* why there is none */
	struct suspicion *sus;
	int nsus;
	cJSON *steps; /* performance_map.steps */
	char *classification;
	char *detail;
	cJSON *top;		    /* top_bottlenecks (with description) */
	cJSON *wrong_tool;	    /* strings */
	cJSON *wrong_tool_evidence; /* [{indicator, evidence}] */
	char **concerns;
	int nconcerns;

	/* phase 5 */
	char *run_id;
	char *identifier;
	char *produced_at;
	char *envelope_path;
	int exit_code;
};

/* Adds a line to the concerns list (printf-style). */
void prof_concern(struct prof *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress line on stderr when it is a terminal, unless --quiet. */
void prof_progress(const struct prof *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* malloc'd copies; never NULL. */
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
