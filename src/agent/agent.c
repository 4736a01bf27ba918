/* agent.c - opening a run, the run-level helpers, and agent_run(): the order
 * of the stages (see agent.h for the map of files).
 *
 * Budget: run.time_limit is wall-clock for the whole run, a hard deadline:
 * budget.c splits it into the search (candidates and merges first, then
 * refinement), one ensemble round's reserve, the full-data step's reserve
 * (predicted from measured script times) and a margin for the summary;
 * every script gets a hard deadline at the end of its part. Token and cost
 * budgets come from the LLM client; when one is spent the search ends and
 * the best solution so far goes to submission.
 *
 * Resume: agent_open() with resume=true reopens the journal, refuses
 * different settings unless run.force, and agent_run() then replays the
 * pipeline: every LLM call and execution it already recorded is answered
 * from the journal, so the run continues where it died. */
#include "agent/agent.h"
#include "agent/callkey.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report/progress.h"
#include "task/profile.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define PROFILE_MD_MAX 6000

void solution_clear(struct solution *s)
{
    free(s->code);
    free(s->attempt_dir);
    free(s->model_name);
    for (size_t i = 0; i < s->nfiles_read; i++)
        free(s->files_read[i]);
    free(s->files_read);
    memset(s, 0, sizeof *s);
}

void solution_copy(struct solution *dst, const struct solution *src)
{
    *dst = *src;
    dst->code = src->code ? xstrdup(src->code) : NULL;
    dst->attempt_dir = src->attempt_dir ? xstrdup(src->attempt_dir) : NULL;
    dst->model_name = src->model_name ? xstrdup(src->model_name) : NULL;
    dst->files_read = src->nfiles_read ? xcalloc(src->nfiles_read, sizeof *dst->files_read) : NULL;
    for (size_t i = 0; i < src->nfiles_read; i++)
        dst->files_read[i] = xstrdup(src->files_read[i]);
}

bool agent_better(const struct agent *a, double x, double y)
{
    return a->lower_is_better ? x < y : x > y;
}

double agent_time_left(const struct agent *a)
{
    if (a->deadline <= 0)
        return 1e12;
    return a->deadline - time_mono();
}

bool agent_search_time_ok(struct agent *a)
{
    return !agent_should_stop(a) && budget_part_open(a, BUDGET_REFINE);
}

bool agent_init_time_ok(struct agent *a)
{
    return !agent_should_stop(a) && budget_part_open(a, BUDGET_INIT);
}

bool agent_ensemble_time_ok(struct agent *a)
{
    return !agent_should_stop(a) && budget_part_open(a, BUDGET_ENSEMBLE);
}

bool agent_should_stop(struct agent *a)
{
    if (a->stop || a->interrupted)
        return true;
    char why[256];
    if (a->llm && llm_client_over_budget(a->llm, why, sizeof why)) {
        agent_request_stop(a, why);
        return true;
    }
    return false;
}

void agent_request_stop(struct agent *a, const char *why)
{
    pthread_mutex_lock(&a->lock);
    bool first = !a->stop;
    if (first) {
        a->stop = 1;
        snprintf(a->stop_reason, sizeof a->stop_reason, "%s", why);
    }
    pthread_mutex_unlock(&a->lock);
    if (first) {
        json_t *d = json_pack("{s:s}", "reason", why);
        agent_event(a, "budget", d);
        json_decref(d);
        log_warn("%s: ending the search and submitting the best solution so far", why);
    }
}

void agent_event(struct agent *a, const char *type, json_t *data)
{
    struct err err = {{0}};
    if (a->store && store_event(a->store, type, data, NULL, &err) < 0)
        log_warn("journal: %s", err.msg);
    progress_event(a->progress, type, data); /* the terminal display and --events (report/progress.h) */
}

