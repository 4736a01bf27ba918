/* grade_bench_test.c - benchmark rows, aggregates and tables (grade/bench.h):
 * the proportions and their standard errors against hand-computed values,
 * which rows count, per-task means, a row's JSON round trip and the
 * rejection of malformed results, a row from a real grade of the bundled
 * diabetes example, and the Markdown / CSV / JSON tables and files
 * (escaping, columns, aggregates). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "grade/bench.h"
#include "util/fs.h"
#include "util/mem.h"

/* A done row; reason NULL means valid. */
static struct bench_row make_row(const char *task, long seed, const char *reason, double score,
                                 enum bench_medal medal, bool above)
{
    struct bench_row r = {0};
    r.task = xstrdup(task);
    r.seed = seed;
    r.status = xstrdup(reason ? "failed" : "finished");
    r.done = true;
    r.valid = reason == NULL;
    r.invalid_reason = reason ? xstrdup(reason) : NULL;
    r.has_score = r.valid;
    r.score = r.valid ? score : 0;
    r.metric = xstrdup("accuracy");
    r.lower_is_better = 0;
    r.has_thresholds = true;
    r.medal = medal;
    r.above_median = above;
    r.wall_s = 100;
    r.input_tokens = 1000;
    r.output_tokens = 200;
    r.cost_usd = 0.5;
    r.agent_exit = reason ? 1 : 0;
    r.run_dir = xasprintf("/b/%s/seed%ld", task, seed);
    return r;
}

static struct bench_row pending_row(const char *task, long seed)
{
    struct bench_row r = {0};
    r.task = xstrdup(task);
    r.seed = seed;
    r.status = xstrdup("pending");
    r.lower_is_better = -1;
    r.agent_exit = -1;
    r.wall_s = 7; /* must not reach the totals */
    return r;
}

static void free_rows(struct bench_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bench_row_free(&rows[i]);
}

/* Four done runs of two tasks and one pending run. */
static size_t sample_rows(struct bench_row *rows)
{
    rows[0] = make_row("titanic", 0, NULL, 0.83, BENCH_MEDAL_GOLD, true);
    rows[1] = make_row("titanic", 1, NULL, 0.81, BENCH_MEDAL_NONE, true);
    rows[2] = make_row("insults", 0, NULL, 0.80, BENCH_MEDAL_BRONZE, true);
    rows[3] = make_row("insults", 1, "no submission: a | b, \"c\"\nd", 0, BENCH_MEDAL_NONE, false);
    rows[4] = pending_row("insults", 2);
    return 5;
}

static void test_proportion(void **state)
{
    (void)state;
    struct bench_proportion p = bench_proportion_of(1, 3);
    assert_int_equal(p.k, 1);
    assert_int_equal(p.n, 3);
    assert_true(fabs(p.p - 1.0 / 3) < 1e-12);
    assert_true(fabs(p.se - sqrt((1.0 / 3) * (2.0 / 3) / 3)) < 1e-12);
    assert_true(fabs(p.se - 0.27216552697590868) < 1e-12);
    p = bench_proportion_of(0, 0);
    assert_true(p.p == 0 && p.se == 0);
    p = bench_proportion_of(4, 4);
    assert_true(p.p == 1 && p.se == 0);
    p = bench_proportion_of(5, 20);
    assert_true(fabs(p.se - sqrt(0.25 * 0.75 / 20)) < 1e-12);
}

static void test_summarize(void **state)
{
    (void)state;
    struct bench_row rows[5];
    size_t n = sample_rows(rows);
    struct bench_summary s;
    bench_summarize(rows, n, &s);
    assert_int_equal(s.runs, 5);
    assert_int_equal(s.done, 4);
    assert_int_equal(s.any_medal.k, 2);
    assert_int_equal(s.any_medal.n, 4);
    assert_true(fabs(s.any_medal.p - 0.5) < 1e-12);
    assert_true(fabs(s.any_medal.se - sqrt(0.25 / 4)) < 1e-12);
    assert_int_equal(s.gold.k, 1);
    assert_int_equal(s.above_median.k, 3);
    assert_int_equal(s.valid.k, 3);
    assert_true(fabs(s.wall_s - 400) < 1e-9); /* the pending row's 7 s not counted */
    assert_int_equal(s.input_tokens, 4000);
    assert_int_equal(s.output_tokens, 800);
    assert_true(fabs(s.cost_usd - 2.0) < 1e-12);
    assert_int_equal(s.ntasks, 2);
    assert_string_equal(s.tasks[0].task, "titanic");
    assert_int_equal(s.tasks[0].runs, 2);
    assert_int_equal(s.tasks[0].valid, 2);
    assert_int_equal(s.tasks[0].medals, 1);
    assert_true(s.tasks[0].has_mean);
    assert_true(fabs(s.tasks[0].mean_score - 0.82) < 1e-12);
    assert_string_equal(s.tasks[1].task, "insults");
    assert_int_equal(s.tasks[1].runs, 2); /* the pending seed is not a run yet */
    assert_int_equal(s.tasks[1].valid, 1);
    assert_true(fabs(s.tasks[1].mean_score - 0.80) < 1e-12); /* the invalid run has no score */
    bench_summary_free(&s);
    free_rows(rows, n);
}

