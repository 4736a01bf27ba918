/* store_journal_test.c - the journal: open/reopen, WAL, run row, settings
 * check, nodes (idempotent by key), events (table + events.jsonl), progress
 * markers, step atomicity (rollback, concurrent reader, kill -9) and four
 * threads writing at once. */
#include "store_testutil.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "util/log.h"

static char *run_path(const char *dir)
{
    return fs_join(dir, "run");
}

static void test_open_create_reopen_and_wal(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *run = run_path(dir);
    struct store *s = open_run(run, true);
    assert_string_equal(store_run_dir(s), run);
    assert_false(store_run_exists(s));
    store_close(s);

    char *db_path = fs_join(run, "run.db");
    assert_true(fs_is_file(db_path));
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* reopen without create */
    s = open_run(run, false);
    store_close(s);
    free(db_path);
    free(run);
    rm_tmpdir(dir);
}

static void test_run_row_and_settings_difference(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct store *s = open_run(dir, true);
    struct err err = {{0}};
    json_t *settings = json_pack("{s:{s:i, s:i}, s:{s:s}}", "pipeline", "outer_steps", 4, "lanes", 2, "llm",
                                 "model", "a");
    assert_int_equal(store_run_begin(s, "titanic", "/data/titanic", "[run]\nseed = 1\n", settings, &err), 0);
    assert_true(store_run_exists(s));
    assert_int_equal(store_run_begin(s, "titanic", "/data/titanic", "", settings, &err), -1);
    assert_non_null(strstr(err.msg, "already holds a run of task titanic"));

    char *diff = NULL;
    assert_int_equal(store_run_check_settings(s, settings, &diff, &err), 0);
    assert_null(diff);
    json_t *changed = json_pack("{s:{s:i, s:i}, s:{s:s}, s:i}", "pipeline", "outer_steps", 2, "lanes", 2, "llm",
                                "model", "b", "x", 1);
    assert_int_equal(store_run_check_settings(s, changed, &diff, &err), 1);
    assert_string_equal(diff, "llm.model: journal \"a\", now \"b\"; pipeline.outer_steps: journal 4, now 2; "
                              "x: journal (absent), now 1");
    free(diff);
    json_decref(changed);

    assert_int_equal(store_run_set_status(s, "sleeping", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "unknown run status \"sleeping\""));
    assert_int_equal(store_run_set_status(s, "interrupted", "killed", &err), 0);
    json_t *run = store_run_json(s, &err);
    assert_string_equal(json_string_value(json_object_get(run, "status")), "interrupted");
    assert_string_equal(json_string_value(json_object_get(run, "message")), "killed");
    assert_true(json_is_number(json_object_get(run, "ended_at")));
    json_decref(run);

    assert_int_equal(store_run_resumed(s, &err), 0);
    int64_t id = add_node(s, "lane0/t0", 0);
    assert_int_equal(store_run_set_best(s, 0.875, id, &err), 0);
    json_t *usage = json_pack("{s:{s:{s:i}}}", "llm", "candidate", "calls", 3);
    assert_int_equal(store_run_set_usage(s, usage, &err), 0);
    assert_int_equal(store_run_set_status(s, "finished", NULL, &err), 0);

    run = store_run_json(s, &err);
    assert_non_null(run);
    assert_string_equal(json_string_value(json_object_get(run, "task")), "titanic");
    assert_string_equal(json_string_value(json_object_get(run, "status")), "finished");
    assert_string_equal(json_string_value(json_object_get(run, "message")), "killed");
    assert_int_equal(json_integer_value(json_object_get(run, "resumes")), 1);
    assert_true(json_number_value(json_object_get(run, "best_score")) == 0.875);
    assert_int_equal(json_integer_value(json_object_get(run, "best_node_id")), id);
    assert_true(json_equal(json_object_get(run, "usage"), usage));
    assert_true(json_equal(json_object_get(run, "settings"), settings));
    assert_string_equal(json_string_value(json_object_get(run, "config_ini")), "[run]\nseed = 1\n");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(run, "totals"), "nodes")), 1);
    assert_true(json_number_value(json_object_get(run, "wall_s")) >= 0);
    json_decref(run);
    json_decref(usage);
    json_decref(settings);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_settings_check_without_run(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct store *s = open_run(dir, true);
    struct err err = {{0}};
    char *diff = NULL;
    json_t *settings = json_object();
    assert_int_equal(store_run_check_settings(s, settings, &diff, &err), -1);
    assert_non_null(strstr(err.msg, "no run is recorded"));
    assert_int_equal(store_run_set_status(s, "finished", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no run is recorded"));
    json_decref(settings);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_nodes_idempotent_across_reopen(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    int64_t root = add_node(s, "lane0/cand0", 0);
    struct store_node n = test_node("lane0/t1/k2", root);
    n.stage = "refine";
    n.outer_step = 1;
    n.inner_step = 2;
    n.plan = "use more trees";
    n.block_before = "n_estimators=100";
    n.block_after = "n_estimators=500";
    n.diff = "-100\n+500\n";
    n.has_score = true;
    n.score = 0.9;
    n.model_name = "xgboost";
    int64_t child = 0;
    assert_int_equal(store_node_add(s, &n, &child, &err), 0);
    assert_true(child > root);
    store_close(s);

    s = open_run(dir, false);
    int64_t again = 0;
    assert_int_equal(store_node_add(s, &n, &again, &err), 0);
    assert_int_equal(again, child);
    assert_int_equal(add_node(s, "lane0/cand0", 0), root);
    assert_int_equal(count_nodes(s), 2);

    /* a parent that does not exist is refused */
    int64_t bad = 0;
    struct store_node orphan = test_node("orphan", 4242);
    assert_int_equal(store_node_add(s, &orphan, &bad, &err), -1);
    assert_non_null(strstr(err.msg, "must be recorded first"));

    assert_int_equal(store_node_update(s, child, "best", true, 0.95, "new best", &err), 0);
    assert_int_equal(store_node_update(s, 999, "ok", false, 0, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "no node 999"));

    int64_t found = 0;
    assert_int_equal(store_node_find(s, "lane0/t1/k2", &found, &err), 0);
    assert_int_equal(found, child);
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)root);
    assert_int_equal(store_node_find(s, idtext, &found, &err), 0);
    assert_int_equal(found, root);
    assert_int_equal(store_node_find(s, "lane9", &found, &err), -1);
    assert_non_null(strstr(err.msg, "no node \"lane9\""));

    json_t *node = store_node_json(s, child, &err);
    assert_non_null(node);
    assert_string_equal(json_string_value(json_object_get(node, "status")), "best");
    assert_true(json_number_value(json_object_get(node, "score")) == 0.95);
    assert_string_equal(json_string_value(json_object_get(node, "note")), "new best");
    assert_string_equal(json_string_value(json_object_get(node, "block_after")), "n_estimators=500");
    assert_string_equal(json_string_value(json_object_get(node, "diff")), "-100\n+500\n");
    assert_int_equal(json_integer_value(json_object_get(node, "outer_step")), 1);
    assert_int_equal(json_integer_value(json_object_get(node, "parent_id")), root);
    assert_true(json_is_null(json_object_get(node, "parent2_id")));
    json_decref(node);
    node = store_node_json(s, root, &err);
    assert_int_equal(json_array_size(json_object_get(node, "children")), 1);
    assert_true(json_is_null(json_object_get(node, "outer_step")));
    json_decref(node);

    json_t *nodes = store_nodes_json(s, false, &err);
    assert_null(json_object_get(json_array_get(nodes, 0), "code"));
    json_decref(nodes);
    nodes = store_nodes_json(s, true, &err);
    assert_non_null(json_object_get(json_array_get(nodes, 0), "code"));
    json_decref(nodes);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_events_table_and_jsonl(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    int64_t seqs[3];
    for (int i = 0; i < 3; i++) {
        json_t *data = json_pack("{s:i, s:s}", "i", i, "type", "ignored");
        assert_int_equal(store_event(s, i == 2 ? "new_best" : "node_scored", data, &seqs[i], &err), 0);
        json_decref(data);
    }
    assert_int_equal(store_event(s, "stage_started", NULL, NULL, &err), 0);
    assert_true(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
    json_t *bad = json_array();
    assert_int_equal(store_event(s, "x", bad, NULL, &err), -1);
    json_decref(bad);

    json_t *events = store_events_json(s, seqs[0], &err);
    assert_int_equal(json_array_size(events), 3);
    json_t *e = json_array_get(events, 1);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), seqs[2]);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "new_best");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "data"), "i")), 2);
    json_decref(events);

    char *path = fs_join(dir, "events.jsonl");
    char *text = NULL;
    assert_int_equal(fs_read_file(path, 0, &text, NULL, &err), 0);
    int64_t last = 0;
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *obj = json_loads(line, 0, NULL);
        assert_non_null(obj);
        assert_true(json_is_string(json_object_get(obj, "t")));
        int64_t seq = json_integer_value(json_object_get(obj, "seq"));
        assert_true(seq > last);
        last = seq;
        const char *type = json_string_value(json_object_get(obj, "type"));
        assert_true(strcmp(type, "ignored") != 0); /* our type wins over data's */
        if (lines < 3)
            assert_int_equal(json_integer_value(json_object_get(obj, "i")), lines);
        lines++;
        json_decref(obj);
    }
    assert_int_equal(lines, 4);
    free(text);
    free(path);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_kv(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    assert_null(store_kv_get(s, "lane0.t1.extract"));
    assert_int_equal(store_kv_set(s, "lane0.t1.extract", "{\"block\":1}", &err), 0);
    assert_int_equal(store_kv_set(s, "lane0.t1.extract", "{\"block\":2}", &err), 0);
    char *v = store_kv_get(s, "lane0.t1.extract");
    assert_string_equal(v, "{\"block\":2}");
    free(v);
    store_close(s);
    rm_tmpdir(dir);
}

