/* bench_job.c - one benchmark run folder: deciding what to do with it, and
 * turning what the agent left there into a graded row; see bench_runner.h.
 *
 * Everything a row says comes from files, never from the child's memory:
 * the journal (status, message, elapsed time, tokens, cost), the final
 * submission (graded with grade_submission on the task folder, which reads
 * private/ that the agent never saw) and, when there is no journal, the
 * last "mlestar: " line of agent.log as the reason. A finished row is
 * written to result.json atomically, which is what makes a bench
 * resumable: a row is either there whole or not at all. */
#include "cli/bench_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define RESULT_NAME "result.json"
#define AGENT_LOG_NAME "agent.log"

void bench_job_init(struct bench_job *job, const char *task, const char *task_dir, long seed, const char *bench_dir)
{
    memset(job, 0, sizeof *job);
    job->task_dir = xstrdup(task_dir);
    job->run_dir = xasprintf("%s/%s/seed%ld", bench_dir, task, seed);
    job->action = BENCH_RUN;
    job->row.task = xstrdup(task);
    job->row.seed = seed;
    job->row.status = xstrdup("pending");
    job->row.run_dir = xstrdup(job->run_dir);
    job->row.lower_is_better = -1;
    job->row.agent_exit = -1;
}

void bench_job_free(struct bench_job *job)
{
    if (!job)
        return;
    free(job->task_dir);
    free(job->run_dir);
    bench_row_free(&job->row);
    memset(job, 0, sizeof *job);
}

/* ---- the journal ---------------------------------------------------------- */

struct journal_info {
    char *status;       /* malloc'd */
    char *message;      /* malloc'd; "" when none */
    double elapsed_s;   /* agent time over all its starts */
    long long input_tokens, output_tokens;
    double cost_usd;
};

static void journal_info_free(struct journal_info *ji)
{
    free(ji->status);
    free(ji->message);
    memset(ji, 0, sizeof *ji);
}

/* Reads RUN/run.db; -1 with err when there is none or it holds no run. */
static int read_journal(const char *run_dir, struct journal_info *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    char *db = fs_join(run_dir, STORE_DB_NAME);
    bool exists = fs_exists(db);
    free(db);
    if (!exists)
        return err_set(err, "no journal in %s", run_dir);
    struct store *s = NULL;
    if (store_open_readonly(run_dir, &s, err) < 0) /* looking never migrates */
        return -1;
    json_t *run = store_run_json(s, err);
    store_close(s);
    if (!run)
        return -1;
    out->status = xstrdup(json_str(run, "status", "unknown"));
    out->message = xstrdup(json_str(run, "message", ""));
    json_t *usage = json_object_get(run, "usage");
    out->elapsed_s = json_num(usage, "elapsed_s", 0);
    if (out->elapsed_s <= 0)
        out->elapsed_s = json_num(run, "wall_s", 0);
    json_t *llm = json_object_get(json_object_get(run, "totals"), "llm");
    out->input_tokens = json_int(llm, "input_tokens", 0);
    out->output_tokens = json_int(llm, "output_tokens", 0);
    out->cost_usd = json_num(llm, "cost_usd", 0);
    json_decref(run);
    return 0;
}

static bool status_is_resumable(const char *status)
{
    return !strcmp(status, "interrupted") || !strcmp(status, "running");
}

/* ---- planning --------------------------------------------------------------- */

/* Loads RUN/result.json into the row; false when absent or unusable. */
static bool load_result(struct bench_job *job)
{
    char *path = fs_join(job->run_dir, RESULT_NAME);
    bool loaded = false;
    if (fs_exists(path)) {
        json_error_t jerr;
        json_t *obj = json_load_file(path, 0, &jerr);
        struct err err = {{0}};
        struct bench_row row;
        if (!obj)
            err_set(&err, "%s (line %d)", jerr.text, jerr.line);
        else if (bench_row_from_json(obj, &row, &err) == 0) {
            loaded = row.done && !strcmp(row.task, job->row.task) && row.seed == job->row.seed;
            if (loaded) {
                bench_row_set_str(&row.run_dir, job->run_dir);
                bench_row_free(&job->row);
                job->row = row;
            } else {
                err_set(&err, "it records another task or seed, or an unfinished run");
                bench_row_free(&row);
            }
        }
        if (!loaded)
            log_warn("%s is not a usable result (%s); the run is taken up again", path, err.msg);
        json_decref(obj);
    }
    free(path);
    return loaded;
}

void bench_job_plan(struct bench_job *job)
{
    if (load_result(job)) {
        job->action = BENCH_SKIP;
        job->finished = true;
        return;
    }
    struct journal_info ji;
    struct err err = {{0}};
    if (read_journal(job->run_dir, &ji, &err) < 0) {
        job->action = BENCH_RUN;
        return;
    }
    job->action = status_is_resumable(ji.status) ? BENCH_RESUME : BENCH_GRADE;
    journal_info_free(&ji);
}

/* ---- finishing ---------------------------------------------------------------- */