static void test_summarize_empty(void **state)
{
    (void)state;
    struct bench_summary s;
    bench_summarize(NULL, 0, &s);
    assert_int_equal(s.done, 0);
    assert_int_equal(s.ntasks, 0);
    assert_true(s.valid.p == 0 && s.valid.se == 0);
    char *md = bench_markdown(NULL, 0, &s, NULL);
    assert_non_null(strstr(md, "| any medal | n/a | n/a | 0/0 |"));
    free(md);
    bench_summary_free(&s);
}

static void test_row_json_round_trip(void **state)
{
    (void)state;
    struct bench_row rows[5];
    size_t n = sample_rows(rows);
    for (size_t i = 0; i < n; i++) {
        json_t *j = bench_row_json(&rows[i]);
        struct bench_row back;
        struct err err = {{0}};
        assert_int_equal(bench_row_from_json(j, &back, &err), 0);
        json_t *again = bench_row_json(&back);
        assert_true(json_equal(j, again));
        assert_int_equal(back.done, rows[i].done);
        assert_int_equal(back.valid, rows[i].valid);
        assert_int_equal(back.has_score, rows[i].has_score);
        assert_int_equal(back.medal, rows[i].medal);
        assert_int_equal(back.lower_is_better, rows[i].lower_is_better);
        json_decref(again);
        json_decref(j);
        bench_row_free(&back);
    }
    json_t *j = bench_row_json(&rows[3]);
    assert_true(json_is_null(json_object_get(j, "score")));
    assert_string_equal(json_string_value(json_object_get(j, "medal")), "none");
    json_decref(j);
    j = bench_row_json(&rows[0]);
    assert_string_equal(json_string_value(json_object_get(j, "medal")), "gold");
    assert_string_equal(json_string_value(json_object_get(j, "direction")), "higher");
    json_decref(j);
    j = bench_row_json(&rows[4]);
    assert_true(json_is_null(json_object_get(j, "direction")));
    json_decref(j);
    free_rows(rows, n);
}

