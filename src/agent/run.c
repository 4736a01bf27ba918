/* run.c - agent_run(): the whole method in order.
 *
 *   metric (when unknown) -> L lanes (each: retrieve, candidates, merge,
 *   usage check, refinement) -> ensemble of the lanes' solutions ->
 *   submission from the best solution (ensemble or lane) -> RUN/final/.
 *
 * Exit contract: 0 only with a valid submission in RUN/final/: the
 * full-data step's, or the fallback the search kept there (fallback.c). A run where
 * nothing ever worked ends with status "failed" and a message saying so;
 * an interrupted run ends "interrupted" and can be resumed. */
#include "agent/agent.h"

#include <stdlib.h>
#include <string.h>

#include "agent/facts.h"
#include "agent/lane.h"
#include "grade/metrics.h"
#include "report/report.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* report/progress: the metric and its direction in the journal, however they were settled */
static int metric_event(struct agent *a, const char *source)
{
    json_t *d = json_pack("{s:s,s:b,s:s}", "metric", a->metric, "lower_is_better", a->lower_is_better, "source",
                          source);
    agent_event(a, "metric", d);
    json_decref(d);
    return 0;
}

static int settle_metric(struct agent *a, struct err *err)
{
    if (a->metric && (*a->cfg.task.direction || a->task->lower_is_better >= 0))
        return metric_event(a, "task");
    if (a->metric) {
        const struct metric_info *m = metric_lookup(a->metric);
        if (m) {
            a->lower_is_better = m->lower_is_better;
            return metric_event(a, "metric table");
        }
    }
    return stage_metric(a, err);
}

static void save_progress(struct agent *a)
{
    struct err err = {{0}};
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", a->time_used_before + (time_mono() - a->t_start));
    store_kv_set(a->store, "elapsed_s", buf, &err);
    json_t *usage = json_pack("{s:o,s:f}", "llm", llm_client_totals_json(a->llm), "elapsed_s",
                              a->time_used_before + (time_mono() - a->t_start));
    store_run_set_usage(a->store, usage, &err);
    json_decref(usage);
}

static int finish(struct agent *a, const char *status, const char *message, int rc)
{
    budget_watch_stop(a);
    save_progress(a);
    struct err err = {{0}};
    store_run_set_status(a->store, status, message, &err);
    json_t *d = json_pack("{s:s,s:s}", "status", status, "message", message ? message : "");
    agent_event(a, "run_finished", d);
    json_decref(d);
    if (report_write(a->run_dir, &err) < 0) /* RUN/report.html (report/report.h) */
        log_warn("report: %s", err.msg);
    return rc;
}

/* Lane solutions and the ensemble, best first, into ranked. */
static size_t rank_all(struct agent *a, struct lane *lanes, size_t nl, struct solution *ens,
                       struct solution **all_out, const struct solution ***ranked_out)
{
    struct solution *all = xcalloc(nl + 1, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < nl; i++)
        all[n++] = lanes[i].result;   /* shallow: owned by lanes */
    if (ens->code)
        all[n++] = *ens;
    struct solution **r;
    size_t k = agent_rank(a, all, n, &r);
    *all_out = all;
    *ranked_out = (const struct solution **)r;
    return k;
}

int agent_run(struct agent *a, struct err *err)
{
    json_t *d = json_pack("{s:s,s:s}", "task", a->task->name, "run_dir", a->run_dir);
    agent_event(a, "run_started", d);
    json_decref(d);
    if (settle_metric(a, err) < 0)
        return finish(a, "failed", err->msg, -1);
    a->task_facts = facts_build(a->task, a->profile, a->metric, a->lower_is_better);
    budget_init(a);
    budget_watch_start(a);
    size_t nl = a->cfg.pipeline.lanes > 0 ? (size_t)a->cfg.pipeline.lanes : 1;
    struct lane *lanes = xcalloc(nl, sizeof *lanes);
    lanes_run(a, lanes, nl);
    save_progress(a);
    struct solution ens = {0};
    if (!a->interrupted) {
        struct solution *results = xcalloc(nl, sizeof *results);
        for (size_t i = 0; i < nl; i++)
            results[i] = lanes[i].result; /* shallow: still owned by the lanes */
        stage_ensemble(a, results, nl, &ens);
        free(results);
    }
    struct solution *all;
    const struct solution **ranked;
    size_t k = rank_all(a, lanes, nl, &ens, &all, &ranked);
    int rc = -1;
    const char *status = "failed";
    if (a->interrupted) {
        err_set(err, "interrupted; continue with `mlestar resume %s`", a->run_dir);
        status = "interrupted";
    } else if (a->fatal[0]) {
        err_set(err, "%s", a->fatal);
    } else if (k == 0) {
        err_set(err, "no solution script ever ran successfully; see `mlestar show %s` for every attempt and its error",
                a->run_dir);
    } else {
        struct solution final_sol = {0};
        if (stage_submit(a, ranked, k, &final_sol) == 0) {
            rc = 0;
            status = a->stop ? "budget" : "finished";
        } else {
            err_set(err, "no working solution could produce a valid submission; see `mlestar show %s`",
                    a->run_dir);
        }
        solution_clear(&final_sol);
    }
    free(ranked);
    free(all);
    for (size_t i = 0; i < nl; i++)
        solution_clear(&lanes[i].result);
    free(lanes);
    solution_clear(&ens);
    char fallback_message[320];
    const char *message = rc == 0 ? (a->stop ? a->stop_reason : "finished with a valid submission") : err->msg;
    if (rc == 0 && a->submitted_fallback) {
        snprintf(fallback_message, sizeof fallback_message,
                 "finished with the fallback submission (the best search script's test predictions), because %s",
                 a->submit_why);
        message = fallback_message;
    }
    return finish(a, status, message, rc);
}
