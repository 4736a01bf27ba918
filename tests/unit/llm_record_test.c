/* llm_record_test.c - recording and replay: calls recorded with llm.record
 * (no API key in the file) replay with the `replay` provider and no server;
 * a request not in the recording fails naming its stage and call_id;
 * recorded failures replay as failures; a recorder set with
 * llm_client_set_recorder answers without the network and sees every call. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llm_testlib.h"

#define NCALLS 3

static const char *const stages[NCALLS] = {"retrieve", "candidate", "implement"};
static const char *const call_ids[NCALLS] = {"lane1/retrieve#1", "lane1/c1", "lane1/t1/k1/implement#1"};
static const char *const prompts[NCALLS] = {"Find models.", "Write candidate 1.", "Implement plan 1."};

static int chat(struct llm_client *c, int i, struct llm_reply *reply, struct err *err)
{
    struct test_request t;
    test_request_init(&t, stages[i], call_ids[i], prompts[i]);
    t.req.web_search = i == 0;
    return llm_chat(c, &t.req, reply, err);
}

static void test_record_then_replay_without_server(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"models: A, B\",\"input_tokens\":100,\"output_tokens\":10,"
                     "\"sources\":[{\"url\":\"https://src.example\",\"title\":\"Src\"}]}},"
                     " {\"status\":500,\"error\":\"blip\"},"
                     " {\"reply\":{\"text\":\"<think>hmm</think>print(1)\",\"input_tokens\":200,\"output_tokens\":20}},"
                     " {\"reply\":{\"text\":\"def f(\",\"finish\":\"length\",\"input_tokens\":300,\"output_tokens\":30}}]");
    char dir[64], record[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(record, sizeof record, "%s/calls.jsonl", dir);
    struct config cfg;
    test_config(&cfg, "gemini", s.base);
    cfg_set(&cfg, "llm.record", record);
    cfg_set(&cfg, "llm.model", "gemini-2.5-flash");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    struct llm_reply live[NCALLS];
    int live_rc[NCALLS];
    for (int i = 0; i < NCALLS; i++)
        live_rc[i] = chat(c, i, &live[i], &err);
    assert_int_equal(live_rc[0], 0);
    assert_int_equal(live_rc[1], 0);
    assert_int_equal(live_rc[2], -LLM_ERR_TRUNCATED);
    assert_int_equal(live[1].tries, 2);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s); /* from here on, no server */

    char *text = test_read(record);
    assert_null(strstr(text, TEST_GEMINI_KEY));
    assert_non_null(strstr(text, "lane1/t1/k1/implement#1"));
    assert_non_null(strstr(text, "\"stage\":\"candidate\""));
    assert_non_null(strstr(text, "Write candidate 1."));
    free(text);

    test_config(&cfg, "replay", "");
    cfg_set(&cfg, "llm.replay", record);
    c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    assert_true(llm_client_can_web_search(c, false)); /* the recorded run searched */
    for (int i = 0; i < NCALLS; i++) {
        struct llm_reply r;
        int rc = chat(c, i, &r, &err);
        assert_int_equal(rc, live_rc[i]);
        assert_true(r.from_record);
        assert_string_equal(r.text, live[i].text);
        assert_int_equal(r.usage.input_tokens, live[i].usage.input_tokens);
        assert_int_equal(r.usage.output_tokens, live[i].usage.output_tokens);
        assert_int_equal(r.tries, live[i].tries);
        assert_int_equal(r.finish, live[i].finish);
        assert_string_equal(r.model, live[i].model);
        assert_true(fabs(r.cost_usd - live[i].cost_usd) < 1e-12);
        assert_int_equal(r.nsources, live[i].nsources);
        if (r.nsources)
            assert_string_equal(r.sources[0].url, live[i].sources[0].url);
        llm_reply_free(&r);
        llm_reply_free(&live[i]);
    }
    struct llm_totals tot;
    llm_client_totals(c, NULL, &tot);
    assert_int_equal(tot.calls, NCALLS);
    assert_int_equal(tot.usage.input_tokens, 100 + 200 + 300);

    /* A request the recording does not hold. */
    struct test_request t;
    test_request_init(&t, "debug", "lane2/debug#7", "Fix this traceback.");
    struct llm_reply r;
    assert_int_equal(llm_chat(c, &t.req, &r, &err), -LLM_ERR_REPLAY_MISS);
    assert_non_null(strstr(err.msg, "debug"));
    assert_non_null(strstr(err.msg, "lane2/debug#7"));
    assert_non_null(strstr(err.msg, record));
    llm_reply_free(&r);
    /* Same prompt, other call_id: a miss too (the call_id is part of the key). */
    test_request_init(&t, stages[1], "lane2/c1", prompts[1]);
    assert_int_equal(llm_chat(c, &t.req, &r, &err), -LLM_ERR_REPLAY_MISS);
    llm_reply_free(&r);
    llm_client_free(c);
    config_free(&cfg);
    fs_rm_rf(dir, NULL);
}

