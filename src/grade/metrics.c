/* metrics.c - competition metrics (see metrics.h).
 *
 * Each function follows scikit-learn's arithmetic closely enough to agree to
 * ~1e-12: AUC by the rank-sum (Mann-Whitney) form with average ranks for
 * ties, which equals sklearn's trapezoid over the ROC curve; log loss clips,
 * renormalizes and sums per row exactly as sklearn 1.2 does; kappa builds
 * the same confusion and expected matrices. Column-wise metrics compute the
 * per-column value and average, which is sklearn's
 * multioutput="uniform_average" for the RMSE family. */
#include "grade/metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/mem.h"

/* ---- helpers ------------------------------------------------------------- */

static int check_finite(const double *v, size_t count, const char *what, struct err *err)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i]))
            return err_set(err, "%s value %zu is not a finite number", what, i + 1);
    return 0;
}

static int check_input(const double *y_true, const double *y_pred, size_t n, size_t k,
                       struct err *err)
{
    if (n == 0 || k == 0)
        return err_set(err, "no rows to score");
    if (check_finite(y_true, n * k, "true", err) < 0 ||
        check_finite(y_pred, n * k, "predicted", err) < 0)
        return -1;
    return 0;
}

static int one_column(size_t k, const char *metric, struct err *err)
{
    if (k != 1)
        return err_set(err, "%s needs exactly one target column, got %zu", metric, k);
    return 0;
}

/* Copies column c of an n x k array. */
static double *column(const double *v, size_t n, size_t k, size_t c)
{
    double *col = xmalloc(n * sizeof *col);
    for (size_t i = 0; i < n; i++)
        col[i] = v[i * k + c];
    return col;
}

typedef int (*column_fn)(const double *t, const double *p, size_t n, double *out, struct err *err);

/* Mean over columns of a one-column metric. */
static int mean_over_columns(const double *y_true, const double *y_pred, size_t n, size_t k,
                             column_fn fn, double *out, struct err *err)
{
    double sum = 0;
    for (size_t c = 0; c < k; c++) {
        double *t = column(y_true, n, k, c), *p = column(y_pred, n, k, c);
        double v = 0;
        int rc = fn(t, p, n, &v, err);
        free(t);
        free(p);
        if (rc < 0)
            return k > 1 ? err_prefix(err, "target column %zu", c + 1) : -1;
        sum += v;
    }
    *out = sum / (double)k;
    return 0;
}

/* ---- ROC AUC ------------------------------------------------------------- */

struct scored {
    double score;
    double label;
};

static int cmp_score(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;
    return (x > y) - (x < y);
}

static int auc_column(const double *t, const double *p, size_t n, double *out, struct err *err)
{
    double lo = t[0], hi = t[0];
    for (size_t i = 1; i < n; i++) {
        if (t[i] != lo && t[i] != hi) {
            if (lo != hi)
                return err_set(err, "ROC AUC needs two classes in the answers; found more "
                               "(%g, %g, %g)", lo, hi, t[i]);
            if (t[i] < lo)
                lo = t[i];
            else
                hi = t[i];
        }
    }
    if (lo == hi)
        return err_set(err, "ROC AUC is undefined: the answers hold one class only (%g)", lo);
    struct scored *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct scored){p[i], t[i]};
    qsort(v, n, sizeof *v, cmp_score);
    double rank_sum = 0, npos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].score == v[i].score)
            j++;
        double avg_rank = ((double)i + 1 + (double)j) / 2; /* ranks i+1..j */
        for (size_t m = i; m < j; m++)
            if (v[m].label == hi) {
                rank_sum += avg_rank;
                npos++;
            }
        i = j;
    }
    free(v);
    double nneg = (double)n - npos;
    *out = (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
    return 0;
}

