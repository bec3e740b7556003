/*
 * The perfprof subcommands, one file each (tools/cmd_<name>.c).  Each takes
 * the arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status.
 */
#ifndef PERFPROF_CMDS_H
#define PERFPROF_CMDS_H

/* The profiling session; also what `perfprof [OPTIONS] -- CMD` runs. */
int cmd_profile(int argc, char **argv);
/* perfprof compare DIR_A DIR_B */
int cmd_compare(int argc, char **argv);
/* perfprof recover DIR (the lead's) */
int cmd_recover(int argc, char **argv);

#endif