/* The last "mlestar: ..." line of agent.log (malloc'd), or NULL. */
static char *agent_log_error(const char *run_dir)
{
    char *path = fs_join(run_dir, AGENT_LOG_NAME);
    char *tail = NULL;
    char *found = NULL;
    if (fs_read_tail(path, 8192, &tail, NULL) == 0) {
        for (char *line = strtok(tail, "\n"); line; line = strtok(NULL, "\n"))
            if (!strncmp(line, "mlestar: ", 9)) {
                free(found);
                found = xstrdup(line + 9);
            }
    }
    free(tail);
    free(path);
    return found;
}

/* Why there is no submission, malloc'd. */
static char *no_submission_reason(const struct bench_job *job, const struct journal_info *ji, int wait_status)
{
    if (job->timed_out)
        return xstrdup("no submission: the agent outlived its time limit and was stopped");
    if (wait_status != -1 && WIFSIGNALED(wait_status))
        return xasprintf("no submission: the agent was killed by signal %d", WTERMSIG(wait_status));
    if (ji && ji->message && *ji->message)
        return xasprintf("no submission: %s", ji->message);
    char *logged = agent_log_error(job->run_dir);
    char *reason;
    if (logged)
        reason = xasprintf("no submission: %s", logged);
    else if (wait_status != -1 && WIFEXITED(wait_status))
        reason = xasprintf("no submission: the agent exited with status %d (see %s/%s)", WEXITSTATUS(wait_status),
                           job->run_dir, AGENT_LOG_NAME);
    else
        reason = xstrdup("no submission");
    free(logged);
    return reason;
}

/* Grades RUN/final/submission.csv into the row; returns the grade as JSON
 * (null when the task could not be graded). */
static json_t *grade_row(struct bench_job *job, const struct journal_info *ji, int wait_status)
{
    char *sub = xasprintf("%s/final/submission.csv", job->run_dir);
    bool have_sub = fs_is_file(sub);
    struct grade_result g;
    struct err err = {{0}};
    json_t *grade = json_null();
    if (grade_submission(job->task_dir, sub, &g, &err) < 0) {
        char *reason = xasprintf("cannot grade: %s", err.msg);
        bench_row_set_invalid(&job->row, reason);
        free(reason);
    } else {
        bench_row_set_grade(&job->row, &g);
        if (!have_sub) {
            char *reason = no_submission_reason(job, ji, wait_status);
            bench_row_set_invalid(&job->row, reason);
            free(reason);
        }
        json_decref(grade);
        grade = grade_result_json(&g);
        grade_result_free(&g);
    }
    free(sub);
    return grade;
}

static const char *row_status(const struct bench_job *job, const struct journal_info *ji, bool have_journal,
                              int wait_status, bool interrupted)
{
    if (job->timed_out)
        return "timeout";
    if (wait_status != -1 && WIFSIGNALED(wait_status) && !interrupted)
        return "crashed";
    return have_journal ? ji->status : "error";
}

static void write_result(const struct bench_job *job, json_t *grade)
{
    json_t *obj = bench_row_json(&job->row);
    json_object_set(obj, "grade", grade);
    char stamp[32];
    time_iso8601(time_wall(), stamp, sizeof stamp);
    json_object_set_new(obj, "graded_at", json_string(stamp));
    char *dumped = json_dumps(obj, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    char *text = dumped ? xasprintf("%s\n", dumped) : NULL;
    free(dumped);
    char *path = fs_join(job->run_dir, RESULT_NAME);
    struct err err = {{0}};
    if (!text || fs_write_atomic(path, text, strlen(text), &err) < 0)
        log_error("cannot record the result of %s seed %ld: %s", job->row.task, job->row.seed, err.msg);
    free(path);
    free(text);
    json_decref(obj);
}

void bench_job_finish(struct bench_job *job, int wait_status, bool interrupted)
{
    struct bench_row *row = &job->row;
    struct journal_info ji = {0};
    struct err err = {{0}};
    bool have_journal = read_journal(job->run_dir, &ji, &err) == 0;
    row->agent_exit = wait_status != -1 && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
    const char *status = row_status(job, &ji, have_journal, wait_status, interrupted);
    row->wall_s = have_journal ? ji.elapsed_s : (job->started > 0 ? time_mono() - job->started : 0);
    row->input_tokens = have_journal ? ji.input_tokens : 0;
    row->output_tokens = have_journal ? ji.output_tokens : 0;
    row->cost_usd = have_journal ? ji.cost_usd : 0;
    job->finished = true;
    if (interrupted && !job->timed_out && (!have_journal || status_is_resumable(status))) {
        bench_row_set_str(&row->status, "interrupted");
        row->done = false;
        journal_info_free(&ji);
        return;
    }
    bench_row_set_str(&row->status, status);
    json_t *grade = grade_row(job, have_journal ? &ji : NULL, wait_status);
    write_result(job, grade);
    json_decref(grade);
    journal_info_free(&ji);
}
