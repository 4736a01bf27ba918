/* schema.c - the journal's tables, and upgrading older journals.
 *
 * The schema version lives in PRAGMA user_version. A new journal gets the
 * current schema in one go (schema_current). An existing one is read as:
 *   user_version > STORE_SCHEMA_VERSION   refused: written by a newer mlestar
 *   no tables at all                      an empty database: initialised when
 *                                         creating, else "holds no journal"
 *   tables but no `run` table             refused: not an mlestar journal
 *   user_version < STORE_SCHEMA_VERSION   migrated, one step at a time
 * Migrations are SQL texts, migrations[v] turning version v into v+1, all
 * applied in the same transaction as the version bump, so an interrupted
 * upgrade leaves the old journal intact.
 *
 * A read-only store (store_open_readonly) never migrates its file: store.c
 * copies an older journal into memory and this code migrates the copy.
 *
 * Version 0 is the journal of the unversioned prototype (user_version left
 * at 0): the same tables without run.resumes, nodes.diff and
 * executions.files_blocked. Version 1 lacks llm_calls.queued_s (the time a
 * call waited for an in-flight slot), added in version 2. To change the schema: edit schema_current, add
 * migrations[N] from the previous version, bump STORE_SCHEMA_VERSION, and add
 * a hand-made old journal to tests/unit/store_schema_test.c. */
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static const char schema_current[] =
    "CREATE TABLE run ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " task_name TEXT NOT NULL,"
    " task_dir TEXT,"
    " config_ini TEXT,"
    " settings TEXT,"
    " status TEXT NOT NULL,"
    " message TEXT,"
    " started_at REAL NOT NULL,"
    " ended_at REAL,"
    " updated_at REAL NOT NULL,"
    " resumes INTEGER NOT NULL DEFAULT 0,"
    " best_score REAL,"
    " best_node_id INTEGER,"
    " usage TEXT);"
    "CREATE TABLE nodes ("
    " id INTEGER PRIMARY KEY,"
    " node_key TEXT NOT NULL UNIQUE,"
    " parent_id INTEGER REFERENCES nodes(id),"
    " parent2_id INTEGER REFERENCES nodes(id),"
    " lane INTEGER NOT NULL,"
    " stage TEXT NOT NULL,"
    " outer_step INTEGER,"
    " inner_step INTEGER,"
    " model_name TEXT,"
    " plan TEXT,"
    " code TEXT,"
    " block_before TEXT,"
    " block_after TEXT,"
    " diff TEXT,"
    " status TEXT NOT NULL,"
    " score REAL,"
    " note TEXT,"
    " created_at REAL NOT NULL,"
    " updated_at REAL NOT NULL);"
    "CREATE INDEX nodes_parent ON nodes(parent_id);"
    "CREATE TABLE executions ("
    " id INTEGER PRIMARY KEY,"
    " exec_key TEXT NOT NULL UNIQUE,"
    " node_id INTEGER REFERENCES nodes(id),"
    " attempt_dir TEXT,"
    " status TEXT NOT NULL,"
    " exit_code INTEGER,"
    " signal INTEGER,"
    " timed_out INTEGER,"
    " oom_killed INTEGER,"
    " output_truncated INTEGER,"
    " wall_s REAL,"
    " cpu_s REAL,"
    " peak_rss_bytes INTEGER,"
    " stdout_path TEXT,"
    " stderr_path TEXT,"
    " stdout_tail TEXT,"
    " stderr_tail TEXT,"
    " score REAL,"
    " has_submission INTEGER,"
    " submission_path TEXT,"
    " files_read TEXT,"
    " files_blocked TEXT,"
    " network_isolated INTEGER,"
    " memory_cgroup INTEGER,"
    " recorded_at REAL NOT NULL,"
    " confinement TEXT);"
    "CREATE INDEX executions_node ON executions(node_id);"
    "CREATE TABLE llm_calls ("
    " id INTEGER PRIMARY KEY,"
    " call_key TEXT NOT NULL,"
    " stage TEXT,"
    " call_id TEXT,"
    " request TEXT,"
    " reply TEXT,"
    " finish TEXT,"
    " input_tokens INTEGER,"
    " output_tokens INTEGER,"
    " cached_tokens INTEGER,"
    " cost_usd REAL,"
    " latency_s REAL,"
    " queued_s REAL,"
    " tries INTEGER,"
    " model TEXT,"
    " request_id TEXT,"
    " sources TEXT,"
    " error_code INTEGER NOT NULL DEFAULT 0,"
    " error TEXT,"
    " recorded_at REAL NOT NULL);"
    "CREATE INDEX llm_calls_key ON llm_calls(call_key);"
    "CREATE INDEX llm_calls_call_id ON llm_calls(call_id);"
    "CREATE TABLE events ("
    " seq INTEGER PRIMARY KEY,"
    " time REAL NOT NULL,"
    " type TEXT NOT NULL,"
    " data TEXT);"
    "CREATE TABLE kv ("
    " key TEXT PRIMARY KEY,"
    " value TEXT,"
    " updated_at REAL NOT NULL);";

