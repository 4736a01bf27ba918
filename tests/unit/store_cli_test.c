/* store_cli_test.c - `mlestar runs` and `mlestar show` on journals built
 * here through the store API: a finished run with a lineage (candidates, a
 * merge with two parents, a refinement, an ensemble), executions and LLM
 * calls, next to a corrupt journal; and that looking (runs, show) leaves a
 * journal's bytes as they were, even an older one's. Runs $MLESTAR_BIN (set
 * by ctest) with fork/exec; skipped when the binary is not built. */
#include "store_testutil.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "util/log.h"

struct fixture {
    char *dir;       /* the runs folder */
    char *run;       /* dir/2024-a (a good journal) */
    char *bad;       /* dir/2024-b (random bytes) */
    int64_t refine;  /* id of the refinement node */
};

static const char *binary(void)
{
    const char *bin = getenv("MLESTAR_BIN");
    return bin && access(bin, X_OK) == 0 ? bin : NULL;
}

/* Runs the binary with args; returns its exit status (-1 if it died of a
 * signal) and its stdout/stderr (malloc'd). */
static int run_mlestar(const char *const *args, char **out, char **errtext, const char *dir)
{
    char *out_path = fs_join(dir, "stdout.txt"), *err_path = fs_join(dir, "stderr.txt");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        const char *argv[16] = {binary()};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    struct err err = {{0}};
    assert_int_equal(fs_read_file(out_path, 0, out, NULL, &err), 0);
    assert_int_equal(fs_read_file(err_path, 0, errtext, NULL, &err), 0);
    free(out_path);
    free(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void must_contain(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("output lacks \"%s\":\n%s", needle, text);
}

static int64_t add_full_node(struct store *s, struct store_node n)
{
    struct err err = {{0}};
    int64_t id;
    if (store_node_add(s, &n, &id, &err) < 0)
        fail_msg("%s", err.msg);
    return id;
}

static void build_good_run(struct fixture *f)
{
    struct err err = {{0}};
    struct store *s = open_run(f->run, true);
    json_t *settings = json_pack("{s:{s:i}}", "pipeline", "lanes", 1);
    assert_int_equal(store_run_begin(s, "titanic", "/tasks/titanic", "[run]\n", settings, &err), 0);
    json_decref(settings);

    struct store_node c0 = test_node("lane0/cand0", 0);
    c0.model_name = "xgboost";
    c0.has_score = true;
    c0.score = 0.81;
    c0.status = "ok";
    int64_t id0 = add_full_node(s, c0);
    struct store_node c1 = test_node("lane0/cand1", 0);
    c1.model_name = "lightgbm";
    c1.status = "failed";
    int64_t id1 = add_full_node(s, c1);
    struct store_node merge = test_node("lane0/merge", id0);
    merge.parent2_id = id1;
    merge.stage = "merge";
    merge.plan = "merge lightgbm into xgboost\nsecond line";
    int64_t idm = add_full_node(s, merge);
    struct store_node refine = test_node("lane0/t1/k0", idm);
    refine.stage = "refine";
    refine.outer_step = 1;
    refine.inner_step = 0;
    refine.plan = "target-encode the cabin deck";
    refine.block_before = "X = df[cols]";
    refine.block_after = "X = encode(df[cols])";
    refine.has_score = true;
    refine.score = 0.875;
    refine.status = "best";
    f->refine = add_full_node(s, refine);
    struct store_node ens = test_node("ensemble/r0", f->refine);
    ens.lane = -1;
    ens.stage = "ensemble";
    add_full_node(s, ens);

    char *read[] = {"train.csv"};
    struct exec_result r = {.status = EXEC_OK, .wall_s = 42, .cpu_s = 80, .peak_rss_bytes = 512LL << 20,
                            .stdout_tail = "epoch 1\nFinal Validation Performance: 0.875\n",
                            .stderr_tail = "warning: deprecated\n", .has_score = true, .score = 0.875,
                            .files_read = read, .nfiles_read = 1};
    assert_int_equal(store_exec_save(s, "lane0/t1/k0/run#0:ab", f->refine, "/runs/a/lanes/0/0004-refine", &r, &err), 0);

    struct llm_recorder rec;
    store_llm_recorder(s, &rec);
    const struct llm_message m[] = {{LLM_USER, "implement the plan"}};
    struct llm_request req = {.stage = "implement", .call_id = "lane0/t1/k0/implement#1", .messages = m,
                              .nmessages = 1};
    struct llm_reply reply = {.text = "```python\n```", .usage = {1000, 200, 0}, .cost_usd = 0.5, .tries = 1,
                              .latency_s = 4, .queued_s = 1.5, .model = "gpt-test", .request_id = ""};
    rec.save(rec.ctx, "key1", &req, &reply, 0, NULL);
    assert_int_equal(store_run_set_best(s, 0.875, f->refine, &err), 0);
    assert_int_equal(store_event(s, "run_finished", NULL, NULL, &err), 0);
    assert_int_equal(store_run_set_status(s, "finished", NULL, &err), 0);
    store_close(s);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->dir = make_tmpdir();
    f->run = fs_join(f->dir, "2024-a");
    f->bad = fs_join(f->dir, "2024-b");
    build_good_run(f);
    struct err err = {{0}};
    char *not_a_run = fs_join(f->dir, "notes");
    assert_int_equal(fs_mkdir_p(not_a_run, 0755, &err), 0);
    free(not_a_run);
    assert_int_equal(fs_mkdir_p(f->bad, 0755, &err), 0);
    char *bad_db = fs_join(f->bad, "run.db");
    char noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (char)(i * 131 + 7);
    assert_int_equal(fs_write_file(bad_db, noise, sizeof noise, &err), 0);
    free(bad_db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rm_tmpdir(f->dir);
    free(f->run);
    free(f->bad);
    free(f);
    return 0;
}

static void test_runs_lists_good_and_bad(void **state)
{
    struct fixture *f = *state;
    if (!binary())
        skip();
    char *out, *errtext;
    const char *args[] = {"runs", f->dir, NULL};
    assert_int_equal(run_mlestar(args, &out, &errtext, f->dir), 0);
    must_contain(out, "2024-a");
    must_contain(out, "titanic");
    must_contain(out, "finished");
    must_contain(out, "0.875");
    must_contain(out, "$0.50");
    must_contain(out, "2024-b");
    must_contain(out, "error:");
    assert_null(strstr(out, "notes"));
    free(out);
    free(errtext);

    const char *json_args[] = {"runs", f->dir, "--json", NULL};
    assert_int_equal(run_mlestar(json_args, &out, &errtext, f->dir), 0);
    json_t *rows = json_loads(out, 0, NULL);
    assert_int_equal(json_array_size(rows), 2);
    json_t *good = json_array_get(rows, 0), *bad = json_array_get(rows, 1);
    assert_string_equal(json_string_value(json_object_get(good, "task")), "titanic");
    assert_true(json_number_value(json_object_get(good, "best_score")) == 0.875);
    assert_true(json_number_value(json_object_get(good, "cost_usd")) == 0.5);
    assert_int_equal(json_integer_value(json_object_get(good, "nodes")), 5);
    must_contain(json_string_value(json_object_get(bad, "error")), "2024-b/run.db");
    json_decref(rows);
    free(out);
    free(errtext);
}

static void test_show_lineage(void **state)
{
    struct fixture *f = *state;
    if (!binary())
        skip();
    char *out, *errtext;
    const char *args[] = {"show", f->run, NULL};
    assert_int_equal(run_mlestar(args, &out, &errtext, f->dir), 0);
    must_contain(out, "titanic");
    must_contain(out, "(node #4)");
    must_contain(out, "xgboost");
    must_contain(out, "merge lightgbm into xgboost");
    assert_null(strstr(out, "second line"));
    must_contain(out, "(+#2)");
    must_contain(out, "t1 k0");
    /* the tree: refine is under merge, ensemble under refine */
    must_contain(out, "\n#1 ");
    must_contain(out, "\n  #3 ");
    must_contain(out, "\n    #4 ");
    must_contain(out, "\n      #5 ");
    free(out);
    free(errtext);

    const char *json_args[] = {"show", f->run, "--json", NULL};
    assert_int_equal(run_mlestar(json_args, &out, &errtext, f->dir), 0);
    json_t *doc = json_loads(out, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "nodes")), 5);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "run"), "status")), "finished");
    json_decref(doc);
    free(out);
    free(errtext);
}

