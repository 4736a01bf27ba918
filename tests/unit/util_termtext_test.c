/* util_termtext_test.c - terminal-safe text: control bytes become \xNN,
 * newlines survive only in multi-line text, UTF-8 passes, C1 controls do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/termtext.h"

static void check(const char *in, bool one_line, const char *want)
{
    char *got = term_safe(in, one_line);
    assert_string_equal(got, want);
    free(got);
}

static void test_escape_sequences_are_shown(void **state)
{
    (void)state;
    check("col\x1b[2J\x1b]0;pwned\x07", true, "col\\x1b[2J\\x1b]0;pwned\\x07");
    check("a\x7f" "b", false, "a\\x7fb");
    check("\x01\x1f", false, "\\x01\\x1f");
}

static void test_newlines_depend_on_the_mode(void **state)
{
    (void)state;
    check("line 1\n\tline 2\r\n", false, "line 1\n\tline 2\\x0d\n");
    check("name\nwith\ttab", true, "name\\x0awith\\x09tab");
}

static void test_utf8_passes_but_c1_controls_do_not(void **state)
{
    (void)state;
    check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    check("x\xc2\x9b" "31m", true, "x\\xc2\\x9b31m");   /* U+009B, CSI */
    check("\xc2\xa0", true, "\xc2\xa0");                /* U+00A0 is not a control */
    check("end\xc2", true, "end\xc2");                  /* a cut sequence is left as it is */
}

static void test_lengths_and_null(void **state)
{
    (void)state;
    char *got = term_safe_n("ab\x1b" "cd", 3, true);
    assert_string_equal(got, "ab\\x1b");
    free(got);
    got = term_safe(NULL, false);
    assert_string_equal(got, "");
    free(got);
    char text[] = {'a', '\0', 'b'};
    got = term_safe_n(text, 3, true);
    assert_string_equal(got, "a\\x00b");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_sequences_are_shown),
        cmocka_unit_test(test_newlines_depend_on_the_mode),
        cmocka_unit_test(test_utf8_passes_but_c1_controls_do_not),
        cmocka_unit_test(test_lengths_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
