/* cmd_run.c - `mlestar run TASK`: the whole MLE-STAR pipeline on a task. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run_common.h"

int cmd_run(int argc, char **argv)
{
    const struct cli_opt opts[] = {
        {"provider", 'p', "NAME", "llm.provider", NULL, NULL, "builtin (offline), openai, gemini, anthropic or replay"},
        {"model", 'm', "MODEL", "llm.model", NULL, NULL, "model name"},
        {"base-url", 0, "URL", "llm.base_url", NULL, NULL, "API base URL (OpenAI-compatible servers)"},
        {"time-limit", 't', "DURATION", "run.time_limit", NULL, NULL, "hard deadline of the whole run, start to summary, e.g. 30m, 4h"},
        {"out", 'o', "DIR", "run.out", NULL, NULL, "run folder (default runs/<task>-<time>)"},
        {"models", 'M', "N", "pipeline.models", NULL, NULL, "models retrieved per lane"},
        {"outer-steps", 'T', "N", "pipeline.outer_steps", NULL, NULL, "ablation/refinement steps"},
        {"inner-steps", 'K', "N", "pipeline.inner_steps", NULL, NULL, "plans per refined block"},
        {"lanes", 'L', "N", "pipeline.lanes", NULL, NULL, "parallel solution lanes"},
        {"ensemble-rounds", 'R', "N", "pipeline.ensemble_rounds", NULL, NULL, "ensemble plans tried"},
        {"subsample", 0, "ROWS", "pipeline.subsample_rows", NULL, NULL, "training rows while searching (0 = all)"},
        {"seed", 0, "N", "run.seed", NULL, NULL, "random seed"},
        {"metric", 0, "NAME", "task.metric", NULL, NULL, "metric (default: task.json or the description)"},
        {"direction", 0, "higher|lower", "task.direction", NULL, NULL, "which way the metric improves"},
        {"data-dir", 0, "DIR", "task.data_dir", NULL, NULL, "data folder, for a task without a folder"},
        {"goal", 0, "TEXT", "task.goal", NULL, NULL, "task statement, for a task without a description"},
        {"eval", 0, "TEXT", "task.eval", NULL, NULL, "evaluation statement, with --goal"},
        {"prompts", 0, "DIR", "prompts.dir", NULL, NULL, "folder overriding prompt templates"},
        {"python", 0, "PATH", "exec.python", NULL, NULL, "interpreter for the solutions"},
        {"timeout", 0, "DURATION", "exec.timeout", NULL, NULL, "time limit of one script"},
        {"slots", 0, "N", "exec.slots", NULL, NULL, "scripts run at once"},
        {"events", 0, NULL, "run.events", NULL, NULL, "print the JSON event stream on stdout"},
        {0},
    };
    const struct cli_spec spec = {
        "run", "TASK [options]",
        "Runs the MLE-STAR method on TASK (a folder: MLE-bench layout with description.md and\n"
        "public/, or a description file beside data files; or no TASK with --data-dir and --goal):\n"
        "retrieval, candidates, merging, data-usage check, ablation-guided refinement in parallel\n"
        "lanes, ensembling, and a validated submission in RUN/final/. From the first working\n"
        "script on, RUN/final/ holds the best search script's validated test predictions (the\n"
        "fallback); the full-data final step replaces them when it finishes in time. No script\n"
        "outlives --time-limit. Every step is recorded in RUN/run.db; an interrupted run\n"
        "continues with `mlestar resume RUN`.\n"
        "Exit status: 0 with a valid submission, 1 without, 2 for bad usage.",
        opts, 0, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        const char *task = args.npositional ? args.positional[0] : NULL;
        if (!task && !*args.cfg.task.data_dir) {
            cli_error("run: give a TASK folder, or --data-dir DIR --goal TEXT");
            rc = CLI_USAGE;
        } else {
            rc = run_agent(&args.cfg, task, args.cfg.run.out, false);
        }
    }
    cli_args_free(&args);
    return rc;
}
