#include "cmds.h"
#include "error.h"
int cmd_annotate(int argc, char **argv) { (void)argc; (void)argv; error_msg("annotate: not yet"); return 1; }
