/* report_progress_test.c - the live display: the status block drawn from
 * events and stats (stage, t/T, k/K, per-lane and overall best, times,
 * scripts, tokens, cost; width-limited ASCII), the timestamped lines of
 * LINES mode (control characters stripped from model text), the JSON event
 * stream, the TTY mode's redraw around log lines, and QUIET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "report/progress.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

static void fake_stats(void *ctx, struct progress_stats *out)
{
    (void)ctx;
    out->elapsed_s = 125;
    out->remaining_s = 3600 - 125;
    out->scripts_running = 2;
    out->scripts_run = 17;
    out->input_tokens = 12345;
    out->output_tokens = 2500000;
    out->cost_usd = 0.4321;
}

static void ev(struct progress *p, const char *type, const char *json)
{
    json_error_t jerr;
    json_t *d = json ? json_loads(json, 0, &jerr) : NULL;
    if (json && !d)
        fail_msg("bad test JSON %s: %s", json, jerr.text);
    progress_event(p, type, d);
    json_decref(d);
}

static void feed_run(struct progress *p)
{
    ev(p, "run_started", "{\"task\":\"breast-cancer\",\"run_dir\":\"runs/x\"}");
    ev(p, "metric", "{\"metric\":\"auc\",\"lower_is_better\":false}");
    ev(p, "lane_started", "{\"lane\":0}");
    ev(p, "lane_started", "{\"lane\":1}");
    ev(p, "retrieved", "{\"lane\":0,\"models\":[\"logreg\",\"evil\\u001b[31mred\"]}");
    ev(p, "script_started", "{\"node\":1,\"key\":\"lane0/cand0\",\"stage\":\"candidate\",\"lane\":0,"
                            "\"outer_step\":-1,\"inner_step\":-1}");
    ev(p, "script_finished", "{\"area\":\"lane0\",\"label\":\"cand0-r0\",\"node\":1,\"status\":\"ok\","
                             "\"wall_s\":3.2,\"cached\":false,\"score\":0.95}");
    ev(p, "new_best", "{\"lane\":0,\"node\":1,\"score\":0.95}");
    ev(p, "script_started", "{\"node\":2,\"key\":\"lane1/cand0\",\"stage\":\"candidate\",\"lane\":1,"
                            "\"outer_step\":-1,\"inner_step\":-1}");
    ev(p, "script_finished", "{\"area\":\"lane1\",\"label\":\"cand0-r0\",\"node\":2,\"status\":\"ok\","
                             "\"wall_s\":2,\"cached\":true,\"score\":0.93}");
    /* an ablation's score is not the lane's */
    ev(p, "script_started", "{\"node\":3,\"key\":\"lane0/t0/ablation\",\"stage\":\"ablation\",\"lane\":0,"
                            "\"outer_step\":0,\"inner_step\":-1}");
    ev(p, "script_finished", "{\"area\":\"lane0\",\"label\":\"t0-ablation-r0\",\"node\":3,\"status\":\"ok\","
                             "\"wall_s\":9,\"cached\":false,\"score\":0.999}");
    ev(p, "extracted", "{\"lane\":0,\"outer_step\":0,\"summary\":\"s\",\"block\":\"b\",\"plan\":\"use more trees\"}");
    ev(p, "script_started", "{\"node\":4,\"key\":\"lane0/t0/k1\",\"stage\":\"refine\",\"lane\":0,"
                            "\"outer_step\":0,\"inner_step\":1}");
}

/* True when the line of text starting with prefix contains needle. */
static bool line_has(const char *text, const char *prefix, const char *needle)
{
    for (const char *line = text; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        size_t n = strcspn(line, "\n");
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            continue;
        char *copy = xstrndup(line, n);
        bool found = strstr(copy, needle) != NULL;
        free(copy);
        return found;
    }
    return false;
}

