/*
 * The perfprof subcommands, one file each (tools/cmd_<name>.c).  Each takes
 * the arguments after its name (argv[0] is the subcommand) and returns the
 * process exit status.
 */
#ifndef PERFPROF_CMDS_H
#define PERFPROF_CMDS_H

int cmd_recover(int argc, char **argv);

#endif
