/* store_schema_test.c - journals that are not the current one: an older
 * schema is upgraded with its data intact, a newer one is refused, and a
 * missing, empty, foreign or corrupt run.db is an error naming the path. */
#include "store_testutil.h"

#include <fcntl.h>
#include <sqlite3.h>

#include "util/log.h"

/* The journal of schema v0 (the unversioned prototype), frozen: the v1
 * tables without run.resumes, nodes.diff and executions.files_blocked. */
static const char v0_journal[] =
    "CREATE TABLE run (id INTEGER PRIMARY KEY CHECK (id = 1), task_name TEXT NOT NULL, task_dir TEXT,"
    " config_ini TEXT, settings TEXT, status TEXT NOT NULL, message TEXT, started_at REAL NOT NULL,"
    " ended_at REAL, updated_at REAL NOT NULL, best_score REAL, best_node_id INTEGER, usage TEXT);"
    "CREATE TABLE nodes (id INTEGER PRIMARY KEY, node_key TEXT NOT NULL UNIQUE,"
    " parent_id INTEGER REFERENCES nodes(id), parent2_id INTEGER REFERENCES nodes(id), lane INTEGER NOT NULL,"
    " stage TEXT NOT NULL, outer_step INTEGER, inner_step INTEGER, model_name TEXT, plan TEXT, code TEXT,"
    " block_before TEXT, block_after TEXT, status TEXT NOT NULL, score REAL, note TEXT,"
    " created_at REAL NOT NULL, updated_at REAL NOT NULL);"
    "CREATE TABLE executions (id INTEGER PRIMARY KEY, exec_key TEXT NOT NULL UNIQUE,"
    " node_id INTEGER REFERENCES nodes(id), attempt_dir TEXT, status TEXT NOT NULL, exit_code INTEGER,"
    " signal INTEGER, timed_out INTEGER, oom_killed INTEGER, output_truncated INTEGER, wall_s REAL, cpu_s REAL,"
    " peak_rss_bytes INTEGER, stdout_path TEXT, stderr_path TEXT, stdout_tail TEXT, stderr_tail TEXT,"
    " score REAL, has_submission INTEGER, submission_path TEXT, files_read TEXT, network_isolated INTEGER,"
    " memory_cgroup INTEGER, recorded_at REAL NOT NULL);"
    "CREATE TABLE llm_calls (id INTEGER PRIMARY KEY, call_key TEXT NOT NULL, stage TEXT, call_id TEXT,"
    " request TEXT, reply TEXT, finish TEXT, input_tokens INTEGER, output_tokens INTEGER, cached_tokens INTEGER,"
    " cost_usd REAL, latency_s REAL, tries INTEGER, model TEXT, request_id TEXT, sources TEXT,"
    " error_code INTEGER NOT NULL DEFAULT 0, error TEXT, recorded_at REAL NOT NULL);"
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, time REAL NOT NULL, type TEXT NOT NULL, data TEXT);"
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, updated_at REAL NOT NULL);"
    "INSERT INTO run VALUES (1, 'spaceship', '/tasks/spaceship', '', '{\"pipeline\":{\"lanes\":2}}', 'interrupted',"
    " NULL, 1700000000, 1700000100, 1700000100, 0.79, 1, NULL);"
    "INSERT INTO nodes VALUES (1, 'lane0/cand0', NULL, NULL, 0, 'candidate', NULL, NULL, 'lightgbm', 'plan',"
    " 'print(1)', NULL, NULL, 'ok', 0.79, NULL, 1700000050, 1700000050);"
    "INSERT INTO executions VALUES (1, 'lane0/cand0/run#0', 1, '/r/a', 'ok', 0, 0, 0, 0, 0, 3.5, 4.0, 1000,"
    " NULL, NULL, 'Final Validation Performance: 0.79', '', 0.79, 1, '/r/a/final/submission.csv',"
    " '[\"train.csv\"]', 1, 0, 1700000060);"
    "INSERT INTO events VALUES (1, 1700000000, 'run_started', '{}');";

/* Writes a SQLite file at dir/run.db with the given SQL. */
static void make_db(const char *dir, const char *sql)
{
    char *path = fs_join(dir, "run.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("fixture: %s", msg);
    sqlite3_close(db);
    free(path);
}

static void write_file(const char *dir, const void *data, size_t len)
{
    char *path = fs_join(dir, "run.db");
    struct err err = {{0}};
    assert_int_equal(fs_write_file(path, data, len, &err), 0);
    free(path);
}

static int user_version(const char *dir)
{
    char *path = fs_join(dir, "run.db");
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return v;
}

/* store_open must fail with a message containing every needle. */
static void expect_open_error(const char *dir, bool create, const char *needle1, const char *needle2)
{
    struct err err = {{0}};
    struct store *s = (struct store *)0x1;
    assert_int_equal(store_open(dir, create, &s, &err), -1);
    assert_null(s);
    if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, needle1, needle2 ? needle2 : "");
}

