/*
 * perftrace record: option parsing; the session itself is in record.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "error.h"
#include "record.h"

#define DEFAULT_OUTPUT "perftrace.ptrace"

static const char usage_text[] =
    "usage: perftrace record [OPTIONS] -- CMD [ARGS...]\n"
    "       perftrace record [OPTIONS] -p PID\n"
    "\n"
    "Samples the stack of every thread of the target at HZ per thread, on CPU or\n"
    "not, with what each blocked thread waits on.\n"
    "\n"
    "  -F, --freq HZ        samples per second per thread (default 99, at most 10000)\n"
    "  -o, --output FILE    sample file (default " DEFAULT_OUTPUT "; an existing FILE\n"
    "                       named with -o is replaced)\n"
    "  -p, --pid PID        attach to a running process (all its threads)\n"
    "  -d, --duration S     stop after S seconds (attach: detach; launch: detach and\n"
    "                       wait for the command)\n"
    "      --no-children    do not follow fork and vfork\n"
    "      --stack-size N   bytes of stack copied per sample (default 65536)\n"
    "      --max-frames N   deepest stack recorded (default 1024)\n"
    "      --floor          only interrupt, read registers and resume (overhead floor)\n"
    "  -q, --quiet          no summary line\n";

static long parse_num(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi) {
		error_msg("invalid %s '%s' (expected %ld..%ld)", what, s, lo, hi);
		exit(EXIT_USAGE);
	}
	return v;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"freq", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"pid", required_argument, NULL, 'p'},
	    {"duration", required_argument, NULL, 'd'},
	    {"no-children", no_argument, NULL, 'C'},
	    {"stack-size", required_argument, NULL, 'S'},
	    {"max-frames", required_argument, NULL, 'M'},
	    {"floor", no_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct record_opts o = {
	    .hz = 99,
	    .output = DEFAULT_OUTPUT,
	    .stack_bytes = 65536,
	    .max_frames = 1024,
	};
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:F:o:p:d:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			o.hz = parse_num(optarg, "rate", 1, 10000);
			break;
		case 'o':
			o.output = optarg;
			o.overwrite = 1;
			break;
		case 'p':
			o.pid = parse_num(optarg, "pid", 1, 1 << 30);
			break;
		case 'd':
			o.duration_s = strtod(optarg, &end);
			if (!*optarg || *end || !(o.duration_s > 0) || o.duration_s > 1e7) {
				error_msg("invalid duration '%s' (seconds, > 0)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			o.no_children = 1;
			break;
		case 'S':
			o.stack_bytes = parse_num(optarg, "stack size", 0, 1 << 20);
			break;
		case 'M':
			o.max_frames = parse_num(optarg, "frame count", 1, TF_MAX_FRAMES);
			break;
		case 'f':
			o.floor = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			error_msg("option '%s' needs a value (see perftrace record --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		default:
			/* getopt stays quiet (opterr = 0): one line in our own words */
			error_msg("unknown option '%s' (see perftrace record --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		o.argv = argv + optind;
	if (!o.argv == !o.pid) {
		error_msg(o.pid ? "give either -p PID or a command, not both"
				: "nothing to record: give -p PID or -- CMD ARGS...");
		return EXIT_USAGE;
	}
	return trace_record(&o);
}
