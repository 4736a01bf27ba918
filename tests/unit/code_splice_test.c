/* code_splice_test.c - block replacement: exact unique matches, ambiguity
 * and absence errors phrased for the LLM, the whitespace-insensitive
 * fallback mapped back to whole lines, re-indentation, empty blocks, and the
 * recorded diff and line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "code/splice.h"

static const char *SCRIPT =
    "import pandas as pd\n"                                   /* 1 */
    "from sklearn.ensemble import RandomForestRegressor\n"    /* 2 */
    "\n"                                                      /* 3 */
    "def load():\n"                                           /* 4 */
    "    train = pd.read_csv('./input/train.csv')\n"          /* 5 */
    "    test = pd.read_csv('./input/test.csv')\n"            /* 6 */
    "    return train, test\n"                                /* 7 */
    "\n"                                                      /* 8 */
    "def fit(X, y):\n"                                        /* 9 */
    "    model = RandomForestRegressor(n_estimators=100)\n"   /* 10 */
    "    model.fit(X, y)\n"                                   /* 11 */
    "    return model\n"                                      /* 12 */
    "\n"                                                      /* 13 */
    "train, test = load()\n"                                  /* 14 */
    "print('Final Validation Performance: 0.5')\n";           /* 15 */

static struct code_splice splice_ok(const char *code, const char *old, const char *new_block)
{
    struct code_splice s;
    struct err err = {{0}};
    if (code_replace_block(code, old, new_block, &s, &err) != 0)
        fail_msg("splice failed: %s", err.msg);
    return s;
}

static void splice_fails(const char *code, const char *old, const char *new_block,
                         const char *msg_part)
{
    struct code_splice s;
    struct err err = {{0}};
    assert_int_equal(code_replace_block(code, old, new_block, &s, &err), -1);
    assert_null(s.code);
    assert_null(s.diff);
    if (!strstr(err.msg, msg_part))
        fail_msg("message `%s` lacks `%s`", err.msg, msg_part);
}

static void test_exact_unique_match(void **state)
{
    (void)state;
    struct code_splice s = splice_ok(SCRIPT,
        "    model = RandomForestRegressor(n_estimators=100)\n",
        "    model = RandomForestRegressor(n_estimators=500, n_jobs=-1)\n");
    assert_false(s.fuzzy);
    assert_false(s.reindented);
    assert_int_equal(s.start_line, 10);
    assert_int_equal(s.end_line, 10);
    assert_non_null(strstr(s.code, "n_estimators=500, n_jobs=-1)\n    model.fit"));
    assert_null(strstr(s.code, "n_estimators=100"));
    assert_int_equal(strlen(s.code), strlen(SCRIPT) + strlen(", n_jobs=-1") + 0);
    code_splice_free(&s);
}

static void test_exact_multi_line_and_line_numbers(void **state)
{
    (void)state;
    struct code_splice s = splice_ok(SCRIPT,
        "def fit(X, y):\n    model = RandomForestRegressor(n_estimators=100)\n    model.fit(X, y)\n",
        "def fit(X, y):\n    model = Ridge()\n    model.fit(X, y)\n");
    assert_int_equal(s.start_line, 9);
    assert_int_equal(s.end_line, 11);
    assert_non_null(strstr(s.code, "def fit(X, y):\n    model = Ridge()\n    model.fit(X, y)\n    return model\n"));
    code_splice_free(&s);
}

static void test_diff_recorded(void **state)
{
    (void)state;
    struct code_splice s = splice_ok(SCRIPT, "    model.fit(X, y)\n", "    model.fit(X, y, sample_weight=None)\n");
    const char *want =
        "--- a/solution.py\n"
        "+++ b/solution.py\n"
        "@@ -8,7 +8,7 @@\n"
        " \n"
        " def fit(X, y):\n"
        "     model = RandomForestRegressor(n_estimators=100)\n"
        "-    model.fit(X, y)\n"
        "+    model.fit(X, y, sample_weight=None)\n"
        "     return model\n"
        " \n"
        " train, test = load()\n";
    assert_string_equal(s.diff, want);
    code_splice_free(&s);
}

static void test_trailing_newline_agrees_with_old(void **state)
{
    (void)state;
    /* old with newline, new without: the next line must not be glued on */
    struct code_splice s = splice_ok("a = 1\nb = 2\n", "a = 1\n", "a = 3");
    assert_string_equal(s.code, "a = 3\nb = 2\n");
    code_splice_free(&s);
    /* old without newline, new with one: no blank line appears */
    s = splice_ok("a = 1\nb = 2\n", "a = 1", "a = 3\n");
    assert_string_equal(s.code, "a = 3\nb = 2\n");
    code_splice_free(&s);
}

