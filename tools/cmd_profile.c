/*
 * perfprof [profile] [OPTIONS] -- CMD...   /   perfprof --target FILE:FUNCTION
 *
 * The seed's workflow (ln-811) end to end: discover what to run, baseline
 * it under the shim, profile it once under perftrace, verify the suspicion
 * stack, escalate to timing wrappers when the data asks for it, and write
 * the performance map and the reports.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "locate.h"
#include "outfile.h"
#include "phases.h"

static const char usage_text[] =
    "usage: perfprof [OPTIONS] -- CMD [ARGS...]\n"
    "       perfprof [OPTIONS] --target FILE:FUNCTION [-- CMD...]\n"
    "       perfprof [OPTIONS] --endpoint URL\n"
    "\n"
    "  --runs N           counted runs (default 3)\n"
    "  --warmup N         discarded warm-up runs (default 1)\n"
    "  --timeout S        time limit of each run in seconds (default 300)\n"
    "  --out DIR          output directory (default .perfprof/<slug>/)\n"
    "  --target F:FN      the function to profile; finds its test when no CMD\n"
    "  --endpoint URL     profile an HTTP endpoint with a generated curl script\n"
    "  --instrument       always insert timing wrappers (perfinject)\n"
    "  --no-trace         skip the perftrace run\n"
    "  -F, --frequency HZ perftrace sampling frequency (default 997)\n"
    "  --slug NAME        name of the session (output paths)\n"
    "  --run-id ID        managed mode: the coordinator's run id\n"
    "  --summary-artifact-path PATH   managed mode: where the envelope goes\n"
    "  -q, --quiet        no progress, only the summary\n"
    "\n"
    "exit status: 0 profiled; 1 error (bad target, failing test, ...);\n"
    "2 usage; 3 profiled but the deep profile could not be taken;\n"
    "130 interrupted.\n";

enum {
	OPT_RUNS = 256,
	OPT_WARMUP,
	OPT_TIMEOUT,
	OPT_OUT,
	OPT_TARGET,
	OPT_ENDPOINT,
	OPT_INSTRUMENT,
	OPT_NO_TRACE,
	OPT_SLUG,
	OPT_RUN_ID,
	OPT_SUMMARY,
};

static int parse_int(const char *s, const char *opt, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		error_msg("%s wants an integer from %d to %d, got '%s'", opt, min, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_opts(struct prof_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"runs", required_argument, NULL, OPT_RUNS},
	    {"warmup", required_argument, NULL, OPT_WARMUP},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"target", required_argument, NULL, OPT_TARGET},
	    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
	    {"instrument", no_argument, NULL, OPT_INSTRUMENT},
	    {"no-trace", no_argument, NULL, OPT_NO_TRACE},
	    {"frequency", required_argument, NULL, 'F'},
	    {"slug", required_argument, NULL, OPT_SLUG},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"summary-artifact-path", required_argument, NULL, OPT_SUMMARY},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, t;

	o->runs = 3;
	o->warmup = 1;
	o->timeout_s = 300;
	o->freq = 997;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:F:qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUNS:
			if (parse_int(optarg, "--runs", 1, 256, &o->runs))
				return EXIT_USAGE;
			break;
		case OPT_WARMUP:
			if (parse_int(optarg, "--warmup", 0, 100, &o->warmup))
				return EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (parse_int(optarg, "--timeout", 1, 86400, &t))
				return EXIT_USAGE;
			o->timeout_s = t;
			break;
		case 'F':
			if (parse_int(optarg, "--frequency", 1, 20000, &o->freq))
				return EXIT_USAGE;
			break;
		case OPT_OUT:
			o->out_dir = optarg;
			break;
		case OPT_TARGET:
			o->target = optarg;
			break;
		case OPT_ENDPOINT:
			o->endpoint = optarg;
			break;
		case OPT_INSTRUMENT:
			o->instrument = 1;
			break;
		case OPT_NO_TRACE:
			o->no_trace = 1;
			break;
		case OPT_SLUG:
			o->slug = optarg;
			break;
		case OPT_RUN_ID:
			o->run_id = optarg;
			break;
		case OPT_SUMMARY:
			o->summary_path = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			error_msg("option '%s' needs an argument (see perfprof --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		default:
			error_msg("unknown option '%s' (see perfprof --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		o->cmd = argv + optind;
		o->ncmd = argc - optind;
	}
	if (!o->ncmd && !o->target && !o->endpoint) {
		error_msg(
		    "nothing to profile: give -- CMD, --target FILE:FUNCTION or --endpoint URL");
		return EXIT_USAGE;
	}
	if (o->endpoint && o->ncmd) {
		error_msg("--endpoint and a command exclude each other");
		return EXIT_USAGE;
	}
	return 0;
}

static int setup_dirs(struct prof *p)
{
	int ret;

	if (p->o.out_dir) {
		char cwd[PATH_MAX];

		if (p->o.out_dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
			p->out_dir = xstrdup(p->o.out_dir);
		else
			p->out_dir = out_path(cwd, p->o.out_dir);
	} else {
		p->out_dir = xasprintf("%s/.perfprof/%s", p->root, p->slug);
	}
	ret = out_mkdirs(p->out_dir);
	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot create the output directory %s", p->out_dir);
		return EXIT_ERROR;
	}
	/* Outputs a session may not write again must not outlive it. */
	{
		static const char *const optional[] = {"stacks.folded", "flamegraph.svg"};

		for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
			char *f = out_path(p->out_dir, optional[i]);

			if (unlink(f) < 0 && errno != ENOENT)
				warning_msg("cannot remove the old %s: %s", f, strerror(errno));
			free(f);
		}
	}
	p->raw_dir = out_path(p->out_dir, "raw");
	/* Reports of an earlier session must not mix with ours. */
	ret = out_rm_tree(p->raw_dir);
	if (ret == 0)
		ret = out_mkdirs(p->raw_dir);
	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot prepare %s", p->raw_dir);
		return EXIT_ERROR;
	}
	return 0;
}

