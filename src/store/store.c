/* store.c - opening the journal, its lock and its transactions.
 *
 * One SQLite connection per struct store, guarded by a recursive mutex so
 * that the lanes of a run (threads) can share it: every public function
 * locks, opens a transaction with st_begin() (BEGIN IMMEDIATE at the top
 * level, a SAVEPOINT inside a step), and ends it with st_commit() or
 * st_rollback(). A pipeline step is simply an outer transaction held across
 * several calls (store_step_begin/commit), which is why the mutex must be
 * recursive and why the step keeps it until it ends.
 *
 * Durability: WAL with synchronous=NORMAL. A committed step survives kill -9
 * of the process (only a power loss can lose the last commits), and readers
 * in other processes never block the writer nor see a half-written step.
 *
 * Opening looks before it writes: the file is classified with reads only
 * (schema.c), so a corrupt, foreign, empty or newer file is refused without
 * being touched; only then is WAL switched on and the schema created or
 * migrated.
 *
 * Inspection (store_open_readonly: `runs`, `show`) opens the file with
 * SQLITE_OPEN_READONLY, so looking at a journal can never change it. An
 * older journal is copied into an in-memory database with the backup API
 * and that copy is migrated by the usual migrations, so the readers above
 * need only know the current schema; the file keeps its old version until
 * a writer (store_open: a run or `mlestar resume`) upgrades it.
 *
 * events.jsonl is a mirror for live viewers, written after the database: the
 * lines of a step are buffered in the store and appended when the outermost
 * transaction commits, dropped when it rolls back. */
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

#define STORE_BUSY_TIMEOUT_MS 10000

/* ---- errors and statement helpers --------------------------------------- */

int st_error(struct store *s, struct err *err, const char *what)
{
    int code = sqlite3_extended_errcode(s->db);
    int primary = code & 0xff;
    const char *hint = "";
    if (primary == SQLITE_NOTADB)
        hint = " (the journal is corrupt, or the file is not an mlestar journal)";
    else if (primary == SQLITE_CORRUPT)
        hint = " (the journal is corrupt)";
    else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        hint = " (another process holds the journal locked)";
    else if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM)
        hint = " (check the permissions of the run folder)";
    return err_set(err, "%s: %s: %s%s", s->db_path, what, sqlite3_errmsg(s->db), hint);
}

int st_prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *err)
{
    *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        st_error(s, err, "cannot prepare a query");
        sqlite3_finalize(*st);
        *st = NULL;
        return -1;
    }
    return 0;
}

int st_exec(struct store *s, const char *sql, struct err *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return st_error(s, err, "cannot run a statement");
    return 0;
}

int st_run(struct store *s, sqlite3_stmt *st, const char *what, struct err *err)
{
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        result = st_error(s, err, what);
    sqlite3_finalize(st);
    return result;
}

void st_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

void st_bind_id(sqlite3_stmt *st, int idx, int64_t id)
{
    if (id > 0)
        sqlite3_bind_int64(st, idx, id);
    else
        sqlite3_bind_null(st, idx);
}

void st_bind_opt_int(sqlite3_stmt *st, int idx, bool present, int64_t value)
{
    if (present)
        sqlite3_bind_int64(st, idx, value);
    else
        sqlite3_bind_null(st, idx);
}

void st_bind_opt_real(sqlite3_stmt *st, int idx, bool present, double value)
{
    if (present)
        sqlite3_bind_double(st, idx, value);
    else
        sqlite3_bind_null(st, idx);
}

void st_bind_json(sqlite3_stmt *st, int idx, const json_t *value)
{
    if (!value) {
        sqlite3_bind_null(st, idx);
        return;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        sqlite3_bind_null(st, idx);
        return;
    }
    sqlite3_bind_text(st, idx, text, -1, free);
}

