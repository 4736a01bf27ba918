/* report_html_test.c - report.html from a journal built by hand
 * (report_fixture.h): self-contained, every piece of journal text escaped,
 * one plot line per lane, every node key present, the ablation table, the
 * final code, the metric's direction, a run still being written, and the
 * errors for a folder without a journal.
 * `report_html_test --fixture DIR` builds the journal in DIR and exits. */
#include "report_fixture.h"

#include "report/report.h"
#include "util/buf.h"

static char *render(const char *run_dir)
{
    struct buf page = {0};
    struct err err = {{0}};
    if (report_render(run_dir, &page, &err) < 0)
        fail_msg("report_render: %s", err.msg);
    return buf_detach(&page);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The text between the first `open` and the next `close` (malloc'd). */
static char *between(const char *hay, const char *open, const char *close)
{
    const char *a = strstr(hay, open);
    assert_non_null(a);
    a += strlen(open);
    const char *b = strstr(a, close);
    assert_non_null(b);
    return xstrndup(a, (size_t)(b - a));
}

static void test_self_contained(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    fix_build(dir, true, false);
    char *html = render(dir);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(html, "</html>\n"));
    /* nothing is loaded: no scripts, no external styles, images or fonts */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src=\""));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "stylesheet"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    const char *p = html;
    while ((p = strstr(p, "href=\"")) != NULL) { /* only in-page anchors and the empty data: icon */
        p += 6;
        assert_true(*p == '#' || !strncmp(p, "data:,\"", 7));
    }
    free(html);
    fix_rm(dir);
}