static void locate_all(struct prof *p)
{
	p->shim_lib = locate_product("libperfshim.so");
	p->perftrace = p->o.no_trace ? NULL : locate_product("perftrace");
	p->perfinject = locate_product("perfinject");
	p->inject_pypath = locate_inject_pypath();
	if (!p->shim_lib)
		warning_msg("libperfshim.so not found beside perfprof: no I/O, network, heap or "
			    "lock counts");
	if (!p->perftrace && !p->o.no_trace)
		warning_msg("perftrace not found beside perfprof: no per-function profile");
}

int cmd_profile(int argc, char **argv)
{
	struct prof p;
	char cwd[PATH_MAX];
	int ret;

	memset(&p, 0, sizeof(p));
	p.tracer_overhead_pct = -1;
	ret = parse_opts(&p.o, argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (!getcwd(cwd, sizeof(cwd))) {
		perror_msg("getcwd");
		return EXIT_ERROR;
	}
	p.root = xstrdup(cwd);
	ret = run_init();
	if (ret < 0) {
		errno = -ret;
		perror_msg("cannot set up the run monitor");
		return EXIT_ERROR;
	}
	locate_all(&p);
	prof_progress(&p, "phase 0 discovery");
	if ((ret = phase_discover(&p)))
		return ret;
	if ((ret = setup_dirs(&p)))
		return ret;
	prof_progress(&p, "profiling: %s (output in %s)", p.test_command, p.out_dir);
	if ((ret = phase_baseline(&p)))
		return ret;
	if ((ret = phase_deep(&p)) == 130)
		return ret;
	p.exit_code = ret;
	if (ret == 3)
		prof_concern(&p, "no deep profile: %s", p.trace_problem);
	prof_progress(&p, "phase 2 suspicions");
	phase_suspicions(&p);
	if ((ret = phase_instrument(&p)) == 130)
		return ret;
	if (ret && !p.exit_code)
		p.exit_code = ret;
	if (ret == 3)
		prof_concern(&p, "no deep profile: %s", p.trace_problem);
	prof_progress(&p, "phase 4 performance map");
	phase_map(&p);
	ret = phase_write(&p);
	return ret ? ret : p.exit_code;
}
