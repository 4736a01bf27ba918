/* store_schema_test.c - journals that are not the current one: an older
 * schema is upgraded with its data intact, a newer one is refused, and a
 * missing, empty, foreign or corrupt run.db is an error naming the path.
 * A read-only open (runs, show) never changes the file, not even an older
 * one, which it reads through a migrated copy in memory. */
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

/* The journal of schema v1, frozen: v0 upgraded (the 0 -> 1 migration as it
 * was), so without llm_calls.queued_s, plus one LLM call. */
static const char v1_upgrade[] =
    "ALTER TABLE run ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE nodes ADD COLUMN diff TEXT;"
    "ALTER TABLE executions ADD COLUMN files_blocked TEXT;"
    "INSERT INTO llm_calls VALUES (1, 'key-v1', 'candidate', 'lane0/cand0/implement#1', '{}', 'print(1)', 'stop',"
    " 100, 20, 0, 0.01, 3.0, 1, 'gpt-old', 'req-1', NULL, 0, NULL, 1700000040);"
    "PRAGMA user_version = 1;";

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
    assert_int_equal(journal_user_version(dir), 0);

    struct store *s = open_run(dir, false);
    assert_int_equal(journal_user_version(dir), STORE_SCHEMA_VERSION);
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

/* What llm_reply_free() does (the journal's tests do not link the client);
 * the replies here carry no sources. */
static void free_reply(struct llm_reply *r)
{
    assert_int_equal(r->nsources, 0);
    free(r->text);
    free(r->request_id);
    free(r->model);
    free(r->sources);
}

static void test_v1_journal_gets_queued_s(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *sql = xasprintf("%s%s", v0_journal, v1_upgrade);
    make_db(dir, sql);
    free(sql);
    assert_int_equal(journal_user_version(dir), 1);

    struct store *s = open_run(dir, false);
    assert_int_equal(journal_user_version(dir), STORE_SCHEMA_VERSION);
    assert_int_equal(store_file_schema_version(s), STORE_SCHEMA_VERSION);
    struct llm_recorder rec;
    store_llm_recorder(s, &rec);
    const struct llm_message m[] = {{LLM_USER, "implement"}};
    struct llm_request req = {.stage = "candidate", .call_id = "lane0/cand1/implement#1", .messages = m,
                              .nmessages = 1};
    struct llm_reply reply;
    assert_int_equal(rec.lookup(rec.ctx, "key-v1", &req, &reply), 1); /* the old call, no queue time */
    assert_true(reply.latency_s == 3.0);
    assert_true(reply.queued_s == 0);
    assert_string_equal(reply.model, "gpt-old");
    free_reply(&reply);

    struct llm_reply in = {.text = "ok", .usage = {10, 2, 0}, .latency_s = 2.0, .queued_s = 1.5, .tries = 1,
                           .model = "gpt-new", .request_id = ""};
    rec.save(rec.ctx, "key-v2", &req, &in, 0, NULL);
    assert_int_equal(rec.lookup(rec.ctx, "key-v2", &req, &reply), 1);
    assert_true(reply.queued_s == 1.5);
    free_reply(&reply);
    struct err err = {{0}};
    json_t *run = store_run_json(s, &err);
    json_t *llm = json_object_get(json_object_get(run, "totals"), "llm");
    assert_int_equal(json_integer_value(json_object_get(llm, "calls")), 2);
    assert_true(json_real_value(json_object_get(llm, "latency_s")) == 5.0);
    assert_true(json_real_value(json_object_get(llm, "queued_s")) == 1.5);
    json_decref(run);
    store_close(s);
    rm_tmpdir(dir);
}

/* dir/run.db's bytes (malloc'd, *len set). */
static char *db_bytes(const char *dir, size_t *len)
{
    char *path = fs_join(dir, "run.db");
    char *bytes = NULL;
    struct err err = {{0}};
    assert_int_equal(fs_read_file(path, 0, &bytes, len, &err), 0);
    free(path);
    return bytes;
}

static void assert_same_bytes(const char *dir, const char *before, size_t before_len)
{
    size_t len;
    char *now = db_bytes(dir, &len);
    assert_int_equal(len, before_len);
    assert_memory_equal(now, before, len);
    free(now);
}

static struct store *open_readonly(const char *dir)
{
    struct err err = {{0}};
    struct store *s = NULL;
    if (store_open_readonly(dir, &s, &err) < 0)
        fail_msg("store_open_readonly(%s): %s", dir, err.msg);
    return s;
}

/* Every kind of write fails, naming the journal and why. */
static void expect_writes_refused(struct store *s)
{
    struct err err = {{0}};
    int64_t id;
    struct store_node n = test_node("lane0/new", 0);
    assert_int_equal(store_node_add(s, &n, &id, &err), -1);
    assert_non_null(strstr(err.msg, "read-only"));
    assert_non_null(strstr(err.msg, "run.db"));
    assert_int_equal(store_run_resumed(s, &err), -1);
    assert_int_equal(store_step_begin(s, &err), -1);
    assert_int_equal(store_event(s, "x", NULL, NULL, &err), -1);
    assert_int_equal(store_kv_set(s, "k", "v", &err), -1);
}

