/* cmd_profile.c - `mlestar profile`: opens a task the way a run would and
 * prints what was detected (files, columns, metric) and the data profile,
 * as Markdown (the prompt rendering) or, with --json, the full JSON. The
 * metric and direction lines say where each came from: task.json, or the
 * setting's origin (flag, environment variable, config file). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "task/profile.h"
#include "task/task.h"
#include "util/termtext.h"
#include "util/fs.h"

#define DEFAULT_MAX_BYTES 8192

static void print_list(const char *label, char *const *v, size_t n)
{
    printf("%s: ", label);
    if (n == 0)
        printf("(none)");
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", stdout);
        term_put(stdout, v[i], true);
    }
    printf("\n");
}

/* "label: value\n" with the value (a name from the task's files) made safe. */
static void print_name(const char *label, const char *value)
{
    printf("%s: ", label);
    term_put(stdout, value, true);
    putchar('\n');
}

static void print_detected(const struct task *t)
{
    print_name("task", t->name);
    print_name("data folder", t->data_dir);
    print_name("description", t->description_path ? t->description_path : "(from --goal)");
    print_name("train", t->train ? t->train->rel_path : "(not found)");
    print_name("test", t->test ? t->test->rel_path : "(not found)");
    print_name("sample submission", t->sample_submission ? t->sample_submission->rel_path : "(not found)");
    print_list("id columns", t->id_columns, t->n_id_columns);
    print_list("prediction columns", t->target_columns, t->n_target_columns);
    print_list("train targets", t->train_targets, t->n_train_targets);
    printf("submission format: %s\n", profile_sub_format_name(t->sub_format));
    if (t->class_values)
        print_list("class values", t->class_values, t->n_target_columns);
    printf("metric: %s (%s)\n", t->metric ? t->metric : "unknown",
           t->metric ? t->metric_source : "ask the description");
    printf("direction: %s%s%s%s\n",
           t->lower_is_better < 0 ? "unknown" : t->lower_is_better ? "lower is better" : "higher is better",
           t->lower_is_better >= 0 ? " (" : "", t->lower_is_better >= 0 ? t->direction_source : "",
           t->lower_is_better >= 0 ? ")" : "");
    printf("\n");
}

static int profile_and_print(struct task *t, bool json, long long max_bytes);

static int run(const struct cli_args *args, bool json, const char *max_bytes_text)
{
    char *end = NULL;
    long long max_bytes = DEFAULT_MAX_BYTES;
    if (max_bytes_text) {
        max_bytes = strtoll(max_bytes_text, &end, 10);
        if (!*max_bytes_text || *end || max_bytes <= 0) {
            cli_error("--max-bytes %s: expected a positive number of bytes", max_bytes_text);
            return CLI_USAGE;
        }
    }
    const struct config *cfg = &args->cfg;
    struct task_opts opts = {
        .dir = args->npositional > 0 ? args->positional[0] : NULL,
        .data_dir = cfg->task.data_dir,
        .goal = cfg->task.goal,
        .eval = cfg->task.eval,
        .metric = cfg->task.metric,
        .direction = cfg->task.direction,
    };
    if (!opts.dir && !(opts.data_dir && opts.data_dir[0])) {
        cli_error("give a task folder, or --data-dir DIR with --goal TEXT");
        return CLI_USAGE;
    }
    char *metric_origin = config_origin_text(cfg, "task.metric");
    char *direction_origin = config_origin_text(cfg, "task.direction");
    opts.metric_origin = metric_origin;
    opts.direction_origin = direction_origin;
    struct err err = {{0}};
    struct task *t = NULL;
    /* archives are unpacked into a temporary data view, removed on exit */
    char unpack_dir[] = "/tmp/mlestar-profile-XXXXXX";
    bool unpacking = mkdtemp(unpack_dir) != NULL;
    opts.unpack_dir = unpacking ? unpack_dir : NULL;
    int opened = task_open(&opts, &t, &err);
    free(metric_origin);
    free(direction_origin);
    int rc = opened < 0 ? CLI_FAIL : profile_and_print(t, json, max_bytes);
    if (opened < 0)
        cli_error("%s", err.msg);
    task_free(t);
    struct err ignored = {{0}};
    if (unpacking)
        fs_rm_rf(unpack_dir, &ignored);
    return rc;
}

static int profile_and_print(struct task *t, bool json, long long max_bytes)
{
    struct err err = {{0}};
    struct profile *p = NULL;
    if (profile_task(t, &p, &err) < 0) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    if (json) {
        json_t *j = profile_to_json(p);
        char *text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        printf("%s\n", text ? text : "null");
        free(text);
        json_decref(j);
    } else {
        print_detected(t);
        char *md = profile_to_markdown(p, (size_t)max_bytes);
        term_put(stdout, md, false); /* column names and values come from the files */
        free(md);
    }
    profile_free(p);
    return CLI_OK;
}

int cmd_profile(int argc, char **argv)
{
    bool json = false;
    const char *max_bytes = NULL;
    const struct cli_opt opts[] = {
        {"json", 0, NULL, NULL, &json, NULL, "print the full profile as JSON"},
        {"data-dir", 0, "DIR", "task.data_dir", NULL, NULL, "data folder (when there is no task folder)"},
        {"goal", 0, "TEXT", "task.goal", NULL, NULL, "task statement (when there is no description)"},
        {"eval", 0, "TEXT", "task.eval", NULL, NULL, "how submissions are scored"},
        {"metric", 0, "M", "task.metric", NULL, NULL, "metric name (overrides task.json)"},
        {"direction", 0, "higher|lower", "task.direction", NULL, NULL, "whether higher or lower is better"},
        {"max-bytes", 0, "N", NULL, NULL, &max_bytes, "byte bound of the Markdown rendering (default 8192)"},
        {0},
    };
    const struct cli_spec spec = {
        "profile", "[TASK] [--json] [--data-dir DIR --goal TEXT]",
        "Opens a task folder (MLE-bench layout, or a folder with a description and\n"
        "data files, or --data-dir with --goal), shows what was detected (train, test\n"
        "and sample-submission files, id and target columns, metric and direction)\n"
        "and profiles every data file in one streaming pass.",
        opts, 0, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = args.help_shown ? CLI_OK : run(&args, json, max_bytes);
    cli_args_free(&args);
    return rc;
}
