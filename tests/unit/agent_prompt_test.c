/* agent_prompt_test.c - prompt templates: rendering rules, and the contract
 * that every embedded template uses only variables the pipeline provides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/prompt.h"
#include "util/assets.h"

static void test_render_fills_and_keeps_literal_braces(void **state)
{
    (void)state;
    json_t *vars = json_pack("{s:s,s:i,s:f}", "name", "xgboost", "m", 4, "x", 0.5);
    struct err err = {{0}};
    char *out = prompt_render_text("t", "use {{name}} x{{m}} at {{x}}; dict {{ 'a': 1 }} and {{}}", vars, &err);
    assert_non_null(out);
    assert_string_equal(out, "use xgboost x4 at 0.5; dict {{ 'a': 1 }} and {{}}");
    free(out);
    json_decref(vars);
}

static void test_missing_variable_is_named(void **state)
{
    (void)state;
    json_t *vars = json_object();
    struct err err = {{0}};
    char *out = prompt_render_text("candidate", "model {{model_nmae}}", vars, &err);
    assert_null(out);
    assert_non_null(strstr(err.msg, "candidate"));
    assert_non_null(strstr(err.msg, "{{model_nmae}}"));
    json_decref(vars);
}

/* Every variable any stage passes, plus the common ones (agent_llm.c). */
static json_t *all_vars(void)
{
    const char *names[] = {
        "task_description", "data_profile", "metric", "direction", "task_facts", "environment", "time_left",
        "subsample_rows", "subsample_rule", "script_memory", "script_time_limit", "threads", "m", "search_results", "model_name", "example_code",
        "base_code", "add_code", "code", "unused_files", "code_block", "previous_ablations", "ablation_code",
        "output", "summary", "refined_blocks", "retry_reason", "history", "plan", "solutions", "error",
    };
    json_t *vars = json_object();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        json_object_set_new(vars, names[i], json_string("value"));
    return vars;
}

static void test_every_embedded_prompt_renders(void **state)
{
    (void)state;
    json_t *vars = all_vars();
    int count = 0;
    for (const struct asset *a = assets_table; a->path; a++) {
        if (strncmp(a->path, "prompts/", 8) != 0)
            continue;
        struct err err = {{0}};
        char *out = prompt_render_text(a->path, a->data, vars, &err);
        if (!out)
            fail_msg("%s", err.msg);
        free(out);
        count++;
    }
    assert_true(count >= 16);
    json_decref(vars);
}

static void test_every_stage_has_a_template(void **state)
{
    (void)state;
    const char *stages[] = {"system", "retrieve", "candidate", "merge", "usage", "leakage_check", "leakage_fix",
                            "ablation", "summarize", "extract", "plan", "implement", "ensemble_plan", "ensemble",
                            "debug", "submission", "metric"};
    for (size_t i = 0; i < sizeof stages / sizeof *stages; i++) {
        struct err err = {{0}};
        char *t = prompt_template(NULL, stages[i], &err);
        if (!t)
            fail_msg("%s", err.msg);
        free(t);
    }
}

static void test_override_dir_wins(void **state)
{
    (void)state;
    char dir[] = "/tmp/mlestar-prompts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/plan.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("my plan prompt {{code_block}}", f);
    fclose(f);
    json_t *vars = json_pack("{s:s}", "code_block", "B");
    struct err err = {{0}};
    char *out = prompt_render(dir, "plan", vars, &err);
    assert_string_equal(out, "my plan prompt B");
    free(out);
    out = prompt_render(dir, "merge", vars, &err); /* not overridden: embedded, needs more vars */
    assert_null(out);
    assert_non_null(strstr(err.msg, "merge"));
    json_decref(vars);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_fills_and_keeps_literal_braces),
        cmocka_unit_test(test_missing_variable_is_named),
        cmocka_unit_test(test_every_embedded_prompt_renders),
        cmocka_unit_test(test_every_stage_has_a_template),
        cmocka_unit_test(test_override_dir_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
