/* llm_parse_test.c - the pure parts of the llm module, without a server:
 * response parsers of the three formats, error bodies, Retry-After,
 * <think> stripping, SHA-256, base URLs, redaction, and the errors of
 * llm_client_new (unknown provider, missing API keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llm/internal.h"
#include "llm_testlib.h"

static void strip(const char *in, const char *want)
{
    char *s = strdup(in);
    llm_strip_think(s);
    assert_string_equal(s, want);
    free(s);
}

static void test_strip_think(void **state)
{
    (void)state;
    strip("no thinking here", "no thinking here");
    strip("<think>a</think>answer", "answer");
    strip("<think>\nmulti\nline\n</think>\n\n  answer", "answer");
    strip("before <think>x</think>after", "before after");
    strip("<think>a</think>one<think>b</think> two", "one two");
    strip("answer <think>never closed", "answer ");
    strip("reasoning opened by the template</think>\nanswer", "answer");
    strip("<think></think>", "");
    strip("", "");
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_true(llm_parse_retry_after("120", 0) == 120);
    assert_true(llm_parse_retry_after(" 1.5 ", 0) == 1.5);
    assert_true(llm_parse_retry_after("0", 0) == 0);
    assert_true(llm_parse_retry_after("soon", 0) < 0);
    assert_true(llm_parse_retry_after("", 0) < 0);
    assert_true(llm_parse_retry_after("12abc", 0) < 0);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    double d = llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 - 30);
    assert_true(d > 29.5 && d < 30.5);
    assert_true(llm_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 + 100) == 0);
}

static void test_error_bodies(void **state)
{
    (void)state;
    char out[300];
    const char *openai = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
    llm_parse_error_body(openai, strlen(openai), out, sizeof out);
    assert_string_equal(out, "Rate limit reached (requests)");
    const char *gemini = "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
    llm_parse_error_body(gemini, strlen(gemini), out, sizeof out);
    assert_string_equal(out, "Quota exceeded (RESOURCE_EXHAUSTED)");
    const char *anthropic = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
    llm_parse_error_body(anthropic, strlen(anthropic), out, sizeof out);
    assert_string_equal(out, "Overloaded (overloaded_error)");
    const char *plain = "{\"error\":\"model 'x' not found\"}";
    llm_parse_error_body(plain, strlen(plain), out, sizeof out);
    assert_string_equal(out, "model 'x' not found");
    const char *fastapi = "{\"detail\":\"Not Found\"}";
    llm_parse_error_body(fastapi, strlen(fastapi), out, sizeof out);
    assert_string_equal(out, "Not Found");
    const char *html = "<html>\n  <body>502   Bad Gateway</body>\n</html>";
    llm_parse_error_body(html, strlen(html), out, sizeof out);
    assert_string_equal(out, "<html> <body>502 Bad Gateway</body> </html>");
    llm_parse_error_body("", 0, out, sizeof out);
    assert_string_equal(out, "(empty body)");
    char tiny[8];
    llm_parse_error_body(openai, strlen(openai), tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 7);
}

static void test_parsers(void **state)
{
    (void)state;
    struct llm_reply r = {0};
    struct err err = {{0}};
    const char *o = "{\"id\":\"c1\",\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\","
                    "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},\"finish_reason\":\"length\"}],"
                    "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}";
    assert_int_equal(llm_parse_openai(o, strlen(o), &r, &err), LLM_OK);
    assert_string_equal(r.text, "ab");
    assert_int_equal(r.finish, LLM_FINISH_LENGTH);
    assert_int_equal(r.usage.output_tokens, 6);
    assert_string_equal(r.request_id, "c1");
    llm_reply_free(&r);
    assert_int_equal(llm_parse_openai("{\"x\":1}", 7, &r, &err), LLM_ERR_MALFORMED);
    assert_non_null(strstr(err.msg, "choices"));
    llm_reply_free(&r);
    assert_int_equal(llm_parse_openai("[1]", 3, &r, &err), LLM_ERR_MALFORMED);
    llm_reply_free(&r);
    const char *refusal = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"no\"}}]}";
    assert_int_equal(llm_parse_openai(refusal, strlen(refusal), &r, &err), LLM_OK);
    assert_int_equal(r.finish, LLM_FINISH_FILTER);
    llm_reply_free(&r);

    const char *g = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hidden\",\"thought\":true},{\"text\":\"shown\"}]},"
                    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,"
                    "\"thoughtsTokenCount\":4}}";
    assert_int_equal(llm_parse_gemini(g, strlen(g), &r, &err), LLM_OK);
    assert_string_equal(r.text, "shown");
    assert_int_equal(r.usage.output_tokens, 7); /* thinking is billed as output */
    llm_reply_free(&r);
    const char *blocked = "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}";
    assert_int_equal(llm_parse_gemini(blocked, strlen(blocked), &r, &err), LLM_OK);
    assert_string_equal(r.text, "");
    assert_int_equal(r.finish, LLM_FINISH_FILTER);
    llm_reply_free(&r);
    assert_int_equal(llm_parse_gemini("{}", 2, &r, &err), LLM_ERR_MALFORMED);
    llm_reply_free(&r);

    const char *a = "{\"content\":[{\"type\":\"text\",\"text\":\"x \",\"citations\":[{\"url\":\"https://u\",\"title\":\"U\"}]},"
                    "{\"type\":\"text\",\"text\":\"y\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,"
                    "\"cache_creation_input_tokens\":2,\"cache_read_input_tokens\":1,\"output_tokens\":4}}";
    assert_int_equal(llm_parse_anthropic(a, strlen(a), &r, &err), LLM_OK);
    assert_string_equal(r.text, "x y");
    assert_int_equal(r.nsources, 1);
    assert_int_equal(r.usage.input_tokens, 6);
    assert_int_equal(r.usage.cached_tokens, 1);
    assert_int_equal(r.finish, LLM_FINISH_STOP);
    llm_reply_free(&r);
    assert_int_equal(llm_parse_anthropic("{\"content\":\"x\"}", 15, &r, &err), LLM_ERR_MALFORMED);
    llm_reply_free(&r);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    llm_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    llm_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    llm_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_base_urls_and_redaction(void **state)
{
    (void)state;
    char *u = llm_base_url("http://localhost:8000", NULL, "https://x", "/v1");
    assert_string_equal(u, "http://localhost:8000/v1");
    free(u);
    u = llm_base_url("http://localhost:11434/v1/", NULL, "https://x", "/v1");
    assert_string_equal(u, "http://localhost:11434/v1");
    free(u);
    setenv("MLESTAR_TEST_BASE", "https://openrouter.ai/api/v1", 1);
    u = llm_base_url("", "MLESTAR_TEST_BASE", "https://x", "/v1");
    assert_string_equal(u, "https://openrouter.ai/api/v1");
    free(u);
    u = llm_base_url(NULL, "MLESTAR_TEST_UNSET_VAR", "https://api.anthropic.com", "/v1");
    assert_string_equal(u, "https://api.anthropic.com/v1");
    free(u);
    char text[200] = "key sk-abcdef123456 echoed twice: sk-abcdef123456.";
    llm_redact(text, sizeof text, "sk-abcdef123456");
    assert_string_equal(text, "key [redacted] echoed twice: [redacted].");
    char shortk[50] = "k=abcde!";
    llm_redact(shortk, sizeof shortk, "abcde");
    assert_string_equal(shortk, "k=*****!");
}

