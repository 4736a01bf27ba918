/* main.c - mlestar's entry point: finds the command and hands it argv.
 *
 * `mlestar <command> [options]`. Global flags --version and --help are
 * answered here; everything else belongs to a command (cli/commands.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef MLESTAR_VERSION
#define MLESTAR_VERSION "dev"
#endif

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mlestar <command> [options]\n\n"
                 "mlestar builds and improves machine-learning solutions for a task folder\n"
                 "(a description and data files), the MLE-STAR way.\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (strncmp(c->name, "__", 2) != 0) /* internal modes are not listed */
            fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n`mlestar <command> --help` describes a command; `mlestar --version` prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V") || !strcmp(name, "version")) {
        printf("mlestar %s\n", MLESTAR_VERSION);
        return CLI_OK;
    }
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_usage(stdout);
        return CLI_OK;
    }
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c->run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see `mlestar --help`)", name);
    return CLI_USAGE;
}