/* migrations[v]: schema version v -> v + 1. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "ALTER TABLE run ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE nodes ADD COLUMN diff TEXT;"
    "ALTER TABLE executions ADD COLUMN files_blocked TEXT;",
    /* 1 -> 2 */
    "ALTER TABLE llm_calls ADD COLUMN queued_s REAL;",
    /* 2 -> 3: the sandbox layers each script ran under */
    "ALTER TABLE executions ADD COLUMN confinement TEXT;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "one migration per schema version");

static int read_int(struct store *s, const char *sql, int *out, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        st_error(s, err, "cannot read the journal");
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int set_version(struct store *s, int version, struct err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
    return st_exec(s, sql, err);
}

static int migrate(struct store *s, int from, struct err *err)
{
    for (int v = from; v < STORE_SCHEMA_VERSION; v++) {
        if (st_exec(s, migrations[v], err) < 0 || set_version(s, v + 1, err) < 0)
            return err_prefix(err, "cannot upgrade the journal from schema v%d to v%d", v, v + 1);
    }
    if (s->memory_copy)
        log_debug("reading %s (schema v%d) through a copy upgraded to v%d in memory; the file is unchanged",
                  s->db_path, from, STORE_SCHEMA_VERSION);
    else
        log_info("upgraded the journal %s from schema v%d to v%d", s->db_path, from, STORE_SCHEMA_VERSION);
    return 0;
}

struct schema_state {
    int version;
    int ntables;
    int has_run;
};

static int inspect(struct store *s, struct schema_state *state, struct err *err)
{
    if (read_int(s, "PRAGMA user_version", &state->version, err) < 0 ||
        read_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                 &state->ntables, err) < 0 ||
        read_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'run'", &state->has_run,
                 err) < 0)
        return -1;
    return 0;
}

/* 0 usable as is, 1 needs creating or migrating, -1 refused. */
static int classify(struct store *s, const struct schema_state *state, bool create, struct err *err)
{
    if (state->version > STORE_SCHEMA_VERSION)
        return err_set(err,
                       "%s was written by a newer mlestar (journal schema v%d; this mlestar reads v%d and older): "
                       "use a newer mlestar to read or resume this run",
                       s->db_path, state->version, STORE_SCHEMA_VERSION);
    if (state->ntables == 0) {
        if (!create)
            return err_set(err, "%s holds no journal (an empty database): the run never started", s->db_path);
        return 1;
    }
    if (!state->has_run)
        return err_set(err, "%s is a SQLite database but not an mlestar journal (it has no `run` table)", s->db_path);
    return state->version < STORE_SCHEMA_VERSION ? 1 : 0;
}

/* Reads the state and classifies it, in a transaction of the given kind;
 * with write=true also creates or migrates. */
static int prepare_tx(struct store *s, bool create, bool write, struct err *err)
{
    struct schema_state state;
    if (st_begin(s, write, err) < 0)
        return -1;
    int rc = inspect(s, &state, err);
    if (rc == 0) {
        if (!s->memory_copy)
            s->file_version = state.version;
        rc = classify(s, &state, create, err);
    }
    bool changed = rc == 1 && write;
    if (changed) {
        if (state.ntables == 0) {
            if (st_exec(s, schema_current, err) < 0 || set_version(s, STORE_SCHEMA_VERSION, err) < 0)
                rc = err_prefix(err, "cannot create the journal");
        } else {
            rc = migrate(s, state.version, err);
        }
    }
    if (rc < 0) {
        st_rollback(s);
        return -1;
    }
    if (st_commit(s, err) < 0)
        return -1;
    if (changed && !s->memory_copy)
        s->file_version = STORE_SCHEMA_VERSION;
    return rc == 1 && !write ? 1 : 0;
}

int store_schema_check(struct store *s, bool create, struct err *err)
{
    return prepare_tx(s, create, false, err);
}

int store_schema_apply(struct store *s, bool create, struct err *err)
{
    return prepare_tx(s, create, true, err);
}