char *st_col_strdup(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const unsigned char *text = sqlite3_column_text(st, col);
    int len = sqlite3_column_bytes(st, col);
    return text ? xstrndup((const char *)text, (size_t)len) : xstrdup("");
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_sequence(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;              /* continuation bytes */
    unsigned char lo = 0x80;  /* allowed range of the first continuation byte */
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < need + 1 || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return need + 1;
}

json_t *st_json_text(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    struct buf clean = {0};
    size_t done = 0; /* bytes of text already copied into clean */
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence(p + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        buf_append(&clean, text + done, i - done);
        buf_puts(&clean, "\xEF\xBF\xBD"); /* U+FFFD */
        done = ++i;
    }
    if (!clean.data)
        return json_stringn(text, len);
    buf_append(&clean, text + done, len - done);
    json_t *v = json_stringn(clean.data, clean.len);
    buf_free(&clean);
    return v;
}

json_t *st_col_json_value(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, col));
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
        const char *text = (const char *)sqlite3_column_text(st, col);
        json_t *v = st_json_text(text ? text : "", (size_t)sqlite3_column_bytes(st, col));
        return v ? v : json_null();
    }
    default:
        return json_null();
    }
}

json_t *st_col_json_parsed(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    const char *text = (const char *)sqlite3_column_text(st, col);
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

void st_row_to_object(sqlite3_stmt *st, json_t *obj)
{
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++)
        json_object_set_new(obj, sqlite3_column_name(st, i), st_col_json_value(st, i));
}

/* ---- transactions ------------------------------------------------------- */

static void flush_pending_events(struct store *s)
{
    if (!s->pending_events.len)
        return;
    struct err e = {{0}};
    if (fs_append(s->events_path, s->pending_events.data, s->pending_events.len, &e) < 0)
        log_warn("events were recorded in the journal but not mirrored: %s", e.msg);
    buf_truncate(&s->pending_events, 0);
}

int st_begin(struct store *s, bool write, struct err *err)
{
    if (write && s->readonly)
        return err_set(err, "%s was opened read-only, for inspection: it cannot be written", s->db_path);
    pthread_mutex_lock(&s->lock);
    if (s->depth >= STORE_MAX_DEPTH) {
        pthread_mutex_unlock(&s->lock);
        return err_set(err, "%s: steps nested deeper than %d", s->db_path, STORE_MAX_DEPTH);
    }
    char sql[48];
    if (s->depth == 0)
        snprintf(sql, sizeof sql, "%s", write ? "BEGIN IMMEDIATE" : "BEGIN");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT sp%d", s->depth);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        st_error(s, err, "cannot start a transaction");
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (s->depth == 0)
        s->write_tx = write;
    s->pending_mark[s->depth] = s->pending_events.len;
    s->depth++;
    return 0;
}

int st_commit(struct store *s, struct err *err)
{
    int result = 0;
    s->depth--;
    if (s->depth == 0) {
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            result = st_error(s, err, "cannot commit");
            if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            buf_truncate(&s->pending_events, 0);
        } else {
            flush_pending_events(s);
        }
    } else {
        char sql[48];
        snprintf(sql, sizeof sql, "RELEASE sp%d", s->depth);
        if (sqlite3_get_autocommit(s->db))
            result = err_set(err, "%s: the step was already rolled back by an earlier error", s->db_path);
        else if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            result = st_error(s, err, "cannot release a savepoint");
    }
    pthread_mutex_unlock(&s->lock);
    return result;
}

void st_rollback(struct store *s)
{
    s->depth--;
    /* SQLite may already have rolled the whole transaction back (I/O error,
     * full disk): then there is nothing left to undo. */
    bool active = !sqlite3_get_autocommit(s->db);
    if (s->depth == 0) {
        if (active)
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        buf_truncate(&s->pending_events, 0);
    } else {
        if (active) {
            char sql[80];
            snprintf(sql, sizeof sql, "ROLLBACK TO sp%d; RELEASE sp%d", s->depth, s->depth);
            sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        }
        buf_truncate(&s->pending_events, s->pending_mark[s->depth]);
    }
    pthread_mutex_unlock(&s->lock);
}

int store_step_begin(struct store *s, struct err *err)
{
    return st_begin(s, true, err);
}

int store_step_commit(struct store *s, struct err *err)
{
    return st_commit(s, err);
}

void store_step_rollback(struct store *s)
{
    st_rollback(s);
}

/* ---- open / close ------------------------------------------------------- */

static struct store *store_alloc(const char *run_dir)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->run_dir = xstrdup(run_dir);
    s->db_path = fs_join(run_dir, STORE_DB_NAME);
    s->events_path = fs_join(run_dir, STORE_EVENTS_NAME);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    return s;
}

/* Reads a one-value pragma into *out (text, malloc'd); `what` names the
 * step in the error. */