static void test_block(void **state)
{
    (void)state;
    struct progress_opts o = {.mode = PROGRESS_LINES, .lanes = 2, .outer_steps = 2, .inner_steps = 4,
                              .ensemble_rounds = 3, .stats = fake_stats, .heartbeat_s = -1};
    log_set_level(LOG_WARN); /* lines are not the point here */
    struct progress *p = progress_new(&o);
    feed_run(p);
    struct buf b = {0};
    progress_render(p, &b, 200);
    const char *text = buf_str(&b);
    assert_non_null(strstr(text, "breast-cancer"));
    assert_non_null(strstr(text, "auc (higher is better)"));
    assert_non_null(strstr(text, "2m05s elapsed, 57m55s left"));
    assert_non_null(strstr(text, "best      0.95 (lane 0)"));
    assert_non_null(strstr(text, "scripts 2 running, 17 run"));
    assert_non_null(strstr(text, "12.3k in + 2.50M out tokens, $0.4321"));
    assert_true(line_has(text, "lane 0 ", "refine  t 1/2  k 2/4"));
    assert_true(line_has(text, "lane 0 ", "best 0.95"));   /* not the ablation's 0.999 */
    assert_true(line_has(text, "lane 1 ", "candidates"));
    assert_true(line_has(text, "lane 1 ", "best 0.93"));
    assert_non_null(strstr(text, "ensemble  waiting for the lanes"));
    /* later: the ensemble and its best */
    ev(p, "lane_finished", "{\"lane\":0,\"ok\":true,\"score\":0.95}");
    ev(p, "script_started", "{\"node\":9,\"key\":\"ensemble/r1\",\"stage\":\"ensemble\",\"lane\":-1,"
                            "\"outer_step\":-1,\"inner_step\":1}");
    ev(p, "new_best", "{\"lane\":-1,\"node\":9,\"score\":0.97}");
    buf_truncate(&b, 0);
    progress_render(p, &b, 40);
    text = buf_str(&b);
    assert_non_null(strstr(text, "lane 0    done"));
    assert_non_null(strstr(text, "ensemble  round 2/3"));
    assert_non_null(strstr(text, "best      0.97 (ensemble)"));
    /* width-limited ASCII, one line per row: 2 header lines, 2 lanes, ensemble */
    size_t rows = 0;
    for (const char *line = text; *line; rows++) {
        size_t n = strcspn(line, "\n");
        assert_true(n <= 39);
        for (size_t i = 0; i < n; i++)
            assert_true((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f);
        line += n + (line[n] == '\n');
    }
    assert_int_equal(rows, 5);
    buf_free(&b);
    progress_free(p);
    log_set_level(LOG_INFO);
}

static struct buf captured;

static void capture(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    buf_append(&captured, line, len);
}

static void test_lines_mode(void **state)
{
    (void)state;
    buf_truncate(&captured, 0);
    log_set_sink(capture, NULL);
    struct progress_opts o = {.mode = PROGRESS_LINES, .lanes = 2, .outer_steps = 2, .inner_steps = 4,
                              .stats = fake_stats, .heartbeat_s = 0.05};
    struct progress *p = progress_new(&o);
    feed_run(p);
    ev(p, "budget", "{\"reason\":\"token limit reached\"}");
    usleep(200 * 1000); /* a heartbeat or more */
    progress_free(p);
    log_set_sink(NULL, NULL);
    const char *text = buf_str(&captured);
    assert_non_null(strstr(text, "info  run started: breast-cancer in runs/x\n"));
    assert_non_null(strstr(text, "info  lane 0: models: logreg, evil?[31mred\n"));
    assert_null(strchr(text, '\033'));
    assert_non_null(strstr(text, "info  lane0/cand0: ok, score 0.95 (3.2s)\n"));
    assert_non_null(strstr(text, "info  lane1/cand0: ok, score 0.93 (2.0s, from the journal)\n"));
    assert_non_null(strstr(text, "info  new best: 0.95 (lane 0)\n"));
    assert_non_null(strstr(text, "info  lane 0 t1: refining a block: use more trees\n"));
    assert_non_null(strstr(text, "warn  budget: token limit reached\n"));
    assert_non_null(strstr(text, "info  status: mlestar breast-cancer auc (higher is better) 2m05s elapsed"));
    assert_non_null(strstr(text, "; lane 0 refine t 1/2 k 2/4 best 0.95; lane 1 candidates best 0.93;"));
    /* every line is timestamped HH:MM:SS */
    for (const char *line = text; *line; line += strcspn(line, "\n") + 1)
        assert_true(line[2] == ':' && line[5] == ':' && line[8] == ' ');
}

static void test_events_json_and_quiet(void **state)
{
    (void)state;
    buf_truncate(&captured, 0);
    log_set_sink(capture, NULL);
    char *json = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&json, &len);
    struct progress_opts o = {.mode = PROGRESS_QUIET, .events = true, .events_out = out, .lanes = 2};
    struct progress *p = progress_new(&o);
    assert_int_equal(progress_mode(p), PROGRESS_QUIET);
    feed_run(p);
    progress_free(p);
    fclose(out);
    log_set_sink(NULL, NULL);
    assert_int_equal(captured.len, 0); /* quiet: nothing on the log */
    size_t lines = 0;
    for (char *line = json; *line; lines++) {
        size_t n = strcspn(line, "\n");
        char *copy = xstrndup(line, n);
        json_error_t jerr;
        json_t *obj = json_loads(copy, 0, &jerr);
        if (!obj)
            fail_msg("not JSON: %s", copy);
        assert_non_null(json_string_value(json_object_get(obj, "type")));
        assert_non_null(json_string_value(json_object_get(obj, "t")));
        if (lines == 0) {
            assert_string_equal(json_string_value(json_object_get(obj, "type")), "run_started");
            assert_string_equal(json_string_value(json_object_get(obj, "task")), "breast-cancer");
        }
        json_decref(obj);
        free(copy);
        line += n + (line[n] == '\n');
    }
    assert_int_equal(lines, 14);
    free(json);
}

