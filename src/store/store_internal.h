/* store_internal.h - what the journal's files share, not part of its contract.
 *
 * The struct store itself, the transaction helpers every writer and reader
 * goes through (st_begin/st_commit/st_rollback: lock + BEGIN or SAVEPOINT),
 * and small helpers to bind and read SQLite values. All of these expect the
 * caller to hold the store's lock (st_begin takes it) except st_begin. */
#ifndef MLESTAR_STORE_STORE_INTERNAL_H
#define MLESTAR_STORE_STORE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define STORE_MAX_DEPTH 32

struct store {
    sqlite3 *db;
    char *run_dir;
    char *db_path;
    char *events_path;
    bool readonly;              /* store_open_readonly(): writes are refused */
    bool memory_copy;           /* db is an in-memory copy of an older file, migrated */
    int file_version;           /* schema version of the file on disk (after store_open's migration) */
    pthread_mutex_t lock;       /* recursive */
    int depth;                  /* open transactions/savepoints */
    bool write_tx;              /* the outermost transaction is a write one */
    struct buf pending_events;  /* events.jsonl lines waiting for the outermost commit */
    size_t pending_mark[STORE_MAX_DEPTH];
};

/* Takes the lock and opens a transaction (depth 0: BEGIN IMMEDIATE for a
 * write, BEGIN for a read) or a savepoint. On failure the lock is released.
 * A write on a read-only store fails at once, naming the journal. */
int st_begin(struct store *s, bool write, struct err *err);
/* Commits / releases; always releases the lock. Returns -1 (rolled back) when
 * the commit failed. */
int st_commit(struct store *s, struct err *err);
/* Rolls back the innermost transaction or savepoint; releases the lock. */
void st_rollback(struct store *s);

/* Sets err from the connection's last error: "<db_path>: <what>: <sqlite msg>". */
int st_error(struct store *s, struct err *err, const char *what);
/* Prepares sql; on failure fills err (via st_error). */
int st_prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *err);
/* Runs statements without results. */
int st_exec(struct store *s, const char *sql, struct err *err);
/* Steps a statement expected to finish (SQLITE_DONE); finalizes it. */
int st_run(struct store *s, sqlite3_stmt *st, const char *what, struct err *err);

/* Bind helpers: NULL text / a negative-or-zero "absent" id bind SQL NULL. */
void st_bind_text(sqlite3_stmt *st, int idx, const char *text);
void st_bind_id(sqlite3_stmt *st, int idx, int64_t id);
void st_bind_opt_int(sqlite3_stmt *st, int idx, bool present, int64_t value);
void st_bind_opt_real(sqlite3_stmt *st, int idx, bool present, double value);
/* Binds a JSON value as compact text (NULL json binds NULL). */
void st_bind_json(sqlite3_stmt *st, int idx, const json_t *value);

/* A JSON string of text[0..len), invalid UTF-8 bytes replaced by U+FFFD
 * (jansson refuses to build or dump invalid UTF-8; output tails cut at a
 * byte limit often end inside a character). */
json_t *st_json_text(const char *text, size_t len);

/* Column helpers. */
char *st_col_strdup(sqlite3_stmt *st, int col);     /* malloc'd, NULL for SQL NULL */
json_t *st_col_json_value(sqlite3_stmt *st, int col); /* by SQL type: null/integer/real/string */
json_t *st_col_json_parsed(sqlite3_stmt *st, int col); /* text parsed as JSON; null when absent or bad */

/* Adds every column of the current row to obj, named as in the query. */
void st_row_to_object(sqlite3_stmt *st, json_t *obj);

/* Schema (schema.c). store_schema_check() only reads: 0 the journal is
 * current, 1 it must be created (empty, create=true) or migrated, -1 refused
 * (newer, foreign, corrupt, empty with create=false). store_schema_apply()
 * takes the write lock, checks again and creates or migrates. Both keep
 * s->file_version up to date (unless db is a memory copy). */
int store_schema_check(struct store *s, bool create, struct err *err);
int store_schema_apply(struct store *s, bool create, struct err *err);

#endif