void agent_note_score(struct agent *a, int lane, int64_t node_id, double score)
{
    pthread_mutex_lock(&a->lock);
    bool better = !a->has_best || agent_better(a, score, a->best_score);
    if (better) {
        a->has_best = true;
        a->best_score = score;
        a->best_lane = lane;
    }
    pthread_mutex_unlock(&a->lock);
    if (better) {
        struct err err = {{0}};
        store_run_set_best(a->store, score, node_id, &err);
        json_t *d = json_pack("{s:i,s:I,s:f}", "lane", lane, "node", (json_int_t)node_id, "score", score);
        agent_event(a, "new_best", d);
        json_decref(d);
        /* debug: the progress display prints the new_best event */
        log_debug("new best %s %.6g (lane %d, node %lld)", a->metric, score, lane, (long long)node_id);
    }
}

/* ---- opening ---------------------------------------------------------- */

static char *default_run_dir(const char *task_name)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return xasprintf("runs/%s-%s", task_name, stamp);
}

/* Settings that change what a run computes: compared on resume. */
static json_t *result_settings(const struct config *c)
{
    return json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b},s:{s:s,s:s,s:s},s:{s:s,s:s},s:{s:I}}",
                     "pipeline", "models", (json_int_t)c->pipeline.models, "outer_steps",
                     (json_int_t)c->pipeline.outer_steps, "inner_steps", (json_int_t)c->pipeline.inner_steps,
                     "lanes", (json_int_t)c->pipeline.lanes, "ensemble_rounds",
                     (json_int_t)c->pipeline.ensemble_rounds, "subsample_rows",
                     (json_int_t)c->pipeline.subsample_rows, "debug_rounds", (json_int_t)c->pipeline.debug_rounds,
                     "regenerations", (json_int_t)c->pipeline.regenerations, "leakage_check",
                     c->pipeline.leakage_check, "usage_check", c->pipeline.usage_check, "llm", "provider",
                     c->llm.provider, "model", c->llm.model, "cheap_model", c->llm.cheap_model, "task", "metric",
                     c->task.metric, "direction", c->task.direction, "run", "seed", (json_int_t)c->run.seed);
}

static char *config_text(const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return xstrdup("");
    config_dump(cfg, f);
    fclose(f);
    return text;
}

static int open_journal(struct agent *a, const struct agent_open_opts *o, struct err *err)
{
    if (store_open(a->run_dir, !o->resume, &a->store, err) < 0)
        return -1;
    json_t *settings = result_settings(&a->cfg);
    int rc = 0;
    if (o->resume) {
        char *diff = NULL;
        rc = store_run_check_settings(a->store, settings, &diff, err);
        if (rc == 1 && !a->cfg.run.force) {
            err_set(err, "%s was started with other settings (%s); resume with the same settings, or --force",
                    a->run_dir, diff);
            rc = -1;
        } else if (rc >= 0) {
            rc = store_run_resumed(a->store, err);
        }
        free(diff);
        char *used = store_kv_get(a->store, "elapsed_s");
        a->time_used_before = used ? atof(used) : 0;
        free(used);
    } else {
        if (store_run_exists(a->store)) {
            rc = err_set(err, "%s already holds a run; use `mlestar resume %s`, or another --out", a->run_dir,
                         a->run_dir);
        } else {
            char *ini = config_text(&a->cfg);
            rc = store_run_begin(a->store, a->task->name, a->task->root ? a->task->root : a->task->data_dir, ini,
                                 settings, err);
            free(ini);
        }
    }
    json_decref(settings);
    return rc;
}

static void set_metric_from_task(struct agent *a)
{
    if (*a->cfg.task.metric) {
        a->metric = xstrdup(a->cfg.task.metric);
    } else if (a->task->metric) {
        a->metric = xstrdup(a->task->metric);
    }
    if (*a->cfg.task.direction)
        a->lower_is_better = !strcmp(a->cfg.task.direction, "lower");
    else if (a->task->lower_is_better >= 0)
        a->lower_is_better = a->task->lower_is_better == 1;
}

/* Archives of the task are unpacked into the run's data view, RUN/data. */
static char *unpack_dir_for(const char *run_dir)
{
    return fs_join(run_dir, "data");
}

