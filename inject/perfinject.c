/*
 * perfinject: insert timing wrappers into a source tree, and take them out
 * again exactly.  Dispatches to cmd_inject(), cmd_clean() and cmd_status().
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "manifest.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: perfinject [--root DIR] [--json] TARGET...\n"
	    "       perfinject [--root DIR] [--json] --from-profile FILE [--top N] [TARGET...]\n"
	    "       perfinject [--root DIR] --clean\n"
	    "       perfinject [--root DIR] --status [--json]\n"
	    "       perfinject --python-path\n"
	    "\n"
	    "TARGET is FILE:FUNCTION (C: name, C++: ns::Class::method, Python: func or\n"
	    "Class.method), a FILE (every function in it), or a DIRECTORY (every .c .cc .cpp\n"
	    ".cxx .py file below it that .gitignore does not ignore).\n"
	    "\n"
	    "  --root DIR           the tree to instrument; default: the nearest directory\n"
	    "                       above the working directory holding .perfinject/, else\n"
	    "                       the working directory\n"
	    "  --clean              remove every insertion (exit 0 only when every file is back)\n"
	    "  --status             list instrumented files and functions\n"
	    "  --json               machine-readable output on stdout\n"
	    "  --from-profile FILE  wrap the hottest functions of a perftrace profile\n"
	    "  --top N              how many (default 10)\n"
	    "  --python-path        print the directory to put on PYTHONPATH for Python spans\n"
	    "\n"
	    "Exit status: 0 success, 1 error (nothing changed when injecting), 2 usage,\n"
	    "3 --clean left files whose markers were altered.  See perfinject(1).\n");
}

/* The nearest directory at or above the cwd that holds .perfinject/, else the cwd. */
static char *default_root(void)
{
	char dir[PATH_MAX], *cwd = getcwd(NULL, 0);
	struct stat st;

	if (!cwd)
		return NULL;
	snprintf(dir, sizeof(dir), "%s", cwd);
	for (;;) {
		char probe[PATH_MAX + 16];
		char *slash;

		snprintf(probe, sizeof(probe), "%s/" MANIFEST_DIR, dir);
		if (lstat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(cwd);
			return strdup(dir);
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = 0;
	}
	return cwd;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"clean", no_argument, NULL, 'c'},
	    {"status", no_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"from-profile", required_argument, NULL, 'p'},
	    {"top", required_argument, NULL, 't'},
	    {"python-path", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {NULL, 0, NULL, 10};
	const char *root = NULL;
	int c, mode = 0, ret;
	char real[PATH_MAX];

	set_progname("perfinject");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'c':
		case 's':
		case 'P':
			if (mode && mode != c) {
				error_msg("--clean, --status and --python-path exclude each other");
				return EXIT_USAGE;
			}
			mode = c;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'p':
			o.profile = optarg;
			break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 100000) {
				error_msg("--top: '%s' is not a count from 1 to 100000", optarg);
				return EXIT_USAGE;
			}
			o.top = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			error_msg("%s needs an argument (see perfinject --help)", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			error_msg("unknown option %s (see perfinject --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (mode == 'P') {
		const char *p = python_path();

		if (!p) {
			error_msg("perfprof_spans.py is not installed beside this perfinject");
			return EXIT_ERROR;
		}
		printf("%s\n", p);
		return 0;
	}
	if (mode && (optind < argc || o.profile)) {
		error_msg("--clean and --status take no targets");
		return EXIT_USAGE;
	}
	if (!mode && optind == argc && !o.profile) {
		error_msg(
		    "no target: give FILE:FUNCTION, FILE or DIRECTORY (see perfinject --help)");
		return EXIT_USAGE;
	}
	if (root) {
		struct stat st;

		if (!realpath(root, real) || stat(real, &st) < 0) {
			perror_msg("--root %s", root);
			return EXIT_ERROR;
		}
		if (!S_ISDIR(st.st_mode)) {
			error_msg("--root %s: not a directory", root);
			return EXIT_ERROR;
		}
		o.root = strdup(real);
	} else {
		char *d = default_root();

		o.root = d && realpath(d, real) ? strdup(real) : NULL;
		free(d);
	}
	if (!o.root) {
		perror_msg("cannot determine the root directory");
		return EXIT_ERROR;
	}
	if (!strcmp(o.root, "/")) {
		error_msg("refusing to use / as the root; pass --root DIR");
		free(o.root);
		return EXIT_USAGE;
	}
	if (mode == 'c')
		ret = cmd_clean(&o);
	else if (mode == 's')
		ret = cmd_status(&o);
	else
		ret = cmd_inject(&o, argc - optind, argv + optind);
	free(o.root);
	return ret;
}