static void test_ambiguous_exact(void **state)
{
    (void)state;
    const char *code = "x = 0\nfor i in range(3):\n    x += i\nprint(x)\nfor i in range(3):\n    x += i\n";
    splice_fails(code, "for i in range(3):\n    x += i\n", "for j in range(4):\n    x += j\n",
                 "the block occurs 2 times (lines 2 and 5); include more lines to make it unique");
    char many[400] = "";
    for (int i = 0; i < 7; i++)
        strcat(many, "pass\n");
    splice_fails(many, "pass\n", "x = 1\n", "occurs 7 times (lines 1, 2, 3, 4, 5, ...)");
    splice_fails("a\nb\na\nc\na\n", "a\n", "z\n", "occurs 3 times (lines 1, 3 and 5)");
}

static void test_missing_first_line(void **state)
{
    (void)state;
    splice_fails(SCRIPT, "model = XGBRegressor()\nmodel.fit(X, y)\n", "model = 1\n",
                 "the block was not found in the script: its first line `model = XGBRegressor()` "
                 "does not occur");
}

static void test_missing_later_line_named(void **state)
{
    (void)state;
    splice_fails(SCRIPT,
                 "def fit(X, y):\n    model = RandomForestRegressor(n_estimators=100)\n    model.fit(X, y, verbose=1)\n",
                 "x = 1\n",
                 "its first 2 lines match from line 9, but its next line `model.fit(X, y, verbose=1)` "
                 "differs from the script's line 11 `model.fit(X, y)`");
    splice_fails("a = 1\nb = 2\n", "b = 2\nc = 3\n", "x\n", "the script ends before its line `c = 3`");
}

static void test_empty_blocks(void **state)
{
    (void)state;
    splice_fails(SCRIPT, "", "x = 1\n", "empty block");
    splice_fails(SCRIPT, "  \n\t\n", "x = 1\n", "empty block: the block to replace is empty");
    splice_fails(SCRIPT, "    model.fit(X, y)\n", "\n  \n", "empty block: the replacement block is empty");
    splice_fails(SCRIPT, "    model.fit(X, y)\n", NULL, "empty block");
}

static void test_fuzzy_whitespace_and_blank_lines(void **state)
{
    (void)state;
    /* inner spacing differs, the blank line between is dropped, blank lines
     * and trailing spaces are added */
    struct code_splice s = splice_ok(SCRIPT,
        "    return   train, test  \n\n\n\ndef   fit(X, y):\n",
        "    return train, test, None\n\ndef fit(X, y):\n");
    assert_true(s.fuzzy);
    assert_false(s.reindented);
    assert_int_equal(s.start_line, 7);
    assert_int_equal(s.end_line, 9);
    assert_non_null(strstr(s.code, "    test = pd.read_csv('./input/test.csv')\n"
                                   "    return train, test, None\n\ndef fit(X, y):\n    model ="));
    code_splice_free(&s);
}

static void test_fuzzy_match_maps_to_whole_lines(void **state)
{
    (void)state;
    struct code_splice s = splice_ok(SCRIPT,
        "    test  = pd.read_csv('./input/test.csv')\n"
        "\n"
        "    return train,  test   \n",
        "    test = pd.read_csv('./input/test.csv').fillna(0)\n    return train, test\n");
    assert_true(s.fuzzy);
    assert_false(s.reindented);
    assert_int_equal(s.start_line, 6);
    assert_int_equal(s.end_line, 7);
    assert_non_null(strstr(s.code, "    train = pd.read_csv('./input/train.csv')\n"
                                   "    test = pd.read_csv('./input/test.csv').fillna(0)\n"
                                   "    return train, test\n\ndef fit"));
    code_splice_free(&s);
}

static void test_fuzzy_reindents_unindented_old(void **state)
{
    (void)state;
    /* The model copied the body without its indentation. */
    struct code_splice s = splice_ok(SCRIPT,
        "model = RandomForestRegressor(n_estimators=100)\nmodel.fit(X, y)\n",
        "model = RandomForestRegressor(n_estimators=300)\nif len(X) > 10:\n    model.fit(X, y)\n");
    assert_true(s.fuzzy);
    assert_true(s.reindented);
    assert_int_equal(s.start_line, 10);
    assert_int_equal(s.end_line, 11);
    assert_non_null(strstr(s.code, "def fit(X, y):\n"
                                   "    model = RandomForestRegressor(n_estimators=300)\n"
                                   "    if len(X) > 10:\n"
                                   "        model.fit(X, y)\n"
                                   "    return model\n"));
    code_splice_free(&s);
}

static void test_fuzzy_dedents_overindented_old(void **state)
{
    (void)state;
    struct code_splice s = splice_ok("if a:\n    x = 1\n    y = 2\n",
                                     "        x = 1\n        y = 2\n",
                                     "        x = 3\n        y = 4\n");
    assert_true(s.fuzzy);
    assert_true(s.reindented);
    assert_string_equal(s.code, "if a:\n    x = 3\n    y = 4\n");
    code_splice_free(&s);
}

