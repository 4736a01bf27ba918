/* cmd_grade.c - `mlestar grade TASK SUBMISSION.csv [--json]`: scores a
 * submission against the task's held-out answers the way MLE-bench does and
 * prints a one-line verdict (or the result as JSON).
 *
 * Exit status: 0 the submission is valid and was scored; 1 the submission
 * is invalid (the reason is printed) or the task cannot be graded; 2 bad
 * usage. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "grade/grade.h"

static int print_result(const struct grade_result *r, bool as_json)
{
    if (as_json) {
        json_t *j = grade_result_json(r);
        char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        puts(text ? text : "{}");
        free(text);
        json_decref(j);
    } else {
        char *line = grade_result_line(r);
        puts(line);
        free(line);
    }
    return r->valid ? CLI_OK : CLI_FAIL;
}

int cmd_grade(int argc, char **argv)
{
    bool as_json = false;
    const struct cli_opt opts[] = {
        {"json", 'j', NULL, NULL, &as_json, NULL, "print the result as a JSON object"},
        {0},
    };
    const struct cli_spec spec = {
        "grade", "TASK SUBMISSION.csv [--json]",
        "Grades a submission against TASK/private/answers.csv as MLE-bench does: the\n"
        "metric, id and target columns and the medal thresholds come from TASK/task.json.\n"
        "The submission needs one row per test id (any order), no empty cells and values\n"
        "in the metric's range. The score is rounded to 5 decimals and compared with the\n"
        "gold, silver, bronze and median thresholds (a medal needs a score at least as\n"
        "good as its threshold; above median needs a strictly better one).\n"
        "Exit status: 0 valid and scored, 1 invalid submission or ungradable task,\n"
        "2 bad usage.",
        opts, 2, 2,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        struct grade_result result;
        struct err err = {{0}};
        if (grade_submission(args.positional[0], args.positional[1], &result, &err) < 0) {
            cli_error("cannot grade against %s: %s", args.positional[0], err.msg);
            rc = CLI_FAIL;
        } else {
            rc = print_result(&result, as_json);
            grade_result_free(&result);
        }
    }
    cli_args_free(&args);
    return rc;
}
