/* cmd_config.c - `mlestar config`: prints the resolved settings as INI, or
 * with --list the table of every setting with its type, default and help. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"

int cmd_config(int argc, char **argv)
{
    bool list = false;
    const struct cli_opt opts[] = {
        {"list", 'l', NULL, NULL, &list, NULL, "list every setting with its default and meaning"},
        {0},
    };
    const struct cli_spec spec = {
        "config", "[--list]",
        "Prints the settings after the config file, the environment and the flags\n"
        "were applied, in the config file's own INI format; a \"# from ...\" line\n"
        "above a value says where it came from when it is not the default.",
        opts, 0, 0,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (!args.help_shown) {
        if (list) {
            printf("%-28s %-9s %s\n", "SETTING", "DEFAULT", "MEANING");
            for (const struct config_setting *s = config_settings; s->name; s++)
                printf("%-28s %-9s %s\n", s->name, *s->def ? s->def : "\"\"", s->help);
        } else {
            config_dump(&args.cfg, stdout);
        }
    }
    cli_args_free(&args);
    return CLI_OK;
}
