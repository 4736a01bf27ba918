/* agent_exec.c - running one script of the pipeline, memoized.
 *
 * Each run gets its own attempt folder RUN/<area>/<label>/ (area: lane0,
 * lane1, ensemble, final; label: the step, e.g. "t1-k2-refine-r0"), named
 * from the step rather than a counter so a resumed run finds the same
 * folders. The journal key is the label plus a hash of the code: a step
 * whose script already ran is answered from the journal, never re-run.
 *
 * Every script gets the hard deadline of its part of the run (budget.h)
 * and is not started when that part has no time left.
 *
 * In submission mode the produced final/submission.csv is validated against
 * the sample submission (columns, ids, row count, missing values, ranges);
 * an invalid file fails the run like a crash does, so it goes back through
 * the debugger. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/submission.h"
#include "code/trim.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define ERROR_TEXT_MAX 6000

static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void run_outcome_free(struct run_outcome *o)
{
    exec_result_free(&o->res);
    free(o->submission_error);
    memset(o, 0, sizeof *o);
}

bool run_outcome_ok(const struct run_outcome *o, bool need_score, bool need_submission)
{
    if (o->res.status != EXEC_OK)
        return false;
    if (need_score && !o->res.has_score)
        return false;
    if (need_submission && !o->valid_submission)
        return false;
    if (o->subsample_dropped)
        return false;
    return true;
}

char *run_outcome_error_text(const struct run_outcome *o, bool need_score, bool need_submission)
{
    struct buf b = {0};
    const struct exec_result *r = &o->res;
    switch (r->status) {
    case EXEC_TIMEOUT:
        buf_printf(&b, "The script was killed after running %.0f seconds: it exceeded its time limit. "
                       "Make it faster (fewer rounds, fewer folds, smaller models).\n", r->wall_s);
        break;
    case EXEC_OOM:
        buf_printf(&b, "The script was killed for using too much memory (peak %.0f MB). Use less memory.\n",
                   (double)r->peak_rss_bytes / 1048576.0);
        break;
    case EXEC_SIGNALED:
        buf_printf(&b, "The script was killed by signal %d.\n", r->signal);
        break;
    case EXEC_FAILED:
        buf_printf(&b, "The script exited with status %d.\n", r->exit_code);
        break;
    default:
        break;
    }
    if (r->status == EXEC_OK && need_score && !r->has_score)
        buf_puts(&b, "The script finished but did not print a finite `Final Validation Performance: <score>` "
                     "line.\n");
    if (r->status == EXEC_OK && need_submission && !o->valid_submission)
        buf_printf(&b, "The submission file is not valid: %s\n",
                   o->submission_error ? o->submission_error : "./final/submission.csv was not written");
    if (r->status == EXEC_OK && o->subsample_dropped)
        buf_printf(&b, "The script trains on %ld rows (its `Training rows:` line), more than the search's "
                       "subsample allows. Keep the random subsample of the training data during the search "
                       "(only the final submission uses all rows).\n", o->rows_reported);
    if (r->nfiles_blocked)
        buf_printf(&b, "The sandbox refused to let it open %s (only ./input and the working folder are "
                       "readable).\n", r->files_blocked[0]);
    if (r->stderr_tail && *r->stderr_tail) {
        char *trimmed = code_trim_output(r->stderr_tail, ERROR_TEXT_MAX);
        buf_printf(&b, "Its standard error ends with:\n%s\n", trimmed);
        free(trimmed);
    } else if (r->stdout_tail && *r->stdout_tail) {
        char *trimmed = code_trim_output(r->stdout_tail, ERROR_TEXT_MAX / 2);
        buf_printf(&b, "Its output ends with:\n%s\n", trimmed);
        free(trimmed);
    }
    return buf_detach(&b);
}

static void submission_rules(struct agent *a, struct submission_rules *rules)
{
    memset(rules, 0, sizeof *rules);
    rules->id_columns = (const char *const *)a->task->id_columns;
    rules->n_id = a->task->n_id_columns;
    const char *m = a->metric ? a->metric : "";
    bool probs = a->task->sub_format == TASK_SUB_CLASS_PROBS || strstr(m, "auc") || strstr(m, "logloss") ||
                 strstr(m, "log_loss");
    rules->probabilities = probs;
    rules->rows_sum_to_one = a->task->sub_format == TASK_SUB_CLASS_PROBS && a->task->n_target_columns > 1;
    rules->sum_tolerance = 1e-6;
    rules->nonnegative = strstr(m, "rmsle") != NULL;
    rules->positive = !strcmp(m, "rmse_log");
}

char *agent_check_submission(struct agent *a, const char *path)
{
    if (!a->task->sample_submission)
        return NULL; /* nothing to compare with */
    struct submission_rules rules;
    submission_rules(a, &rules);
    struct err err = {{0}};
    if (code_check_submission(path, a->task->sample_submission->abs_path, &rules, &err) < 0)
        return xstrdup(err.msg);
    return NULL;
}

static void validate_submission(struct agent *a, struct run_outcome *o)
{
    o->valid_submission = false;
    if (!o->res.has_submission) {
        o->submission_error = xstrdup("./final/submission.csv was not written");
        return;
    }
    o->submission_error = agent_check_submission(a, o->res.submission_path);
    o->valid_submission = o->submission_error == NULL;
}

