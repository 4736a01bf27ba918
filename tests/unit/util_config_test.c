/* util_config_test.c - settings: defaults, file with line numbers, env, precedence,
 * and where each value came from (origins). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/config.h"
#include "util/fs.h"
#include "util/timeutil.h"

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/mlestar-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults_are_paper_defaults(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.pipeline.models, 4);
    assert_int_equal(cfg.pipeline.outer_steps, 4);
    assert_int_equal(cfg.pipeline.inner_steps, 4);
    assert_int_equal(cfg.pipeline.lanes, 2);
    assert_int_equal(cfg.pipeline.ensemble_rounds, 5);
    assert_int_equal(cfg.pipeline.subsample_rows, 30000);
    assert_string_equal(cfg.llm.provider, "builtin");
    assert_true(cfg.pipeline.leakage_check);
    assert_true(cfg.exec.output_cap == 64LL * 1024 * 1024);
    config_free(&cfg);
}

static void test_every_default_parses(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    for (const struct config_setting *s = config_settings; s->name; s++) {
        struct err err = {{0}};
        assert_int_equal(config_set(&cfg, s->name, s->def, "default", &err), 0);
        /* and the dumped text parses back */
        char *text = config_get_text(&cfg, s);
        assert_int_equal(config_set(&cfg, s->name, text, "dump", &err), 0);
        free(text);
    }
    config_free(&cfg);
}

static void test_file_errors_name_file_and_line(void **state)
{
    (void)state;
    char *path = write_tmp("[pipeline]\nouter_steps = 2\n\n[exec]\ntimeout = soon\n");
    struct config cfg;
    config_defaults(&cfg);
    struct err err = {{0}};
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    char expect[256];
    snprintf(expect, sizeof expect, "%s:5:", path);
    assert_non_null(strstr(err.msg, expect));
    assert_non_null(strstr(err.msg, "exec.timeout"));
    assert_int_equal(cfg.pipeline.outer_steps, 2);
    config_free(&cfg);
    unlink(path);
    free(path);

    path = write_tmp("[llm]\nmodle = x\n");
    config_defaults(&cfg);
    assert_int_equal(config_load_file(&cfg, path, &err), -1);
    assert_non_null(strstr(err.msg, ":2:"));
    assert_non_null(strstr(err.msg, "unknown setting 'llm.modle'"));
    config_free(&cfg);
    unlink(path);
    free(path);
}

static void test_precedence_file_then_env(void **state)
{
    (void)state;
    char *path = write_tmp("[llm]\nmodel = \"from-file\"\nprovider = openai\n[run]\ntime_limit = 30m\n");
    setenv("MLESTAR_LLM_MODEL", "from-env", 1);
    struct config cfg;
    struct err err = {{0}};
    assert_int_equal(config_load(&cfg, path, &err), 0);
    assert_string_equal(cfg.llm.model, "from-env");
    assert_string_equal(cfg.llm.provider, "openai");
    assert_true(cfg.run.time_limit == 1800.0);
    assert_int_equal(config_set(&cfg, "llm.model", "from-flag", "--model", &err), 0);
    assert_string_equal(cfg.llm.model, "from-flag");
    unsetenv("MLESTAR_LLM_MODEL");
    config_free(&cfg);
    unlink(path);
    free(path);
}

static void test_bad_env_value_is_named(void **state)
{
    (void)state;
    setenv("MLESTAR_PIPELINE_LANES", "two", 1);
    struct config cfg;
    struct err err = {{0}};
    config_defaults(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), -1);
    assert_non_null(strstr(err.msg, "MLESTAR_PIPELINE_LANES"));
    unsetenv("MLESTAR_PIPELINE_LANES");
    config_free(&cfg);
}