/* A step rolled back, by a failure inside it, leaves nothing behind. */
static void test_step_rollback_leaves_nothing(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    assert_int_equal(store_step_begin(s, &err), 0);
    int64_t id = add_node(s, "lane0/t1", 0);
    assert_int_equal(store_event(s, "node_added", NULL, NULL, &err), 0);
    assert_int_equal(store_kv_set(s, "lane0.t1", "done", &err), 0);
    struct exec_result res = {0};
    /* the failure: an execution of a node that does not exist */
    assert_int_equal(store_exec_save(s, "lane0/t1/run#0", id + 100, "/tmp/a", &res, &err), -1);
    store_step_rollback(s);

    assert_int_equal(count_nodes(s), 0);
    assert_int_equal(count_events(s), 0);
    assert_null(store_kv_get(s, "lane0.t1"));
    char *jsonl = fs_join(dir, "events.jsonl");
    assert_int_equal(count_lines(jsonl), 0);

    /* nested: the inner step's rollback keeps the outer step's writes */
    assert_int_equal(store_step_begin(s, &err), 0);
    add_node(s, "outer", 0);
    assert_int_equal(store_event(s, "outer", NULL, NULL, &err), 0);
    assert_int_equal(store_step_begin(s, &err), 0);
    add_node(s, "inner", 0);
    assert_int_equal(store_event(s, "inner", NULL, NULL, &err), 0);
    store_step_rollback(s);
    assert_int_equal(store_step_commit(s, &err), 0);
    assert_int_equal(count_nodes(s), 1);
    assert_int_equal(count_events(s), 1);
    assert_int_equal(count_lines(jsonl), 1);
    free(jsonl);
    store_close(s);
    rm_tmpdir(dir);
}