int metric_roc_auc(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                   struct err *err)
{
    if (one_column(k, "auc", err) < 0 || check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return auc_column(y_true, y_pred, n, out, err);
}

int metric_roc_auc_mean_columns(const double *y_true, const double *y_pred, size_t n, size_t k,
                                double *out, struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return mean_over_columns(y_true, y_pred, n, k, auc_column, out, err);
}

/* ---- log loss ------------------------------------------------------------ */

static double clip(double p)
{
    const double eps = DBL_EPSILON;
    return p < eps ? eps : p > 1 - eps ? 1 - eps : p;
}

int metric_log_loss(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    double total = 0;
    if (k == 1) {
        bool seen[2] = {false, false};
        for (size_t i = 0; i < n; i++) {
            if (y_true[i] != 0 && y_true[i] != 1)
                return err_set(err, "binary log loss needs 0/1 answers, row %zu holds %g", i + 1,
                               y_true[i]);
            seen[(int)y_true[i]] = true;
        }
        if (!seen[0] || !seen[1])
            return err_set(err, "log loss is undefined: the answers hold one class only");
        for (size_t i = 0; i < n; i++) {
            double p1 = clip(y_pred[i]), p0 = 1 - p1;
            double sum = p0 + p1;
            double p = y_true[i] == 1 ? p1 / sum : p0 / sum;
            total += -log(p);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const double *t = y_true + i * k, *p = y_pred + i * k;
            double sum = 0;
            for (size_t c = 0; c < k; c++)
                sum += clip(p[c]);
            double row = 0;
            for (size_t c = 0; c < k; c++)
                if (t[c] != 0)
                    row -= t[c] * log(clip(p[c]) / sum);
            total += row;
        }
    }
    *out = total / (double)n;
    return 0;
}

/* ---- labels -------------------------------------------------------------- */

int metric_accuracy(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err)
{
    if (one_column(k, "accuracy", err) < 0 || check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        hits += y_true[i] == y_pred[i];
    *out = (double)hits / (double)n;
    return 0;
}

int metric_f1(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
              struct err *err)
{
    if (one_column(k, "f1", err) < 0 || check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        if ((y_true[i] != 0 && y_true[i] != 1) || (y_pred[i] != 0 && y_pred[i] != 1))
            return err_set(err, "f1 needs 0/1 labels, row %zu holds %g and %g", i + 1, y_true[i],
                           y_pred[i]);
        tp += y_true[i] == 1 && y_pred[i] == 1;
        fp += y_true[i] == 0 && y_pred[i] == 1;
        fn += y_true[i] == 1 && y_pred[i] == 0;
    }
    *out = tp == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Index of v in the sorted distinct array classes[0..m). */
static size_t class_index(const double *classes, size_t m, double v)
{
    size_t lo = 0, hi = m;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (classes[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int metric_qwk(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
               struct err *err)
{
    if (one_column(k, "qwk", err) < 0 || check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    double *classes = xmalloc(2 * n * sizeof *classes);
    memcpy(classes, y_true, n * sizeof *classes);
    memcpy(classes + n, y_pred, n * sizeof *classes);
    qsort(classes, 2 * n, sizeof *classes, cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (m == 0 || classes[i] != classes[m - 1])
            classes[m++] = classes[i];
    double *confusion = xcalloc(m * m, sizeof *confusion);
    double *row_sum = xcalloc(m, sizeof *row_sum), *col_sum = xcalloc(m, sizeof *col_sum);
    for (size_t i = 0; i < n; i++) {
        size_t a = class_index(classes, m, y_true[i]), b = class_index(classes, m, y_pred[i]);
        confusion[a * m + b] += 1;
        row_sum[a] += 1;
        col_sum[b] += 1;
    }
    double observed = 0, expected = 0;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) {
            double w = ((double)a - (double)b) * ((double)a - (double)b);
            observed += w * confusion[a * m + b];
            expected += w * row_sum[a] * col_sum[b] / (double)n;
        }
    free(classes);
    free(confusion);
    free(row_sum);
    free(col_sum);
    if (expected == 0)
        return err_set(err, "quadratic weighted kappa is undefined: every answer and prediction "
                       "is the same class");
    *out = 1 - observed / expected;
    return 0;
}

/* ---- regression ---------------------------------------------------------- */

static int rmse_column(const double *t, const double *p, size_t n, double *out, struct err *err)
{
    (void)err;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (p[i] - t[i]) * (p[i] - t[i]);
    *out = sqrt(s / (double)n);
    return 0;
}

static int mae_column(const double *t, const double *p, size_t n, double *out, struct err *err)
{
    (void)err;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(p[i] - t[i]);
    *out = s / (double)n;
    return 0;
}

static int rmsle_column(const double *t, const double *p, size_t n, double *out, struct err *err)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < 0 || p[i] < 0)
            return err_set(err, "RMSLE is undefined for negative values (row %zu: true %g, "
                           "predicted %g)", i + 1, t[i], p[i]);
        double d = log1p(p[i]) - log1p(t[i]);
        s += d * d;
    }
    *out = sqrt(s / (double)n);
    return 0;
}

static int rmse_log_column(const double *t, const double *p, size_t n, double *out,
                           struct err *err)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] <= 0 || p[i] <= 0)
            return err_set(err, "log-RMSE needs values > 0 (row %zu: true %g, predicted %g)",
                           i + 1, t[i], p[i]);
        double d = log(p[i]) - log(t[i]);
        s += d * d;
    }
    *out = sqrt(s / (double)n);
    return 0;
}

