/* cmd_diff.c -- placeholder, filled in below */
#include "sim/cli.h"
int fl_cmd_diff(int argc, char **argv)
{
    (void)argc, (void)argv;
    return FL_EXIT_USAGE;
}
