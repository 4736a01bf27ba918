/* llm_concurrency_test.c - one client shared by many threads: with
 * llm.max_inflight 2, eight threads never have more than two requests at the
 * server at once (and do reach two); totals and the recording stay whole;
 * with llm.max_inflight 1, the time a call waited for the slot is its
 * queued_s (in the reply and the recording), part of its latency_s;
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
    double latency_s;
    double queued_s;
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
    w->latency_s = r.latency_s;
    w->queued_s = r.queued_s;
    llm_reply_free(&r);
    return NULL;
}

/* A client of the openai provider against a test server whose every reply
 * takes delay_s, with llm.max_inflight set and calls recorded to record
 * (filled with the path: SERVER_DIR/calls.jsonl). */
static struct llm_client *recording_client(struct test_server *s, double delay_s, const char *max_inflight,
                                           struct config *cfg, char *record, size_t record_size)
{
    char script[256];
    snprintf(script, sizeof script,
             "[{\"delay_s\":%g,\"reply\":{\"text\":\"ok\",\"input_tokens\":10,\"output_tokens\":5}}]", delay_s);
    server_start(s, script);
    snprintf(record, record_size, "%s/calls.jsonl", s->dir);
    test_config(cfg, "openai", s->base);
    cfg_set(cfg, "llm.max_inflight", max_inflight);
    cfg_set(cfg, "llm.record", record);
    struct err err = {{0}};
    struct llm_client *c = llm_client_new(cfg, &err);
    if (!c)
        fail_msg("%s", err.msg);
    return c;
}

static void test_max_inflight_is_respected(void **state)
{
    (void)state;
    struct test_server s;
    struct config cfg;
    char record[128];
    struct llm_client *c = recording_client(&s, 0.25, "2", &cfg, record, sizeof record);
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

static void test_queue_wait_is_recorded(void **state)
{
    (void)state;
    const double delay = 0.4;
    struct test_server s;
    struct config cfg;
    char record[128];
    struct llm_client *c = recording_client(&s, delay, "1", &cfg, record, sizeof record);
    pthread_t threads[2];
    struct worker workers[2];
    for (int i = 0; i < 2; i++) {
        workers[i] = (struct worker){.client = c, .index = i};
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    llm_client_free(c);
    assert_int_equal(workers[0].rc, 0);
    assert_int_equal(workers[1].rc, 0);
    /* whichever thread got the slot first did not wait; the other waited
     * for the rest of the first call (about one reply delay, less the time
     * it started later: the bound leaves room for a loaded machine), and
     * its latency includes that wait */
    struct worker *first = workers[0].queued_s <= workers[1].queued_s ? &workers[0] : &workers[1];
    struct worker *second = first == &workers[0] ? &workers[1] : &workers[0];
    assert_true(first->queued_s >= 0 && first->queued_s < 0.1);
    assert_true(first->latency_s >= delay);
    assert_true(second->queued_s >= delay / 2 && second->queued_s < delay + 1.0);
    assert_true(second->latency_s >= second->queued_s + delay - 0.05);
    /* the recording carries the same times */
    char *text = test_read(record);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        json_t *rec = json_loads(line, 0, NULL);
        assert_non_null(rec);
        double queued = json_number_value(json_object_get(rec, "queued_s"));
        assert_true(queued == first->queued_s || queued == second->queued_s);
        json_decref(rec);
    }
    assert_int_equal(lines, 2);
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
        cmocka_unit_test(test_queue_wait_is_recorded),
        cmocka_unit_test(test_cancel_ends_a_slow_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
