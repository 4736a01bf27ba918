/* code_trim_test.c - shortening logs for prompts: the size bound on many
 * sizes, the last traceback kept whole, error lines kept, head and tail,
 * cut markers with counts, long lines cut in the middle on UTF-8
 * boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "code/trim.h"
#include "util/buf.h"

static char *training_log(int epochs, bool with_traceback)
{
    struct buf b = {0};
    buf_puts(&b, "Loading data from ./input/train.csv\n");
    for (int i = 0; i < epochs; i++)
        buf_printf(&b, "[%d] train-logloss:0.%06d valid-logloss:0.%06d\n", i, 690000 - i * 7,
                   690100 - i * 5);
    buf_puts(&b, "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\n"
                 "    import lightgbm\nModuleNotFoundError: No module named 'lightgbm'\n");
    buf_puts(&b, "Retrying without lightgbm\n");
    buf_puts(&b, "UserWarning: a ValueError was caught and ignored\n");
    for (int i = 0; i < epochs; i++)
        buf_printf(&b, "fold %d step %d loss %d\n", i % 5, i, 1000 - i);
    if (with_traceback)
        buf_puts(&b, "Traceback (most recent call last):\n"
                     "  File \"/work/solution.py\", line 88, in <module>\n"
                     "    model.fit(X, y)\n"
                     "  File \"/usr/lib/python3/dist-packages/sklearn/base.py\", line 1, in fit\n"
                     "    raise ValueError(msg)\n"
                     "ValueError: Input contains NaN, infinity or a value too large for dtype('float64').\n");
    return buf_detach(&b);
}

static void test_short_text_unchanged(void **state)
{
    (void)state;
    char *t = code_trim_output("all good\n", 100);
    assert_string_equal(t, "all good\n");
    free(t);
    t = code_trim_output("", 0);
    assert_string_equal(t, "");
    free(t);
}

static void test_last_traceback_and_errors_kept(void **state)
{
    (void)state;
    char *log = training_log(3000, true);
    char *t = code_trim_output(log, 4000);
    assert_true(strlen(t) <= 4000);
    const char *tb = strstr(t, "Traceback (most recent call last):\n  File \"/work/solution.py\"");
    assert_non_null(tb);
    assert_non_null(strstr(tb, "ValueError: Input contains NaN, infinity or a value too large for "
                               "dtype('float64').\n"));
    assert_non_null(strstr(t, "ModuleNotFoundError: No module named 'lightgbm'\n"));
    assert_non_null(strstr(t, "Loading data from ./input/train.csv\n[0] train-logloss"));
    assert_non_null(strstr(t, " lines cut ...]\n"));
    /* the text just before the traceback is the tail of the log */
    assert_non_null(strstr(t, "fold 4 step 2999 loss -1999\nTraceback"));
    free(t);
    free(log);
}

static void test_cut_counts_add_up(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "line %04d\n", i);
    char *t = code_trim_output(buf_str(&b), 500);
    assert_true(strlen(t) <= 500);
    size_t kept = 0, cut = 0;
    for (const char *p = t; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n;
        if (sscanf(p, "[... %zu lines cut ...]", &n) == 1)
            cut += n;
        else
            kept++;
        p = nl ? nl + 1 : p + strlen(p);
    }
    assert_int_equal(kept + cut, 1000);
    assert_non_null(strstr(t, "line 0000\n"));
    assert_non_null(strstr(t, "line 0999\n"));
    free(t);
    buf_free(&b);
}

static void test_bound_holds_for_many_sizes(void **state)
{
    (void)state;
    char *log = training_log(500, true);
    size_t len = strlen(log);
    for (size_t max = 0; max < len + 10; max += max < 200 ? 1 : 97) {
        char *t = code_trim_output(log, max);
        if (strlen(t) > max)
            fail_msg("max %zu gave %zu bytes", max, strlen(t));
        if (max >= len)
            assert_string_equal(t, log);
        free(t);
    }
    free(log);
}

static void test_huge_traceback_keeps_its_end(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "start\nTraceback (most recent call last):\n");
    for (int i = 0; i < 2000; i++)
        buf_printf(&b, "  File \"f%d.py\", line %d, in g\n    g()\n", i, i);
    buf_puts(&b, "RecursionError: maximum recursion depth exceeded\n");
    char *t = code_trim_output(buf_str(&b), 1000);
    assert_true(strlen(t) <= 1000);
    assert_non_null(strstr(t, "Traceback (most recent call last):\n[..."));
    size_t tl = strlen(t);
    const char *end = "RecursionError: maximum recursion depth exceeded\n";
    assert_string_equal(t + tl - strlen(end), end);
    free(t);
    buf_free(&b);
}

static void test_long_line_cut_in_middle_utf8_safe(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "head\n");
    for (int i = 0; i < 3000; i++)
        buf_puts(&b, "\xc3\xa9"); /* é: two bytes each */
    buf_puts(&b, "\ntail\n");
    char *t = code_trim_output(buf_str(&b), 800);
    assert_true(strlen(t) <= 800);
    assert_non_null(strstr(t, " bytes cut ...] "));
    assert_non_null(strstr(t, "head\n"));
    assert_non_null(strstr(t, "tail\n"));
    /* every é survived whole: no lone continuation byte next to ASCII */
    for (const char *p = t; *p; p++)
        if ((unsigned char)*p == 0xa9)
            assert_int_equal((unsigned char)p[-1], 0xc3);
    free(t);
    buf_free(&b);
}

static void test_tiny_budget_keeps_the_end(void **state)
{
    (void)state;
    char *log = training_log(50, true);
    char *t = code_trim_output(log, 20);
    assert_true(strlen(t) <= 20);
    assert_true(strlen(t) > 0);
    const char *end = log + strlen(log) - strlen(t);
    assert_string_equal(t, end);
    free(t);
    free(log);
}

static void test_no_final_newline(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int i = 0; i < 200; i++)
        buf_printf(&b, "row %d\n", i);
    buf_puts(&b, "last line without newline");
    char *t = code_trim_output(buf_str(&b), 300);
    assert_true(strlen(t) <= 300);
    size_t tl = strlen(t);
    assert_string_equal(t + tl - strlen("last line without newline"), "last line without newline");
    free(t);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_text_unchanged),
        cmocka_unit_test(test_last_traceback_and_errors_kept),
        cmocka_unit_test(test_cut_counts_add_up),
        cmocka_unit_test(test_bound_holds_for_many_sizes),
        cmocka_unit_test(test_huge_traceback_keeps_its_end),
        cmocka_unit_test(test_long_line_cut_in_middle_utf8_safe),
        cmocka_unit_test(test_tiny_budget_keeps_the_end),
        cmocka_unit_test(test_no_final_newline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
