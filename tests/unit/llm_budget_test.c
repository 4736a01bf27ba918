/* llm_budget_test.c - accounting and budgets: totals per stage and per run
 * (also as JSON), failed calls counted, the price table (built-in, prefix
 * matching, llm.prices override), and the token and cost limits: once
 * reached, llm_client_over_budget() says which and llm_chat fails with
 * LLM_ERR_BUDGET without touching the network. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llm/internal.h"
#include "llm_testlib.h"

static int chat_stage(struct llm_client *c, const char *stage, const char *call_id, struct err *err)
{
    struct test_request t;
    test_request_init(&t, stage, call_id, "Go.");
    struct llm_reply r;
    int rc = llm_chat(c, &t.req, &r, err);
    llm_reply_free(&r);
    return rc;
}

static void test_token_limit(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"ok\",\"input_tokens\":800,\"output_tokens\":200}}]");
    struct config cfg;
    test_config(&cfg, "openai", s.base);
    cfg_set(&cfg, "llm.token_limit", "1500");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    char why[200];
    assert_false(llm_client_over_budget(c, why, sizeof why));
    assert_int_equal(chat_stage(c, "candidate", "c1", &err), 0);
    assert_false(llm_client_over_budget(c, why, sizeof why));
    assert_int_equal(chat_stage(c, "candidate", "c2", &err), 0);
    assert_true(llm_client_over_budget(c, why, sizeof why));
    assert_non_null(strstr(why, "token limit 1500 reached"));
    assert_non_null(strstr(why, "2000 tokens used"));
    assert_int_equal(chat_stage(c, "candidate", "c3", &err), -LLM_ERR_BUDGET);
    assert_non_null(strstr(err.msg, "token limit 1500"));
    assert_int_equal(server_count(&s), 2);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

static void test_cost_limit_with_price_override(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"ok\",\"input_tokens\":100,\"output_tokens\":50}}]");
    char prices[128];
    snprintf(prices, sizeof prices, "%s/prices.json", s.dir);
    test_write(prices, "{\"house-model\": {\"input\": 1000, \"output\": 2000, \"cached\": 10}}");
    struct config cfg;
    test_config(&cfg, "anthropic", s.base);
    cfg_set(&cfg, "llm.model", "house-model-v2");
    cfg_set(&cfg, "llm.prices", prices);
    cfg_set(&cfg, "llm.cost_limit", "0.3");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    struct test_request t;
    test_request_init(&t, "ensemble", "e1", "Go.");
    struct llm_reply r;
    assert_int_equal(llm_chat(c, &t.req, &r, &err), 0);
    /* (100 * 1000 + 50 * 2000) / 1e6 = 0.2 */
    assert_true(fabs(r.cost_usd - 0.2) < 1e-12);
    llm_reply_free(&r);
    assert_int_equal(chat_stage(c, "ensemble", "e2", &err), 0);
    char why[200];
    assert_true(llm_client_over_budget(c, why, sizeof why));
    assert_non_null(strstr(why, "cost limit $0.30"));
    assert_int_equal(chat_stage(c, "ensemble", "e3", &err), -LLM_ERR_BUDGET);
    assert_non_null(strstr(err.msg, "cost limit"));
    assert_int_equal(server_count(&s), 2);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

static void test_bad_price_file(void **state)
{
    (void)state;
    char dir[64], path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/prices.json", dir);
    test_write(path, "{\"m\": {\"input\": \"cheap\", \"output\": 1}}");
    struct config cfg;
    test_config(&cfg, "openai", "http://127.0.0.1:9");
    cfg_set(&cfg, "llm.prices", path);
    struct err err = {{0}};
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "input"));
    cfg_set(&cfg, "llm.prices", "/nonexistent/prices.json");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/prices.json"));
    config_free(&cfg);
    fs_rm_rf(dir, NULL);
}

