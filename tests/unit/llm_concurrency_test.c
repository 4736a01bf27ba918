/* llm_concurrency_test.c - one client shared by many threads: with
 * llm.max_inflight 2, eight threads never have more than two requests at the
 * server at once (and do reach two); totals and the recording stay whole;
 * llm_client_cancel() ends a call stuck in a slow request and the waits. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "llm_testlib.h"
#include "util/timeutil.h"

#define NTHREADS 8

struct worker {
    struct llm_client *client;
    int index;
    int rc;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char call_id[32];
    snprintf(call_id, sizeof call_id, "lane%d/c1", w->index);
    struct test_request t;
    test_request_init(&t, "candidate", call_id, "Write a script.");
    struct llm_reply r;
    struct err err = {{0}};
    w->rc = llm_chat(w->client, &t.req, &r, &err);
    llm_reply_free(&r);
    return NULL;
}

static void test_max_inflight_is_respected(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"delay_s\":0.25,\"reply\":{\"text\":\"ok\",\"input_tokens\":10,\"output_tokens\":5}}]");
    char record[128];
    snprintf(record, sizeof record, "%s/calls.jsonl", s.dir);
    struct config cfg;
    test_config(&cfg, "openai", s.base);
    cfg_set(&cfg, "llm.max_inflight", "2");
    cfg_set(&cfg, "llm.record", record);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    pthread_t threads[NTHREADS];
    struct worker workers[NTHREADS];
    double t0 = time_mono();
    for (int i = 0; i < NTHREADS; i++) {
        workers[i] = (struct worker){.client = c, .index = i};
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(threads[i], NULL);
    double elapsed = time_mono() - t0;
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(workers[i].rc, 0);
    json_t *all = server_requests(&s);
    assert_int_equal(json_array_size(all), NTHREADS);
    json_int_t most = 0;
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r) {
        json_int_t n = json_integer_value(json_object_get(r, "inflight"));
        if (n > most)
            most = n;
    }
    json_decref(all);
    assert_true(most <= 2);
    assert_true(most == 2);
    assert_true(elapsed >= 4 * 0.25 - 0.05); /* 8 calls, 2 at a time */
    struct llm_totals t;
    llm_client_totals(c, "candidate", &t);
    assert_int_equal(t.calls, NTHREADS);
    assert_int_equal(t.usage.input_tokens, 10 * NTHREADS);
    llm_client_free(c);
    /* Every call is one whole line in the recording. */
    char *text = test_read(record);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *rec = json_loads(line, 0, NULL);
        assert_non_null(rec);
        json_decref(rec);
        lines++;
    }
    assert_int_equal(lines, NTHREADS);
    free(text);
    config_free(&cfg);
    server_stop(&s);
}

static void *cancel_later(void *arg)
{
    usleep(300 * 1000);
    llm_client_cancel(arg);
    return NULL;
}

static void test_cancel_ends_a_slow_call(void **state)
{
    (void)state;
    struct test_server s;
    server_start(&s, "[{\"delay_s\":5,\"reply\":{\"text\":\"too late\"}}]");
    struct config cfg;
    test_config(&cfg, "gemini", s.base);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(&cfg, &err);
    pthread_t th;
    double t0 = time_mono();
    pthread_create(&th, NULL, cancel_later, c);
    struct test_request t;
    test_request_init(&t, "plan", "p1", "Plan.");
    struct llm_reply r;
    assert_int_equal(llm_chat(c, &t.req, &r, &err), -LLM_ERR_CANCELLED);
    assert_true(time_mono() - t0 < 3);
    llm_reply_free(&r);
    pthread_join(th, NULL);
    /* Later calls fail at once. */
    assert_int_equal(llm_chat(c, &t.req, &r, &err), -LLM_ERR_CANCELLED);
    llm_reply_free(&r);
    llm_client_free(c);
    config_free(&cfg);
    server_stop(&s);
}

int main(void)
{
    test_env_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_inflight_is_respected),
        cmocka_unit_test(test_cancel_ends_a_slow_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
