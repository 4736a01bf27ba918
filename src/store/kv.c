/* kv.c - the pipeline's own progress markers, as key/value text.
 *
 * For state the pipeline wants to find again on resume that is not a node,
 * an execution or an LLM call (e.g. "lane0.t1.extract" -> the JSON of the
 * extracted block). Setting a key again replaces its value. */
#include "store/store_internal.h"

#include "util/timeutil.h"

int store_kv_set(struct store *s, const char *key, const char *value, struct err *err)
{
    sqlite3_stmt *st;
    if (!key || !*key)
        return err_set(err, "%s: a progress marker needs a key", s->db_path);
    if (st_begin(s, true, err) < 0)
        return -1;
    if (st_prepare(s,
                   "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   &st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    st_bind_text(st, 1, key);
    st_bind_text(st, 2, value);
    sqlite3_bind_double(st, 3, time_wall());
    if (st_run(s, st, "cannot record a progress marker", err) < 0) {
        st_rollback(s);
        return -1;
    }
    return st_commit(s, err);
}

char *store_kv_get(struct store *s, const char *key)
{
    sqlite3_stmt *st;
    char *value = NULL;
    if (st_begin(s, false, NULL) < 0)
        return NULL;
    if (st_prepare(s, "SELECT value FROM kv WHERE key = ?", &st, NULL) == 0) {
        st_bind_text(st, 1, key);
        if (sqlite3_step(st) == SQLITE_ROW)
            value = st_col_strdup(st, 0);
        sqlite3_finalize(st);
    }
    st_commit(s, NULL);
    return value;
}
