/* agent_kit_ensemble_test.c - rendering the builtin kit's ensemble scripts:
 * every catalog method renders as the shared part (its {{SOLUTIONS}}
 * filled) followed by the method's own file, one self-contained script
 * whose last call runs that method; an unknown method is an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/builtin_kit.h"
#include "util/assets.h"
#include "util/jsonutil.h"
#include "util/mem.h"

static const struct kit *kit_or_fail(void)
{
    struct err err = {{0}};
    const struct kit *k = kit_get(&err);
    if (!k)
        fail_msg("%s", err.msg);
    return k;
}

static const char *kit_text(const char *file)
{
    char *path = xasprintf("templates/builtin/%s", file);
    const struct asset *a = assets_get(path);
    if (!a)
        fail_msg("%s is not embedded", path);
    free(path);
    return a->data;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void expect_method_script(const struct kit *k, const char *method, const char *file, json_t *solutions)
{
    struct err err = {{0}};
    char *script = kit_render_ensemble(k, method, solutions, &err);
    if (!script)
        fail_msg("%s: %s", method, err.msg);
    const char *common = kit_text(json_str(k->catalog, "ensemble_common", ""));
    const char *own = kit_text(file);
    /* the shared part, up to its placeholder, starts the script */
    const char *tag = strstr(common, "{{SOLUTIONS}}");
    assert_non_null(tag);
    assert_memory_equal(script, common, (size_t)(tag - common));
    /* the placeholder became the list literal of the solutions */
    assert_null(strstr(script, "{{"));
    assert_non_null(strstr(script, "SOLUTIONS = [\"print('a')\\n\", \"x = \\\"q\\\"\\n\"]\n"));
    /* the method's own file ends it, as it is */
    size_t len = strlen(script), own_len = strlen(own);
    assert_true(len > own_len);
    assert_string_equal(script + len - own_len, own);
    /* the shared machinery appears once, and the method file does not repeat it */
    assert_int_equal(count_of(script, "def run_ensemble("), 1);
    assert_int_equal(count_of(own, "def run_ensemble("), 0);
    /* the method file runs the method it is listed as */
    char *call = xasprintf("_ensemble(\"%s\"", method);
    assert_int_equal(count_of(own, call), 1);
    free(call);
    free(script);
}

static void test_every_method_renders_common_then_own_part(void **state)
{
    (void)state;
    const struct kit *k = kit_or_fail();
    json_t *solutions = json_pack("[s,s]", "print('a')\n", "x = \"q\"\n");
    json_t *methods = json_object_get(k->catalog, "ensembles");
    assert_true(json_array_size(methods) >= 4);
    size_t i;
    json_t *e;
    json_array_foreach(methods, i, e)
        expect_method_script(k, json_str(e, "name", ""), json_str(e, "file", ""), solutions);
    json_decref(solutions);
}

static void test_unknown_method_is_an_error(void **state)
{
    (void)state;
    const struct kit *k = kit_or_fail();
    struct err err = {{0}};
    json_t *solutions = json_pack("[s]", "x = 1\n");
    assert_null(kit_render_ensemble(k, "median_of_medians", solutions, &err));
    assert_non_null(strstr(err.msg, "median_of_medians"));
    /* the shared part alone is not a method */
    assert_null(kit_render_ensemble(k, "common", solutions, &err));
    json_decref(solutions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_method_renders_common_then_own_part),
        cmocka_unit_test(test_unknown_method_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