static void test_replay_needs_a_recording(void **state)
{
    (void)state;
    struct config cfg;
    test_config(&cfg, "replay", "");
    struct err err = {{0}};
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "llm.replay"));
    cfg_set(&cfg, "llm.replay", "/nonexistent/calls.jsonl");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/calls.jsonl"));
    char dir[64], bad[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(bad, sizeof bad, "%s/bad.jsonl", dir);
    test_write(bad, "{\"key\":\"abc\"}\nnot json\n");
    cfg_set(&cfg, "llm.replay", bad);
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, ":2:"));
    config_free(&cfg);
    fs_rm_rf(dir, NULL);
}

/* A journal-like recorder: answers one known key, counts saves. */
struct fake_journal {
    char *known_key;
    int lookups;
    int saves;
    int last_error;
};

static int journal_lookup(void *ctx, const char *key, const struct llm_request *req, struct llm_reply *reply)
{
    (void)req;
    struct fake_journal *j = ctx;
    j->lookups++;
    if (strcmp(key, j->known_key) != 0)
        return 0;
    reply->text = strdup("from the journal");
    reply->usage.input_tokens = 7;
    reply->usage.output_tokens = 3;
    reply->cost_usd = 0.5;
    return 1;
}

static void journal_save(void *ctx, const char *key, const struct llm_request *req, const struct llm_reply *reply,
                         int error_code, const char *error_text)
{
    (void)key, (void)req, (void)reply, (void)error_text;
    struct fake_journal *j = ctx;
    j->saves++;
    j->last_error = error_code;
}

static void test_custom_recorder_answers_without_network(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"from the network\"}}]");
    struct config cfg;
    test_config(&cfg, "anthropic", s.base);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    struct test_request known, unknown;
    test_request_init(&known, "merge", "lane1/merge#1", "Merge.");
    test_request_init(&unknown, "merge", "lane1/merge#2", "Merge again.");
    struct fake_journal j = {.known_key = llm_request_key(&known.req)};
    struct llm_recorder rec = {.ctx = &j, .lookup = journal_lookup, .save = journal_save};
    llm_client_set_recorder(c, &rec);

    struct llm_reply r;
    assert_int_equal(llm_chat(c, &known.req, &r, &err), 0);
    assert_true(r.from_record);
    assert_string_equal(r.text, "from the journal");
    assert_int_equal(server_count(&s), 0);
    assert_int_equal(j.saves, 0); /* what the journal answered is not saved again */
    llm_reply_free(&r);

    assert_int_equal(llm_chat(c, &unknown.req, &r, &err), 0);
    assert_false(r.from_record);
    assert_string_equal(r.text, "from the network");
    assert_int_equal(server_count(&s), 1);
    assert_int_equal(j.saves, 1);
    assert_int_equal(j.last_error, 0);
    llm_reply_free(&r);

    struct llm_totals tot;
    llm_client_totals(c, "merge", &tot);
    assert_int_equal(tot.calls, 2);
    assert_true(tot.cost_usd >= 0.5); /* the journal's recorded cost counts */
    assert_int_equal(j.lookups, 2);
    free(j.known_key);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

static void test_request_key_is_stable_and_specific(void **state)
{
    (void)state;
    struct test_request a, b;
    test_request_init(&a, "plan", "p1", "Plan.");
    test_request_init(&b, "plan", "p1", "Plan.");
    char *ka = llm_request_key(&a.req), *kb = llm_request_key(&b.req);
    assert_int_equal(strlen(ka), 64);
    assert_string_equal(ka, kb);
    free(kb);
    /* With a call_id the key is the call's position: stage, call_id, role. */
    struct test_request variants[3];
    for (int i = 0; i < 3; i++)
        test_request_init(&variants[i], "plan", "p1", "Plan.");
    variants[0].req.stage = "debug";
    variants[1].req.call_id = "p2";
    variants[2].req.cheap = true;
    for (int i = 0; i < 3; i++) {
        char *kv = llm_request_key(&variants[i].req);
        assert_string_not_equal(ka, kv);
        free(kv);
    }
    /* ... and a changed prompt at the same position (a resumed run whose
     * "time left" moved on) finds the same record. */
    struct test_request same_place;
    test_request_init(&same_place, "plan", "p1", "Plan, with 2h left.");
    same_place.req.temperature = 0.5;
    char *ks = llm_request_key(&same_place.req);
    assert_string_equal(ka, ks);
    free(ks);
    /* Without a call_id the whole request counts. */
    struct test_request free_form[5];
    for (int i = 0; i < 5; i++) {
        test_request_init(&free_form[i], "plan", NULL, "Plan.");
    }
    free_form[1].msgs[1].content = "Plan!";
    free_form[2].req.temperature = 0.5;
    free_form[3].req.web_search = true;
    free_form[4].req.cheap = true;
    char *k0 = llm_request_key(&free_form[0].req);
    for (int i = 1; i < 5; i++) {
        char *kv = llm_request_key(&free_form[i].req);
        assert_string_not_equal(k0, kv);
        free(kv);
    }
    free(k0);
    free(ka);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_then_replay_without_server),
        cmocka_unit_test(test_replay_needs_a_recording),
        cmocka_unit_test(test_custom_recorder_answers_without_network),
        cmocka_unit_test(test_request_key_is_stable_and_specific),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
