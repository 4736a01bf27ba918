/* llm_providers_test.c - what each provider puts on the wire and reads back,
 * against the scripted test server: request bodies (reasoning-model fields,
 * system prompt placement, JSON mode, search tools), headers, usage and
 * cost, finish reasons (a truncated reply keeps its partial text), request
 * ids, grounding sources, <think> stripping and the cheap model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llm_testlib.h"

struct call {
    struct test_server server;
    struct config cfg;
    struct llm_client *client;
    struct llm_reply reply;
    struct err err;
    int rc;
    json_t *body;       /* the request body the server received */
};

/* Starts a server with `script`, configures `provider` (plus name=value
 * pairs, NULL-terminated), sends req, and keeps everything for checks. */
static void call_run(struct call *k, const char *provider, const char *script, const struct llm_request *req, ...)
{
    memset(k, 0, sizeof *k);
    server_start(&k->server, script);
    test_config(&k->cfg, provider, k->server.base);
    va_list ap;
    va_start(ap, req);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL)
        cfg_set(&k->cfg, name, va_arg(ap, const char *));
    va_end(ap);
    k->client = llm_client_new(&k->cfg, &k->err);
    assert_non_null(k->client);
    k->rc = llm_chat(k->client, req, &k->reply, &k->err);
    k->body = server_body(&k->server, 0);
    assert_non_null(k->body);
}

static void call_done(struct call *k)
{
    json_decref(k->body);
    llm_reply_free(&k->reply);
    llm_client_free(k->client);
    config_free(&k->cfg);
    server_stop(&k->server);
}

static const char *jpath_str(json_t *root, const char *a, const char *b)
{
    json_t *v = json_object_get(root, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static void test_openai_request_and_usage(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "retrieve", "r1", "Answer in JSON: list models.");
    t.req.json_output = true;
    struct call k;
    call_run(&k, "openai",
             "[{\"headers\":{\"x-request-id\":\"req-abc-123\"},\"reply\":{\"text\":\"[1,2]\",\"input_tokens\":1000,"
             "\"cached_tokens\":200,\"output_tokens\":500,\"model\":\"gpt-4o-2024-08-06\"}}]",
             &t.req, "llm.model", "gpt-4o", "llm.max_tokens", "2048", "llm.temperature", "0.3", NULL);
    assert_int_equal(k.rc, 0);
    /* body */
    assert_string_equal(jpath_str(k.body, "model", NULL), "gpt-4o");
    assert_int_equal(json_integer_value(json_object_get(k.body, "max_tokens")), 2048);
    assert_null(json_object_get(k.body, "max_completion_tokens"));
    assert_true(fabs(json_number_value(json_object_get(k.body, "temperature")) - 0.3) < 1e-9);
    assert_string_equal(jpath_str(k.body, "response_format", "type"), "json_object");
    json_t *msgs = json_object_get(k.body, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    assert_string_equal(jpath_str(json_array_get(msgs, 0), "role", NULL), "system");
    assert_string_equal(jpath_str(json_array_get(msgs, 1), "role", NULL), "user");
    assert_string_equal(jpath_str(json_array_get(msgs, 1), "content", NULL), "Answer in JSON: list models.");
    assert_null(json_object_get(k.body, "web_search_options"));
    /* reply */
    assert_string_equal(k.reply.text, "[1,2]");
    assert_int_equal(k.reply.finish, LLM_FINISH_STOP);
    assert_int_equal(k.reply.usage.input_tokens, 1000);
    assert_int_equal(k.reply.usage.cached_tokens, 200);
    assert_int_equal(k.reply.usage.output_tokens, 500);
    assert_string_equal(k.reply.request_id, "req-abc-123");
    assert_string_equal(k.reply.model, "gpt-4o-2024-08-06");
    assert_int_equal(k.reply.tries, 1);
    assert_false(k.reply.from_record);
    /* gpt-4o: 2.50 in, 1.25 cached, 10.00 out per million */
    double want = (800 * 2.50 + 200 * 1.25 + 500 * 10.00) / 1e6;
    assert_true(fabs(k.reply.cost_usd - want) < 1e-12);
    struct llm_totals tot;
    llm_client_totals(k.client, "retrieve", &tot);
    assert_int_equal(tot.calls, 1);
    assert_true(fabs(tot.cost_usd - want) < 1e-12);
    call_done(&k);
}

static void test_openai_reasoning_model_fields(void **state)
{
    (void)state;
    static const char *const models[] = {"o3-mini", "o1", "o4-mini", "gpt-5", "openai/gpt-5-mini"};
    for (size_t i = 0; i < 5; i++) {
        struct test_request t;
        test_request_init(&t, "plan", "p1", "Plan the next step.");
        t.req.max_tokens = 777;
        t.req.temperature = 0.9;
        struct call k;
        call_run(&k, "openai", "[{\"reply\":{\"text\":\"plan\"}}]", &t.req, "llm.model", models[i], NULL);
        assert_int_equal(k.rc, 0);
        assert_int_equal(json_integer_value(json_object_get(k.body, "max_completion_tokens")), 777);
        assert_null(json_object_get(k.body, "max_tokens"));
        assert_null(json_object_get(k.body, "temperature"));
        call_done(&k);
    }
}

static void test_openai_o1_mini_folds_system_into_user(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"ok\"}}]", &t.req, "llm.model", "o1-mini", NULL);
    json_t *msgs = json_object_get(k.body, "messages");
    assert_int_equal(json_array_size(msgs), 2);
    assert_string_equal(jpath_str(json_array_get(msgs, 0), "role", NULL), "user");
    assert_string_equal(jpath_str(json_array_get(msgs, 0), "content", NULL), "You are a careful ML engineer.");
    call_done(&k);
}

static void test_openai_search_model_web_search_and_sources(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "retrieve", "r1", "Find recent models.");
    t.req.web_search = true;
    struct call k;
    call_run(&k, "openai",
             "[{\"reply\":{\"text\":\"LightGBM\",\"sources\":[{\"url\":\"https://a.example/x\",\"title\":\"A\"},"
             "{\"url\":\"https://b.example/y\",\"title\":\"B\"}]}}]",
             &t.req, "llm.model", "gpt-4o-search-preview", NULL);
    assert_int_equal(k.rc, 0);
    assert_true(json_is_object(json_object_get(k.body, "web_search_options")));
    assert_null(json_object_get(k.body, "temperature"));
    assert_int_equal(k.reply.nsources, 2);
    assert_string_equal(k.reply.sources[0].url, "https://a.example/x");
    assert_string_equal(k.reply.sources[1].title, "B");
    assert_true(llm_client_can_web_search(k.client, false));
    call_done(&k);

    /* A model without search: the flag is not sent, and the client says so. */
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"x\"}}]", &t.req, "llm.model", "gpt-4.1", NULL);
    assert_null(json_object_get(k.body, "web_search_options"));
    assert_false(llm_client_can_web_search(k.client, false));
    call_done(&k);
}

