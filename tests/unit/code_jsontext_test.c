/* code_jsontext_test.c - JSON lists and objects in LLM replies: fences, bare
 * JSON in prose, Python literals, single quotes, trailing commas, raw
 * newlines in strings, prose brackets skipped, error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "code/jsontext.h"

/* Compares the extracted value with the strict JSON `want`. */
static void expect_json(const char *reply, const char *want)
{
    struct err err = {{0}};
    json_t *got = code_extract_json(reply, &err);
    if (!got)
        fail_msg("no JSON: %s", err.msg);
    json_error_t jerr;
    json_t *expected = json_loads(want, 0, &jerr);
    assert_non_null(expected);
    if (!json_equal(got, expected)) {
        char *text = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s, want %s", text, want);
    }
    json_decref(got);
    json_decref(expected);
}

static void expect_no_json(const char *reply, const char *msg_part)
{
    struct err err = {{0}};
    json_t *got = code_extract_json(reply, &err);
    assert_null(got);
    if (!strstr(err.msg, msg_part))
        fail_msg("message `%s` lacks `%s`", err.msg, msg_part);
}

static void test_fenced_list_of_objects(void **state)
{
    (void)state;
    expect_json("Here are the models:\n```json\n[\n  {\"model_name\": \"LightGBM\", "
                "\"example_code\": \"import lightgbm\"},\n  {\"model_name\": \"CatBoost\", "
                "\"example_code\": \"x = 1\"}\n]\n```\nLet me know.",
                "[{\"model_name\":\"LightGBM\",\"example_code\":\"import lightgbm\"},"
                "{\"model_name\":\"CatBoost\",\"example_code\":\"x = 1\"}]");
}

static void test_bare_object_in_prose(void **state)
{
    (void)state;
    expect_json("The answer is {\"leakage\": \"No\", \"code_block\": \"\"} as requested.",
                "{\"leakage\":\"No\",\"code_block\":\"\"}");
}

static void test_python_literals_and_single_quotes(void **state)
{
    (void)state;
    expect_json("[{'name': 'rf', 'tuned': True, 'score': None, 'drop': False}]",
                "[{\"name\":\"rf\",\"tuned\":true,\"score\":null,\"drop\":false}]");
    expect_json("['it\\'s', \"say \\\"hi\\\"\", 'a \"quoted\" word']",
                "[\"it's\",\"say \\\"hi\\\"\",\"a \\\"quoted\\\" word\"]");
}

static void test_trailing_commas(void **state)
{
    (void)state;
    expect_json("[1, 2, 3,]", "[1,2,3]");
    expect_json("{\"a\": [1,], \"b\": {\"c\": 2,},}", "{\"a\":[1],\"b\":{\"c\":2}}");
}

static void test_raw_newlines_and_tabs_in_strings(void **state)
{
    (void)state;
    expect_json("[{\"code\": \"import os\nprint(1)\n\tx = 2\"}]",
                "[{\"code\":\"import os\\nprint(1)\\n\\tx = 2\"}]");
}

static void test_unknown_escape_kept_literally(void **state)
{
    (void)state;
    expect_json("[\"\\d+\\.csv\", \"\\u00e9\", \"\\x41\"]", "[\"\\\\d+\\\\.csv\",\"\\u00e9\",\"A\"]");
}

static void test_numbers(void **state)
{
    (void)state;
    expect_json("[+1, .5, 5., -0.25, 1e-3, 007, -Infinity, NaN]",
                "[1, 0.5, 5.0, -0.25, 1e-3, 7, null, null]");
}

static void test_bare_keys(void **state)
{
    (void)state;
    expect_json("{plan: 'use kfold', steps: 3}", "{\"plan\":\"use kfold\",\"steps\":3}");
}

static void test_prose_brackets_skipped(void **state)
{
    (void)state;
    expect_json("I read [the docs] and {some notes}. Result:\n[\"a\", \"b\"]", "[\"a\",\"b\"]");
}