static void test_totals_per_stage_and_json(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"a\",\"input_tokens\":10,\"output_tokens\":1}},"
                     " {\"reply\":{\"text\":\"b\",\"input_tokens\":20,\"output_tokens\":2,\"cached_tokens\":5}},"
                     " {\"reply\":{\"text\":\"c\",\"input_tokens\":40,\"output_tokens\":4}},"
                     " {\"status\":401,\"error\":\"bad key\"}]");
    struct config cfg;
    test_config(&cfg, "openai", s.base);
    cfg_set(&cfg, "llm.model", "gpt-4.1-mini");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_int_equal(chat_stage(c, "retrieve", "r1", &err), 0);
    assert_int_equal(chat_stage(c, "retrieve", "r2", &err), 0);
    assert_int_equal(chat_stage(c, "debug", "d1", &err), 0);
    assert_int_equal(chat_stage(c, "debug", "d2", &err), -LLM_ERR_HTTP);
    struct llm_totals t;
    llm_client_totals(c, "retrieve", &t);
    assert_int_equal(t.calls, 2);
    assert_int_equal(t.failed_calls, 0);
    assert_int_equal(t.usage.input_tokens, 30);
    assert_int_equal(t.usage.output_tokens, 3);
    assert_int_equal(t.usage.cached_tokens, 5);
    llm_client_totals(c, "debug", &t);
    assert_int_equal(t.calls, 2);
    assert_int_equal(t.failed_calls, 1);
    llm_client_totals(c, NULL, &t);
    assert_int_equal(t.calls, 4);
    assert_int_equal(t.usage.input_tokens, 70);
    /* gpt-4.1-mini: 0.40 in, 0.10 cached, 1.60 out */
    double want = (65 * 0.40 + 5 * 0.10 + 7 * 1.60) / 1e6;
    assert_true(fabs(t.cost_usd - want) < 1e-12);
    llm_client_totals(c, "never-used", &t);
    assert_int_equal(t.calls, 0);
    json_t *j = llm_client_totals_json(c);
    json_t *r = json_object_get(j, "retrieve");
    assert_int_equal(json_integer_value(json_object_get(r, "calls")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "input_tokens")), 30);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "debug"), "failed_calls")), 1);
    assert_true(json_is_real(json_object_get(r, "cost_usd")));
    json_decref(j);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

static void test_price_table_prefixes(void **state)
{
    (void)state;
    struct llm_price p;
    assert_true(llm_price_find(NULL, "gpt-4o-mini-2024-07-18", &p));
    assert_string_equal(p.model, "gpt-4o-mini");
    assert_true(llm_price_find(NULL, "gpt-4o-2024-08-06", &p));
    assert_string_equal(p.model, "gpt-4o");
    assert_true(llm_price_find(NULL, "openai/o3-mini", &p));
    assert_string_equal(p.model, "o3-mini");
    assert_true(llm_price_find(NULL, "models/gemini-2.5-flash-lite", &p));
    assert_string_equal(p.model, "gemini-2.5-flash-lite");
    assert_true(llm_price_find(NULL, "claude-sonnet-4-5-20250929", &p));
    assert_true(p.input == 3.0 && p.output == 15.0 && p.cached == 0.30);
    assert_false(llm_price_find(NULL, "llama-3.1-8b-instruct", &p));
    struct llm_usage u = {.input_tokens = 1000000, .output_tokens = 1000000, .cached_tokens = 0};
    assert_true(llm_price_find(NULL, "gemini-2.5-pro", &p));
    assert_true(fabs(llm_price_cost(&p, &u) - 11.25) < 1e-9);
}

static void test_unknown_model_costs_nothing(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"a\",\"input_tokens\":1000,\"output_tokens\":1000}}]");
    struct config cfg;
    test_config(&cfg, "openai", s.base);
    cfg_set(&cfg, "llm.model", "my-local-llama");
    cfg_set(&cfg, "llm.cost_limit", "0.0001");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_int_equal(chat_stage(c, "plan", "p1", &err), 0);
    assert_int_equal(chat_stage(c, "plan", "p2", &err), 0);
    struct llm_totals t;
    llm_client_totals(c, NULL, &t);
    assert_true(t.cost_usd == 0);
    assert_false(llm_client_over_budget(c, NULL, 0));
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_limit),
        cmocka_unit_test(test_cost_limit_with_price_override),
        cmocka_unit_test(test_bad_price_file),
        cmocka_unit_test(test_totals_per_stage_and_json),
        cmocka_unit_test(test_price_table_prefixes),
        cmocka_unit_test(test_unknown_model_costs_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