static void test_openai_json_mode_needs_the_word_json(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Give me a plan.");
    t.msgs[0].content = "Be brief.";
    t.req.json_output = true;
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"x\"}}]", &t.req, NULL);
    assert_null(json_object_get(k.body, "response_format"));
    call_done(&k);
}

static void test_gemini_request_sources_usage(void **state)
{
    (void)state;
    struct llm_message msgs[] = {
        {LLM_SYSTEM, "System rules."},
        {LLM_USER, "first question"},
        {LLM_ASSISTANT, "first answer"},
        {LLM_USER, "Find models for tabular data."},
    };
    struct llm_request req = {.stage = "retrieve", .call_id = "r1", .messages = msgs, .nmessages = 4,
                              .temperature = 0.2, .web_search = true, .json_output = true};
    struct call k;
    call_run(&k, "gemini",
             "[{\"reply\":{\"text\":\"XGBoost\",\"input_tokens\":400,\"cached_tokens\":100,\"output_tokens\":50,"
             "\"sources\":[{\"url\":\"https://vertexaisearch.example/1\",\"title\":\"kaggle.com\"}]}}]",
             &req, "llm.model", "gemini-2.5-flash", "llm.max_tokens", "999", NULL);
    assert_int_equal(k.rc, 0);
    json_t *all = server_requests(&k.server);
    const char *path = jpath_str(json_array_get(all, 0), "path", NULL);
    assert_string_equal(path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_null(strstr(path, "key="));
    json_decref(all);
    char *key = server_header(&k.server, 0, "x-goog-api-key");
    assert_string_equal(key, TEST_GEMINI_KEY);
    free(key);
    json_t *sys_parts = json_object_get(json_object_get(k.body, "systemInstruction"), "parts");
    assert_string_equal(jpath_str(json_array_get(sys_parts, 0), "text", NULL), "System rules.");
    json_t *contents = json_object_get(k.body, "contents");
    assert_int_equal(json_array_size(contents), 3);
    assert_string_equal(jpath_str(json_array_get(contents, 0), "role", NULL), "user");
    assert_string_equal(jpath_str(json_array_get(contents, 1), "role", NULL), "model");
    json_t *gen = json_object_get(k.body, "generationConfig");
    assert_int_equal(json_integer_value(json_object_get(gen, "maxOutputTokens")), 999);
    assert_true(fabs(json_number_value(json_object_get(gen, "temperature")) - 0.2) < 1e-9);
    assert_null(json_object_get(gen, "responseMimeType")); /* not with the search tool */
    json_t *tool = json_array_get(json_object_get(k.body, "tools"), 0);
    assert_true(json_is_object(json_object_get(tool, "google_search")));
    assert_string_equal(k.reply.text, "XGBoost");
    assert_int_equal(k.reply.nsources, 1);
    assert_string_equal(k.reply.sources[0].url, "https://vertexaisearch.example/1");
    assert_string_equal(k.reply.sources[0].title, "kaggle.com");
    assert_int_equal(k.reply.usage.input_tokens, 400);
    assert_int_equal(k.reply.usage.cached_tokens, 100);
    assert_int_equal(k.reply.usage.output_tokens, 50);
    assert_string_equal(k.reply.request_id, "resp-test");
    /* gemini-2.5-flash: 0.30 in, 0.03 cached, 2.50 out */
    double want = (300 * 0.30 + 100 * 0.03 + 50 * 2.50) / 1e6;
    assert_true(fabs(k.reply.cost_usd - want) < 1e-12);
    call_done(&k);
}

static void test_gemini_json_mode_and_truncation(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "implement", "i1", "Return JSON.");
    t.req.json_output = true;
    struct call k;
    call_run(&k, "gemini",
             "[{\"reply\":{\"text\":\"{\\\"partial\\\": tr\",\"finish\":\"length\",\"output_tokens\":64}}]", &t.req,
             NULL);
    assert_string_equal(jpath_str(json_object_get(k.body, "generationConfig"), "responseMimeType", NULL),
                        "application/json");
    assert_null(json_object_get(k.body, "tools"));
    assert_int_equal(k.rc, -LLM_ERR_TRUNCATED);
    assert_string_equal(k.reply.text, "{\"partial\": tr");
    assert_int_equal(k.reply.finish, LLM_FINISH_LENGTH);
    assert_int_equal(k.reply.usage.output_tokens, 64);
    assert_int_equal(server_count(&k.server), 1); /* not retried */
    assert_non_null(strstr(k.err.msg, "llm.max_tokens"));
    call_done(&k);
}

