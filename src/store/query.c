/* query.c - reading the journal as JSON, for `runs`, `show` and the report.
 *
 * Every read runs in one read transaction, so it sees one consistent
 * snapshot even while the pipeline (maybe another process) is writing. Rows
 * become JSON objects named by their columns, with two conversions applied
 * by column name everywhere: columns holding JSON text (settings, usage,
 * request, sources, files_read, files_blocked, data) are parsed, and the
 * 0/1 flag columns become booleans. Text is made valid UTF-8 on the way out
 * (output tails cut at a byte limit may end inside a character). */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/timeutil.h"

static const char *const json_columns[] = {"settings", "usage", "request", "sources", "files_read",
                                           "files_blocked", "data", NULL};
static const char *const bool_columns[] = {"timed_out", "oom_killed", "output_truncated", "has_submission",
                                           "network_isolated", "memory_cgroup", NULL};

static bool in_list(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

static json_t *row_object(sqlite3_stmt *st)
{
    json_t *obj = json_object();
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        json_t *value;
        if (in_list(name, json_columns))
            value = st_col_json_parsed(st, i);
        else if (in_list(name, bool_columns) && sqlite3_column_type(st, i) != SQLITE_NULL)
            value = json_boolean(sqlite3_column_int(st, i) != 0);
        else
            value = st_col_json_value(st, i);
        json_object_set_new(obj, name, value);
    }
    return obj;
}

/* Steps a prepared statement to the end; returns the rows as an array, or
 * NULL with err. Finalizes st. */
static json_t *rows_json(struct store *s, sqlite3_stmt *st, struct err *err)
{
    json_t *rows = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(rows, row_object(st));
    if (rc != SQLITE_DONE) {
        st_error(s, err, "cannot read the journal");
        json_decref(rows);
        rows = NULL;
    }
    sqlite3_finalize(st);
    return rows;
}

/* Prepares sql, binds one optional integer parameter, returns the rows. */
static json_t *query(struct store *s, const char *sql, bool bind, int64_t param, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s, sql, &st, err) < 0)
        return NULL;
    if (bind)
        sqlite3_bind_int64(st, 1, param);
    return rows_json(s, st, err);
}

/* The first row of a query, or NULL (err set) when there is none. */
static json_t *query_one(struct store *s, const char *sql, bool bind, int64_t param, const char *missing,
                         struct err *err)
{
    json_t *rows = query(s, sql, bind, param, err);
    if (!rows)
        return NULL;
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    if (!row)
        err_set(err, "%s: %s", s->db_path, missing);
    return row;
}

/* ---- the run ------------------------------------------------------------ */

#define LLM_TOTALS                                                                                  \
    "count(*) AS calls, coalesce(sum(error_code <> 0), 0) AS failed_calls,"                         \
    " coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens," \
    " coalesce(sum(cached_tokens), 0) AS cached_tokens, total(cost_usd) AS cost_usd,"               \
    " total(latency_s) AS latency_s, total(queued_s) AS queued_s"

static json_t *llm_totals(struct store *s, struct err *err)
{
    json_t *all = query_one(s, "SELECT " LLM_TOTALS " FROM llm_calls", false, 0, "no LLM totals", err);
    json_t *stages = query(s,
                           "SELECT coalesce(stage, '') AS stage, " LLM_TOTALS
                           " FROM llm_calls GROUP BY 1 ORDER BY 1",
                           false, 0, err);
    if (!all || !stages) {
        json_decref(all);
        json_decref(stages);
        return NULL;
    }
    json_t *by_stage = json_object();
    size_t i;
    json_t *row;
    json_array_foreach(stages, i, row) {
        json_t *copy = json_copy(row);
        json_object_del(copy, "stage");
        json_object_set_new(by_stage, json_string_value(json_object_get(row, "stage")), copy);
    }
    json_decref(stages);
    json_object_set_new(all, "stages", by_stage);
    return all;
}

static json_t *run_totals(struct store *s, struct err *err)
{
    json_t *totals = query_one(s,
                               "SELECT (SELECT count(*) FROM nodes) AS nodes,"
                               " (SELECT count(*) FROM executions) AS executions,"
                               " (SELECT total(wall_s) FROM executions) AS exec_wall_s,"
                               " (SELECT count(*) FROM events) AS events",
                               false, 0, "no totals", err);
    json_t *llm = totals ? llm_totals(s, err) : NULL;
    if (!llm) {
        json_decref(totals);
        return NULL;
    }
    json_object_set_new(totals, "llm", llm);
    return totals;
}

static json_t *run_json_locked(struct store *s, struct err *err)
{
    json_t *run = query_one(s,
                            "SELECT task_name AS task, task_dir, status, message, started_at, ended_at, updated_at,"
                            " resumes, best_score, best_node_id, config_ini, settings, usage FROM run WHERE id = 1",
                            false, 0, "no run is recorded in this journal", err);
    if (!run)
        return NULL;
    json_t *totals = run_totals(s, err);
    if (!totals) {
        json_decref(run);
        return NULL;
    }
    double started = json_number_value(json_object_get(run, "started_at"));
    json_t *ended = json_object_get(run, "ended_at");
    double end = json_is_number(ended) ? json_number_value(ended) : time_wall();
    json_object_set_new(run, "wall_s", json_real(end - started));
    json_object_set_new(run, "schema_version", json_integer(s->file_version));
    json_object_set_new(run, "totals", totals);
    return run;
}

