/* guard_debug.c - every script of the pipeline runs through here.
 *
 * guard_run_script(): the leakage check (when asked) before the first run,
 * then run; on failure, up to pipeline.debug_rounds rounds of "here is the
 * script and its error, return the fixed script"; when those fail, up to
 * pipeline.regenerations fresh rewrites through the job's regenerate
 * callback, each with its own debug rounds. Each version is a node in the
 * journal (debug versions are children of the version they fix), so the
 * report shows the debug attempts behind every node. Nothing here fails
 * the run: a script that never works comes back with sol->ok false and the
 * caller falls back to the last script known to run.
 *
 * It also applies the deterministic half of the leakage guard: every
 * script reads the test file to write its test predictions (the search's
 * are the fallback submission, fallback.c), so a script that opened the
 * test file and wrote no predictions used the test rows for something else:
 * it is flagged in the journal (event "leak_flag" and the node's note).
 * Each working search script's predictions are offered as the fallback.
 *
 * Time: a script whose part of the run has no time left is not started,
 * and a failed one is not debugged then (agent_exec, budget.h). */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

static char *label_of(const char *call_id, const char *suffix)
{
    /* "lane0/t1/k2" -> "t1-k2-<suffix>" (the area is the first component) */
    const char *rest = strchr(call_id, '/');
    char *label = xasprintf("%s-%s", rest ? rest + 1 : call_id, suffix);
    for (char *p = label; *p; p++)
        if (*p == '/' || *p == '#' || *p == ' ')
            *p = '-';
    return label;
}

static int64_t add_node(struct agent *a, const struct script_job *job, const char *key, const char *stage,
                        int64_t parent, const char *code, bool first)
{
    struct store_node n = {
        .node_key = key,
        .parent_id = parent,
        .parent2_id = first ? job->parent2_id : 0,
        .lane = job->lane,
        .stage = stage,
        .outer_step = job->outer_step,
        .inner_step = job->inner_step,
        .model_name = job->model_name,
        .plan = first ? job->plan : NULL,
        .code = code,
        .block_before = first ? job->block_before : NULL,
        .block_after = first ? job->block_after : NULL,
        .diff = first ? job->diff : NULL,
        .status = "pending",
    };
    int64_t id = 0;
    struct err err = {{0}};
    if (store_node_add(a->store, &n, &id, &err) < 0)
        log_warn("journal: %s", err.msg);
    /* report/progress: which stage, lane, t and k each lane is at */
    json_t *d = json_pack("{s:I,s:s,s:s,s:i,s:i,s:i}", "node", (json_int_t)id, "key", key, "stage", stage, "lane",
                          job->lane, "outer_step", job->outer_step, "inner_step", job->inner_step);
    agent_event(a, "script_started", d);
    json_decref(d);
    return id;
}

static bool opened_test_file(struct agent *a, const struct exec_result *r)
{
    if (!a->task->test)
        return false;
    for (size_t i = 0; i < r->nfiles_read; i++)
        if (strstr(r->files_read[i], a->task->test->rel_path))
            return true;
    return false;
}

static void finish_node(struct agent *a, const struct script_job *job, int64_t id, const struct run_outcome *o,
                        bool ok)
{
    const char *note = NULL;
    if (!job->submit_mode && opened_test_file(a, &o->res) && !o->res.has_submission) {
        note = "leak flag: opened the test file but wrote no test predictions";
        json_t *d = json_pack("{s:I,s:s}", "node", (json_int_t)id, "call_id", job->call_id);
        agent_event(a, "leak_flag", d);
        json_decref(d);
        log_warn("%s: %s", job->call_id, note);
    }
    struct err err = {{0}};
    if (store_node_update(a->store, id, ok ? "ok" : "failed", o->res.has_score, o->res.score, note, &err) < 0)
        log_warn("journal: %s", err.msg);
}

static void fill_solution(struct solution *sol, int64_t id, const char *code, const struct run_outcome *o,
                          const char *attempt_dir, bool ok)
{
    solution_clear(sol);
    sol->node_id = id;
    sol->code = xstrdup(code);
    sol->ok = ok;
    sol->has_score = o->res.has_score;
    sol->score = o->res.score;
    sol->attempt_dir = xstrdup(attempt_dir);
    sol->files_read = o->res.nfiles_read ? xcalloc(o->res.nfiles_read, sizeof *sol->files_read) : NULL;
    for (size_t i = 0; i < o->res.nfiles_read; i++)
        sol->files_read[sol->nfiles_read++] = xstrdup(o->res.files_read[i]);
}

