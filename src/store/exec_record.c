/* exec_record.c - executions: every finished script run, memoized by key.
 *
 * The pipeline builds the key (where in the run + a hash of the script), asks
 * store_exec_lookup() before running and calls store_exec_save() after, so a
 * resumed run never re-runs a finished execution. Every field of struct
 * exec_result is stored and rebuilt; the lists of files become JSON arrays.
 * The status is stored as text (store_exec_status_name) so the journal stays
 * readable if the enum ever gains members. Only the headers of exec/ are used
 * (for the struct): the journal does not link the runner. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/timeutil.h"

static const char *const status_names[] = {
    [EXEC_OK] = "ok",           [EXEC_FAILED] = "failed", [EXEC_SIGNALED] = "signaled",
    [EXEC_TIMEOUT] = "timeout", [EXEC_OOM] = "oom",       [EXEC_CANCELLED] = "cancelled",
};
#define NSTATUS ((int)(sizeof status_names / sizeof status_names[0]))

const char *store_exec_status_name(int status)
{
    if (status < 0 || status >= NSTATUS || !status_names[status])
        return "unknown";
    return status_names[status];
}

static int status_from_name(const char *name)
{
    for (int i = 0; i < NSTATUS; i++)
        if (name && status_names[i] && strcmp(name, status_names[i]) == 0)
            return i;
    return EXEC_FAILED;
}

static json_t *string_array(char *const *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, items[i] ? st_json_text(items[i], strlen(items[i])) : json_string(""));
    return a;
}

/* Rebuilds a malloc'd array of malloc'd strings from a JSON array text. */
static char **strings_from_json(sqlite3_stmt *st, int col, size_t *n)
{
    *n = 0;
    json_t *a = st_col_json_parsed(st, col);
    size_t count = json_is_array(a) ? json_array_size(a) : 0;
    char **items = NULL;
    if (count) {
        items = xcalloc(count, sizeof *items);
        for (size_t i = 0; i < count; i++) {
            const char *text = json_string_value(json_array_get(a, i));
            items[(*n)++] = xstrdup(text ? text : "");
        }
    }
    json_decref(a);
    return items;
}

#define EXEC_COLUMNS                                                                                        \
    "node_id, attempt_dir, status, exit_code, signal, timed_out, oom_killed, output_truncated, wall_s,"     \
    " cpu_s, peak_rss_bytes, stdout_path, stderr_path, stdout_tail, stderr_tail, score, has_submission,"   \
    " submission_path, files_read, files_blocked, network_isolated, memory_cgroup, recorded_at,"    \
    " confinement"

static int insert_exec(struct store *s, const char *key, int64_t node_id, const char *attempt_dir,
                       const struct exec_result *r, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s,
                   "INSERT INTO executions (exec_key, " EXEC_COLUMNS ")"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                   " ON CONFLICT(exec_key) DO UPDATE SET node_id = excluded.node_id,"
                   " attempt_dir = excluded.attempt_dir, status = excluded.status,"
                   " exit_code = excluded.exit_code, signal = excluded.signal, timed_out = excluded.timed_out,"
                   " oom_killed = excluded.oom_killed, output_truncated = excluded.output_truncated,"
                   " wall_s = excluded.wall_s, cpu_s = excluded.cpu_s, peak_rss_bytes = excluded.peak_rss_bytes,"
                   " stdout_path = excluded.stdout_path, stderr_path = excluded.stderr_path,"
                   " stdout_tail = excluded.stdout_tail, stderr_tail = excluded.stderr_tail,"
                   " score = excluded.score, has_submission = excluded.has_submission,"
                   " submission_path = excluded.submission_path, files_read = excluded.files_read,"
                   " files_blocked = excluded.files_blocked, network_isolated = excluded.network_isolated,"
                   " memory_cgroup = excluded.memory_cgroup, recorded_at = excluded.recorded_at,"
                   " confinement = excluded.confinement",
                   &st, err) < 0)
        return -1;
    json_t *read = string_array(r->files_read, r->nfiles_read);
    json_t *blocked = string_array(r->files_blocked, r->nfiles_blocked);
    int i = 1;
    st_bind_text(st, i++, key);
    st_bind_id(st, i++, node_id);
    st_bind_text(st, i++, attempt_dir);
    st_bind_text(st, i++, store_exec_status_name((int)r->status));
    sqlite3_bind_int(st, i++, r->exit_code);
    sqlite3_bind_int(st, i++, r->signal);
    sqlite3_bind_int(st, i++, r->timed_out);
    sqlite3_bind_int(st, i++, r->oom_killed);
    sqlite3_bind_int(st, i++, r->output_truncated);
    sqlite3_bind_double(st, i++, r->wall_s);
    sqlite3_bind_double(st, i++, r->cpu_s);
    sqlite3_bind_int64(st, i++, r->peak_rss_bytes);
    st_bind_text(st, i++, r->stdout_path);
    st_bind_text(st, i++, r->stderr_path);
    st_bind_text(st, i++, r->stdout_tail);
    st_bind_text(st, i++, r->stderr_tail);
    st_bind_opt_real(st, i++, r->has_score, r->score);
    sqlite3_bind_int(st, i++, r->has_submission);
    st_bind_text(st, i++, r->submission_path);
    st_bind_json(st, i++, read);
    st_bind_json(st, i++, blocked);
    sqlite3_bind_int(st, i++, r->network_isolated);
    sqlite3_bind_int(st, i++, r->memory_cgroup);
    sqlite3_bind_double(st, i++, time_wall());
    st_bind_text(st, i++, r->confinement);
    json_decref(read);
    json_decref(blocked);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        st_error(s, err, "cannot record an execution");
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            err_prefix(err, "execution %s (its node %lld must be recorded first)", key, (long long)node_id);
        return -1;
    }
    return 0;
}