/* The last `Training rows: <n>` line of a text, -1 when none. */
static long last_rows_line(const char *text)
{
    static const char tag[] = "Training rows:";
    long rows = -1;
    for (const char *p = text ? strstr(text, tag) : NULL; p; p = strstr(p + 1, tag)) {
        if (p != text && p[-1] != '\n')
            continue;
        char *end;
        long v = strtol(p + sizeof tag - 1, &end, 10);
        if (end != p + sizeof tag - 1 && v >= 0)
            rows = v;
    }
    return rows;
}

/* A search script must keep the subsample (a debug fix or a refinement that
 * drops it would make its score incomparable and its runs slow): the row
 * count it reports is checked against pipeline.subsample_rows. */
static void check_subsample(struct agent *a, struct run_outcome *o, const char *dir, const char *label,
                            bool submit_mode)
{
    o->rows_reported = last_rows_line(o->res.stdout_tail);
    if (o->rows_reported < 0) {
        char *path = fs_join(dir, "stdout.txt"), *text = NULL;
        struct err err = {{0}};
        if (fs_read_tail(path, 1 << 18, &text, &err) >= 0)
            o->rows_reported = last_rows_line(text);
        free(text);
        free(path);
    }
    long limit = a->cfg.pipeline.subsample_rows;
    o->subsample_dropped = !submit_mode && limit > 0 && o->rows_reported > limit;
    if (o->subsample_dropped) {
        char detail[160];
        snprintf(detail, sizeof detail, "trains on %ld rows, more than the subsample of %ld: rejected", o->rows_reported,
                 limit);
        agent_recovery(a, "subsample_rejected", label, detail);
    }
}

/* The request, with the hard deadline of the script's part of the run. In
 * the last parts (ensemble, final step) the sandbox's grace period (SIGTERM
 * to SIGKILL) comes off it, so even a script that ignores SIGTERM is gone
 * by the deadline; a search script's grace may spill into the ensemble's
 * reserve, which is optional. */
static struct exec_request make_request(struct agent *a, const char *code, const char *dir, double deadline,
                                        enum budget_part part)
{
    struct exec_request req = {
        .script = code,
        .attempt_dir = dir,
        .task = a->task,
        .python = a->pyenv.python,
        .limits = exec_limits_from_config(&a->cfg, a->slots),
        .cancel = &a->interrupted,
    };
    if (deadline > 0)
        req.limits.deadline_mono = deadline - (part >= BUDGET_ENSEMBLE ? req.limits.grace_s : 0);
    return req;
}

static void event_finished(struct agent *a, const char *area, const char *label, int64_t node_id,
                           const struct run_outcome *o, bool cached)
{
    json_t *d = json_pack("{s:s,s:s,s:I,s:s,s:f,s:b}", "area", area, "label", label, "node", (json_int_t)node_id,
                          "status", exec_status_name(o->res.status), "wall_s", o->res.wall_s, "cached", cached);
    if (o->res.has_score)
        json_object_set_new(d, "score", json_real(o->res.score));
    agent_event(a, "script_finished", d);
    json_decref(d);
}

int agent_exec(struct agent *a, const char *area, const char *label, int64_t node_id, const char *code,
               const char *stage, bool submit_mode, struct run_outcome *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    char *area_dir = fs_join(a->run_dir, area);
    char *dir = fs_join(area_dir, label);
    free(area_dir);
    char *key = xasprintf("%s/%s:%016llx", area, label, fnv1a(code));
    int found = store_exec_lookup(a->store, key, &out->res, err);
    if (found < 0)
        log_warn("journal: %s", err->msg);
    bool cached = found == 1;
    if (!cached) {
        if (a->interrupted) {
            free(key);
            free(dir);
            return err_set(err, "interrupted");
        }
        enum budget_part part = budget_part_of(stage);
        struct exec_request req = make_request(a, code, dir, budget_part_deadline(a, part), part);
        if (req.limits.deadline_mono > 0 && req.limits.deadline_mono - time_mono() < BUDGET_MIN_START_S) {
            free(key);
            free(dir);
            return err_set(err, "no time left for %s/%s before the run's deadline", area, label);
        }
        pthread_mutex_lock(&a->lock);
        a->scripts_running++;
        pthread_mutex_unlock(&a->lock);
        log_debug("running %s/%s", area, label); /* the progress display prints script_finished */
        int rc = exec_pool_run(a->pool, &req, &out->res, err);
        pthread_mutex_lock(&a->lock);
        a->scripts_running--;
        a->scripts_run++;
        pthread_mutex_unlock(&a->lock);
        if (rc < 0) {
            free(key);
            free(dir);
            return -1;
        }
    }
    budget_note(a, stage, out->res.wall_s, out->res.status == EXEC_OK, out->res.has_score, out->res.score);
    if (submit_mode)
        validate_submission(a, out);
    check_subsample(a, out, dir, label, submit_mode);
    /* the execution's record and its event are one step of the journal */
    struct err jerr = {{0}};
    bool stepped = store_step_begin(a->store, &jerr) == 0;
    if (!cached && out->res.status != EXEC_CANCELLED && store_exec_save(a->store, key, node_id, dir, &out->res, &jerr) < 0)
        log_warn("journal: %s", jerr.msg);
    event_finished(a, area, label, node_id, out, cached);
    if (stepped && store_step_commit(a->store, &jerr) < 0)
        log_warn("journal: %s", jerr.msg);
    free(key);
    free(dir);
    return 0;
}
