/*
 * perfprof: the driver.  Dispatches to one cmd_<name>() per subcommand; an
 * option or "--" as the first argument means the profiling session itself.
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "cmds.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
    {"profile", cmd_profile, "[profile] [OPTIONS] -- CMD...   profile a command (see --help)"},
    {"compare", cmd_compare, "compare DIR_A DIR_B   before/after table of two sessions"},
    {"recover", cmd_recover, "recover DIR   turn what killed processes left in DIR into reports"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: perfprof COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %s\n", cmds[i].help);
	fprintf(f, "\nperfprof profile --help lists the profiling options.\n");
}

int main(int argc, char **argv)
{
	set_progname("perfprof");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argv[1][0] == '-')
		return cmd_profile(argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	error_msg("unknown command '%s' (see perfprof --help)", argv[1]);
	return EXIT_USAGE;
}
