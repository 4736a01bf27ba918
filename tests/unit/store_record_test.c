/* store_record_test.c - memoized steps: an execution and an LLM call saved
 * and looked up again with every field intact, failed calls never answered,
 * replies from the record not saved twice, and reads that survive output
 * that is not valid UTF-8. The exec_result / llm_reply built here are freed
 * by hand, the way exec_result_free() and llm_reply_free() do. */
#include "store_testutil.h"

#include "util/log.h"

static void free_strings(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void free_result(struct exec_result *r)
{
    free(r->stdout_path);
    free(r->stderr_path);
    free(r->stdout_tail);
    free(r->stderr_tail);
    free(r->submission_path);
    free_strings(r->files_read, r->nfiles_read);
    free_strings(r->files_blocked, r->nfiles_blocked);
    free(r->confinement);
}

static void free_reply(struct llm_reply *r)
{
    free(r->text);
    free(r->request_id);
    free(r->model);
    for (size_t i = 0; i < r->nsources; i++) {
        free(r->sources[i].title);
        free(r->sources[i].url);
    }
    free(r->sources);
}

static void test_exec_round_trip_every_field(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    int64_t node = add_node(s, "lane1/t0/k0", 0);
    char *read[] = {"train.csv", "test.csv"};
    char *blocked[] = {"/etc/passwd"};
    struct exec_result in = {
        .status = EXEC_TIMEOUT,
        .exit_code = -1,
        .signal = 15,
        .timed_out = true,
        .oom_killed = false,
        .output_truncated = true,
        .wall_s = 12.25,
        .cpu_s = 30.5,
        .peak_rss_bytes = 1234567890123LL,
        .stdout_path = "/run/a/stdout.txt",
        .stderr_path = "/run/a/stderr.txt",
        .stdout_tail = "Final Validation Performance: 0.8125\n",
        .stderr_tail = "Traceback ...\nKeyError: 'x'\n",
        .has_score = true,
        .score = 0.8125,
        .has_submission = true,
        .submission_path = "/run/a/final/submission.csv",
        .files_read = read,
        .nfiles_read = 2,
        .files_blocked = blocked,
        .nfiles_blocked = 1,
        .network_isolated = true,
        .memory_cgroup = true,
        .fs_confined = true,
        .confinement = "mount-ns+pivot_root, pid-ns, landlock v7, seccomp, uid 65534",
    };
    struct exec_result out;
    assert_int_equal(store_exec_lookup(s, "lane1/t0/k0/run#0:abc", &out, &err), 0);
    assert_int_equal(store_exec_save(s, "lane1/t0/k0/run#0:abc", node, "/run/a", &in, &err), 0);
    store_close(s);

    s = open_run(dir, false);
    assert_int_equal(store_exec_lookup(s, "lane1/t0/k0/run#0:abc", &out, &err), 1);
    assert_int_equal(out.status, EXEC_TIMEOUT);
    assert_int_equal(out.exit_code, -1);
    assert_int_equal(out.signal, 15);
    assert_true(out.timed_out);
    assert_false(out.oom_killed);
    assert_true(out.output_truncated);
    assert_true(out.wall_s == 12.25);
    assert_true(out.cpu_s == 30.5);
    assert_true(out.peak_rss_bytes == 1234567890123LL);
    assert_string_equal(out.stdout_path, in.stdout_path);
    assert_string_equal(out.stderr_path, in.stderr_path);
    assert_string_equal(out.stdout_tail, in.stdout_tail);
    assert_string_equal(out.stderr_tail, in.stderr_tail);
    assert_true(out.has_score);
    assert_true(out.score == 0.8125);
    assert_true(out.has_submission);
    assert_string_equal(out.submission_path, in.submission_path);
    assert_int_equal(out.nfiles_read, 2);
    assert_string_equal(out.files_read[0], "train.csv");
    assert_string_equal(out.files_read[1], "test.csv");
    assert_int_equal(out.nfiles_blocked, 1);
    assert_string_equal(out.files_blocked[0], "/etc/passwd");
    assert_true(out.network_isolated);
    assert_true(out.memory_cgroup);
    assert_string_equal(out.confinement, in.confinement);
    assert_true(out.fs_confined);
    free_result(&out);

    /* absent values stay absent; a second save replaces the first */
    struct exec_result plain = {.status = EXEC_OOM, .oom_killed = true};
    assert_int_equal(store_exec_save(s, "lane1/t0/k0/run#0:abc", node, NULL, &plain, &err), 0);
    assert_int_equal(store_exec_lookup(s, "lane1/t0/k0/run#0:abc", &out, &err), 1);
    assert_int_equal(out.status, EXEC_OOM);
    assert_true(out.oom_killed);
    assert_false(out.has_score);
    assert_null(out.stdout_path);
    assert_null(out.files_read);
    assert_int_equal(out.nfiles_read, 0);
    free_result(&out);

    /* statuses survive by name */
    for (int st = EXEC_OK; st <= EXEC_CANCELLED; st++) {
        struct exec_result r = {.status = (enum exec_status)st};
        assert_int_equal(store_exec_save(s, "status", 0, NULL, &r, &err), 0);
        assert_int_equal(store_exec_lookup(s, "status", &out, &err), 1);
        assert_int_equal(out.status, st);
        free_result(&out);
    }
    assert_string_equal(store_exec_status_name(99), "unknown");

    /* an execution of an unknown node is refused */
    assert_int_equal(store_exec_save(s, "x", node + 50, NULL, &plain, &err), -1);
    assert_non_null(strstr(err.msg, "must be recorded first"));

    json_t *node_json = store_node_json(s, node, &err);
    json_t *execs = json_object_get(node_json, "executions");
    assert_int_equal(json_array_size(execs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(execs, 0), "status")), "oom");
    assert_true(json_is_true(json_object_get(json_array_get(execs, 0), "oom_killed")));
    json_decref(node_json);
    store_close(s);
    rm_tmpdir(dir);
}