static char *ask_fix(struct agent *a, const char *call_id, const char *code, const struct run_outcome *o,
                     const struct script_job *job)
{
    char *error = run_outcome_error_text(o, job->need_score, job->submit_mode);
    json_t *vars = json_pack("{s:s,s:s}", "code", code, "error", error);
    json_t *ctx = json_pack("{s:s,s:s,s:s}", "code", code, "error", error, "for_stage", job->stage);
    struct err err = {{0}};
    char *fixed = agent_ask_code(a, "debug", call_id, vars, ctx, &err);
    json_decref(vars);
    json_decref(ctx);
    free(error);
    return fixed;
}

/* true when the job's part of the run leaves time for one more version
 * (a fix or a regeneration) to run: no LLM call is spent on one that could not. */
static bool time_for_another_try(struct agent *a, const struct script_job *job)
{
    double deadline = budget_part_deadline(a, budget_part_of(job->stage));
    return deadline <= 0 || deadline - time_mono() > 2 * BUDGET_MIN_START_S;
}

/* Runs `code` with up to debug_rounds fixes. Returns 1 when it worked,
 * 0 when not, -1 when interrupted. *code_io and *id_io follow the versions. */
static int run_with_debug(struct agent *a, const struct script_job *job, const char *key, char **code_io,
                          int64_t *id_io, struct solution *sol)
{
    for (long round = 0;; round++) {
        char suffix[32];
        snprintf(suffix, sizeof suffix, "r%ld", round);
        char *label = label_of(key, suffix);
        struct run_outcome o;
        struct err err = {{0}};
        if (agent_exec(a, job->area, label, *id_io, *code_io, job->stage, job->submit_mode, &o, &err) < 0) {
            log_info("%s: %s", job->call_id, err.msg);
            free(label);
            return -1;
        }
        bool ok = run_outcome_ok(&o, job->need_score, job->submit_mode);
        finish_node(a, job, *id_io, &o, ok);
        char *dir = xasprintf("%s/%s/%s", a->run_dir, job->area, label);
        fill_solution(sol, *id_io, *code_io, &o, dir, ok);
        if (ok && !job->submit_mode)
            fallback_offer(a, job->stage, *id_io, *code_io, dir, &o.res);
        free(dir);
        free(label);
        if (ok || round >= a->cfg.pipeline.debug_rounds || a->interrupted || !time_for_another_try(a, job)) {
            run_outcome_free(&o);
            return ok ? 1 : (a->interrupted ? -1 : 0);
        }
        char *debug_key = xasprintf("%s/debug%ld", key, round + 1);
        char *fixed = ask_fix(a, debug_key, *code_io, &o, job);
        run_outcome_free(&o);
        if (!fixed) {
            free(debug_key);
            return 0;
        }
        *id_io = add_node(a, job, debug_key, "debug", *id_io, fixed, false);
        free(debug_key);
        free(*code_io);
        *code_io = fixed;
    }
}

int guard_run_script(struct agent *a, const struct script_job *job, const char *code, struct solution *sol)
{
    char *current = job->check_leakage && a->cfg.pipeline.leakage_check ? guard_leakage(a, job->call_id, code)
                                                                          : xstrdup(code);
    int64_t id = add_node(a, job, job->call_id, job->stage, job->parent_id, current, true);
    int rc = run_with_debug(a, job, job->call_id, &current, &id, sol);
    for (int g = 1; rc == 0 && job->regenerate && g <= a->cfg.pipeline.regenerations && !agent_should_stop(a) &&
                    time_for_another_try(a, job);
         g++) {
        char *fresh = job->regenerate(a, job->regenerate_ctx, g);
        if (!fresh)
            break;
        char *key = xasprintf("%s/regen%d", job->call_id, g);
        log_info("%s: debugging failed; regenerating (attempt %d)", job->call_id, g);
        free(current);
        current = job->check_leakage && a->cfg.pipeline.leakage_check ? guard_leakage(a, key, fresh)
                                                                       : xstrdup(fresh);
        free(fresh);
        id = add_node(a, job, key, job->stage, job->parent_id, current, true);
        rc = run_with_debug(a, job, key, &current, &id, sol);
        free(key);
    }
    free(current);
    return rc < 0 ? -1 : 0;
}
