/* cli.h - the command-line layer: the command table and the option parser
 * every command uses.
 *
 * Each command lives in its own file (cmd_<name>.c) and exposes
 * `int cmd_<name>(int argc, char **argv)` with argv[0] the command name. It
 * describes its options in a NULL-terminated array of struct cli_opt and
 * calls cli_parse(), which also handles what every command shares:
 *   -h/--help, --config FILE, --set SECTION.KEY=VALUE, -q/--quiet, -v/--verbose.
 * An option either maps onto a config setting (`setting`), or stores into a
 * variable of the command (`flag_out` / `str_out`).
 *
 * Exit codes (the only place exit statuses are decided): 0 success, 1 the
 * job failed, 2 bad usage. */
#ifndef MLESTAR_CLI_CLI_H
#define MLESTAR_CLI_CLI_H

#include <stdbool.h>

#include "util/config.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

struct cli_opt {
    const char *long_name;   /* without the dashes, e.g. "time-limit" */
    char short_name;         /* 0 when none */
    const char *arg_name;    /* NULL for a flag without argument */
    const char *setting;     /* config setting it sets, or NULL */
    bool *flag_out;          /* for flags not backed by a setting */
    const char **str_out;    /* for arguments not backed by a setting */
    const char *help;
};

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

struct cli_spec {
    const char *command;       /* "profile" */
    const char *usage;         /* "TASK [--json]" */
    const char *description;   /* paragraph shown by --help */
    const struct cli_opt *opts; /* NULL-terminated by long_name == NULL; may be NULL */
    int min_positional;
    int max_positional;        /* -1 = unlimited */
};

struct cli_args {
    struct config cfg;         /* defaults + file + env + flags */
    char **positional;         /* borrowed from argv */
    int npositional;
    bool help_shown;           /* --help was given: the command should return CLI_OK */
};

/* Parses argv for a command. On success returns 0 (check help_shown). On a
 * usage or config error prints the message and returns -1; the command
 * should return CLI_USAGE (or CLI_FAIL for a broken config file). */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli_args *args);
void cli_args_free(struct cli_args *args);
void cli_print_help(const struct cli_spec *spec);

/* The command table (commands.c), NULL-terminated. */
extern const struct cli_command cli_commands[];

/* Prints "mlestar: <msg>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