static void expect_rejected(const char *text, const char *needle)
{
    json_t *j = json_loads(text, 0, NULL);
    struct bench_row row;
    struct err err = {{0}};
    assert_int_equal(bench_row_from_json(j, &row, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
    json_decref(j);
}

static void test_row_from_bad_json(void **state)
{
    (void)state;
    expect_rejected("[1, 2]", "not a JSON object");
    expect_rejected("{\"seed\": 0}", "\"task\"");
    expect_rejected("{\"task\": \"t\", \"seed\": \"0\"}", "\"seed\"");
    expect_rejected("{\"task\": \"t\", \"seed\": 0, \"score\": \"high\"}", "\"score\"");
    expect_rejected("{\"task\": \"t\", \"seed\": 0, \"valid\": 1}", "\"valid\"");
    expect_rejected("{\"task\": \"t\", \"seed\": 0, \"input_tokens\": 1.5}", "\"input_tokens\"");
    /* a minimal one is accepted, with defaults */
    json_t *j = json_loads("{\"task\": \"t\", \"seed\": 3, \"score\": 1}", 0, NULL);
    struct bench_row row;
    struct err err = {{0}};
    assert_int_equal(bench_row_from_json(j, &row, &err), 0);
    assert_int_equal(row.seed, 3);
    assert_false(row.done);
    assert_true(row.has_score && row.score == 1.0);
    assert_int_equal(row.lower_is_better, -1);
    assert_string_equal(row.status, "pending");
    bench_row_free(&row);
    json_decref(j);
}

static void test_row_from_grade(void **state)
{
    (void)state;
    struct grade_result g = {0};
    g.metric = "accuracy";
    g.valid = true;
    g.score = 0.815;
    g.has_thresholds = true;
    g.silver_medal = g.any_medal = g.above_median = true;
    struct bench_row row = pending_row("t", 0);
    bench_row_set_grade(&row, &g);
    assert_true(row.done && row.valid && row.has_score);
    assert_int_equal(row.medal, BENCH_MEDAL_SILVER);
    assert_true(row.above_median);
    assert_int_equal(row.lower_is_better, 0);
    assert_null(row.invalid_reason);

    struct grade_result bad = {0};
    bad.metric = "rmse";
    bad.lower_is_better = true;
    bad.invalid_reason = "missing ids";
    bad.gold_medal = true; /* ignored: an invalid submission has no medal */
    bench_row_set_grade(&row, &bad);
    assert_false(row.valid);
    assert_false(row.has_score);
    assert_int_equal(row.medal, BENCH_MEDAL_NONE);
    assert_string_equal(row.invalid_reason, "missing ids");
    assert_string_equal(row.metric, "rmse");
    assert_int_equal(row.lower_is_better, 1);

    bench_row_set_invalid(&row, "no submission: crashed");
    assert_string_equal(row.invalid_reason, "no submission: crashed");
    bench_row_free(&row);
}

/* A real grade: the diabetes example's answers graded as a submission. */
static void test_row_from_real_grade(void **state)
{
    (void)state;
    struct grade_result g;
    struct err err = {{0}};
    char *task = xasprintf("%s/examples/diabetes", MLESTAR_SOURCE_DIR);
    char *answers = xasprintf("%s/private/answers.csv", task);
    assert_int_equal(grade_submission(task, answers, &g, &err), 0);
    struct bench_row row = pending_row("diabetes", 0);
    bench_row_set_grade(&row, &g);
    assert_true(row.valid);
    assert_true(row.score == 0.0);
    assert_string_equal(row.metric, "rmse");
    assert_int_equal(row.lower_is_better, 1);
    assert_false(row.has_thresholds);
    struct bench_summary s;
    bench_summarize(&row, 1, &s);
    char *md = bench_markdown(&row, 1, &s, NULL);
    assert_non_null(strstr(md, "| diabetes | 0 | pending | yes | 0 | rmse (lower) | n/a | n/a |"));
    free(md);
    bench_summary_free(&s);
    bench_row_free(&row);
    grade_result_free(&g);
    free(answers);
    free(task);
}

static void test_markdown(void **state)
{
    (void)state;
    struct bench_row rows[5];
    size_t n = sample_rows(rows);
    bench_row_set_str(&rows[0].task, "tit|anic");
    struct bench_summary s;
    bench_summarize(rows, n, &s);
    char *md = bench_markdown(rows, n, &s, "Provider builtin.");
    assert_non_null(strstr(md, "# mlestar bench\n\nProvider builtin.\n"));
    assert_non_null(strstr(md, "| tit\\|anic | 0 | finished | yes | 0.83 | accuracy (higher) | gold | yes | 1m40s "
                               "| 1000 | 200 | $0.5000 |"));
    assert_non_null(strstr(md, "| insults | 1 | failed | no |  | accuracy (higher) |  |  |"));
    assert_non_null(strstr(md, "| insults | 2 | pending |  |  |  |  |  | 7.0s | 0 | 0 | $0.0000 |"));
    assert_non_null(strstr(md, "- insults seed 1: no submission: a \\| b, \"c\" d\n"));
    assert_non_null(strstr(md, "Over n = 4 graded task-seed runs (1 of 5 not graded yet)"));
    assert_non_null(strstr(md, "| any medal | 50.0 | 25.0 | 2/4 |"));
    assert_non_null(strstr(md, "| gold medal | 25.0 | 21.7 | 1/4 |"));
    assert_non_null(strstr(md, "| above median | 75.0 | 21.7 | 3/4 |"));
    assert_non_null(strstr(md, "| valid submission | 75.0 | 21.7 | 3/4 |"));
    assert_non_null(strstr(md, "| insults | accuracy (higher) | 2 | 1 | 1 | 0.8 |"));
    assert_non_null(strstr(md, "SE = sqrt(p(1-p)/n)"));
    free(md);
    bench_summary_free(&s);
    free_rows(rows, n);
}

/* Splits one CSV line into fields (quotes honoured); returns the count. */
static size_t csv_fields(const char *line, const char *end, char fields[][256], size_t max)
{
    size_t n = 0, len = 0;
    bool quoted = false;
    for (const char *p = line; p <= end && n < max; p++) {
        if (p == end || (!quoted && *p == ',')) {
            fields[n][len] = '\0';
            n++;
            len = 0;
        } else if (*p == '"') {
            if (quoted && p + 1 < end && p[1] == '"')
                fields[n][len++] = *p++;
            else
                quoted = !quoted;
        } else if (len < 255) {
            fields[n][len++] = *p;
        }
    }
    return n;
}

/* End of the CSV record starting at p (a newline outside quotes). */
static const char *csv_record_end(const char *p)
{
    bool quoted = false;
    for (; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            return p;
    }
    return p;
}

static void test_csv(void **state)
{
    (void)state;
    struct bench_row rows[5];
    size_t n = sample_rows(rows);
    char *csv = bench_csv(rows, n);
    static char fields[32][256];
    const char *p = csv;
    const char *end = csv_record_end(p);
    size_t ncols = csv_fields(p, end, fields, 32);
    assert_int_equal(ncols, 16);
    assert_string_equal(fields[0], "task");
    assert_string_equal(fields[14], "invalid_reason");
    size_t records = 0;
    for (p = end + 1; *p; p = end + 1, records++) {
        end = csv_record_end(p);
        assert_int_equal(csv_fields(p, end, fields, 32), ncols);
        if (records == 0) {
            assert_string_equal(fields[0], "titanic");
            assert_string_equal(fields[5], "0.83");
            assert_string_equal(fields[8], "gold");
            assert_string_equal(fields[9], "true");
        }
        if (records == 3) {
            assert_string_equal(fields[4], "false");
            assert_string_equal(fields[5], "");
            assert_string_equal(fields[14], "no submission: a | b, \"c\"\nd");
        }
        if (!*end)
            break;
    }
    assert_int_equal(records, n);
    free(csv);
    free_rows(rows, n);
}

static void test_write_results(void **state)
{
    (void)state;
    char dir[] = "/tmp/mlestar-bench-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct bench_row rows[5];
    size_t n = sample_rows(rows);
    json_t *settings = json_pack("{s:s}", "provider", "builtin");
    char *md = NULL;
    struct err err = {{0}};
    assert_int_equal(bench_write_results(dir, rows, n, settings, "Provider builtin.", &md, &err), 0);
    assert_non_null(md);
    char *path = fs_join(dir, "results.md");
    char *text = NULL;
    assert_int_equal(fs_read_file(path, 0, &text, NULL, &err), 0);
    assert_string_equal(text, md);
    free(text);
    free(path);
    path = fs_join(dir, "results.json");
    json_t *results = json_load_file(path, 0, NULL);
    assert_non_null(results);
    assert_string_equal(json_string_value(json_object_get(json_object_get(results, "settings"), "provider")),
                        "builtin");
    assert_int_equal(json_array_size(json_object_get(results, "runs")), 5);
    json_t *agg = json_object_get(results, "aggregates");
    assert_int_equal(json_integer_value(json_object_get(agg, "graded")), 4);
    json_t *gold = json_object_get(agg, "gold_medal");
    assert_int_equal(json_integer_value(json_object_get(gold, "count")), 1);
    assert_true(fabs(json_real_value(json_object_get(gold, "se")) - sqrt(0.25 * 0.75 / 4)) < 1e-12);
    json_t *tasks = json_object_get(results, "tasks");
    assert_int_equal(json_array_size(tasks), 2);
    assert_true(fabs(json_real_value(json_object_get(json_array_get(tasks, 0), "mean_score")) - 0.82) < 1e-12);
    json_decref(results);
    free(path);
    path = fs_join(dir, "results.csv");
    assert_true(fs_is_file(path));
    free(path);
    /* an unwritable folder is an error naming the path, not a crash */
    char *missing = fs_join(dir, "absent/sub");
    assert_int_equal(bench_write_results(missing, rows, n, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "absent"));
    free(missing);
    free(md);
    json_decref(settings);
    free_rows(rows, n);
    assert_int_equal(fs_rm_rf(dir, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proportion),
        cmocka_unit_test(test_summarize),
        cmocka_unit_test(test_summarize_empty),
        cmocka_unit_test(test_row_json_round_trip),
        cmocka_unit_test(test_row_from_bad_json),
        cmocka_unit_test(test_row_from_grade),
        cmocka_unit_test(test_row_from_real_grade),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_write_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
