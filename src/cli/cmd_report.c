/* cmd_report.c - `mlestar report RUN [--out FILE]`: writes RUN/report.html
 * (or FILE) from the run's journal: one self-contained page with the
 * summary, the score over time, the lineage of solutions and the final
 * code (see report/report.h). Works on a finished run and on one still
 * going; the run writes the page itself when it ends. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "report/report.h"
#include "util/fs.h"

int cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    const struct cli_opt opts[] = {
        {"out", 'o', "FILE", NULL, NULL, &out, "where to write the page (default RUN/report.html)"},
        {0},
    };
    const struct cli_spec spec = {
        "report", "RUN [--out FILE]",
        "Writes RUN/report.html from the run's journal (RUN/run.db): the summary (task, metric,\n"
        "best validation score, submission, times, LLM tokens and cost per stage), the score over\n"
        "time per lane, the lineage of solutions with every ablation, plan, diff and debug attempt,\n"
        "and the final solution's code. One file, no network; it can be made while the run goes on.",
        opts, 1, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        const char *run_dir = args.positional[0];
        struct err err = {{0}};
        if (report_write_file(run_dir, out, &err) < 0) {
            cli_error("%s", err.msg);
            rc = CLI_FAIL;
        } else if (!args.cfg.run.quiet) {
            char *path = out ? NULL : fs_join(run_dir, REPORT_FILE_NAME);
            printf("%s\n", out ? out : path);
            free(path);
        }
    }
    cli_args_free(&args);
    return rc;
}
