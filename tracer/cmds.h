/*
 * The perftrace subcommands, one file each (cmd_<name>.c).  Each takes the
 * arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status.
 */
#ifndef PERFTRACE_CMDS_H
#define PERFTRACE_CMDS_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_annotate(int argc, char **argv);

#endif
