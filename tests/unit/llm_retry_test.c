/* llm_retry_test.c - the client's fault handling, against the scripted test
 * server: retries on 429/5xx/timeouts/resets/truncated bodies with
 * Retry-After honoured, bounded retries of malformed and empty replies, no
 * retry on 400/401/403/404, and error texts that name the provider, the
 * status and the provider's message but never the API key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "llm_testlib.h"
#include "util/timeutil.h"

struct outcome {
    int rc;
    int tries;
    double elapsed;
    size_t requests;
    char text[256];
    char err[ERR_MSG_MAX];
};

/* Runs one openai call (or `provider`) against a server playing `script`. */
static struct outcome run_script(const char *provider, const char *script, const char *extra_name,
                                 const char *extra_value)
{
    struct test_server s;
    server_start(&s, script);
    struct config cfg;
    test_config(&cfg, provider, s.base);
    if (extra_name)
        cfg_set(&cfg, extra_name, extra_value);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    struct test_request t;
    test_request_init(&t, "candidate", "lane1/c1", "Write a script.");
    struct llm_reply reply;
    struct outcome o = {0};
    double t0 = time_mono();
    o.rc = llm_chat(c, &t.req, &reply, &err);
    o.elapsed = time_mono() - t0;
    o.tries = reply.tries;
    snprintf(o.text, sizeof o.text, "%s", reply.text ? reply.text : "");
    snprintf(o.err, sizeof o.err, "%s", o.rc ? err.msg : "");
    o.requests = server_count(&s);
    llm_reply_free(&reply);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
    return o;
}

static void test_429_waits_retry_after_seconds(void **state)
{
    (void)state;
    struct outcome o = run_script("openai",
                                  "[{\"status\":429,\"headers\":{\"Retry-After\":\"1\"},\"error\":\"Rate limit reached\"},"
                                  " {\"reply\":{\"text\":\"done\"}}]",
                                  NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "done");
    assert_int_equal(o.tries, 2);
    assert_int_equal(o.requests, 2);
    assert_true(o.elapsed >= 0.95);
    assert_true(o.elapsed < 5);
}

static void test_429_waits_retry_after_http_date(void **state)
{
    (void)state;
    char date[64], script[256];
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    snprintf(script, sizeof script,
             "[{\"status\":429,\"headers\":{\"Retry-After\":\"%s\"},\"error\":\"slow down\"},"
             " {\"reply\":{\"text\":\"ok\"}}]",
             date);
    struct outcome o = run_script("anthropic", script, NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.tries, 2);
    /* The client waited until the date (not for a fixed time: starting the
     * test server may already have used part of the two seconds). */
    assert_true(time_wall() >= (double)when - 0.05);
    assert_true(o.elapsed < 5);
}

static void test_5xx_retried_then_success(void **state)
{
    (void)state;
    struct outcome o = run_script("gemini",
                                  "[{\"status\":500,\"error\":\"internal\"}, {\"status\":503,\"error\":\"overloaded\"},"
                                  " {\"reply\":{\"text\":\"third time\"}}]",
                                  NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "third time");
    assert_int_equal(o.tries, 3);
    assert_int_equal(o.requests, 3);
    assert_true(o.elapsed < 2.5); /* backoff base is 0.01 s in tests (1 s would take >= 3 s) */
}

static void test_5xx_until_max_tries_is_exhausted(void **state)
{
    (void)state;
    struct outcome o = run_script("openai", "[{\"status\":503,\"error\":\"The server is overloaded\"}]",
                                  "llm.max_tries", "3");
    assert_int_equal(o.rc, -LLM_ERR_EXHAUSTED);
    assert_int_equal(o.requests, 3);
    assert_non_null(strstr(o.err, "openai"));
    assert_non_null(strstr(o.err, "gave up after 3 tries"));
    assert_non_null(strstr(o.err, "HTTP 503"));
    assert_non_null(strstr(o.err, "The server is overloaded"));
}

static void test_timeout_is_retried(void **state)
{
    (void)state;
    /* a generous timeout, so that a loaded machine (CI runs tests in
     * parallel) still answers the second, fast request in time */
    struct outcome o = run_script("openai", "[{\"delay_s\":8,\"reply\":{\"text\":\"late\"}}, {\"reply\":{\"text\":\"fast\"}}]",
                                  "llm.timeout", "2");
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "fast");
    assert_int_equal(o.tries, 2);
    assert_true(o.elapsed >= 1.9);
    assert_true(o.elapsed < 7.5);
}