int store_exec_save(struct store *s, const char *key, int64_t node_id, const char *attempt_dir,
                    const struct exec_result *res, struct err *err)
{
    if (!key || !*key)
        return err_set(err, "%s: an execution needs a key", s->db_path);
    if (st_begin(s, true, err) < 0)
        return -1;
    if (insert_exec(s, key, node_id, attempt_dir, res, err) < 0) {
        st_rollback(s);
        return -1;
    }
    return st_commit(s, err);
}

/* Fills out from a row of "SELECT " EXEC_COLUMNS. */
static void result_from_row(sqlite3_stmt *st, struct exec_result *out)
{
    const char *status = (const char *)sqlite3_column_text(st, 2);
    out->status = (enum exec_status)status_from_name(status);
    out->exit_code = sqlite3_column_int(st, 3);
    out->signal = sqlite3_column_int(st, 4);
    out->timed_out = sqlite3_column_int(st, 5) != 0;
    out->oom_killed = sqlite3_column_int(st, 6) != 0;
    out->output_truncated = sqlite3_column_int(st, 7) != 0;
    out->wall_s = sqlite3_column_double(st, 8);
    out->cpu_s = sqlite3_column_double(st, 9);
    out->peak_rss_bytes = sqlite3_column_int64(st, 10);
    out->stdout_path = st_col_strdup(st, 11);
    out->stderr_path = st_col_strdup(st, 12);
    out->stdout_tail = st_col_strdup(st, 13);
    out->stderr_tail = st_col_strdup(st, 14);
    out->has_score = sqlite3_column_type(st, 15) != SQLITE_NULL;
    out->score = out->has_score ? sqlite3_column_double(st, 15) : 0.0;
    out->has_submission = sqlite3_column_int(st, 16) != 0;
    out->submission_path = st_col_strdup(st, 17);
    out->files_read = strings_from_json(st, 18, &out->nfiles_read);
    out->files_blocked = strings_from_json(st, 19, &out->nfiles_blocked);
    out->network_isolated = sqlite3_column_int(st, 20) != 0;
    out->memory_cgroup = sqlite3_column_int(st, 21) != 0;
    out->confinement = st_col_strdup(st, 23);
    out->fs_confined = out->confinement && !strstr(out->confinement, "no filesystem confinement");
}

int store_exec_lookup(struct store *s, const char *key, struct exec_result *out, struct err *err)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (st_begin(s, false, err) < 0)
        return -1;
    if (st_prepare(s, "SELECT " EXEC_COLUMNS " FROM executions WHERE exec_key = ?", &st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    st_bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        result_from_row(st, out);
        result = 1;
    } else if (rc != SQLITE_DONE) {
        result = st_error(s, err, "cannot look up an execution");
    }
    sqlite3_finalize(st);
    st_commit(s, NULL);
    return result;
}