/* Another connection never sees a half-recorded step. */
static void test_reader_sees_whole_steps_only(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *writer = open_run(dir, true);
    struct store *reader = open_run(dir, false);
    char *jsonl = fs_join(dir, "events.jsonl");
    assert_int_equal(store_step_begin(writer, &err), 0);
    add_node(writer, "a", 0);
    assert_int_equal(store_event(writer, "node_added", NULL, NULL, &err), 0);
    assert_int_equal(count_nodes(reader), 0);
    assert_int_equal(count_events(reader), 0);
    assert_int_equal(count_lines(jsonl), 0);
    /* a second journal opened meanwhile (show, runs) does not wait for the step */
    struct store *viewer = open_run(dir, false);
    assert_int_equal(count_nodes(viewer), 0);
    store_close(viewer);
    assert_int_equal(store_step_commit(writer, &err), 0);
    assert_int_equal(count_nodes(reader), 1);
    assert_int_equal(count_events(reader), 1);
    assert_int_equal(count_lines(jsonl), 1);
    free(jsonl);
    store_close(reader);
    store_close(writer);
    rm_tmpdir(dir);
}

/* kill -9 in the middle of a step: the finished step is there, the
 * interrupted one is not. */
static void test_kill_mid_step(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct err err = {{0}};
        struct store *s;
        if (store_open(dir, true, &s, &err) < 0)
            _exit(3);
        struct store_node done = test_node("done", 0), half = test_node("half", 0);
        int64_t id;
        if (store_node_add(s, &done, &id, &err) < 0 || store_event(s, "done", NULL, NULL, &err) < 0)
            _exit(4);
        if (store_step_begin(s, &err) < 0 || store_node_add(s, &half, &id, &err) < 0 ||
            store_event(s, "half", NULL, NULL, &err) < 0)
            _exit(5);
        raise(SIGKILL);
        _exit(6);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct store *s = open_run(dir, false);
    struct err err = {{0}};
    int64_t id;
    assert_int_equal(store_node_find(s, "done", &id, &err), 0);
    assert_int_equal(store_node_find(s, "half", &id, &err), -1);
    assert_int_equal(count_nodes(s), 1);
    assert_int_equal(count_events(s), 1);
    char *jsonl = fs_join(dir, "events.jsonl");
    assert_int_equal(count_lines(jsonl), 1);
    free(jsonl);
    store_close(s);
    rm_tmpdir(dir);
}