static const struct llm_message messages[] = {
    {LLM_SYSTEM, "You are a Kaggle grandmaster."},
    {LLM_USER, "Write a solution."},
};

static struct llm_request make_request(void)
{
    struct llm_request req = {0};
    req.stage = "candidate";
    req.call_id = "lane0/cand1/implement#1";
    req.messages = messages;
    req.nmessages = 2;
    req.temperature = 0.7;
    req.max_tokens = 4096;
    req.json_output = true;
    return req;
}

static void test_llm_recorder_round_trip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    struct llm_recorder rec;
    store_llm_recorder(s, &rec);
    struct llm_request req = make_request();
    struct llm_reply reply;
    assert_int_equal(rec.lookup(rec.ctx, "k1", &req, &reply), 0);

    /* a failed call is recorded but never answered */
    rec.save(rec.ctx, "k1", &req, NULL, 3, "HTTP 429 from openai: rate limited");
    assert_int_equal(rec.lookup(rec.ctx, "k1", &req, &reply), 0);

    struct llm_source sources[] = {
        {"XGBoost docs", "https://xgboost.readthedocs.io"},
        {"Kaggle", "https://kaggle.com"},
    };
    struct llm_reply in = {
        .text = "```python\nprint(1)\n```",
        .finish = LLM_FINISH_LENGTH,
        .usage = {1200, 340, 100},
        .latency_s = 2.5,
        .queued_s = 0.75,
        .request_id = "req-123",
        .model = "gpt-test",
        .sources = sources,
        .nsources = 2,
        .cost_usd = 0.0125,
        .tries = 2,
        .from_record = false,
    };
    rec.save(rec.ctx, "k1", &req, &in, 0, NULL);
    rec.save(rec.ctx, "k1", &req, &in, 0, NULL); /* the same success twice: kept once */
    struct llm_reply replayed = in;
    replayed.from_record = true;
    rec.save(rec.ctx, "k1", &req, &replayed, 0, NULL); /* answered from the journal: not saved */
    store_close(s);

    s = open_run(dir, false);
    store_llm_recorder(s, &rec);
    assert_int_equal(rec.lookup(rec.ctx, "k1", &req, &reply), 1);
    assert_string_equal(reply.text, in.text);
    assert_int_equal(reply.finish, LLM_FINISH_LENGTH);
    assert_int_equal(reply.usage.input_tokens, 1200);
    assert_int_equal(reply.usage.output_tokens, 340);
    assert_int_equal(reply.usage.cached_tokens, 100);
    assert_true(reply.latency_s == 2.5);
    assert_true(reply.queued_s == 0.75);
    assert_string_equal(reply.request_id, "req-123");
    assert_string_equal(reply.model, "gpt-test");
    assert_int_equal(reply.nsources, 2);
    assert_string_equal(reply.sources[0].title, "XGBoost docs");
    assert_string_equal(reply.sources[1].url, "https://kaggle.com");
    assert_true(reply.cost_usd == 0.0125);
    assert_int_equal(reply.tries, 2);
    assert_true(reply.from_record);
    free_reply(&reply);
    assert_int_equal(rec.lookup(rec.ctx, "other", &req, &reply), 0);

    json_t *calls = store_llm_calls_json(s, &err);
    assert_int_equal(json_array_size(calls), 2);
    json_t *failed = json_array_get(calls, 0);
    assert_int_equal(json_integer_value(json_object_get(failed, "error_code")), 3);
    assert_string_equal(json_string_value(json_object_get(failed, "error")), "HTTP 429 from openai: rate limited");
    json_t *ok = json_array_get(calls, 1);
    json_t *request = json_object_get(ok, "request");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(request, "messages"), 0),
                                                          "role")),
                        "system");
    assert_true(json_is_true(json_object_get(request, "json_output")));
    assert_int_equal(json_integer_value(json_object_get(request, "max_tokens")), 4096);
    assert_string_equal(json_string_value(json_object_get(ok, "stage")), "candidate");
    assert_string_equal(json_string_value(json_object_get(ok, "finish")), "length");
    assert_true(json_real_value(json_object_get(ok, "queued_s")) == 0.75);
    json_decref(calls);

    json_t *run_json;
    assert_int_equal(store_run_begin(s, "t", NULL, NULL, NULL, &err), 0);
    run_json = store_run_json(s, &err);
    json_t *llm = json_object_get(json_object_get(run_json, "totals"), "llm");
    assert_int_equal(json_integer_value(json_object_get(llm, "calls")), 2);
    assert_int_equal(json_integer_value(json_object_get(llm, "failed_calls")), 1);
    assert_int_equal(json_integer_value(json_object_get(llm, "input_tokens")), 1200);
    assert_true(json_real_value(json_object_get(llm, "cost_usd")) == 0.0125);
    assert_true(json_real_value(json_object_get(llm, "latency_s")) == 2.5);
    assert_true(json_real_value(json_object_get(llm, "queued_s")) == 0.75);
    assert_non_null(json_object_get(json_object_get(llm, "stages"), "candidate"));
    json_decref(run_json);

    /* the node's LLM calls are those under its key */
    int64_t node = add_node(s, "lane0/cand1", 0);
    add_node(s, "lane0/cand10", 0);
    json_t *node_json = store_node_json(s, node, &err);
    assert_int_equal(json_array_size(json_object_get(node_json, "llm_calls")), 2);
    json_decref(node_json);
    node_json = store_node_json(s, node + 1, &err);
    assert_int_equal(json_array_size(json_object_get(node_json, "llm_calls")), 0);
    json_decref(node_json);
    store_close(s);
    rm_tmpdir(dir);
}