/* Runs fn inside one read transaction. */
static json_t *read_tx(struct store *s, json_t *(*fn)(struct store *, const void *, struct err *), const void *arg,
                       struct err *err)
{
    if (st_begin(s, false, err) < 0)
        return NULL;
    json_t *result = fn(s, arg, err);
    st_commit(s, NULL);
    return result;
}

static json_t *run_fn(struct store *s, const void *arg, struct err *err)
{
    (void)arg;
    return run_json_locked(s, err);
}

json_t *store_run_json(struct store *s, struct err *err)
{
    return read_tx(s, run_fn, NULL, err);
}

/* ---- nodes -------------------------------------------------------------- */

#define NODE_SUMMARY_COLUMNS                                                                          \
    "id, node_key, parent_id, parent2_id, lane, stage, outer_step, inner_step, model_name, plan, status," \
    " score, note, created_at, updated_at"
#define NODE_CODE_COLUMNS ", code, block_before, block_after, diff"
#define EXEC_SUMMARY_COLUMNS                                                                                   \
    "id, exec_key, node_id, attempt_dir, status, exit_code, signal, timed_out, oom_killed, output_truncated," \
    " wall_s, cpu_s, peak_rss_bytes, score, has_submission, recorded_at"

static json_t *nodes_fn(struct store *s, const void *arg, struct err *err)
{
    bool with_code = *(const bool *)arg;
    json_t *nodes = query(s,
                          with_code ? "SELECT " NODE_SUMMARY_COLUMNS NODE_CODE_COLUMNS " FROM nodes ORDER BY id"
                                    : "SELECT " NODE_SUMMARY_COLUMNS " FROM nodes ORDER BY id",
                          false, 0, err);
    json_t *execs = nodes ? query(s, "SELECT " EXEC_SUMMARY_COLUMNS " FROM executions ORDER BY id", false, 0, err)
                          : NULL;
    if (!execs) {
        json_decref(nodes);
        return NULL;
    }
    json_t *by_id = json_object(); /* "id" -> the node's executions array (borrowed) */
    size_t i;
    json_t *item;
    json_array_foreach(nodes, i, item) {
        json_t *list = json_array();
        json_object_set_new(item, "executions", list);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
        json_object_set(by_id, key, list);
    }
    json_array_foreach(execs, i, item) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(item, "node_id")));
        json_t *list = json_object_get(by_id, key);
        if (list)
            json_array_append(list, item);
    }
    json_decref(by_id);
    json_decref(execs);
    return nodes;
}

json_t *store_nodes_json(struct store *s, bool with_code, struct err *err)
{
    return read_tx(s, nodes_fn, &with_code, err);
}

static json_t *node_fn(struct store *s, const void *arg, struct err *err)
{
    int64_t id = *(const int64_t *)arg;
    char missing[64];
    snprintf(missing, sizeof missing, "no node %lld", (long long)id);
    json_t *node = query_one(s, "SELECT " NODE_SUMMARY_COLUMNS NODE_CODE_COLUMNS " FROM nodes WHERE id = ?", true, id,
                             missing, err);
    if (!node)
        return NULL;
    json_t *execs = query(s, "SELECT * FROM executions WHERE node_id = ? ORDER BY id", true, id, err);
    json_t *children = execs ? query(s, "SELECT id FROM nodes WHERE parent_id = ?1 OR parent2_id = ?1 ORDER BY id",
                                     true, id, err)
                             : NULL;
    json_t *calls = children ? query(s,
                                     "SELECT llm_calls.* FROM llm_calls JOIN nodes n ON n.id = ?"
                                     " WHERE substr(llm_calls.call_id, 1, length(n.node_key) + 1) = n.node_key || '/'"
                                     " ORDER BY llm_calls.id",
                                     true, id, err)
                             : NULL;
    if (!calls) {
        json_decref(node);
        json_decref(execs);
        json_decref(children);
        return NULL;
    }
    json_t *child_ids = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(children, i, row) {
        json_array_append(child_ids, json_object_get(row, "id"));
    }
    json_decref(children);
    json_object_set_new(node, "children", child_ids);
    json_object_set_new(node, "executions", execs);
    json_object_set_new(node, "llm_calls", calls);
    return node;
}

json_t *store_node_json(struct store *s, int64_t id, struct err *err)
{
    return read_tx(s, node_fn, &id, err);
}

/* ---- events and LLM calls ----------------------------------------------- */

static json_t *events_fn(struct store *s, const void *arg, struct err *err)
{
    int64_t after = *(const int64_t *)arg;
    json_t *rows = query(s, "SELECT seq, time, type, data FROM events WHERE seq > ? ORDER BY seq", true, after, err);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        char when[32];
        time_iso8601(json_number_value(json_object_get(row, "time")), when, sizeof when);
        json_object_set_new(row, "t", json_string(when));
        if (json_is_null(json_object_get(row, "data")))
            json_object_set_new(row, "data", json_object());
    }
    return rows;
}

json_t *store_events_json(struct store *s, int64_t after_seq, struct err *err)
{
    return read_tx(s, events_fn, &after_seq, err);
}

static json_t *calls_fn(struct store *s, const void *arg, struct err *err)
{
    (void)arg;
    return query(s, "SELECT * FROM llm_calls ORDER BY id", false, 0, err);
}

json_t *store_llm_calls_json(struct store *s, struct err *err)
{
    return read_tx(s, calls_fn, NULL, err);
}