static void test_json_fence_preferred(void **state)
{
    (void)state;
    expect_json("As shown in [1], the plan:\n```json\n[\"x\", \"y\"]\n```", "[\"x\",\"y\"]");
}

static void test_nested_and_crlf(void **state)
{
    (void)state;
    expect_json("```json\r\n{\r\n  \"a\": {\"b\": [1, {\"c\": []}]}\r\n}\r\n```\r\n",
                "{\"a\":{\"b\":[1,{\"c\":[]}]}}");
}

static void test_unicode_passthrough(void **state)
{
    (void)state;
    expect_json("[\"caf\xc3\xa9\", '\xe2\x82\xac']", "[\"caf\\u00e9\",\"\\u20ac\"]");
}

static void test_errors(void **state)
{
    (void)state;
    expect_no_json("No JSON here at all.", "no JSON list or object");
    expect_no_json("[1, 2", "no valid JSON");
    expect_no_json("['unterminated", "not closed");
    expect_no_json("{\"a\" 1}", "expected ':'");
    expect_no_json("[1 2]", "expected ','");
}

static void test_text_after_value_ignored(void **state)
{
    (void)state;
    expect_json("[\"a\"] and then some words ]]", "[\"a\"]");
}

static void test_errors_name_problem_place(void **state)
{
    (void)state;
    struct err err = {{0}};
    assert_null(code_extract_json("[{\"a\": 1} {\"b\": 2}]", &err));
    assert_non_null(strstr(err.msg, "near"));
    assert_non_null(strstr(err.msg, "expected ','"));
    assert_null(code_extract_json("[comments] // like this", &err));
    assert_non_null(strstr(err.msg, "bare word"));
}

static void test_depth_limit(void **state)
{
    (void)state;
    char deep[401];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    struct err err = {{0}};
    assert_null(code_extract_json(deep, &err));
    char ok[130];
    memset(ok, '[', 60);
    memset(ok + 60, ']', 60);
    ok[120] = '\0';
    json_t *v = code_extract_json(ok, &err);
    assert_non_null(v);
    json_decref(v);
}

static void test_list_wrapper(void **state)
{
    (void)state;
    struct err err = {{0}};
    json_t *v = code_extract_json_list("{\"model\": \"xgb\"}", &err);
    assert_non_null(v);
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "model")), "xgb");
    json_decref(v);
    v = code_extract_json_list("[1, 2]", &err);
    assert_int_equal(json_array_size(v), 2);
    json_decref(v);
    assert_null(code_extract_json_list("nothing", &err));
    assert_non_null(strstr(err.msg, "no JSON"));
}

static void test_normalize_reports_extent(void **state)
{
    (void)state;
    struct err err = {{0}};
    size_t used = 0;
    char *s = code_json_normalize("{'a': (1)} tail", &used, &err);
    assert_null(s);
    s = code_json_normalize("[True, 'x',] tail", &used, &err);
    assert_non_null(s);
    assert_string_equal(s, "[true,\"x\"]");
    assert_int_equal(used, 12);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fenced_list_of_objects),
        cmocka_unit_test(test_bare_object_in_prose),
        cmocka_unit_test(test_python_literals_and_single_quotes),
        cmocka_unit_test(test_trailing_commas),
        cmocka_unit_test(test_raw_newlines_and_tabs_in_strings),
        cmocka_unit_test(test_unknown_escape_kept_literally),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bare_keys),
        cmocka_unit_test(test_prose_brackets_skipped),
        cmocka_unit_test(test_json_fence_preferred),
        cmocka_unit_test(test_nested_and_crlf),
        cmocka_unit_test(test_unicode_passthrough),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_text_after_value_ignored),
        cmocka_unit_test(test_errors_name_problem_place),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_list_wrapper),
        cmocka_unit_test(test_normalize_reports_extent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