static int pragma_text(struct store *s, const char *sql, const char *what, char **out, struct err *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = st_col_strdup(st, 0);
    else if (rc != SQLITE_DONE)
        st_error(s, err, what);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    if (!*out)
        *out = xstrdup("");
    return 0;
}

/* WAL (readers never block the writer), foreign keys, and synchronous=NORMAL
 * (a commit survives kill -9; only a power loss can lose the last ones). */
static int configure_connection(struct store *s, struct err *err)
{
    char *mode = NULL;
    if (pragma_text(s, "PRAGMA journal_mode=WAL", "cannot read the journal", &mode, err) < 0)
        return -1;
    bool wal = strcmp(mode, "wal") == 0;
    free(mode);
    if (!wal)
        return err_set(err, "%s: cannot switch the journal to WAL mode (is the folder on a network file system?)",
                       s->db_path);
    if (st_exec(s, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", err) < 0)
        return -1;
    return 0;
}

/* Checks what the file is before anything is written to it (a refused file
 * is left untouched), then configures the connection and creates or
 * migrates the schema when needed. */
static int prepare_journal(struct store *s, bool create, struct err *err)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    int state = store_schema_check(s, create, err);
    if (state < 0 || configure_connection(s, err) < 0)
        return -1;
    return state == 1 ? store_schema_apply(s, create, err) : 0;
}

static int open_db(struct store *s, int flags, struct err *err)
{
    if (sqlite3_open_v2(s->db_path, &s->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) == SQLITE_OK)
        return 0;
    if (s->db)
        return st_error(s, err, "cannot open");
    return err_set(err, "%s: cannot open (out of memory)", s->db_path);
}

static int no_journal(const struct store *s, struct err *err)
{
    return err_set(err, "no journal at %s: %s is not a run folder, or the run never started", s->db_path,
                   s->run_dir);
}

int store_open(const char *run_dir, bool create, struct store **out, struct err *err)
{
    *out = NULL;
    struct store *s = store_alloc(run_dir);
    bool exists = fs_exists(s->db_path);
    if (!exists && !create) {
        no_journal(s, err);
        store_close(s);
        return -1;
    }
    if (!exists && fs_mkdir_p(run_dir, 0755, err) < 0) {
        store_close(s);
        return -1;
    }
    if (open_db(s, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), err) < 0 ||
        prepare_journal(s, create, err) < 0) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

/* Replaces the read-only connection by an in-memory copy of its database
 * (which the caller then migrates). */
static int copy_into_memory(struct store *s, struct err *err)
{
    sqlite3 *mem = NULL;
    if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close(mem);
        return err_set(err, "%s: cannot open an in-memory copy to read this older journal", s->db_path);
    }
    sqlite3_backup *copy = sqlite3_backup_init(mem, "main", s->db, "main");
    int rc = copy ? sqlite3_backup_step(copy, -1) : SQLITE_ERROR;
    sqlite3_backup_finish(copy);
    if (rc != SQLITE_DONE) {
        err_set(err, "%s: cannot copy this older journal (schema v%d) into memory to read it: %s", s->db_path,
                s->file_version, copy ? sqlite3_errstr(rc) : sqlite3_errmsg(mem));
        sqlite3_close(mem);
        return -1;
    }
    sqlite3_close_v2(s->db);
    s->db = mem;
    s->memory_copy = true;
    sqlite3_extended_result_codes(s->db, 1);
    return 0;
}

int store_open_readonly(const char *run_dir, struct store **out, struct err *err)
{
    *out = NULL;
    struct store *s = store_alloc(run_dir);
    int state = -1;
    if (!fs_exists(s->db_path)) {
        no_journal(s, err);
    } else if (open_db(s, SQLITE_OPEN_READONLY, err) == 0) {
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        state = store_schema_check(s, false, err);
        if (state == 1 && (copy_into_memory(s, err) < 0 || store_schema_apply(s, false, err) < 0))
            state = -1;
    }
    if (state < 0) {
        store_close(s);
        return -1;
    }
    s->readonly = true;
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->db)
        sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    buf_free(&s->pending_events);
    free(s->run_dir);
    free(s->db_path);
    free(s->events_path);
    free(s);
}

const char *store_run_dir(const struct store *s)
{
    return s->run_dir;
}

const char *store_db_path(const struct store *s)
{
    return s->db_path;
}

int store_file_schema_version(const struct store *s)
{
    return s->file_version;
}