static void test_timeout_every_time_names_the_timeout(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"delay_s\":2,\"reply\":{\"text\":\"late\"}}]");
    struct config cfg;
    test_config(&cfg, "openai", s.base);
    cfg_set(&cfg, "llm.timeout", "0.3");
    cfg_set(&cfg, "llm.max_tries", "2");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    struct test_request t;
    test_request_init(&t, "debug", "d1", "fix it");
    struct llm_reply reply;
    assert_int_equal(llm_chat(c, &t.req, &reply, &err), -LLM_ERR_EXHAUSTED);
    assert_non_null(strstr(err.msg, "timed out"));
    assert_non_null(strstr(err.msg, "llm.timeout"));
    assert_null(reply.text);
    llm_reply_free(&reply);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

static void test_reset_connection_is_retried(void **state)
{
    (void)state;
    struct outcome o = run_script("anthropic", "[{\"action\":\"reset\"}, {\"reply\":{\"text\":\"after reset\"}}]", NULL,
                                  NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "after reset");
    assert_int_equal(o.tries, 2);
    assert_int_equal(o.requests, 2);
}

static void test_truncated_body_is_retried(void **state)
{
    (void)state;
    struct outcome o = run_script("openai",
                                  "[{\"action\":\"truncate\",\"reply\":{\"text\":\"a long answer that is cut\"}},"
                                  " {\"reply\":{\"text\":\"whole\"}}]",
                                  NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "whole");
    assert_int_equal(o.tries, 2);
}

static void test_cut_json_with_right_length_is_malformed_then_retried(void **state)
{
    (void)state;
    struct outcome o = run_script("openai", "[{\"raw_body\":\"{\\\"choices\\\": [{\\\"mess\"}, {\"reply\":{\"text\":\"fine\"}}]",
                                  NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "fine");
    assert_int_equal(o.tries, 2);
}

static void test_wrong_content_type_is_malformed_after_three_tries(void **state)
{
    (void)state;
    struct outcome o = run_script(
        "openai",
        "[{\"headers\":{\"Content-Type\":\"text/html\"},\"raw_body\":\"<html><body>502 Bad Gateway</body></html>\"}]",
        "llm.max_tries", "6");
    assert_int_equal(o.rc, -LLM_ERR_MALFORMED);
    assert_int_equal(o.requests, 3); /* one try and two retries, though max_tries is 6 */
    assert_non_null(strstr(o.err, "text/html"));
    assert_non_null(strstr(o.err, "openai"));
}

static void test_empty_choices_is_empty_after_three_tries(void **state)
{
    (void)state;
    struct outcome o = run_script(
        "openai",
        "[{\"body\":{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":0}}}]", NULL,
        NULL);
    assert_int_equal(o.rc, -LLM_ERR_EMPTY);
    assert_int_equal(o.requests, 3);
    assert_non_null(strstr(o.err, "empty reply"));
}

static void test_empty_then_text_succeeds(void **state)
{
    (void)state;
    struct outcome o = run_script("gemini", "[{\"reply\":{\"text\":\"\"}}, {\"reply\":{\"text\":\"now\"}}]", NULL, NULL);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.text, "now");
    assert_int_equal(o.tries, 2);
}

/* 401 with the key echoed in the provider's message: not retried, and the
 * key is in the request headers but in neither the error nor the recording. */
static void check_401(const char *provider, const char *key, const char *header, const char *header_value)
{
    char script[512];
    snprintf(script, sizeof script, "[{\"status\":401,\"error\":\"Incorrect API key provided: %s.\"}]", key);
    struct test_server s;
    server_start(&s, script);
    char record[160];
    snprintf(record, sizeof record, "%s/calls.jsonl", s.dir);
    struct config cfg;
    test_config(&cfg, provider, s.base);
    cfg_set(&cfg, "llm.record", record);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    assert_non_null(c);
    struct test_request t;
    test_request_init(&t, "retrieve", "r1", "Find models.");
    struct llm_reply reply;
    assert_int_equal(llm_chat(c, &t.req, &reply, &err), -LLM_ERR_HTTP);
    llm_reply_free(&reply);
    assert_int_equal(server_count(&s), 1);
    assert_non_null(strstr(err.msg, provider));
    assert_non_null(strstr(err.msg, "HTTP 401"));
    assert_non_null(strstr(err.msg, "Incorrect API key provided"));
    assert_null(strstr(err.msg, key));
    char *sent = server_header(&s, 0, header);
    assert_non_null(sent);
    assert_string_equal(sent, header_value);
    free(sent);
    llm_client_free(c);
    char *recorded = test_read(record);
    assert_non_null(strstr(recorded, "HTTP 401"));
    assert_null(strstr(recorded, key));
    free(recorded);
    config_free(&cfg);
    server_stop(&s);
}

