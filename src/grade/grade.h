/* grade.h - scoring a submission against a task's held-out answers.
 *
 * The way MLE-bench grades: TASK/task.json names the metric, the id column,
 * the target columns and the medal thresholds; TASK/private/answers.csv (or
 * task.json's "answers") holds the truth. The submission must have the id
 * column and the target columns (other columns are ignored, except for
 * multiclass_logloss which wants exactly id + class columns), one row per
 * answer row in any order, no missing, unknown or extra ids (an id may
 * repeat as often as it does in the answers: both sides are sorted by id,
 * keeping multiplicity, and paired), no empty cells, values of the answers'
 * kind (numbers; True/False where the answers hold booleans) and in the
 * metric's range ([0, 1] for AUC and log loss, rows summing to 1 within 1e-6
 * for class probabilities, >= 0 for RMSLE, > 0 for log-RMSE).
 *
 * The score is rounded to 5 decimals, then compared with the thresholds: a
 * medal needs a score at least as good as its threshold (only the best
 * medal is set), "above median" a strictly better one. Thresholds may be
 * null (has_thresholds false).
 *
 * Thread-safe (no shared state); each call reads the files afresh. */
#ifndef MLESTAR_GRADE_GRADE_H
#define MLESTAR_GRADE_GRADE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

struct grade_result {
    char *task;            /* task.json "id", else the folder name (owned) */
    char *metric;          /* canonical metric name (owned) */
    bool lower_is_better;
    bool valid;            /* false: invalid_reason says why; no score */
    char *invalid_reason;  /* owned; NULL when valid */
    double score;          /* rounded to 5 decimals */
    size_t rows;           /* answer rows scored */
    bool has_thresholds;
    double gold, silver, bronze, median;
    bool gold_medal, silver_medal, bronze_medal, any_medal, above_median;
};

/* Grades submission_path against the task in task_dir. Returns 0 and fills
 * *out (free with grade_result_free) for a valid or an invalid submission;
 * returns -1 with err when the task itself cannot be graded (no task.json,
 * unknown metric, unreadable answers, answers without the declared
 * columns). */
int grade_submission(const char *task_dir, const char *submission_path, struct grade_result *out,
                     struct err *err);

/* A new JSON object with every field (score and thresholds null when they
 * do not apply). Dump reals with JSON_REAL_PRECISION(15) to print 0.80967
 * rather than its 17-digit binary neighbour. Caller json_decref()s. */
json_t *grade_result_json(const struct grade_result *r);

/* The one-line verdict, malloc'd, e.g. "spaceship-titanic: accuracy 0.80967
 * (higher is better) — bronze medal (gold 0.82066, silver 0.81388, bronze
 * 0.80967, median 0.79565)". */
char *grade_result_line(const struct grade_result *r);

/* Rounds half away from the binary value's exact decimal expansion, as
 * Python's round(x, 5) does. */
double grade_round5(double x);

void grade_result_free(struct grade_result *r);

#endif