static void test_show_node(void **state)
{
    struct fixture *f = *state;
    if (!binary())
        skip();
    char *out, *errtext;
    const char *args[] = {"show", f->run, "lane0/t1/k0", NULL};
    assert_int_equal(run_mlestar(args, &out, &errtext, f->dir), 0);
    must_contain(out, "target-encode the cabin deck");
    must_contain(out, "--- block before ---\nX = df[cols]");
    must_contain(out, "--- block after ---\nX = encode(df[cols])");
    must_contain(out, "--- code ---");
    must_contain(out, "Final Validation Performance: 0.875");
    must_contain(out, "warning: deprecated");
    must_contain(out, "files read: train.csv");
    must_contain(out, "512.0 MiB");
    must_contain(out, "implement#1");
    must_contain(out, "4.0s (1.5s queued)");
    free(out);
    free(errtext);

    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)f->refine);
    const char *json_args[] = {"show", f->run, id, "--json", NULL};
    assert_int_equal(run_mlestar(json_args, &out, &errtext, f->dir), 0);
    json_t *node = json_loads(out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(node, "node_key")), "lane0/t1/k0");
    assert_int_equal(json_array_size(json_object_get(node, "executions")), 1);
    assert_int_equal(json_array_size(json_object_get(node, "llm_calls")), 1);
    json_decref(node);
    free(out);
    free(errtext);
}