static void test_401_not_retried_and_key_never_shown(void **state)
{
    (void)state;
    check_401("openai", TEST_OPENAI_KEY, "authorization", "Bearer " TEST_OPENAI_KEY);
    check_401("gemini", TEST_GEMINI_KEY, "x-goog-api-key", TEST_GEMINI_KEY);
    check_401("anthropic", TEST_ANTHROPIC_KEY, "x-api-key", TEST_ANTHROPIC_KEY);
}

/* A 429 whose message echoes the key is logged when retried: the log line
 * (stderr) must not hold the key either. */
static void test_retry_log_never_shows_the_key(void **state)
{
    (void)state;
    char dir[64], log_path[128];
    test_tmpdir(dir, sizeof dir);
    snprintf(log_path, sizeof log_path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *log_file = fopen(log_path, "w");
    dup2(fileno(log_file), STDERR_FILENO);
    struct outcome o = run_script("anthropic",
                                  "[{\"status\":429,\"error\":\"Too many requests for key " TEST_ANTHROPIC_KEY "\"},"
                                  " {\"reply\":{\"text\":\"ok\"}}]",
                                  NULL, NULL);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(log_file);
    assert_int_equal(o.rc, 0);
    char *logged = test_read(log_path);
    assert_non_null(strstr(logged, "Too many requests for key"));
    assert_non_null(strstr(logged, "[redacted]"));
    assert_null(strstr(logged, TEST_ANTHROPIC_KEY));
    free(logged);
    fs_rm_rf(dir, NULL);
}

static void test_400_403_404_fail_at_once(void **state)
{
    (void)state;
    static const int statuses[] = {400, 403, 404};
    for (size_t i = 0; i < 3; i++) {
        char script[200];
        snprintf(script, sizeof script, "[{\"status\":%d,\"error\":\"problem %d\"}]", statuses[i], statuses[i]);
        struct outcome o = run_script("anthropic", script, NULL, NULL);
        char want[40];
        snprintf(want, sizeof want, "HTTP %d", statuses[i]);
        assert_int_equal(o.rc, -LLM_ERR_HTTP);
        assert_int_equal(o.requests, 1);
        assert_non_null(strstr(o.err, want));
        assert_non_null(strstr(o.err, "anthropic"));
        snprintf(want, sizeof want, "problem %d", statuses[i]);
        assert_non_null(strstr(o.err, want));
    }
}

static void test_connection_refused_is_retried_then_exhausted(void **state)
{
    (void)state;
    /* A port that was just free: start and stop a server to get one. */
    struct test_server s;
    server_start(&s, "[{}]");
    char base[64];
    snprintf(base, sizeof base, "%s", s.base);
    server_stop(&s);
    struct config cfg;
    test_config(&cfg, "openai", base);
    cfg_set(&cfg, "llm.max_tries", "3");
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    struct test_request t;
    test_request_init(&t, "merge", "m1", "merge");
    struct llm_reply reply;
    assert_int_equal(llm_chat(c, &t.req, &reply, &err), -LLM_ERR_EXHAUSTED);
    assert_non_null(strstr(err.msg, "gave up after 3 tries"));
    llm_reply_free(&reply);
    llm_client_free(c);
    config_free(&cfg);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_429_waits_retry_after_seconds),
        cmocka_unit_test(test_429_waits_retry_after_http_date),
        cmocka_unit_test(test_5xx_retried_then_success),
        cmocka_unit_test(test_5xx_until_max_tries_is_exhausted),
        cmocka_unit_test(test_timeout_is_retried),
        cmocka_unit_test(test_timeout_every_time_names_the_timeout),
        cmocka_unit_test(test_reset_connection_is_retried),
        cmocka_unit_test(test_truncated_body_is_retried),
        cmocka_unit_test(test_cut_json_with_right_length_is_malformed_then_retried),
        cmocka_unit_test(test_wrong_content_type_is_malformed_after_three_tries),
        cmocka_unit_test(test_empty_choices_is_empty_after_three_tries),
        cmocka_unit_test(test_empty_then_text_succeeds),
        cmocka_unit_test(test_401_not_retried_and_key_never_shown),
        cmocka_unit_test(test_retry_log_never_shows_the_key),
        cmocka_unit_test(test_400_403_404_fail_at_once),
        cmocka_unit_test(test_connection_refused_is_retried_then_exhausted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