static void test_readonly_open_leaves_current_journal_alone(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct store *s = open_run(dir, true);
    struct err err = {{0}};
    assert_int_equal(store_run_begin(s, "titanic", "/t", "", NULL, &err), 0);
    add_node(s, "lane0/cand0", 0);
    store_close(s);

    s = open_readonly(dir);
    assert_int_equal(store_file_schema_version(s), STORE_SCHEMA_VERSION);
    assert_int_equal(count_nodes(s), 1);
    json_t *run = store_run_json(s, &err);
    assert_string_equal(json_string_value(json_object_get(run, "task")), "titanic");
    assert_int_equal(json_integer_value(json_object_get(run, "schema_version")), STORE_SCHEMA_VERSION);
    json_decref(run);
    expect_writes_refused(s);
    /* a writer in another connection meanwhile is seen by the reader */
    struct store *w = open_run(dir, false);
    add_node(w, "lane0/cand1", 0);
    assert_int_equal(count_nodes(s), 2);
    store_close(w);
    store_close(s);
    size_t len;
    char *before = db_bytes(dir, &len);

    s = open_readonly(dir);
    assert_int_equal(count_nodes(s), 2);
    store_close(s);
    assert_same_bytes(dir, before, len);
    free(before);
    rm_tmpdir(dir);
}

static void test_readonly_open_reads_old_journal_without_upgrading(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    make_db(dir, v0_journal);
    size_t len;
    char *before = db_bytes(dir, &len);

    struct store *s = open_readonly(dir);
    assert_int_equal(store_file_schema_version(s), 0);
    struct err err = {{0}};
    json_t *run = store_run_json(s, &err);
    assert_non_null(run);
    assert_string_equal(json_string_value(json_object_get(run, "task")), "spaceship");
    assert_int_equal(json_integer_value(json_object_get(run, "resumes")), 0);
    assert_int_equal(json_integer_value(json_object_get(run, "schema_version")), 0);
    json_decref(run);
    json_t *node = store_node_json(s, 1, &err);
    assert_non_null(node);
    assert_true(json_is_null(json_object_get(node, "diff")));
    assert_string_equal(json_string_value(json_object_get(node, "model_name")), "lightgbm");
    assert_int_equal(json_array_size(json_object_get(node, "executions")), 1);
    json_decref(node);
    json_t *calls = store_llm_calls_json(s, &err);
    assert_int_equal(json_array_size(calls), 0);
    json_decref(calls);
    expect_writes_refused(s);
    store_close(s);
    assert_int_equal(journal_user_version(dir), 0);
    assert_same_bytes(dir, before, len);
    free(before);

    /* a writer (a run, `mlestar resume`) still upgrades it */
    s = open_run(dir, false);
    store_close(s);
    assert_int_equal(journal_user_version(dir), STORE_SCHEMA_VERSION);
    rm_tmpdir(dir);
}

/* store_open_readonly must fail with a message containing needle. */
static void expect_readonly_error(const char *dir, const char *needle)
{
    struct err err = {{0}};
    struct store *s = (struct store *)0x1;
    assert_int_equal(store_open_readonly(dir, &s, &err), -1);
    assert_null(s);
    if (!strstr(err.msg, needle) || !strstr(err.msg, "run.db"))
        fail_msg("error \"%s\" lacks \"%s\" or run.db", err.msg, needle);
}

static void test_readonly_open_refuses_what_open_refuses(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *db = fs_join(dir, "run.db");
    expect_readonly_error(dir, "no journal at");
    assert_false(fs_exists(db));
    write_file(dir, "", 0);
    expect_readonly_error(dir, "holds no journal");
    assert_int_equal(fs_size(db), 0);
    make_db(dir, "CREATE TABLE photos (id INTEGER)");
    expect_readonly_error(dir, "not an mlestar journal");
    char *sql = xasprintf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    make_db(dir, sql);
    free(sql);
    expect_readonly_error(dir, "written by a newer mlestar");
    assert_int_equal(journal_user_version(dir), STORE_SCHEMA_VERSION + 1);
    free(db);
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
        cmocka_unit_test(test_v1_journal_gets_queued_s),
        cmocka_unit_test(test_readonly_open_leaves_current_journal_alone),
        cmocka_unit_test(test_readonly_open_reads_old_journal_without_upgrading),
        cmocka_unit_test(test_readonly_open_refuses_what_open_refuses),
        cmocka_unit_test(test_newer_journal_is_refused),
        cmocka_unit_test(test_missing_journal),
        cmocka_unit_test(test_empty_and_foreign_databases),
        cmocka_unit_test(test_corrupt_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
