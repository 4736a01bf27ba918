/* agent_builtin_test.c - the offline planner's pieces: metric rules over
 * description wording, Python literals, the param-change language, and
 * composing a script then reading its composition back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/builtin.h"
#include "agent/builtin_kit.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/mem.h"

static void expect_metric(const char *text, const char *problem, const char *metric, bool lower)
{
    const char *m = NULL;
    bool l = !lower;
    if (builtin_metric_from_text(text, problem, &m, &l) < 0)
        fail_msg("no metric found in: %s", text);
    if (strcmp(m, metric) != 0)
        fail_msg("expected %s, got %s for: %s", metric, m, text);
    assert_int_equal(l, lower);
}

static void test_metric_rules(void **state)
{
    (void)state;
    expect_metric("## Evaluation\n\nSubmissions are evaluated on area under the ROC curve between the predicted "
                  "probability and the observed target.", NULL, "auc", false);
    expect_metric("## Evaluation\nSubmissions are evaluated on the column-wise root mean squared logarithmic "
                  "error.\n", NULL, "rmsle_mean_columns", true);
    expect_metric("Submissions are evaluated on Root-Mean-Squared-Error (RMSE) between the logarithm of the "
                  "predicted value and the logarithm of the observed sales price.", NULL, "rmse_log", true);
    expect_metric("## Evaluation\nSubmissions are evaluated based on their classification accuracy, the "
                  "percentage of predicted labels that are correct.", NULL, "accuracy", false);
    expect_metric("# Evaluation\nSubmissions are evaluated using the multi-class logarithmic loss.", "multiclass",
                  "multiclass_logloss", true);
    expect_metric("Evaluation\nWe use log loss.", "multiclass", "multiclass_logloss", true);
    expect_metric("Evaluation\nWe use log loss.", "binary", "logloss", true);
    expect_metric("scored with quadratic weighted kappa", NULL, "qwk", false);
    /* the Evaluation section wins over wording elsewhere */
    expect_metric("# Overview\nAccuracy matters to us.\n\n## Evaluation\nThe metric is the mean absolute "
                  "error.\n\n## Timeline\n", NULL, "mae", true);
    /* whole words only: "sauce" holds no "auc" */
    const char *m;
    bool l;
    assert_int_equal(builtin_metric_from_text("Predict the sauce recipe quality.", NULL, &m, &l), -1);
}

static void test_metric_rules_on_shared_tasks(void **state)
{
    (void)state;
    const char *tasks[][3] = {
        {"spaceship-titanic", "accuracy", "0"},
        {"detecting-insults-in-social-commentary", "auc", "0"},
        {"nomad2018-predict-transparent-conductors", "rmsle_mean_columns", "1"},
        {"house-prices", "rmse_log", "1"},
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof tasks / sizeof *tasks; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/../shared/tasks/%s/description.md", MLESTAR_SOURCE_DIR, tasks[i][0]);
        char *text = NULL;
        if (fs_read_file(path, 0, &text, NULL, NULL) < 0)
            continue;
        expect_metric(text, NULL, tasks[i][1], tasks[i][2][0] == '1');
        free(text);
        checked++;
    }
    if (!checked)
        skip();
}

static void test_python_literals(void **state)
{
    (void)state;
    json_t *v = json_loads("[2000, 0.05, 1.0, 1e-05, true, false, null, \"sq\\\"rt\", [1, 2]]", 0, NULL);
    const char *expect[] = {"2000", "0.05", "1.0", "1e-05", "True", "False", "None", "\"sq\\\"rt\"", "[1, 2]"};
    for (size_t i = 0; i < json_array_size(v); i++) {
        char *s = kit_python_literal(json_array_get(v, i));
        assert_string_equal(s, expect[i]);
        free(s);
    }
    json_decref(v);
    json_t *code = json_string("a = \"x\"\nb = 'y\\\\'\r\n");
    char *s = kit_python_literal(code);
    assert_string_equal(s, "\"a = \\\"x\\\"\\nb = 'y\\\\\\\\'\\r\\n\"");
    free(s);
    json_decref(code);
}

