/*
 * perfprof recover DIR: turn the counter files that killed or crashed
 * processes left in DIR (perfshim.<pid>.<n>.shm) into their JSON reports.
 */
#include "error.h"
#include "cmds.h"

int cmd_recover(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error_msg("recover: the shim's counter format is not built yet");
	return EXIT_ERROR;
}
