/*
 * perftrace report: loads a sample file and writes one report format.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "error.h"
#include "report.h"
#include "safefile.h"

static const char usage_text[] =
    "usage: perftrace report [-i FILE] [--format FORMAT] [-o OUT] [--threads] [--top N]\n"
    "\n"
    "  -i, --input FILE     sample file (default perftrace.ptrace)\n"
    "  -f, --format FORMAT  text (default), json, folded, speedscope or svg\n"
    "  -o, --output OUT     write there instead of stdout (an existing OUT is replaced)\n"
    "      --threads        text: a section per thread\n"
    "      --top N          text: rows per table (default 25)\n";

static const struct {
	const char *name;
	int (*fn)(FILE *, struct profile *, struct agg *, const struct report_opts *);
} formats[] = {
    {"text", report_text},     {"json", report_json},
    {"folded", report_folded}, {"speedscope", report_speedscope},
    {"svg", report_svg},
};

/* Opens the output named with -o (or stdout); exits on failure. */
FILE *open_report_output(const char *path)
{
	FILE *f;
	int fd;

	if (!path || !strcmp(path, "-"))
		return stdout;
	fd = safe_create(path, 1);
	if (fd < 0) {
		errno = -fd;
		perror_msg_and_die("cannot create %s", path);
	}
	f = fdopen(fd, "w");
	if (!f)
		perror_msg_and_die("cannot create %s", path);
	return f;
}

/* Loads input, or explains in one line why it cannot; exits on failure. */
void load_profile_or_die(struct profile *p, const char *input)
{
	int err = profile_load(p, input);

	if (err == -EINVAL)
		error_msg_and_die("%s is not a perftrace sample file", input);
	if (err == -ENOTSUP)
		error_msg_and_die("%s was written by a newer perftrace (format version %u); "
				  "this one reads up to %d",
				  input, p->hdr.version, TF_VERSION);
	if (err < 0) {
		errno = -err;
		perror_msg_and_die("cannot read %s", input);
	}
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"threads", no_argument, NULL, 'T'},
	    {"top", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report_opts o = {.input = "perftrace.ptrace", .top = 25};
	const char *format = "text", *output = NULL;
	int (*fn)(FILE *, struct profile *, struct agg *, const struct report_opts *) = NULL;
	struct profile p;
	struct agg a;
	FILE *f;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.input = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'T':
			o.threads = 1;
			break;
		case 'n':
			o.top = atoi(optarg);
			if (o.top <= 0) {
				error_msg("invalid --top '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			error_msg("option '%s' needs a value (see perftrace report --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		default:
			/* getopt stays quiet (opterr = 0): one line in our own words */
			error_msg("unknown option '%s' (see perftrace report --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		error_msg("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(format, formats[i].name))
			fn = formats[i].fn;
	if (!fn) {
		error_msg("unknown format '%s' (text, json, folded, speedscope, svg)", format);
		return EXIT_USAGE;
	}
	load_profile_or_die(&p, o.input);
	if (p.malformed)
		warning_msg("%s is damaged at byte %zu; reporting what comes before", o.input,
			    p.bad_offset);
	else if (p.truncated)
		warning_msg("%s is truncated (the recording did not finish); reporting what it "
			    "holds",
			    o.input);
	err = profile_aggregate(&p, &a);
	if (err)
		error_msg_and_die("out of memory");
	f = open_report_output(output);
	err = fn(f, &p, &a, &o);
	if (fflush(f) == EOF || ferror(f))
		err = err ? err : -EIO;
	if (f != stdout && fclose(f) == EOF && !err)
		err = -EIO;
	agg_free(&a);
	profile_free(&p);
	if (err) {
		errno = -err;
		perror_msg("writing the report");
		return EXIT_ERROR;
	}
	return 0;
}