static void test_param_changes(void **state)
{
    (void)state;
    json_t *p = json_pack("{s:i,s:f,s:i,s:s,s:b}", "n_estimators", 1000, "learning_rate", 0.05, "max_depth", 5,
                          "kind", "a", "flag", false);
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:b,s:i}", "n_estimators", "x2", "learning_rate", "x0.5", "max_depth",
                          "-3", "kind", "b", "flag", true, "missing", 3);
    assert_int_equal(kit_apply_param_changes(p, c), 5);
    assert_int_equal(json_int(p, "n_estimators", 0), 2000);
    assert_true(json_num(p, "learning_rate", 0) == 0.025);
    assert_int_equal(json_int(p, "max_depth", 0), 2);
    json_t *c3 = json_pack("{s:s}", "max_depth", "-5");
    assert_int_equal(kit_apply_param_changes(p, c3), 1);
    assert_int_equal(json_int(p, "max_depth", 0), 1); /* integers stay >= 1 */
    json_decref(c3);
    assert_string_equal(json_str(p, "kind", ""), "b");
    assert_true(json_bool(p, "flag", false));
    assert_null(json_object_get(p, "missing"));
    /* multiplying a string is not applicable: nothing changes */
    json_t *c2 = json_pack("{s:s}", "kind", "x2");
    assert_int_equal(kit_apply_param_changes(p, c2), 0);
    assert_string_equal(json_str(p, "kind", ""), "b");
    json_decref(c2);
    json_decref(p);
    json_decref(c);
}

static json_t *small_composition(const struct kit *k)
{
    json_t *comp = json_object();
    json_t *defaults = json_object_get(k->catalog, "defaults");
    for (size_t i = 0; i < 5; i++) {
        json_t *uses = json_array();
        json_t *names = !strcmp(kit_blocks[i], "model") ? json_pack("[s]", "linear")
                                                         : json_incref(json_object_get(defaults, kit_blocks[i]));
        size_t j;
        json_t *n;
        json_array_foreach(names, j, n)
            json_array_append_new(uses, json_pack("{s:s,s:o}", "name", json_string_value(n), "params",
                                                  kit_default_params(k, kit_blocks[i], json_string_value(n))));
        json_decref(names);
        json_object_set_new(comp, kit_blocks[i], uses);
    }
    return comp;
}

static void test_compose_and_parse_back(void **state)
{
    (void)state;
    struct err err = {{0}};
    const struct kit *k = kit_get(&err);
    if (!k)
        fail_msg("%s", err.msg);
    json_t *comp = small_composition(k);
    json_t *config = json_pack("{s:s,s:i,s:s}", "mode", "search", "seed", 7, "metric", "auc");
    char *code = kit_render_script(k, config, comp, &err);
    if (!code)
        fail_msg("%s", err.msg);
    assert_non_null(strstr(code, "# [block:model]\n# [compose] "));
    json_t *back = kit_parse_composition(code);
    assert_non_null(back);
    assert_true(json_equal(back, comp));
    json_t *cfg_back = kit_parse_config(code);
    assert_true(json_equal(cfg_back, config));
    /* the submission rewrite changes only CONFIG */
    json_object_set_new(config, "mode", json_string("submit"));
    char *submit = kit_replace_config(code, config);
    json_t *cfg2 = kit_parse_config(submit);
    assert_string_equal(json_str(cfg2, "mode", ""), "submit");
    char *model_a = kit_block_text(code, "model"), *model_b = kit_block_text(submit, "model");
    assert_string_equal(model_a, model_b);
    /* a line inside the model block maps to it */
    const char *at = strstr(code, "# [block:model]");
    long line = 1;
    for (const char *p = code; p < at; p++)
        line += *p == '\n';
    assert_string_equal(kit_block_at_line(code, line + 2), "model");
    assert_null(kit_block_at_line(code, 1));
    free(model_a);
    free(model_b);
    free(submit);
    json_decref(cfg2);
    json_decref(cfg_back);
    json_decref(back);
    free(code);
    json_decref(config);
    json_decref(comp);
}