static void test_invalid_utf8_still_sends(void **state)
{
    (void)state;
    json_t *s = llm_json_str("caf\xe9 \xff ok \xc3\xa9");
    assert_non_null(s);
    assert_string_equal(json_string_value(s), "caf\xef\xbf\xbd \xef\xbf\xbd ok \xc3\xa9");
    json_decref(s);
    struct test_request t;
    test_request_init(&t, "plan", "p1", "bytes \x80\x81");
    char *key = llm_request_key(&t.req);
    assert_int_equal(strlen(key), 64);
    free(key);
}

static void test_client_new_errors(void **state)
{
    (void)state;
    struct config cfg;
    struct err err = {{0}};
    test_config(&cfg, "nonesuch", "");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "unknown LLM provider 'nonesuch'"));
    assert_non_null(strstr(err.msg, "openai, gemini, anthropic, replay"));
    config_free(&cfg);

    unsetenv("OPENAI_API_KEY");
    test_config(&cfg, "openai", "");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "OPENAI_API_KEY"));
    config_free(&cfg);
    /* A local server needs no key. */
    test_config(&cfg, "openai", "http://127.0.0.1:8000/v1");
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    assert_string_equal(llm_client_provider(c), "openai");
    assert_string_equal(llm_client_model(c, false), "gpt-4.1");
    llm_client_free(c);
    config_free(&cfg);

    unsetenv("GEMINI_API_KEY");
    test_config(&cfg, "gemini", "");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "GEMINI_API_KEY"));
    assert_non_null(strstr(err.msg, "GOOGLE_API_KEY"));
    setenv("GOOGLE_API_KEY", "g-key-from-google-var", 1);
    c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    llm_client_free(c);
    config_free(&cfg);

    unsetenv("ANTHROPIC_API_KEY");
    test_config(&cfg, "anthropic", "");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "ANTHROPIC_API_KEY"));
    config_free(&cfg);
    test_env_setup();
}

static void *fake_create(const struct config *cfg, struct err *err)
{
    (void)cfg, (void)err;
    static int token;
    return &token;
}

static int fake_chat(void *st, const struct llm_request *req, const char *model, struct llm_reply *reply,
                     bool *retryable, double *retry_after_s, struct err *err)
{
    (void)st, (void)req, (void)err;
    *retryable = false;
    *retry_after_s = -1;
    reply->text = strdup("<think>x</think>registered answer");
    reply->finish = LLM_FINISH_STOP;
    reply->model = strdup(model);
    return LLM_OK;
}

static void test_registered_provider(void **state)
{
    (void)state;
    static const struct llm_provider_ops ops = {"offline-test", fake_create, fake_chat, NULL, "planner", NULL};
    llm_register_provider(&ops);
    struct config cfg;
    struct err err = {{0}};
    test_config(&cfg, "nonesuch", "");
    assert_null(llm_client_new(&cfg, &err));
    assert_non_null(strstr(err.msg, "offline-test"));
    config_free(&cfg);
    test_config(&cfg, "offline-test", "");
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct llm_reply r;
    assert_int_equal(llm_chat(c, &t.req, &r, &err), 0);
    assert_string_equal(r.text, "registered answer");
    assert_string_equal(r.model, "planner");
    assert_false(llm_client_can_web_search(c, false));
    llm_reply_free(&r);
    llm_client_free(c);
    config_free(&cfg);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(llm_error_name(-LLM_ERR_TRUNCATED), "truncated");
    assert_string_equal(llm_error_name(LLM_ERR_REPLAY_MISS), "replay_miss");
    assert_int_equal(llm_error_parse("budget"), LLM_ERR_BUDGET);
    assert_string_equal(llm_finish_name(LLM_FINISH_LENGTH), "length");
    assert_int_equal(llm_finish_parse("filter"), LLM_FINISH_FILTER);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_think),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_error_bodies),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_base_urls_and_redaction),
        cmocka_unit_test(test_invalid_utf8_still_sends),
        cmocka_unit_test(test_client_new_errors),
        cmocka_unit_test(test_registered_provider),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