#define THREADS 4
#define STEPS_PER_THREAD 100

struct worker {
    struct store *s;
    int lane;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < STEPS_PER_THREAD; i++) {
        struct err err = {{0}};
        char key[64];
        snprintf(key, sizeof key, "lane%d/k%d", w->lane, i);
        struct store_node n = test_node(key, 0);
        struct exec_result res = {0};
        res.wall_s = 1;
        int64_t id;
        json_t *data = json_pack("{s:s}", "node", key);
        bool ok = store_step_begin(w->s, &err) == 0;
        if (ok) {
            ok = store_node_add(w->s, &n, &id, &err) == 0 && store_exec_save(w->s, key, id, NULL, &res, &err) == 0 &&
                 store_event(w->s, "node_scored", data, NULL, &err) == 0 && store_kv_set(w->s, key, "1", &err) == 0;
            if (ok)
                ok = store_step_commit(w->s, &err) == 0;
            else
                store_step_rollback(w->s);
        }
        json_decref(data);
        if (!ok)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct store *s = open_run(dir, true);
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){s, i, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    struct err err = {{0}};
    assert_int_equal(count_nodes(s), THREADS * STEPS_PER_THREAD);
    json_t *events = store_events_json(s, 0, &err);
    assert_int_equal(json_array_size(events), THREADS * STEPS_PER_THREAD);
    for (size_t i = 0; i < json_array_size(events); i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(events, i), "seq")), (json_int_t)i + 1);
    json_decref(events);
    json_t *nodes = store_nodes_json(s, false, &err);
    for (size_t i = 0; i < json_array_size(nodes); i++)
        assert_int_equal(json_array_size(json_object_get(json_array_get(nodes, i), "executions")), 1);
    json_decref(nodes);
    char *jsonl = fs_join(dir, "events.jsonl");
    assert_int_equal(count_lines(jsonl), THREADS * STEPS_PER_THREAD);
    free(jsonl);
    store_close(s);
    rm_tmpdir(dir);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_create_reopen_and_wal),
        cmocka_unit_test(test_run_row_and_settings_difference),
        cmocka_unit_test(test_settings_check_without_run),
        cmocka_unit_test(test_nodes_idempotent_across_reopen),
        cmocka_unit_test(test_events_table_and_jsonl),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_step_rollback_leaves_nothing),
        cmocka_unit_test(test_reader_sees_whole_steps_only),
        cmocka_unit_test(test_kill_mid_step),
        cmocka_unit_test(test_concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
