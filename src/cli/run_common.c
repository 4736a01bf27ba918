/* run_common.c - see run_common.h.
 *
 * Ctrl-C (SIGINT) or SIGTERM marks the run interrupted: running scripts are
 * killed, nothing new starts, the journal is closed cleanly with status
 * "interrupted", and `mlestar resume RUN` continues later. A second Ctrl-C
 * is the default action (immediate exit); the journal survives that too. */
#include "cli/run_common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timeutil.h"

static struct agent *running_agent;

static void on_signal(int sig)
{
    if (running_agent)
        running_agent->interrupted = 1;
    signal(sig, SIG_DFL);
}

static void print_summary(struct agent *a, int rc, const char *error, double wall)
{
    struct llm_totals t;
    llm_client_totals(a->llm, NULL, &t);
    char took[32];
    format_duration(wall, took, sizeof took);
    FILE *out = stdout;
    fprintf(out, "\n== mlestar: %s ==\n", a->task->name);
    fprintf(out, "metric        %s (%s is better)\n", a->metric ? a->metric : "?", a->lower_is_better ? "lower" : "higher");
    if (a->has_best)
        fprintf(out, "best score    %.6g (validation)\n", a->best_score);
    else
        fprintf(out, "best score    none: no script produced a score\n");
    if (rc == 0) {
        fprintf(out, "solution      %s/final/solution.py\n", a->run_dir);
        fprintf(out, "submission    %s/final/submission.csv (valid)\n", a->run_dir);
    } else {
        fprintf(out, "submission    none: %s\n", error);
    }
    fprintf(out, "time          %s, %ld scripts run\n", took, a->scripts_run);
    fprintf(out, "llm           %s: %ld calls, %ld input + %ld output tokens, $%.4f\n",
            llm_client_provider(a->llm), t.calls, t.usage.input_tokens, t.usage.output_tokens, t.cost_usd);
    fprintf(out, "journal       %s/run.db (`mlestar show %s`)\n", a->run_dir, a->run_dir);
}

int run_agent(const struct config *cfg, const char *task_dir, const char *run_dir, bool resume)
{
    struct agent_open_opts opts = {cfg, task_dir, run_dir, resume};
    struct agent *a = NULL;
    struct err err = {{0}};
    double t0 = time_mono();
    if (agent_open(&opts, &a, &err) < 0) {
        cli_error("%s", err.msg);
        agent_close(a);
        return CLI_FAIL;
    }
    log_info("%s %s in %s (provider %s)", resume ? "resuming" : "running", a->task->name, a->run_dir,
             llm_client_provider(a->llm));
    running_agent = a;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = agent_run(a, &err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_agent = NULL;
    if (rc < 0)
        cli_error("%s", err.msg);
    print_summary(a, rc, err.msg, time_mono() - t0);
    agent_close(a);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