static int open_task(struct agent *a, const struct agent_open_opts *o, struct err *err)
{
    struct task_opts topts = {
        .dir = o->task_dir,
        .data_dir = *a->cfg.task.data_dir ? a->cfg.task.data_dir : NULL,
        .goal = *a->cfg.task.goal ? a->cfg.task.goal : NULL,
        .eval = *a->cfg.task.eval ? a->cfg.task.eval : NULL,
        .metric = a->cfg.task.metric,
        .direction = a->cfg.task.direction,
    };
    char *metric_origin = config_origin_text(&a->cfg, "task.metric");
    char *direction_origin = config_origin_text(&a->cfg, "task.direction");
    topts.metric_origin = metric_origin;
    topts.direction_origin = direction_origin;
    char *name = task_name_for(&topts);
    char *unpack_dir = NULL;
    if (name && !a->run_dir)
        a->run_dir = (o->run_dir && *o->run_dir) ? xstrdup(o->run_dir) : default_run_dir(name);
    if (a->run_dir)
        topts.unpack_dir = unpack_dir = unpack_dir_for(a->run_dir);
    int rc = task_open(&topts, &a->task, err);
    free(unpack_dir);
    free(name);
    free(metric_origin);
    free(direction_origin);
    if (rc < 0)
        return -1;
    if (!a->task->train)
        return err_set(err, "no training file found in %s (expected a table named like train*.csv, train.tsv, "
                       "train.json, train.jsonl or *labels*.csv, possibly inside an archive, or one holding every "
                       "column of the sample submission, or image/audio files labelled by folder or name)%s%s",
                       a->task->data_dir, a->task->labels_note ? ": " : "",
                       a->task->labels_note ? a->task->labels_note : "");
    struct profile *p = NULL;
    if (profile_task(a->task, &p, err) < 0)
        return err_prefix(err, "profiling %s", a->task->data_dir);
    a->profile = profile_to_json(p);
    a->profile_md = profile_to_markdown(p, PROFILE_MD_MAX);
    profile_free(p);
    set_metric_from_task(a);
    return 0;
}

static int open_services(struct agent *a, struct err *err)
{
    if (exec_discover(a->cfg.exec.python, &a->pyenv, err) < 0)
        return -1;
    a->env_text = pyenv_describe(&a->pyenv);
    agent_register_builtin();
    a->llm = llm_client_new(&a->cfg, err);
    if (!a->llm)
        return -1;
    store_llm_recorder(a->store, &a->recorder);
    llm_client_set_recorder(a->llm, &a->recorder);
    if (search_catalog_open(a->cfg.search.catalog_dir, &a->catalog, err) < 0)
        return -1;
    a->slots = a->cfg.exec.slots > 0 ? (int)a->cfg.exec.slots : (a->pyenv.cores > 0 ? a->pyenv.cores : 1);
    a->pool = exec_pool_new(a->slots);
    return 0;
}

int agent_open(const struct agent_open_opts *o, struct agent **out, struct err *err)
{
    struct agent *a = xcalloc(1, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    config_copy(&a->cfg, o->cfg);
    *out = a;
    if (o->resume && (!o->run_dir || !*o->run_dir))
        return err_set(err, "resume needs the run folder");
    if (open_task(a, o, err) < 0)
        return -1;
    if (!a->run_dir)
        a->run_dir = (o->run_dir && *o->run_dir) ? xstrdup(o->run_dir) : default_run_dir(a->task->name);
    if (open_journal(a, o, err) < 0)
        return -1;
    if (open_services(a, err) < 0)
        return -1;
    a->t_start = time_mono();
    if (a->cfg.run.time_limit > 0)
        a->deadline = a->t_start + a->cfg.run.time_limit - a->time_used_before;
    return 0;
}

void agent_close(struct agent *a)
{
    if (!a)
        return;
    if (a->pool)
        exec_pool_free(a->pool);
    if (a->llm)
        llm_client_free(a->llm);
    search_catalog_free(a->catalog);
    if (a->store)
        store_close(a->store);
    pyenv_free(&a->pyenv);
    free(a->env_text);
    json_decref(a->profile);
    json_decref(a->task_facts);
    callkey_free(a->asked_calls);
    free(a->profile_md);
    if (a->task)
        task_free(a->task);
    free(a->run_dir);
    free(a->metric);
    config_free(&a->cfg);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
