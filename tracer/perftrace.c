/*
 * perftrace: a ptrace wall-clock sampling profiler.  Dispatches to one
 * cmd_<name>() per subcommand (see docs/perftrace.md).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "error.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
    {"record", cmd_record, "record [-F HZ] [-o FILE] [--duration S] (-p PID | -- CMD ARGS...)"},
    {"report", cmd_report,
     "report [-i FILE] [--format text|json|folded|speedscope|svg] [-o OUT] [--threads]"},
    {"annotate", cmd_annotate, "annotate [-i FILE] [-o OUT] FUNCTION"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perftrace COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %s\n", cmds[i].help);
	fprintf(f, "\n'perftrace COMMAND --help' describes each; see perftrace(1).\n");
}

int main(int argc, char **argv)
{
	set_progname("perftrace");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	error_msg("unknown command '%s' (see perftrace --help)", argv[1]);
	return EXIT_USAGE;
}
