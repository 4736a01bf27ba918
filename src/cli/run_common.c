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
#include <sys/prctl.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "exec/backend.h"
#include "report/progress.h"
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

/* What the live display asks for at each redraw (from its own thread). */
static void progress_stats(void *ctx, struct progress_stats *out)
{
    struct agent *a = ctx;
    pthread_mutex_lock(&a->lock);
    out->scripts_running = a->scripts_running;
    out->scripts_run = a->scripts_run;
    pthread_mutex_unlock(&a->lock);
    out->elapsed_s = a->time_used_before + (time_mono() - a->t_start);
    out->remaining_s = a->deadline > 0 ? agent_time_left(a) : -1;
    struct llm_totals t;
    llm_client_totals(a->llm, NULL, &t);
    out->input_tokens = t.usage.input_tokens;
    out->output_tokens = t.usage.output_tokens;
    out->cost_usd = t.cost_usd;
}

/* The terminal display (a status block on a TTY, timestamped lines
 * otherwise, nothing with --quiet) and --events' JSON lines on stdout. */
static struct progress *start_progress(struct agent *a)
{
    const struct config *c = &a->cfg;
    struct progress_opts o = {
        .mode = c->run.quiet ? PROGRESS_QUIET : PROGRESS_AUTO,
        .events = c->run.events,
        .lanes = (int)c->pipeline.lanes,
        .outer_steps = (int)c->pipeline.outer_steps,
        .inner_steps = (int)c->pipeline.inner_steps,
        .ensemble_rounds = (int)c->pipeline.ensemble_rounds,
        .stats = progress_stats,
        .stats_ctx = a,
    };
    if (o.mode == PROGRESS_AUTO && c->run.events && isatty(STDOUT_FILENO))
        o.mode = PROGRESS_LINES; /* JSON lines on the same terminal: no block to redraw under them */
    return progress_new(&o);
}

static void print_summary(struct agent *a, int rc, const char *error, double wall)
{
    struct llm_totals t;
    llm_client_totals(a->llm, NULL, &t);
    char took[32];
    format_duration(wall, took, sizeof took);
    FILE *out = a->cfg.run.events ? stderr : stdout; /* with --events, stdout is the JSON stream's */
    fprintf(out, "\n== mlestar: %s ==\n", a->task->name);
    fprintf(out, "metric        %s (%s is better)\n", a->metric ? a->metric : "?", a->lower_is_better ? "lower" : "higher");
    if (a->has_best)
        fprintf(out, "best score    %.6g (validation)\n", a->best_score);
    else
        fprintf(out, "best score    none: no script produced a score\n");
    if (rc == 0) {
        fprintf(out, "solution      %s/final/solution.py\n", a->run_dir);
        if (a->submitted_fallback)
            fprintf(out, "submission    %s/final/submission.csv (valid; the fallback: test predictions of search "
                         "script node %lld, validation %.6g, because %s)\n",
                    a->run_dir, (long long)a->fallback_node, a->fallback_score, a->submit_why);
        else
            fprintf(out, "submission    %s/final/submission.csv (valid; from the full-data final step)\n", a->run_dir);
        if (a->final_prior_only)
            fprintf(out, "              PRIOR-ONLY: nothing in the inputs was usable, so it predicts the training "
                         "labels' class frequencies or mean for every row; a guess, not a learned model\n");
    } else {
        fprintf(out, "submission    none: %s\n", error);
    }
    fprintf(out, "time          %s, %ld scripts run\n", took, a->scripts_run);
    fprintf(out, "llm           %s: %ld calls, %ld input + %ld output tokens, $%.4f\n",
            llm_client_provider(a->llm), t.calls, t.usage.input_tokens, t.usage.output_tokens, t.cost_usd);
    fprintf(out, "journal       %s/run.db (`mlestar show %s`)\n", a->run_dir, a->run_dir);
    fprintf(out, "report        %s/report.html\n", a->run_dir);
}

int run_agent(const struct config *cfg, const char *task_dir, const char *run_dir, bool resume)
{
    struct agent_open_opts opts = {cfg, task_dir, run_dir, resume};
    struct agent *a = NULL;
    struct err err = {{0}};
    double t0 = time_mono();
    if (exec_backend_select(cfg, &err) < 0) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    if (agent_open(&opts, &a, &err) < 0) {
        cli_error("%s", err.msg);
        agent_close(a);
        return CLI_FAIL;
    }
    log_info("%s %s in %s (provider %s)", resume ? "resuming" : "running", a->task->name, a->run_dir,
             llm_client_provider(a->llm));
    /* API keys live in this process's memory and environment; scripts run
     * without capabilities, and a non-dumpable process's /proc entries
     * (environ, mem) are closed to them. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    running_agent = a;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    a->progress = start_progress(a);
    int rc = agent_run(a, &err);
    progress_free(a->progress);
    a->progress = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    running_agent = NULL;
    if (rc < 0)
        cli_error("%s", err.msg);
    print_summary(a, rc, err.msg, time_mono() - t0);
    agent_close(a);
    return rc == 0 ? CLI_OK : CLI_FAIL;
}