static void test_zero_lanes_is_refused_like_negative(void **state)
{
    (void)state;
    const char *bad[] = {"0", "-1"};
    for (int i = 0; i < 2; i++) {
        setenv("MLESTAR_PIPELINE_LANES", bad[i], 1);
        struct config cfg;
        struct err err = {{0}};
        config_defaults(&cfg);
        assert_int_equal(config_load_env(&cfg, &err), -1);
        assert_non_null(strstr(err.msg, "pipeline.lanes"));
        assert_int_equal(cfg.pipeline.lanes, 2);
        config_free(&cfg);
    }
    setenv("MLESTAR_PIPELINE_LANES", "1", 1);
    struct config cfg;
    struct err err = {{0}};
    config_defaults(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    assert_int_equal(cfg.pipeline.lanes, 1);
    config_free(&cfg);
    setenv("MLESTAR_PIPELINE_MODELS", "0", 1); /* other counts may still be 0 */
    config_defaults(&cfg);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    config_free(&cfg);
    unsetenv("MLESTAR_PIPELINE_MODELS");
    unsetenv("MLESTAR_PIPELINE_LANES");
}

static void test_durations_and_sizes(void **state)
{
    (void)state;
    double d;
    assert_int_equal(parse_duration("1h30m", &d), 0);
    assert_true(d == 5400.0);
    assert_int_equal(parse_duration("90", &d), 0);
    assert_true(d == 90.0);
    assert_int_equal(parse_duration("2.5h", &d), 0);
    assert_true(d == 9000.0);
    assert_int_equal(parse_duration("soon", &d), -1);
    assert_int_equal(parse_duration("", &d), -1);
    assert_int_equal(parse_duration("-5s", &d), -1);
    long long b;
    assert_int_equal(parse_size("512M", &b), 0);
    assert_true(b == 512LL * 1024 * 1024);
    assert_int_equal(parse_size("4GiB", &b), 0);
    assert_true(b == 4LL << 30);
    assert_int_equal(parse_size("100", &b), 0);
    assert_true(b == 100LL << 20);
    assert_int_equal(parse_size("12Q", &b), -1);
    /* too large to hold (found by the config fuzzer: undefined conversion) */
    assert_int_equal(parse_size("9000000000000T", &b), -1);
    assert_int_equal(parse_size("1e300", &b), -1);
    assert_int_equal(parse_size("8388607T", &b), 0);
    assert_int_equal(parse_duration("1e300d", &d), -1);
    assert_int_equal(parse_duration("1e308d 1e308d", &d), -1);
    assert_int_equal(parse_duration("1000000d", &d), 0);
}

static void expect_origin(const struct config *cfg, const char *name, enum config_source source,
                          const char *where, const char *text)
{
    const struct config_origin *o = config_origin(cfg, name);
    assert_non_null(o);
    assert_int_equal(o->source, source);
    if (where)
        assert_string_equal(o->where, where);
    else
        assert_null(o->where);
    char *shown = config_origin_text(cfg, name);
    assert_string_equal(shown, text);
    free(shown);
}

static void test_each_setting_remembers_its_origin(void **state)
{
    (void)state;
    char *path = write_tmp("[task]\nmetric = rmse\ndirection = lower\n[llm]\nmodel = from-file\n");
    setenv("MLESTAR_TASK_METRIC", "auc", 1);
    setenv("MLESTAR_PIPELINE_LANES", "3", 1);
    struct config cfg;
    struct err err = {{0}};
    assert_int_equal(config_load(&cfg, path, &err), 0);
    unsetenv("MLESTAR_TASK_METRIC");
    unsetenv("MLESTAR_PIPELINE_LANES");
    char file_text[256];
    snprintf(file_text, sizeof file_text, "config file %s", path);

    expect_origin(&cfg, "task.metric", CONFIG_SOURCE_ENV, "MLESTAR_TASK_METRIC", "environment (MLESTAR_TASK_METRIC)");
    assert_string_equal(cfg.task.metric, "auc");
    expect_origin(&cfg, "task.direction", CONFIG_SOURCE_FILE, path, file_text);
    expect_origin(&cfg, "llm.model", CONFIG_SOURCE_FILE, path, file_text);
    expect_origin(&cfg, "pipeline.lanes", CONFIG_SOURCE_ENV, "MLESTAR_PIPELINE_LANES",
                  "environment (MLESTAR_PIPELINE_LANES)");
    expect_origin(&cfg, "exec.timeout", CONFIG_SOURCE_DEFAULT, NULL, "default");
    assert_null(config_origin(&cfg, "task.nope"));
    assert_null(config_origin_text(&cfg, "task.nope"));

    /* a flag wins, and a rejected value leaves value and origin alone */
    assert_int_equal(config_set(&cfg, "task.direction", "higher", "--direction", &err), 0);
    expect_origin(&cfg, "task.direction", CONFIG_SOURCE_FLAG, "--direction", "flag");
    assert_int_equal(config_set(&cfg, "llm.model", "m", "--model", &err), 0);
    assert_int_equal(config_set(&cfg, "pipeline.lanes", "many", "--lanes", &err), -1);
    expect_origin(&cfg, "pipeline.lanes", CONFIG_SOURCE_ENV, "MLESTAR_PIPELINE_LANES",
                  "environment (MLESTAR_PIPELINE_LANES)");
    assert_int_equal(cfg.pipeline.lanes, 3);
    assert_int_equal(config_set(&cfg, "task.direction", "sideways", "--direction", &err), -1);
    assert_string_equal(cfg.task.direction, "higher");

    /* copies carry their own origins */
    struct config copy;
    config_copy(&copy, &cfg);
    config_free(&cfg);
    expect_origin(&copy, "task.metric", CONFIG_SOURCE_ENV, "MLESTAR_TASK_METRIC", "environment (MLESTAR_TASK_METRIC)");
    expect_origin(&copy, "llm.model", CONFIG_SOURCE_FLAG, "--model", "flag");
    expect_origin(&copy, "exec.timeout", CONFIG_SOURCE_DEFAULT, NULL, "default");

    /* text loaded under a name counts as that file */
    assert_int_equal(config_load_text(&copy, "recorded.ini", "[llm]\nmodel = again\n", &err), 0);
    expect_origin(&copy, "llm.model", CONFIG_SOURCE_FILE, "recorded.ini", "config file recorded.ini");
    config_free(&copy);

    /* a config never given defaults (zeroed) still answers */
    struct config zero = {0};
    expect_origin(&zero, "task.metric", CONFIG_SOURCE_DEFAULT, NULL, "default");
    config_free(&zero);
    unlink(path);
    free(path);
}

/* The dump says where a non-default value came from, in comment lines, and
 * still loads back into the same settings. */
static void test_dump_names_origins_and_reloads(void **state)
{
    (void)state;
    struct config cfg;
    struct err err = {{0}};
    config_defaults(&cfg);
    setenv("MLESTAR_LLM_MODEL", "from-env", 1);
    assert_int_equal(config_load_env(&cfg, &err), 0);
    unsetenv("MLESTAR_LLM_MODEL");
    assert_int_equal(config_set(&cfg, "exec.timeout", "5m", "--timeout", &err), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_dump(&cfg, f);
    fclose(f);
    assert_non_null(strstr(text, "# from environment (MLESTAR_LLM_MODEL)\nmodel = \"from-env\"\n"));
    assert_non_null(strstr(text, "# from flag\ntimeout = 300s\n"));
    assert_null(strstr(text, "# from default"));
    struct config back;
    config_defaults(&back);
    assert_int_equal(config_load_text(&back, "dump.ini", text, &err), 0);
    assert_string_equal(back.llm.model, "from-env");
    assert_true(back.exec.timeout == 300.0);
    free(text);
    config_free(&back);
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_paper_defaults),
        cmocka_unit_test(test_zero_lanes_is_refused_like_negative),
        cmocka_unit_test(test_every_default_parses),
        cmocka_unit_test(test_file_errors_name_file_and_line),
        cmocka_unit_test(test_precedence_file_then_env),
        cmocka_unit_test(test_bad_env_value_is_named),
        cmocka_unit_test(test_durations_and_sizes),
        cmocka_unit_test(test_each_setting_remembers_its_origin),
        cmocka_unit_test(test_dump_names_origins_and_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