static void test_v0_journal_is_upgraded(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    make_db(dir, v0_journal);
    assert_int_equal(user_version(dir), 0);

    struct store *s = open_run(dir, false);
    assert_int_equal(user_version(dir), STORE_SCHEMA_VERSION);
    struct err err = {{0}};
    json_t *run = store_run_json(s, &err);
    assert_non_null(run);
    assert_string_equal(json_string_value(json_object_get(run, "task")), "spaceship");
    assert_int_equal(json_integer_value(json_object_get(run, "resumes")), 0);
    json_decref(run);

    /* the old rows read back through the new code, new columns empty */
    json_t *node = store_node_json(s, 1, &err);
    assert_non_null(node);
    assert_true(json_is_null(json_object_get(node, "diff")));
    assert_string_equal(json_string_value(json_object_get(node, "model_name")), "lightgbm");
    json_decref(node);
    struct exec_result out;
    assert_int_equal(store_exec_lookup(s, "lane0/cand0/run#0", &out, &err), 1);
    assert_int_equal(out.nfiles_read, 1);
    assert_int_equal(out.nfiles_blocked, 0);
    assert_true(out.has_score && out.score == 0.79);
    free(out.stdout_tail);
    free(out.stderr_tail);
    free(out.submission_path);
    free(out.files_read[0]);
    free(out.files_read);

    /* and the new columns work */
    assert_int_equal(store_run_resumed(s, &err), 0);
    struct store_node n = test_node("lane0/t1/k0", 1);
    n.diff = "+x";
    int64_t id;
    assert_int_equal(store_node_add(s, &n, &id, &err), 0);
    node = store_node_json(s, id, &err);
    assert_string_equal(json_string_value(json_object_get(node, "diff")), "+x");
    json_decref(node);
    store_close(s);

    /* reopening an upgraded journal changes nothing */
    s = open_run(dir, false);
    run = store_run_json(s, &err);
    assert_int_equal(json_integer_value(json_object_get(run, "resumes")), 1);
    json_decref(run);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_newer_journal_is_refused(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct store *s = open_run(dir, true);
    store_close(s);
    char *sql = xasprintf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    make_db(dir, sql);
    free(sql);
    expect_open_error(dir, false, "written by a newer mlestar", "run.db");
    expect_open_error(dir, true, "written by a newer mlestar", NULL);
    rm_tmpdir(dir);
}

static void test_missing_journal(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *db = fs_join(dir, "run.db");
    expect_open_error(dir, false, "no journal at", db);
    assert_false(fs_exists(db)); /* nothing was created */
    char *absent = fs_join(dir, "no/such/run");
    expect_open_error(absent, false, "no journal at", absent);
    free(absent);
    free(db);
    rm_tmpdir(dir);
}

static void test_empty_and_foreign_databases(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    write_file(dir, "", 0);
    expect_open_error(dir, false, "holds no journal", "run.db");
    char *db = fs_join(dir, "run.db");
    assert_int_equal(fs_size(db), 0); /* looking did not write to it */
    free(db);
    struct store *s = open_run(dir, true); /* creating over an empty file is fine */
    store_close(s);

    char *other = make_tmpdir();
    make_db(other, "CREATE TABLE photos (id INTEGER)");
    expect_open_error(other, false, "not an mlestar journal", "no `run` table");
    expect_open_error(other, true, "not an mlestar journal", NULL);
    rm_tmpdir(other);
    rm_tmpdir(dir);
}

static void test_corrupt_journal(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    unsigned char noise[8192];
    srand(42);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)rand();
    write_file(dir, noise, sizeof noise);
    expect_open_error(dir, false, "run.db", "corrupt");
    expect_open_error(dir, true, "run.db", "corrupt");

    /* a real header followed by garbage */
    memcpy(noise, "SQLite format 3", 16);
    write_file(dir, noise, sizeof noise);
    expect_open_error(dir, false, "run.db", NULL);

    /* a journal truncated in the middle */
    char *good = make_tmpdir();
    struct store *s = open_run(good, true);
    for (int i = 0; i < 200; i++) {
        char key[32];
        snprintf(key, sizeof key, "node%d", i);
        add_node(s, key, 0);
    }
    store_close(s); /* checkpoints the WAL into run.db */
    char *path = fs_join(good, "run.db");
    char *bytes = NULL;
    size_t len = 0;
    struct err err = {{0}};
    assert_int_equal(fs_read_file(path, 0, &bytes, &len, &err), 0);
    assert_true(len > 8192);
    write_file(dir, bytes, len / 2);
    /* either it does not open, or reading it fails: never a crash */
    if (store_open(dir, false, &s, &err) == 0) {
        json_t *nodes = store_nodes_json(s, true, &err);
        if (nodes)
            assert_true(json_array_size(nodes) < 200);
        else
            assert_non_null(strstr(err.msg, "run.db"));
        json_decref(nodes);
        store_close(s);
    }
    free(bytes);
    free(path);
    rm_tmpdir(good);
    rm_tmpdir(dir);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v0_journal_is_upgraded),
        cmocka_unit_test(test_newer_journal_is_refused),
        cmocka_unit_test(test_missing_journal),
        cmocka_unit_test(test_empty_and_foreign_databases),
        cmocka_unit_test(test_corrupt_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
