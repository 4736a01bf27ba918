/* commands.h - one entry point per command, each in cli/cmd_<name>.c. */
#ifndef MLESTAR_CLI_COMMANDS_H
#define MLESTAR_CLI_COMMANDS_H

int cmd_config(int argc, char **argv);
/* COMMANDS-DECL: add `int cmd_<name>(int argc, char **argv);` above this line */

#endif