int metric_rmse(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return mean_over_columns(y_true, y_pred, n, k, rmse_column, out, err);
}

int metric_mae(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
               struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return mean_over_columns(y_true, y_pred, n, k, mae_column, out, err);
}

int metric_rmsle(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                 struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return mean_over_columns(y_true, y_pred, n, k, rmsle_column, out, err);
}

int metric_rmse_log(const double *y_true, const double *y_pred, size_t n, size_t k, double *out,
                    struct err *err)
{
    if (check_input(y_true, y_pred, n, k, err) < 0)
        return -1;
    return mean_over_columns(y_true, y_pred, n, k, rmse_log_column, out, err);
}

/* ---- the table ----------------------------------------------------------- */

const struct metric_info metric_table[] = {
    {"auc", {"roc_auc", "auroc", NULL}, false, METRIC_INPUT_SCORE, false, METRIC_RANGE_UNIT,
     false, 1.0, metric_roc_auc},
    {"auc_mean_columns", {"mean_column_auc", "roc_auc_mean_columns", NULL}, false,
     METRIC_INPUT_SCORE, true, METRIC_RANGE_UNIT, false, 1.0, metric_roc_auc_mean_columns},
    {"logloss", {"log_loss", "binary_logloss", NULL}, true, METRIC_INPUT_SCORE, false,
     METRIC_RANGE_UNIT, false, 0.0, metric_log_loss},
    {"multiclass_logloss", {"multi_logloss", "mlogloss", NULL}, true, METRIC_INPUT_CLASS_PROBS,
     true, METRIC_RANGE_UNIT, true, 0.0, metric_log_loss},
    {"accuracy", {"acc", NULL}, false, METRIC_INPUT_LABEL, false, METRIC_RANGE_ANY, false, 1.0,
     metric_accuracy},
    {"f1", {"f1_score", NULL}, false, METRIC_INPUT_LABEL, false, METRIC_RANGE_BINARY, false, 1.0,
     metric_f1},
    {"qwk", {"quadratic_weighted_kappa", "kappa", NULL}, false, METRIC_INPUT_LABEL, false,
     METRIC_RANGE_ANY, false, 1.0, metric_qwk},
    {"rmse", {"root_mean_squared_error", NULL}, true, METRIC_INPUT_REAL, true, METRIC_RANGE_ANY,
     false, 0.0, metric_rmse},
    {"mae", {"mean_absolute_error", NULL}, true, METRIC_INPUT_REAL, true, METRIC_RANGE_ANY, false,
     0.0, metric_mae},
    {"rmsle", {NULL}, true, METRIC_INPUT_REAL, true, METRIC_RANGE_NONNEGATIVE, false, 0.0,
     metric_rmsle},
    {"rmsle_mean_columns", {"mean_columnwise_rmsle", NULL}, true, METRIC_INPUT_REAL, true,
     METRIC_RANGE_NONNEGATIVE, false, 0.0, metric_rmsle},
    {"rmse_log", {"log_rmse", NULL}, true, METRIC_INPUT_REAL, true, METRIC_RANGE_POSITIVE, false,
     0.0, metric_rmse_log},
    {NULL, {NULL}, false, 0, false, 0, false, 0, NULL},
};

const struct metric_info *metric_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (const struct metric_info *m = metric_table; m->name; m++) {
        if (strcasecmp(m->name, name) == 0)
            return m;
        for (size_t a = 0; a < 4 && m->aliases[a]; a++)
            if (strcasecmp(m->aliases[a], name) == 0)
                return m;
    }
    return NULL;
}

const char *metric_names(void)
{
    return "auc, auc_mean_columns, logloss, multiclass_logloss, accuracy, f1, qwk, rmse, mae, "
           "rmsle, rmsle_mean_columns, rmse_log";
}