static void test_tty_redraw_around_log_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/mlestar-progress-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    struct progress_opts o = {.mode = PROGRESS_TTY, .fd = fd, .lanes = 1, .stats = fake_stats, .refresh_s = 0.02};
    struct progress *p = progress_new(&o);
    assert_int_equal(progress_mode(p), PROGRESS_TTY);
    ev(p, "run_started", "{\"task\":\"wine\",\"run_dir\":\"r\"}");
    usleep(100 * 1000); /* a few redraws */
    log_warn("a warning from elsewhere");
    progress_free(p);
    log_warn("after the display: straight to stderr");
    close(fd);
    char *text = NULL;
    struct err err = {{0}};
    assert_int_equal(fs_read_file(path, 0, &text, NULL, &err), 0);
    unlink(path);
    /* the block is 4 rows (header, best, lane 0, ensemble): erased with
     * "cursor up 4, clear below" before each line or redraw */
    assert_non_null(strstr(text, "\r\033[4A\033[J"));
    const char *warning = strstr(text, "warn  a warning from elsewhere\n");
    assert_non_null(warning);
    const char *erase = warning - 8 - 9; /* the erase (8 bytes), then "HH:MM:SS " */
    assert_true(erase > text);
    assert_memory_equal(erase, "\r\033[4A\033[J", 8); /* erased first ... */
    assert_non_null(strstr(warning, "mlestar   wine")); /* ... and drawn again below */
    assert_null(strstr(text, "after the display"));
    /* it ends erased: the last thing written is the erase sequence */
    size_t n = strlen(text);
    assert_true(n > 10 && !strcmp(text + n - 8, "\r\033[4A\033[J"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_lines_mode),
        cmocka_unit_test(test_events_json_and_quiet),
        cmocka_unit_test(test_tty_redraw_around_log_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&captured);
    return rc;
}
