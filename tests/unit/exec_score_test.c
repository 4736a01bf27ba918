/* exec_score_test.c - exec_parse_score() and the streamed score scan. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

static void test_basic(void **state)
{
    (void)state;
    double s = -1;
    assert_true(exec_parse_score("Final Validation Performance: 0.75\n", &s));
    assert_true(fabs(s - 0.75) < 1e-15);
    assert_true(exec_parse_score("Final Validation Performance: -3e-2", &s));
    assert_true(fabs(s + 0.03) < 1e-15);
    assert_true(exec_parse_score("INFO: Final Validation Performance:   12  \r\n", &s));
    assert_true(fabs(s - 12) < 1e-15);
}

static void test_last_line_wins(void **state)
{
    (void)state;
    double s = 0;
    assert_true(exec_parse_score("Final Validation Performance: 1\nx\n"
                                 "Final Validation Performance: 2\nepoch 3\n", &s));
    assert_true(fabs(s - 2) < 1e-15);
}

static void test_rejects(void **state)
{
    (void)state;
    double s = 42;
    assert_false(exec_parse_score(NULL, &s));
    assert_false(exec_parse_score("", &s));
    assert_false(exec_parse_score("no score here\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: nan\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: NaN\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: inf\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: -Infinity\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: 1e999\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: \n", &s));
    assert_false(exec_parse_score("Final Validation Performance: 0.5 (fold 3)\n", &s));
    assert_false(exec_parse_score("Final Validation Performance: abc\n", &s));
    assert_false(exec_parse_score("final validation performance: 0.5\n", &s));
    /* a broken last line voids an earlier good one */
    assert_false(exec_parse_score("Final Validation Performance: 0.9\n"
                                  "Final Validation Performance: nan\n", &s));
    assert_true(fabs(s - 42) < 1e-15); /* untouched on failure */
}

static void test_long_number_and_line(void **state)
{
    (void)state;
    char text[300];
    memset(text, '1', sizeof text);
    memcpy(text, "Final Validation Performance: ", 30);
    text[sizeof text - 1] = '\0';
    double s;
    assert_false(exec_parse_score(text, &s));
}

static void feed_in_pieces(struct capture *c, const char *text, size_t piece)
{
    struct capture_budget b = {0, 0};
    for (size_t i = 0; i < strlen(text); i += piece) {
        size_t n = strlen(text) - i < piece ? strlen(text) - i : piece;
        capture_feed(c, &b, text + i, n);
    }
}

static void test_streamed_scan_matches(void **state)
{
    (void)state;
    const char *text = "epoch 1\nFinal Validation Performance: 0.125\nFinal Validation "
                       "Performance: 0.375\nbye";
    for (size_t piece = 1; piece < 20; piece++) {
        struct capture c;
        capture_init(&c, -1, true);
        feed_in_pieces(&c, text, piece);
        capture_finish(&c);
        assert_int_equal(c.score_state, 1);
        assert_true(fabs(c.score - 0.375) < 1e-15);
        char *tail = capture_tail(&c);
        assert_string_equal(tail, text);
        free(tail);
    }
}

static void test_capture_cap_and_tail(void **state)
{
    (void)state;
    char path[] = "/tmp/mlestar-capture-XXXXXX";
    int fd = mkstemp(path);
    struct capture c;
    capture_init(&c, fd, true);
    struct capture_budget b = {1000, 0};
    char block[700];
    memset(block, 'a', sizeof block);
    for (int i = 0; i < 100; i++)
        capture_feed(&c, &b, block, sizeof block);
    capture_feed(&c, &b, "\nFinal Validation Performance: 7\n", 33);
    capture_finish(&c);
    assert_true(c.truncated);
    assert_int_equal(c.written, 1000);
    assert_int_equal(c.ring_len, EXEC_TAIL_MAX);
    assert_int_equal(c.score_state, 1);
    char *tail = capture_tail(&c);
    assert_non_null(strstr(tail, "Final Validation Performance: 7\n"));
    assert_int_equal(strlen(tail), EXEC_TAIL_MAX);
    free(tail);
    FILE *f = fopen(path, "r");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    unlink(path);
    assert_true(size > 1000 && size < 1000 + EXEC_TAIL_MAX + 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_last_line_wins),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_long_number_and_line),
        cmocka_unit_test(test_streamed_scan_matches),
        cmocka_unit_test(test_capture_cap_and_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