static void test_escaping(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    fix_build(dir, true, false);
    char *html = render(dir);
    assert_null(strstr(html, FIX_XSS));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>forest"));
    assert_non_null(strstr(html, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(html, "&lt;b&gt;forest&lt;/b&gt;"));
    /* stderr of the failed candidate, escaped */
    assert_non_null(strstr(html, "ValueError: &lt;bad&gt; &amp; &#39;worse&#39;"));
    /* quotes in a plan cannot end an attribute */
    assert_non_null(strstr(html, "quantile transform &quot;then&quot; &#39;clip&#39;"));
    free(html);
    fix_rm(dir);
}

static void test_plot_lineage_and_final_code(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    fix_build(dir, true, false);
    char *html = render(dir);
    char *svg = between(html, "<svg id=\"score-plot\"", "</svg>");
    assert_int_equal(count(svg, "<polyline"), 2);                 /* one line per lane */
    assert_int_equal(count(svg, "class=\"ensemble-round\""), 1);  /* the ensemble round marked */
    assert_int_equal(count(svg, "class=\"final-run\""), 1);
    assert_non_null(strstr(svg, "auc (higher is better)"));
    assert_non_null(strstr(svg, "lane 0: 0.97<"));  /* best of lane 0, not the ablation's 0.99 */
    assert_non_null(strstr(svg, "lane 1: 0.955<"));
    free(svg);
    assert_non_null(strstr(html, "id=\"lineage\""));
    static const char *const keys[] = {"lane0/cand0", "lane0/cand1", "lane0/cand1/debug1", "lane1/cand0",
                                       "lane1/cand1", "lane0/merge1", "lane0/t0/ablation", "lane0/t0/k0",
                                       "lane0/t0/k1", "ensemble/r0", "final/s0"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char want[96];
        snprintf(want, sizeof want, "<span class=\"key\">%s</span>", keys[i]);
        if (!strstr(html, want))
            fail_msg("node %s is missing from the lineage", keys[i]);
    }
    /* every node once, the debug attempt nested in its owner */
    assert_int_equal(count(html, "<details class=\"node\""), 11);
    char *cand1 = between(html, "<span class=\"key\">lane0/cand1</span>", "<span class=\"key\">lane1/");
    assert_non_null(strstr(cand1, "Debug attempts"));
    assert_non_null(strstr(cand1, "lane0/cand1/debug1"));
    free(cand1);
    /* the ablation table, the chosen block, plans with scores and diffs */
    assert_non_null(strstr(html, "<td>no_scaling</td><td class=\"num\">0.951</td><td class=\"num\">-0.014</td>"
                                 "<td>worse</td>"));
    assert_non_null(strstr(html, "Scaling matters most"));
    assert_non_null(strstr(html, "Chosen block"));
    assert_non_null(strstr(html, "<span class=\"add\">+X = RobustScaler().fit_transform(X)</span>"));
    assert_non_null(strstr(html, "<span class=\"del\">-X = StandardScaler().fit_transform(X)</span>"));
    assert_non_null(strstr(html, "average the two lanes&#39; predictions"));
    /* summary: metric, best, valid submission, LLM stages */
    assert_non_null(strstr(html, "<b>auc</b> (higher is better)"));
    assert_non_null(strstr(html, "<span class=\"score big\">0.975</span>"));
    assert_non_null(strstr(html, "<span class=\"badge st-ok\">valid</span>"));
    assert_non_null(strstr(html, "<td>plan</td><td class=\"num\">1</td>"));
    assert_non_null(strstr(html, "<td>all stages</td><td class=\"num\">3</td>"));
    /* time spent waiting for an in-flight slot is shown where there was some */
    char *plan_row = between(html, "<td>plan</td>", "</tr>");
    char *retrieve_row = between(html, "<td>retrieve</td>", "</tr>");
    assert_non_null(strstr(plan_row, " queued)</span>"));
    assert_null(strstr(retrieve_row, "queued"));
    free(plan_row);
    free(retrieve_row);
    /* the final code, escaped, in its own section */
    char *final = between(html, "<section id=\"final\">", "</section>");
    assert_non_null(strstr(final, "# final: train on all rows &amp; write &#39;./final/submission.csv&#39;\n"
                                  "print(1 &lt; 2)"));
    assert_non_null(strstr(final, "final/s0"));
    free(final);
    free(html);
    fix_rm(dir);
}

static void test_lower_is_better(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    fix_build(dir, true, true);
    char *html = render(dir);
    char *svg = between(html, "<svg id=\"score-plot\"", "</svg>");
    assert_non_null(strstr(svg, "rmse (lower is better)"));
    assert_non_null(strstr(svg, "lane 0: 0.03<"));  /* 1 - 0.97: the smallest, not the largest */
    assert_non_null(strstr(svg, "lane 1: 0.045<"));
    free(svg);
    /* with lower better, dropping the scaling (0.951 -> rmse rises) reads as better */
    assert_non_null(strstr(html, "<b>rmse</b> (lower is better)"));
    free(html);
    fix_rm(dir);
}

static void test_running_run_with_open_writer(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    fix_build(dir, false, false);
    struct err err = {{0}};
    struct store *writer = NULL;
    assert_int_equal(store_open(dir, false, &writer, &err), 0);
    /* a step in progress: the page shows what was committed before it */
    assert_int_equal(store_step_begin(writer, &err), 0);
    struct store_node n = {.node_key = "lane1/merge1", .lane = 1, .stage = "merge", .outer_step = -1,
                           .inner_step = -1, .code = "pass\n"};
    int64_t id = 0;
    assert_int_equal(store_node_add(writer, &n, &id, &err), 0);
    assert_int_equal(report_write(dir, &err), 0);
    char *path = fs_join(dir, REPORT_FILE_NAME);
    char *html = NULL;
    assert_int_equal(fs_read_file(path, 0, &html, NULL, &err), 0);
    assert_non_null(strstr(html, "This run is still going"));
    assert_non_null(strstr(html, "not yet (the run is still going)"));
    assert_non_null(strstr(html, "No submission yet; the best solution so far"));
    assert_non_null(strstr(html, "lane0/t0/k0"));
    assert_null(strstr(html, "lane1/merge1"));
    assert_int_equal(count(html, "<polyline"), 2);
    free(html);
    assert_int_equal(store_step_commit(writer, &err), 0);
    /* again, to another file: the committed node is there now */
    char *other = fs_join(dir, "copy.html");
    assert_int_equal(report_write_file(dir, other, &err), 0);
    assert_int_equal(fs_read_file(other, 0, &html, NULL, &err), 0);
    assert_non_null(strstr(html, "lane1/merge1"));
    free(html);
    free(other);
    free(path);
    store_close(writer);
    fix_rm(dir);
}

static void test_empty_run_and_missing_journal(void **state)
{
    (void)state;
    char *dir = fix_tmpdir();
    struct err err = {{0}};
    assert_int_equal(report_write(dir, &err), -1);
    assert_non_null(strstr(err.msg, dir));
    struct store *s = NULL;
    assert_int_equal(store_open(dir, true, &s, &err), 0);
    json_t *settings = json_object();
    assert_int_equal(store_run_begin(s, "t<x>", NULL, "", settings, &err), 0);
    json_decref(settings);
    store_close(s);
    char *html = render(dir);
    assert_non_null(strstr(html, "No script has been scored yet."));
    assert_non_null(strstr(html, "No script has been written yet."));
    assert_non_null(strstr(html, "<title>mlestar: t&lt;x&gt;</title>"));
    assert_non_null(strstr(html, "There is no solution yet."));
    free(html);
    fix_rm(dir);
}

/* `report_html_test --fixture DIR` only builds the journal in DIR (for
 * looking at the page, and for the browser test when no real run is at
 * hand). */
int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--fixture")) {
        fix_build(argv[2], true, false);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_contained),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_plot_lineage_and_final_code),
        cmocka_unit_test(test_lower_is_better),
        cmocka_unit_test(test_running_run_with_open_writer),
        cmocka_unit_test(test_empty_run_and_missing_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