static void test_show_errors(void **state)
{
    struct fixture *f = *state;
    if (!binary())
        skip();
    char *out, *errtext;
    const char *missing_node[] = {"show", f->run, "999", NULL};
    assert_int_equal(run_mlestar(missing_node, &out, &errtext, f->dir), 1);
    must_contain(errtext, "no node \"999\"");
    free(out);
    free(errtext);

    const char *corrupt[] = {"show", f->bad, NULL};
    assert_int_equal(run_mlestar(corrupt, &out, &errtext, f->dir), 1);
    must_contain(errtext, "2024-b/run.db");
    must_contain(errtext, "corrupt");
    free(out);
    free(errtext);

    const char *no_run[] = {"show", f->dir, NULL};
    assert_int_equal(run_mlestar(no_run, &out, &errtext, f->dir), 1);
    must_contain(errtext, "no journal at");
    free(out);
    free(errtext);
}

/* RUN/run.db's bytes (malloc'd). */
static char *journal_bytes(const char *run, size_t *len)
{
    char *path = fs_join(run, "run.db");
    char *bytes = NULL;
    struct err err = {{0}};
    assert_int_equal(fs_read_file(path, 0, &bytes, len, &err), 0);
    free(path);
    return bytes;
}

/* Runs `mlestar ARGS` (exit 0 expected) and returns its stdout (malloc'd). */
static char *look(const char *const *args, const char *scratch)
{
    char *out, *errtext;
    int rc = run_mlestar(args, &out, &errtext, scratch);
    if (rc != 0)
        fail_msg("mlestar %s exited %d: %s", args[0], rc, errtext);
    free(errtext);
    return out;
}

/* Runs runs, show, show NODE and show --json on RUN, checking run.db's bytes
 * stay the same; returns the output of `show RUN` (malloc'd). */
static char *look_at_run(const char *run, const char *scratch)
{
    size_t len, after_len;
    char *before = journal_bytes(run, &len);
    const char *runs[] = {"runs", run, NULL};
    const char *show[] = {"show", run, NULL};
    const char *show_json[] = {"show", run, "--json", NULL};
    const char *show_node[] = {"show", run, "lane0/t1/k0", NULL};
    char *out = look(runs, scratch);
    must_contain(out, "titanic");
    free(out);
    out = look(show_json, scratch);
    free(out);
    out = look(show_node, scratch);
    must_contain(out, "target-encode the cabin deck");
    free(out);
    out = look(show, scratch);
    must_contain(out, "(node #4)");
    char *after = journal_bytes(run, &after_len);
    assert_int_equal(after_len, len);
    assert_memory_equal(after, before, len);
    free(after);
    free(before);
    return out;
}

static void test_looking_changes_nothing(void **state)
{
    struct fixture *f = *state;
    if (!binary())
        skip();
    char *scratch = make_tmpdir();
    char *out = look_at_run(f->run, scratch);
    assert_null(strstr(out, "older than"));
    free(out);

    /* a copy turned into a journal of schema v1 (before llm_calls.queued_s) */
    char *old = fs_join(scratch, "old-run");
    char *old_db = fs_join(old, "run.db");
    struct err err = {{0}};
    assert_int_equal(fs_mkdir_p(old, 0755, &err), 0);
    size_t len;
    char *bytes = journal_bytes(f->run, &len);
    assert_int_equal(fs_write_file(old_db, bytes, len, &err), 0);
    free(bytes);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(old_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE llm_calls DROP COLUMN queued_s; ALTER TABLE executions DROP COLUMN confinement;"
                                          " PRAGMA user_version = 1",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(journal_user_version(old), 1);

    out = look_at_run(old, scratch);
    must_contain(out, "schema v1, older than");
    must_contain(out, "mlestar resume");
    free(out);
    assert_int_equal(journal_user_version(old), 1);
    free(old_db);
    free(old);
    rm_tmpdir(scratch);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_lists_good_and_bad),
        cmocka_unit_test(test_show_lineage),
        cmocka_unit_test(test_show_node),
        cmocka_unit_test(test_show_errors),
        cmocka_unit_test(test_looking_changes_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