static void test_fuzzy_with_tabs_and_crlf(void **state)
{
    (void)state;
    struct code_splice s = splice_ok("def f():\r\n\tx = 1\r\n\treturn x\r\n",
                                     "x = 1\nreturn x\n", "x = 2\nreturn x * 2\n");
    assert_true(s.fuzzy);
    assert_string_equal(s.code, "def f():\r\n\tx = 2\n\treturn x * 2\n");
    code_splice_free(&s);
}

static void test_fuzzy_ambiguous(void **state)
{
    (void)state;
    splice_fails("def a():\n    x  = 1\n\ndef b():\n    x  =  1\n", "x = 1", "x = 2",
                 "the block occurs 2 times when whitespace is ignored (lines 2 and 5)");
}

static void test_fuzzy_last_line_without_newline(void **state)
{
    (void)state;
    struct code_splice s = splice_ok("a = 1\nb =  2", "b = 2\n", "b = 3\nc = 4\n");
    assert_true(s.fuzzy);
    assert_string_equal(s.code, "a = 1\nb = 3\nc = 4");
    code_splice_free(&s);
}

static void test_exact_match_after_indent_reindents_new_lines(void **state)
{
    (void)state;
    /* old copied without the first line's indent; new written relative to it */
    struct code_splice s = splice_ok(SCRIPT, "model.fit(X, y)",
                                     "model.fit(X, y)\nprint('fitted')");
    assert_false(s.fuzzy);
    assert_true(s.reindented);
    assert_non_null(strstr(s.code, "    model.fit(X, y)\n    print('fitted')\n    return model\n"));
    code_splice_free(&s);
    /* new already written with full indentation: left alone */
    s = splice_ok(SCRIPT, "model.fit(X, y)", "model.fit(X, y)\n    print('fitted')");
    assert_false(s.reindented);
    assert_non_null(strstr(s.code, "    model.fit(X, y)\n    print('fitted')\n    return model\n"));
    code_splice_free(&s);
}

static void test_exact_beats_fuzzy(void **state)
{
    (void)state;
    /* "x=1" occurs exactly once; whitespace-insensitively it would not match "x = 1". */
    struct code_splice s = splice_ok("x = 1\nx=1\n", "x=1\n", "y=2\n");
    assert_false(s.fuzzy);
    assert_string_equal(s.code, "x = 1\ny=2\n");
    code_splice_free(&s);
}

static void test_free_is_null_safe(void **state)
{
    (void)state;
    code_splice_free(NULL);
    struct code_splice s = {0};
    code_splice_free(&s);
}

static void test_whole_script_block(void **state)
{
    (void)state;
    const char *code = "import os\nx = 1\ny = 2\nz = 3\nprint(x + y + z)\n";
    assert_true(code_block_is_whole_script(code, code));
    assert_true(code_block_is_whole_script(code, "\nimport os\nx = 1\n\ny = 2\nz = 3\nprint(x + y + z)"));
    assert_false(code_block_is_whole_script(code, "x = 1\ny = 2"));
    assert_false(code_block_is_whole_script(code, "x = 1\ny = 2\nz = 3\nprint(x + y + z)")); /* 4 of 5 */
    assert_false(code_block_is_whole_script("x = 1\ny = 2\n", "x = 1\ny = 2\n"));      /* too short to split */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_unique_match),
        cmocka_unit_test(test_exact_multi_line_and_line_numbers),
        cmocka_unit_test(test_diff_recorded),
        cmocka_unit_test(test_trailing_newline_agrees_with_old),
        cmocka_unit_test(test_ambiguous_exact),
        cmocka_unit_test(test_missing_first_line),
        cmocka_unit_test(test_missing_later_line_named),
        cmocka_unit_test(test_empty_blocks),
        cmocka_unit_test(test_fuzzy_whitespace_and_blank_lines),
        cmocka_unit_test(test_fuzzy_match_maps_to_whole_lines),
        cmocka_unit_test(test_fuzzy_reindents_unindented_old),
        cmocka_unit_test(test_fuzzy_dedents_overindented_old),
        cmocka_unit_test(test_fuzzy_with_tabs_and_crlf),
        cmocka_unit_test(test_fuzzy_ambiguous),
        cmocka_unit_test(test_fuzzy_last_line_without_newline),
        cmocka_unit_test(test_exact_match_after_indent_reindents_new_lines),
        cmocka_unit_test(test_exact_beats_fuzzy),
        cmocka_unit_test(test_free_is_null_safe),
        cmocka_unit_test(test_whole_script_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