static json_t *retrieve_ctx(int lane, int lanes)
{
    return json_pack("{s:s,s:i,s:i,s:i,s:{s:s,s:s,s:b,s:{s:[s,s]},s:[],s:i},s:{},s:{},s:[]}", "stage", "retrieve",
                     "m", 3, "lane", lane, "lanes", lanes, "facts", "problem", "binary", "metric", "auc",
                     "lower_is_better", 0, "columns", "numeric", "a", "b", "extra_files", "train_rows", 10000,
                     "profile", "packages", "cards");
}

static json_t *models_of(const char *reply)
{
    const char *open = strstr(reply, "```json\n");
    assert_non_null(open);
    json_t *list = json_loads(open + 8, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(list);
    json_t *names = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
        json_array_append_new(names, json_string(json_str(m, "model_name", "")));
    json_decref(list);
    return names;
}

static void test_lanes_get_different_models(void **state)
{
    (void)state;
    struct err err = {{0}};
    json_t *c0 = retrieve_ctx(0, 2), *c1 = retrieve_ctx(1, 2);
    char *r0 = builtin_answer("retrieve", c0, &err);
    char *r1 = builtin_answer("retrieve", c1, &err);
    if (!r0 || !r1)
        fail_msg("%s", err.msg);
    json_t *m0 = models_of(r0), *m1 = models_of(r1);
    assert_int_equal(json_array_size(m0), 3);
    assert_int_equal(json_array_size(m1), 3);
    size_t i;
    json_t *name;
    json_array_foreach(m0, i, name)
        assert_false(json_list_has(m1, json_string_value(name)));
    /* deterministic: the same context, the same answer */
    char *again = builtin_answer("retrieve", c0, &err);
    assert_string_equal(r0, again);
    free(again);
    json_decref(m0);
    json_decref(m1);
    free(r0);
    free(r1);
    json_decref(c0);
    json_decref(c1);
}

/* The extraction never offers a block text the pipeline has refined before
 * (it would refuse it and ask again, to the same answer): once every block
 * is refined and unchanged there is nothing to offer; a block whose text
 * changed since its refinement is offered again. */
static json_t *extract_ctx(const char *code, json_t *refined)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:i,s:i}", "stage", "extract", "code", code, "summary",
                     "ranking: model features validation", "refined_blocks", refined, "lane", 0, "outer_step", 3);
}

static void test_extract_skips_refined_texts(void **state)
{
    (void)state;
    struct err err = {{0}};
    const struct kit *k = kit_get(&err);
    if (!k)
        fail_msg("%s", err.msg);
    json_t *comp = small_composition(k);
    json_t *config = json_pack("{s:s,s:i,s:s,s:s}", "mode", "search", "seed", 7, "metric", "auc", "problem", "binary");
    char *code = kit_render_script(k, config, comp, &err);
    if (!code)
        fail_msg("%s", err.msg);
    char *model = kit_block_text(code, "model"), *features = kit_block_text(code, "features");
    char *validation = kit_block_text(code, "validation");
    /* every block refined, none changed since */
    json_t *ctx = extract_ctx(code, json_pack("[s,s,s]", model, features, validation));
    char *reply = builtin_answer("extract", ctx, &err);
    assert_null(reply);
    assert_non_null(strstr(err.msg, "no block"));
    json_decref(ctx);
    /* the model block was refined when its text was different: offered again */
    char *older = xasprintf("%s# an earlier version\n", model);
    err.msg[0] = 0;
    ctx = extract_ctx(code, json_pack("[s,s,s]", older, features, validation));
    reply = builtin_answer("extract", ctx, &err);
    if (!reply)
        fail_msg("%s", err.msg);
    const char *open = strstr(reply, "```json\n");
    assert_non_null(open);
    json_t *list = json_loads(open + 8, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(list);
    assert_string_equal(json_str(json_array_get(list, 0), "code_block", ""), model);
    json_decref(list);
    free(reply);
    json_decref(ctx);
    free(older);
    free(model);
    free(features);
    free(validation);
    free(code);
    json_decref(config);
    json_decref(comp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_rules),
        cmocka_unit_test(test_metric_rules_on_shared_tasks),
        cmocka_unit_test(test_python_literals),
        cmocka_unit_test(test_param_changes),
        cmocka_unit_test(test_compose_and_parse_back),
        cmocka_unit_test(test_lanes_get_different_models),
        cmocka_unit_test(test_extract_skips_refined_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