static void test_anthropic_request_headers_sources_usage(void **state)
{
    (void)state;
    struct llm_message msgs[] = {
        {LLM_SYSTEM, "Rule one."},
        {LLM_SYSTEM, "Rule two."},
        {LLM_USER, "Search the web."},
    };
    struct llm_request req = {.stage = "retrieve", .call_id = "r1", .messages = msgs, .nmessages = 3,
                              .temperature = -1, .web_search = true};
    struct call k;
    call_run(&k, "anthropic",
             "[{\"headers\":{\"request-id\":\"req_011\"},\"reply\":{\"text\":\"CatBoost\",\"input_tokens\":300,"
             "\"cached_tokens\":100,\"output_tokens\":20,\"sources\":[{\"url\":\"https://c.example\",\"title\":\"C\"}]}}]",
             &req, "llm.model", "claude-sonnet-4-5", "llm.temperature", "1.5", NULL);
    assert_int_equal(k.rc, 0);
    char *key = server_header(&k.server, 0, "x-api-key");
    char *version = server_header(&k.server, 0, "anthropic-version");
    assert_string_equal(key, TEST_ANTHROPIC_KEY);
    assert_string_equal(version, "2023-06-01");
    free(key);
    free(version);
    assert_string_equal(jpath_str(k.body, "system", NULL), "Rule one.\n\nRule two.");
    json_t *m = json_object_get(k.body, "messages");
    assert_int_equal(json_array_size(m), 1);
    assert_string_equal(jpath_str(json_array_get(m, 0), "role", NULL), "user");
    assert_int_equal(json_integer_value(json_object_get(k.body, "max_tokens")), 16384);
    assert_true(fabs(json_number_value(json_object_get(k.body, "temperature")) - 1.0) < 1e-9); /* clamped */
    json_t *tool = json_array_get(json_object_get(k.body, "tools"), 0);
    assert_string_equal(jpath_str(tool, "type", NULL), "web_search_20250305");
    assert_string_equal(jpath_str(tool, "name", NULL), "web_search");
    assert_string_equal(k.reply.text, "CatBoost");
    assert_int_equal(k.reply.nsources, 1);
    assert_string_equal(k.reply.sources[0].url, "https://c.example");
    assert_int_equal(k.reply.usage.input_tokens, 300); /* 200 fresh + 100 read from cache */
    assert_int_equal(k.reply.usage.cached_tokens, 100);
    assert_string_equal(k.reply.request_id, "req_011");
    double want = (200 * 3.00 + 100 * 0.30 + 20 * 15.00) / 1e6;
    assert_true(fabs(k.reply.cost_usd - want) < 1e-12);
    call_done(&k);
}