static void test_invalid_utf8_is_readable(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct err err = {{0}};
    struct store *s = open_run(dir, true);
    int64_t node = add_node(s, "n", 0);
    /* a tail cut inside a 2-byte character, and a stray byte */
    struct exec_result r = {.stdout_tail = "caf\xc3", .stderr_tail = "a\xff" "b"};
    assert_int_equal(store_exec_save(s, "n/run", node, NULL, &r, &err), 0);
    json_t *node_json = store_node_json(s, node, &err);
    assert_non_null(node_json);
    char *dumped = json_dumps(node_json, 0);
    assert_non_null(dumped);
    json_t *e = json_array_get(json_object_get(node_json, "executions"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "stdout_tail")), "caf\xef\xbf\xbd");
    assert_string_equal(json_string_value(json_object_get(e, "stderr_tail")), "a\xef\xbf\xbd" "b");
    free(dumped);
    json_decref(node_json);

    /* the lookup returns the bytes as they were */
    struct exec_result out;
    assert_int_equal(store_exec_lookup(s, "n/run", &out, &err), 1);
    assert_string_equal(out.stdout_tail, "caf\xc3");
    free_result(&out);

    struct llm_message bad[] = {{LLM_USER, "bad \xe2\x82"}};
    struct llm_request req = make_request();
    req.messages = bad;
    req.nmessages = 1;
    struct llm_reply in = {.text = "ok", .model = "m", .request_id = ""};
    struct llm_recorder rec;
    store_llm_recorder(s, &rec);
    rec.save(rec.ctx, "kb", &req, &in, 0, NULL);
    json_t *calls = store_llm_calls_json(s, &err);
    json_t *msg = json_array_get(json_object_get(json_object_get(json_array_get(calls, 0), "request"), "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(msg, "content")), "bad \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(calls);
    store_close(s);
    rm_tmpdir(dir);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_round_trip_every_field),
        cmocka_unit_test(test_llm_recorder_round_trip),
        cmocka_unit_test(test_invalid_utf8_is_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
