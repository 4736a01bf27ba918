/* run.c - the run row: what was run, with which settings, and how it ended.
 *
 * The journal holds exactly one run (the row with id 1). Its settings are a
 * JSON object chosen by the pipeline (the settings that change what a run
 * computes); on resume store_run_check_settings() flattens the recorded and
 * the current object into dotted names and reports every name whose value
 * differs, in name order, so the refusal message says exactly what changed. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/timeutil.h"

static bool valid_status(const char *status)
{
    static const char *const statuses[] = {"running", "finished", "failed", "interrupted", "budget", NULL};
    for (int i = 0; statuses[i]; i++)
        if (status && strcmp(status, statuses[i]) == 0)
            return true;
    return false;
}

/* Steps an UPDATE of the run row and checks that the row exists. Finalizes st. */
static int run_update(struct store *s, sqlite3_stmt *st, struct err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return st_error(s, err, "cannot update the run");
    if (sqlite3_changes(s->db) != 1)
        return err_set(err, "%s: no run is recorded in this journal", s->db_path);
    return 0;
}

/* Runs one UPDATE of the run row in its own transaction; bind() binds its
 * parameters (the last parameter is always updated_at). */
static int run_update_tx(struct store *s, const char *sql, void (*bind)(sqlite3_stmt *, const void *),
                         const void *arg, struct err *err)
{
    sqlite3_stmt *st;
    if (st_begin(s, true, err) < 0)
        return -1;
    if (st_prepare(s, sql, &st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    bind(st, arg);
    sqlite3_bind_double(st, sqlite3_bind_parameter_count(st), time_wall());
    if (run_update(s, st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    return st_commit(s, err);
}

/* ---- begin -------------------------------------------------------------- */

static int refuse_second_run(struct store *s, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s, "SELECT task_name, started_at FROM run WHERE id = 1", &st, err) < 0)
        return -1;
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        char when[32];
        time_iso8601(sqlite3_column_double(st, 1), when, sizeof when);
        result = err_set(err, "%s already holds a run of task %s started %s: resume it with `mlestar resume %s`, "
                         "or choose another run folder",
                         s->db_path, (const char *)sqlite3_column_text(st, 0), when, s->run_dir);
    } else if (rc != SQLITE_DONE) {
        result = st_error(s, err, "cannot read the run");
    }
    sqlite3_finalize(st);
    return result;
}

static int insert_run(struct store *s, const char *task_name, const char *task_dir, const char *config_ini,
                      json_t *settings, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s,
                   "INSERT INTO run (id, task_name, task_dir, config_ini, settings, status, started_at, updated_at)"
                   " VALUES (1, ?, ?, ?, ?, 'running', ?, ?)",
                   &st, err) < 0)
        return -1;
    double now = time_wall();
    st_bind_text(st, 1, task_name);
    st_bind_text(st, 2, task_dir);
    st_bind_text(st, 3, config_ini);
    st_bind_json(st, 4, settings);
    sqlite3_bind_double(st, 5, now);
    sqlite3_bind_double(st, 6, now);
    return st_run(s, st, "cannot record the run", err);
}

int store_run_begin(struct store *s, const char *task_name, const char *task_dir, const char *config_ini,
                    json_t *settings, struct err *err)
{
    if (!task_name || !*task_name)
        return err_set(err, "%s: a run needs a task name", s->db_path);
    if (settings && !json_is_object(settings))
        return err_set(err, "%s: the run's settings must be a JSON object", s->db_path);
    if (st_begin(s, true, err) < 0)
        return -1;
    if (refuse_second_run(s, err) < 0 || insert_run(s, task_name, task_dir, config_ini, settings, err) < 0) {
        st_rollback(s);
        return -1;
    }
    return st_commit(s, err);
}

