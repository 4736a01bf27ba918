/* cmd_resume.c - `mlestar resume RUN`: continues an interrupted run.
 *
 * The settings come from the journal (the resolved configuration recorded
 * when the run started), then the environment and flags on top, like a new
 * run. Settings that change what the run computes must match the journal's
 * unless --force. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"
#include "store/store.h"
#include "util/jsonutil.h"
#include "util/mem.h"

/* Loads the journal's configuration under the flags already parsed. */
static int journal_settings(const char *run_dir, struct config *cfg, char **task_dir, struct err *err)
{
    struct store *s = NULL;
    if (store_open(run_dir, false, &s, err) < 0)
        return -1;
    json_t *run = store_run_json(s, err);
    store_close(s);
    if (!run)
        return -1;
    const char *ini = json_str(run, "config_ini", "");
    *task_dir = xstrdup(json_str(run, "task_dir", ""));
    char *name = xasprintf("%s/run.db (recorded settings)", run_dir);
    int rc = config_load_text(cfg, name, ini, err);
    free(name);
    json_decref(run);
    return rc;
}

int cmd_resume(int argc, char **argv)
{
    const char *time_limit = NULL;
    const struct cli_opt opts[] = {
        {"force", 'f', NULL, "run.force", NULL, NULL, "resume even if settings differ from the journal's"},
        {"time-limit", 't', "DURATION", NULL, NULL, &time_limit, "new budget for the whole run (default: the run's own)"},
        {"events", 0, NULL, "run.events", NULL, NULL, "print the JSON event stream on stdout"},
        {0},
    };
    const struct cli_spec spec = {
        "resume", "RUN [--force]",
        "Continues the run in folder RUN where it stopped: LLM calls and script runs already\n"
        "recorded in RUN/run.db are answered from it, the rest is done. Exit status as `run`.",
        opts, 1, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        struct config cfg;
        struct err err = {{0}};
        char *task_dir = NULL;
        config_defaults(&cfg);
        if (journal_settings(args.positional[0], &cfg, &task_dir, &err) < 0 || config_load_env(&cfg, &err) < 0 ||
            (time_limit && config_set(&cfg, "run.time_limit", time_limit, "--time-limit", &err) < 0)) {
            cli_error("resume: %s", err.msg);
            rc = CLI_FAIL;
        } else {
            cfg.run.force = args.cfg.run.force;
            cfg.run.events = args.cfg.run.events;
            cfg.run.quiet = args.cfg.run.quiet;
            rc = run_agent(&cfg, task_dir, args.positional[0], true);
        }
        free(task_dir);
        config_free(&cfg);
    }
    cli_args_free(&args);
    return rc;
}
