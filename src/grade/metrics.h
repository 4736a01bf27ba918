/* metrics.h - competition metrics over arrays of doubles.
 *
 * Every metric has one signature: y_true and y_pred are n x k row-major
 * arrays (k target columns), and the value goes to *out. Labels (accuracy,
 * F1, kappa) are numeric codes: the grader maps booleans to 0/1 and text
 * labels to dictionary indices before calling. Each function matches
 * scikit-learn 1.2's definition (tests/tools/sklearn_metrics.py checks it to
 * 1e-9 relative on random inputs):
 *
 *   auc                 roc_auc_score, k = 1; y_true two classes, the larger
 *                       one positive; ties in scores count one half
 *   auc_mean_columns    mean over the k columns of auc
 *   logloss             log_loss, binary (k = 1: p = P(y = 1))
 *   multiclass_logloss  log_loss, k >= 2 class columns; y_true one-hot
 *                       (or any weights); p clipped to [eps, 1 - eps] with
 *                       eps = DBL_EPSILON, then each row divided by its sum
 *   accuracy            accuracy_score, k = 1
 *   f1                  f1_score (binary, positive label 1), k = 1
 *   qwk                 cohen_kappa_score(weights="quadratic"), k = 1;
 *                       classes are the sorted distinct values of both arrays
 *   rmse, mae           per column, then the mean over columns
 *   rmsle               sqrt(mean((log1p(p) - log1p(t))^2)) per column, mean
 *                       over columns; values must be >= 0 (also as
 *                       rmsle_mean_columns)
 *   rmse_log            sqrt(mean((log(p) - log(t))^2)); values must be > 0
 *
 * A metric that is undefined on its input (one class only for AUC, a
 * negative value under a log, NaN) returns -1 with err saying why.
 * Pure functions, thread-safe. */
#ifndef MLESTAR_GRADE_METRICS_H
#define MLESTAR_GRADE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

typedef int (*metric_fn)(const double *y_true, const double *y_pred, size_t n, size_t k,
                         double *out, struct err *err);

/* What a metric reads from the answers and the submission. */
enum metric_input {
    METRIC_INPUT_REAL,        /* real values per target column */
    METRIC_INPUT_SCORE,       /* binary labels in the answers, scores/probabilities submitted */
    METRIC_INPUT_LABEL,       /* labels on both sides (compared for equality) */
    METRIC_INPUT_CLASS_PROBS  /* one column per class: one-hot answers, probabilities submitted */
};

/* Constraint on submitted values. */
enum metric_range {
    METRIC_RANGE_ANY,
    METRIC_RANGE_UNIT,        /* [0, 1] */
    METRIC_RANGE_NONNEGATIVE, /* >= 0 */
    METRIC_RANGE_POSITIVE,    /* > 0 */
    METRIC_RANGE_BINARY       /* 0 or 1 (labels of a binary metric) */
};

struct metric_info {
    const char *name;          /* as written in task.json */
    const char *aliases[4];    /* NULL-terminated other names */
    bool lower_is_better;
    enum metric_input input;
    bool multi_column;         /* accepts k > 1 target columns */
    enum metric_range range;
    bool rows_sum_to_one;      /* class probabilities: each row sums to 1 within 1e-6 */
    double best;               /* value of a perfect submission */
    metric_fn fn;
};

/* The metric called `name` (or one of its aliases, case-insensitive), or
 * NULL. Returned pointers are static. */
const struct metric_info *metric_lookup(const char *name);
/* The table, terminated by an entry with name == NULL. */
extern const struct metric_info metric_table[];
/* "auc, auc_mean_columns, ..." for error messages (static string). */
const char *metric_names(void);

int metric_roc_auc(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                   struct err *err);
int metric_roc_auc_mean_columns(const double *y_true, const double *y_pred, size_t n, size_t k,
                                double *out, struct err *err);
int metric_log_loss(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err);
int metric_accuracy(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err);
int metric_f1(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
              struct err *err);
int metric_qwk(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
               struct err *err);
int metric_rmse(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                struct err *err);
int metric_mae(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
               struct err *err);
int metric_rmsle(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                 struct err *err);
int metric_rmse_log(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err);

#endif