bool store_run_exists(struct store *s)
{
    sqlite3_stmt *st;
    bool exists = false;
    if (st_begin(s, false, NULL) < 0)
        return false;
    if (st_prepare(s, "SELECT 1 FROM run WHERE id = 1", &st, NULL) == 0) {
        exists = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    st_commit(s, NULL);
    return exists;
}

/* ---- settings ----------------------------------------------------------- */

/* Flattens nested objects into {"a.b.c": leaf}. */
static void flatten(json_t *value, const char *prefix, json_t *flat)
{
    if (!json_is_object(value)) {
        json_object_set(flat, prefix, value);
        return;
    }
    const char *key;
    json_t *child;
    json_object_foreach(value, key, child) {
        char *name = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
        flatten(child, name, flat);
        free(name);
    }
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void describe_value(struct buf *b, json_t *value)
{
    if (!value) {
        buf_puts(b, "(absent)");
        return;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    buf_puts(b, text ? text : "?");
    free(text);
}

/* Appends "name: journal A, now B" for every differing name. */
static void describe_differences(json_t *journal, json_t *now, struct buf *out)
{
    size_t n = json_object_size(journal) + json_object_size(now);
    const char **names = xmalloc(n * sizeof *names);
    size_t count = 0;
    const char *key;
    json_t *value;
    json_object_foreach(journal, key, value) names[count++] = key;
    json_object_foreach(now, key, value) {
        if (!json_object_get(journal, key))
            names[count++] = key;
    }
    qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        json_t *was = json_object_get(journal, names[i]);
        json_t *is = json_object_get(now, names[i]);
        if (was && is && json_equal(was, is))
            continue;
        if (out->len)
            buf_puts(out, "; ");
        buf_printf(out, "%s: journal ", names[i]);
        describe_value(out, was);
        buf_puts(out, ", now ");
        describe_value(out, is);
    }
    free(names);
}

static int read_settings(struct store *s, json_t **out, struct err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    if (st_prepare(s, "SELECT settings FROM run WHERE id = 1", &st, err) < 0)
        return -1;
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        json_t *parsed = st_col_json_parsed(st, 0);
        *out = json_is_object(parsed) ? parsed : json_object();
        if (!json_is_object(parsed))
            json_decref(parsed);
    } else if (rc == SQLITE_DONE) {
        result = err_set(err, "%s: no run is recorded in this journal", s->db_path);
    } else {
        result = st_error(s, err, "cannot read the run's settings");
    }
    sqlite3_finalize(st);
    return result;
}

int store_run_check_settings(struct store *s, json_t *settings, char **difference, struct err *err)
{
    *difference = NULL;
    if (!json_is_object(settings))
        return err_set(err, "%s: the settings to compare must be a JSON object", s->db_path);
    json_t *recorded;
    if (st_begin(s, false, err) < 0)
        return -1;
    int rc = read_settings(s, &recorded, err);
    st_commit(s, NULL);
    if (rc < 0)
        return -1;
    json_t *flat_journal = json_object(), *flat_now = json_object();
    flatten(recorded, "", flat_journal);
    flatten(settings, "", flat_now);
    struct buf diff = {0};
    describe_differences(flat_journal, flat_now, &diff);
    json_decref(recorded);
    json_decref(flat_journal);
    json_decref(flat_now);
    if (!diff.len) {
        buf_free(&diff);
        return 0;
    }
    *difference = buf_detach(&diff);
    return 1;
}

/* ---- updates ------------------------------------------------------------ */

struct status_args {
    const char *status;
    const char *message;
    double now;
};

static void bind_status(sqlite3_stmt *st, const void *arg)
{
    const struct status_args *a = arg;
    st_bind_text(st, 1, a->status);
    st_bind_text(st, 2, a->message);
    bool ended = strcmp(a->status, "running") != 0;
    st_bind_opt_real(st, 3, ended, a->now);
}

int store_run_set_status(struct store *s, const char *status, const char *message, struct err *err)
{
    if (!valid_status(status))
        return err_set(err, "%s: unknown run status \"%s\" (expected %s)", s->db_path, status ? status : "",
                       STORE_RUN_STATUSES);
    struct status_args a = {status, message, time_wall()};
    return run_update_tx(s,
                         "UPDATE run SET status = ?1, message = coalesce(?2, message), ended_at = ?3,"
                         " updated_at = ?4 WHERE id = 1",
                         bind_status, &a, err);
}

static void bind_nothing(sqlite3_stmt *st, const void *arg)
{
    (void)st;
    (void)arg;
}

int store_run_resumed(struct store *s, struct err *err)
{
    return run_update_tx(s,
                         "UPDATE run SET status = 'running', ended_at = NULL, resumes = resumes + 1,"
                         " updated_at = ?1 WHERE id = 1",
                         bind_nothing, NULL, err);
}

struct best_args {
    double score;
    int64_t node_id;
};

static void bind_best(sqlite3_stmt *st, const void *arg)
{
    const struct best_args *a = arg;
    sqlite3_bind_double(st, 1, a->score);
    st_bind_id(st, 2, a->node_id);
}

int store_run_set_best(struct store *s, double score, int64_t node_id, struct err *err)
{
    struct best_args a = {score, node_id};
    return run_update_tx(s, "UPDATE run SET best_score = ?1, best_node_id = ?2, updated_at = ?3 WHERE id = 1",
                         bind_best, &a, err);
}

static void bind_usage(sqlite3_stmt *st, const void *arg)
{
    st_bind_json(st, 1, arg);
}

int store_run_set_usage(struct store *s, json_t *usage, struct err *err)
{
    return run_update_tx(s, "UPDATE run SET usage = ?1, updated_at = ?2 WHERE id = 1", bind_usage, usage, err);
}