static void test_anthropic_max_tokens_is_truncated(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "implement", "i1", "Write code.");
    struct call k;
    call_run(&k, "anthropic", "[{\"reply\":{\"text\":\"import pandas as\",\"finish\":\"length\"}}]", &t.req, NULL);
    assert_int_equal(k.rc, -LLM_ERR_TRUNCATED);
    assert_string_equal(k.reply.text, "import pandas as");
    assert_null(json_object_get(k.body, "tools"));
    call_done(&k);
}

static void test_max_tokens_clamped_to_model_limit(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "summary", "s1", "Summarize.");
    struct call k;
    call_run(&k, "anthropic", "[{\"reply\":{\"text\":\"short\"}}]", &t.req, "llm.model", "claude-3-5-haiku-latest",
             NULL);
    assert_int_equal(json_integer_value(json_object_get(k.body, "max_tokens")), 8192);
    call_done(&k);
    call_run(&k, "gemini", "[{\"reply\":{\"text\":\"short\"}}]", &t.req, "llm.model", "gemini-2.0-flash", NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(k.body, "generationConfig"), "maxOutputTokens")),
                     8192);
    call_done(&k);
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"short\"}}]", &t.req, "llm.model", "some-local-model", NULL);
    assert_int_equal(json_integer_value(json_object_get(k.body, "max_tokens")), 16384); /* unknown: as set */
    call_done(&k);
}

static void test_think_blocks_are_stripped(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"<think>secret chain of thought</think>\\n\\nUse LightGBM.\"}}]",
             &t.req, "llm.model", "qwen3-32b", NULL);
    assert_int_equal(k.rc, 0);
    assert_string_equal(k.reply.text, "Use LightGBM.");
    call_done(&k);
}

static void test_only_think_is_empty(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"<think>only thinking</think>\"}}]", &t.req, "llm.max_tries", "1",
             NULL);
    assert_int_equal(k.rc, -LLM_ERR_EMPTY);
    call_done(&k);
}

static void test_filtered_empty_reply_not_retried(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct call k;
    call_run(&k, "gemini", "[{\"reply\":{\"text\":\"\",\"finish\":\"filter\"}}]", &t.req, NULL);
    assert_int_equal(k.rc, -LLM_ERR_EMPTY);
    assert_int_equal(server_count(&k.server), 1);
    assert_non_null(strstr(k.err.msg, "filter"));
    call_done(&k);
}

static void test_cheap_requests_use_cheap_model(void **state)
{
    (void)state;
    struct test_request t;
    test_request_init(&t, "summary", "s1", "Summarize.");
    t.req.cheap = true;
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"short\"}}]", &t.req, "llm.model", "gpt-4.1", "llm.cheap_model",
             "gpt-4.1-mini", NULL);
    assert_string_equal(jpath_str(k.body, "model", NULL), "gpt-4.1-mini");
    assert_string_equal(llm_client_model(k.client, true), "gpt-4.1-mini");
    assert_string_equal(llm_client_model(k.client, false), "gpt-4.1");
    call_done(&k);
}

static void test_base_url_without_path_gets_v1(void **state)
{
    (void)state;
    /* The server answers only under /v1: a bare host works for openai and
     * anthropic, and the full ".../v1" form works too. */
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct call k;
    call_run(&k, "openai", "[{\"reply\":{\"text\":\"a\"}}]", &t.req, NULL);
    assert_int_equal(k.rc, 0);
    call_done(&k);
    struct test_server s;
    server_start(&s, "[{\"reply\":{\"text\":\"b\"}}]");
    struct config cfg;
    char with_v1[80];
    snprintf(with_v1, sizeof with_v1, "%s/v1/", s.base);
    test_config(&cfg, "openai", with_v1);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    struct llm_reply reply;
    assert_int_equal(llm_chat(c, &t.req, &reply, &err), 0);
    assert_string_equal(reply.text, "b");
    llm_reply_free(&reply);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_request_and_usage),
        cmocka_unit_test(test_openai_reasoning_model_fields),
        cmocka_unit_test(test_openai_o1_mini_folds_system_into_user),
        cmocka_unit_test(test_openai_search_model_web_search_and_sources),
        cmocka_unit_test(test_openai_json_mode_needs_the_word_json),
        cmocka_unit_test(test_gemini_request_sources_usage),
        cmocka_unit_test(test_gemini_json_mode_and_truncation),
        cmocka_unit_test(test_anthropic_request_headers_sources_usage),
        cmocka_unit_test(test_anthropic_max_tokens_is_truncated),
        cmocka_unit_test(test_max_tokens_clamped_to_model_limit),
        cmocka_unit_test(test_think_blocks_are_stripped),
        cmocka_unit_test(test_only_think_is_empty),
        cmocka_unit_test(test_filtered_empty_reply_not_retried),
        cmocka_unit_test(test_cheap_requests_use_cheap_model),
        cmocka_unit_test(test_base_url_without_path_gets_v1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
