/* commands.c - the command table: the one place a command is registered. */
#include "cli/cli.h"
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
    {"config", "show the resolved settings and where they can be set", cmd_config},
    /* COMMANDS-TABLE: add `{"name", "summary", cmd_name},` above this line */
    {0, 0, 0},
};
