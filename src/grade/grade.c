/* grade.c - scoring a submission against held-out answers (see grade.h).
 *
 * Three steps, each its own group of functions:
 *   1. the task: task.json (metric, columns, thresholds) and answers.csv;
 *      anything wrong here is the task's fault and returns -1;
 *   2. the submission: columns, ids (both sides sorted by id with their
 *      multiplicity and paired), then every target cell parsed into the
 *      encoding metrics.h expects and range-checked; anything wrong here
 *      makes an invalid result with a reason naming the row, id and column;
 *   3. the score: the metric over the paired arrays, rounded, compared with
 *      the thresholds.
 * Text labels (accuracy on strings) are encoded through one sorted
 * dictionary built from both files, so equal strings get equal codes and
 * the codes keep lexicographic order (what sklearn's label sorting gives). */
#include "grade/grade.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grade/metrics.h"
#include "task/csv.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#define SUM_TOLERANCE 1e-6

struct task_spec {
    char *name;
    const struct metric_info *metric;
    bool lower_is_better;
    char **ids;
    size_t n_ids;
    char **targets;
    size_t n_targets;
    char *answers_path;
    bool has_thresholds;
    double gold, silver, bronze, median;
};

enum cell_kind { CELL_NUMBER, CELL_BOOL, CELL_TEXT };

/* Everything step 2 and 3 share. */
struct grading {
    const struct task_spec *spec;
    const struct csv_table *answers;
    const struct csv_table *sub;
    size_t *ans_id_cols, *sub_id_cols;        /* [n_ids] */
    size_t *ans_cols, *sub_cols;              /* [n_targets] */
    size_t *ans_order, *sub_order;            /* rows sorted by id */
    enum cell_kind *kinds;                    /* [n_targets], from the answers */
    char **dict;                              /* sorted distinct text labels */
    size_t n_dict;
    double *y_true, *y_pred;                  /* n x k in id order */
};

/* ---- small parsers ------------------------------------------------------- */

static bool parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    char *end;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* 1 for true, 0 for false, -1 otherwise (case-insensitive, blanks ignored). */
static int parse_bool(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 4 && strncasecmp(s, "true", 4) == 0)
        return 1;
    if (n == 5 && strncasecmp(s, "false", 5) == 0)
        return 0;
    return -1;
}

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

double grade_round5(double x)
{
    char text[64];
    snprintf(text, sizeof text, "%.5f", x);
    return strtod(text, NULL);
}

/* ---- step 1: the task ---------------------------------------------------- */

static void spec_free(struct task_spec *s)
{
    free(s->name);
    for (size_t i = 0; i < s->n_ids; i++)
        free(s->ids[i]);
    for (size_t i = 0; i < s->n_targets; i++)
        free(s->targets[i]);
    free(s->ids);
    free(s->targets);
    free(s->answers_path);
}

/* A string or an array of strings. */
static int string_list(json_t *v, const char *field, char ***out, size_t *n, struct err *err)
{
    if (json_is_string(v)) {
        *out = xcalloc(1, sizeof **out);
        (*out)[0] = xstrdup(json_string_value(v));
        *n = 1;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return err_set(err, "`%s` must be a column name or a non-empty list of names",
                       field);
    *n = json_array_size(v);
    *out = xcalloc(*n, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item))
            return err_set(err, "`%s` item %zu is not a string", field, i + 1);
        (*out)[i] = xstrdup(json_string_value(item));
    }
    return 0;
}

static int read_thresholds(json_t *t, struct task_spec *spec, struct err *err)
{
    if (!t || json_is_null(t))
        return 0;
    const char *names[] = {"gold", "silver", "bronze", "median"};
    double *slots[] = {&spec->gold, &spec->silver, &spec->bronze, &spec->median};
    if (!json_is_object(t))
        return err_set(err, "`thresholds` must be an object or null");
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_object_get(t, names[i]);
        if (!json_is_number(v))
            return err_set(err, "thresholds.%s must be a number", names[i]);
        *slots[i] = json_number_value(v);
    }
    spec->has_thresholds = true;
    return 0;
}

static char *folder_name(const char *dir)
{
    char *copy = xstrdup(dir);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *name = xstrdup(fs_basename(copy));
    free(copy);
    return name;
}

static int parse_spec(json_t *root, const char *task_dir, struct task_spec *spec, struct err *err)
{
    json_t *id = json_object_get(root, "id");
    spec->name = json_is_string(id) ? xstrdup(json_string_value(id)) : folder_name(task_dir);
    const char *metric = json_string_value(json_object_get(root, "metric"));
    if (!metric)
        return err_set(err, "`metric` is missing");
    spec->metric = metric_lookup(metric);
    if (!spec->metric)
        return err_set(err, "metric `%s` is not one mlestar computes (known: %s)", metric,
                       metric_names());
    spec->lower_is_better = spec->metric->lower_is_better;
    json_t *lower = json_object_get(root, "lower_is_better");
    if (json_is_boolean(lower) && json_boolean_value(lower) != spec->lower_is_better)
        return err_set(err, "lower_is_better is %s, but %s is %s-is-better",
                       json_boolean_value(lower) ? "true" : "false", spec->metric->name,
                       spec->lower_is_better ? "lower" : "higher");
    if (string_list(json_object_get(root, "id_column"), "id_column", &spec->ids, &spec->n_ids,
                    err) < 0 ||
        string_list(json_object_get(root, "target_columns"), "target_columns", &spec->targets,
                    &spec->n_targets, err) < 0)
        return -1;
    if (spec->n_targets > 1 && !spec->metric->multi_column)
        return err_set(err, "%s scores one target column, but %zu are listed",
                       spec->metric->name, spec->n_targets);
    if (spec->metric->input == METRIC_INPUT_CLASS_PROBS && spec->n_targets < 2)
        return err_set(err, "%s needs one target column per class (2 or more)",
                       spec->metric->name);
    const char *answers = json_string_value(json_object_get(root, "answers"));
    spec->answers_path = fs_join(task_dir, answers ? answers : "private/answers.csv");
    return read_thresholds(json_object_get(root, "thresholds"), spec, err);
}

static int read_spec(const char *task_dir, struct task_spec *spec, struct err *err)
{
    char *path = fs_join(task_dir, "task.json");
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int rc;
    if (!root)
        rc = err_set(err, "%s: %s (line %d)", path, jerr.text, jerr.line);
    else if (!json_is_object(root))
        rc = err_set(err, "%s: not a JSON object", path);
    else if ((rc = parse_spec(root, task_dir, spec, err)) < 0)
        err_prefix(err, "%s", path);
    json_decref(root);
    free(path);
    return rc;
}

/* ---- step 2: the submission ---------------------------------------------- */

static int invalid(struct grade_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int invalid(struct grade_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    out->valid = false;
    out->invalid_reason = msg ? msg : xstrdup("invalid submission");
    return 1;
}

static enum cell_kind column_kind(const struct csv_table *t, size_t col)
{
    bool numbers = true, bools = true;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *cell = csv_table_cell(t, r, col);
        double v;
        numbers = numbers && parse_number(cell, &v);
        bools = bools && parse_bool(cell) >= 0;
    }
    return bools ? CELL_BOOL : numbers ? CELL_NUMBER : CELL_TEXT;
}

static int missing_column(const struct task_spec *s, const char *name, struct grade_result *out)
{
    struct buf need = {0};
    for (size_t i = 0; i < s->n_ids + s->n_targets && i < 12; i++)
        buf_printf(&need, "%s%s", i ? ", " : "", i < s->n_ids ? s->ids[i] : s->targets[i - s->n_ids]);
    int rc = invalid(out, "the submission has no column `%s` (it needs %s)", name, buf_str(&need));
    buf_free(&need);
    return rc;
}

/* Resolves names to column indices in one table; a missing name is
 * reported by the caller. Returns the first missing name or NULL. */
static const char *resolve(const struct csv_table *t, char *const *names, size_t n, size_t *cols)
{
    for (size_t i = 0; i < n; i++) {
        int c = csv_table_col(t, names[i]);
        if (c < 0)
            return names[i];
        cols[i] = (size_t)c;
    }
    return NULL;
}

/* The answers' columns (a task error when missing) and their kinds. */
static int answer_columns(struct grading *g, struct err *err)
{
    const struct task_spec *s = g->spec;
    g->ans_id_cols = xcalloc(s->n_ids, sizeof(size_t));
    g->ans_cols = xcalloc(s->n_targets, sizeof(size_t));
    const char *missing = resolve(g->answers, s->ids, s->n_ids, g->ans_id_cols);
    if (!missing)
        missing = resolve(g->answers, s->targets, s->n_targets, g->ans_cols);
    if (missing)
        return err_set(err, "%s has no column `%s` (named in task.json)", s->answers_path, missing);
    for (size_t c = 0; c < s->n_targets; c++)
        for (size_t r = 0; r < g->answers->nrows; r++)
            if (blank(csv_table_cell(g->answers, r, g->ans_cols[c])))
                return err_set(err, "%s: row %zu, column %s is empty", s->answers_path, r + 1,
                               s->targets[c]);
    g->kinds = xcalloc(s->n_targets, sizeof *g->kinds);
    for (size_t c = 0; c < s->n_targets; c++) {
        g->kinds[c] = column_kind(g->answers, g->ans_cols[c]);
        if (g->kinds[c] == CELL_TEXT && s->metric->input != METRIC_INPUT_LABEL)
            return err_set(err, "%s: column %s holds text, but %s needs numbers", s->answers_path,
                           s->targets[c], s->metric->name);
    }
    return 0;
}

/* The submission's columns: 0, or 1 with an invalid result. */
static int submission_columns(struct grading *g, struct grade_result *out)
{
    const struct task_spec *s = g->spec;
    g->sub_id_cols = xcalloc(s->n_ids, sizeof(size_t));
    g->sub_cols = xcalloc(s->n_targets, sizeof(size_t));
    const char *missing = resolve(g->sub, s->ids, s->n_ids, g->sub_id_cols);
    if (!missing)
        missing = resolve(g->sub, s->targets, s->n_targets, g->sub_cols);
    if (missing)
        return missing_column(s, missing, out);
    if (s->metric->input == METRIC_INPUT_CLASS_PROBS && g->sub->ncols != s->n_ids + s->n_targets)
        return invalid(out, "the submission has %zu columns; %s wants exactly the id column and the "
                       "%zu class columns", g->sub->ncols, s->metric->name, s->n_targets);
    return 0;
}

/* Row ordering by id: the id cells compared column by column. */
struct sort_ctx {
    const struct csv_table *t;
    const size_t *cols;
    size_t n;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *c = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    for (size_t i = 0; i < c->n; i++) {
        int r = strcmp(csv_table_cell(c->t, x, c->cols[i]), csv_table_cell(c->t, y, c->cols[i]));
        if (r)
            return r;
    }
    return (x > y) - (x < y);
}

static size_t *sorted_rows(const struct csv_table *t, const size_t *cols, size_t n)
{
    size_t *order = xcalloc(t->nrows ? t->nrows : 1, sizeof *order);
    for (size_t i = 0; i < t->nrows; i++)
        order[i] = i;
    struct sort_ctx ctx = {t, cols, n};
    qsort_r(order, t->nrows, sizeof *order, cmp_rows, &ctx);
    return order;
}

static int cmp_ids(const struct grading *g, size_t ans_row, size_t sub_row)
{
    for (size_t i = 0; i < g->spec->n_ids; i++) {
        int r = strcmp(csv_table_cell(g->answers, ans_row, g->ans_id_cols[i]),
                       csv_table_cell(g->sub, sub_row, g->sub_id_cols[i]));
        if (r)
            return r;
    }
    return 0;
}

/* "id" of a row for messages: its id cells joined, shortened. */
static char *row_id(const struct csv_table *t, const size_t *cols, size_t n, size_t row)
{
    struct buf b = {0};
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? ", " : "", csv_table_cell(t, row, cols[i]));
    if (b.len > 80) {
        buf_truncate(&b, 77);
        buf_puts(&b, "...");
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n' || b.data[i] == '\r')
            b.data[i] = ' ';
    return buf_detach(&b);
}

static bool same_id(const struct csv_table *t, const size_t *cols, size_t n, size_t x, size_t y)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(csv_table_cell(t, x, cols[i]), csv_table_cell(t, y, cols[i])) != 0)
            return false;
    return true;
}

/* Length of the run of equal ids starting at order[i]. */
static size_t id_run(const struct csv_table *t, const size_t *cols, size_t n, const size_t *order,
                     size_t i)
{
    size_t k = 1;
    while (i + k < t->nrows && same_id(t, cols, n, order[i], order[i + k]))
        k++;
    return k;
}

/* Sorted merge of both id lists, run by run: names the first id missing
 * from the submission, not in the answers, or repeated a different number
 * of times. */
static int match_ids(struct grading *g, struct grade_result *out)
{
    const struct csv_table *a = g->answers, *s = g->sub;
    size_t nid = g->spec->n_ids;
    g->ans_order = sorted_rows(a, g->ans_id_cols, nid);
    g->sub_order = sorted_rows(s, g->sub_id_cols, nid);
    size_t i = 0, j = 0;
    while (i < a->nrows || j < s->nrows) {
        int c = i == a->nrows ? 1 : j == s->nrows ? -1 : cmp_ids(g, g->ans_order[i], g->sub_order[j]);
        size_t ka = c <= 0 ? id_run(a, g->ans_id_cols, nid, g->ans_order, i) : 0;
        size_t kb = c >= 0 ? id_run(s, g->sub_id_cols, nid, g->sub_order, j) : 0;
        if (c == 0 && ka == kb) {
            i += ka;
            j += kb;
            continue;
        }
        int rc;
        if (c < 0) {
            char *id = row_id(a, g->ans_id_cols, nid, g->ans_order[i]);
            rc = invalid(out, "id %s is missing from the submission", id);
            free(id);
        } else if (c > 0) {
            char *id = row_id(s, g->sub_id_cols, nid, g->sub_order[j]);
            rc = invalid(out, "id %s (submission row %zu) is not a test id", id, g->sub_order[j] + 1);
            free(id);
        } else {
            char *id = row_id(s, g->sub_id_cols, nid, g->sub_order[j]);
            rc = invalid(out, "id %s appears %zu time%s in the submission and %zu in the answers",
                         id, kb, kb == 1 ? "" : "s", ka);
            free(id);
        }
        return rc;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted distinct strings of the text target columns of both files. */
static void build_dict(struct grading *g)
{
    size_t cap = 16, n = 0;
    char **all = xmalloc(cap * sizeof *all);
    for (size_t c = 0; c < g->spec->n_targets; c++) {
        if (g->kinds[c] != CELL_TEXT)
            continue;
        for (size_t side = 0; side < 2; side++) {
            const struct csv_table *t = side ? g->sub : g->answers;
            size_t col = side ? g->sub_cols[c] : g->ans_cols[c];
            for (size_t r = 0; r < t->nrows; r++) {
                if (n == cap)
                    all = xrealloc(all, (cap *= 2) * sizeof *all);
                all[n++] = (char *)csv_table_cell(t, r, col);
            }
        }
    }
    qsort(all, n, sizeof *all, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || strcmp(all[i], all[m - 1]) != 0)
            all[m++] = all[i];
    g->dict = all;
    g->n_dict = m;
}

static double dict_code(const struct grading *g, const char *s)
{
    char *key = (char *)s;
    char **hit = bsearch(&key, g->dict, g->n_dict, sizeof *g->dict, cmp_str);
    return hit ? (double)(hit - g->dict) : -1;
}

static void encode_answers(struct grading *g)
{
    const struct task_spec *s = g->spec;
    size_t n = g->answers->nrows, k = s->n_targets;
    build_dict(g);
    g->y_true = xcalloc(n * k, sizeof *g->y_true);
    for (size_t i = 0; i < n; i++) {
        size_t row = g->ans_order[i];
        for (size_t c = 0; c < k; c++) {
            const char *cell = csv_table_cell(g->answers, row, g->ans_cols[c]);
            double *v = &g->y_true[i * k + c];
            if (g->kinds[c] == CELL_BOOL)
                *v = parse_bool(cell);
            else if (g->kinds[c] == CELL_TEXT)
                *v = dict_code(g, cell);
            else
                parse_number(cell, v);
        }
    }
}

static const char *range_problem(enum metric_range range, double v)
{
    switch (range) {
    case METRIC_RANGE_UNIT: return v < 0 || v > 1 ? "outside [0, 1]" : NULL;
    case METRIC_RANGE_NONNEGATIVE: return v < 0 ? "negative (values must be >= 0)" : NULL;
    case METRIC_RANGE_POSITIVE: return v <= 0 ? "not > 0 (values must be positive)" : NULL;
    case METRIC_RANGE_BINARY: return v != 0 && v != 1 ? "not 0 or 1" : NULL;
    case METRIC_RANGE_ANY: return NULL;
    }
    return NULL;
}

/* Parses one submitted cell into *v; returns NULL or the problem. */
static const char *encode_cell(const struct grading *g, size_t c, const char *cell, double *v)
{
    if (blank(cell))
        return "is empty";
    if (g->spec->metric->input == METRIC_INPUT_LABEL && g->kinds[c] == CELL_BOOL) {
        int b = parse_bool(cell);
        if (b < 0)
            return "must be True or False, like the answers";
        *v = b;
        return NULL;
    }
    if (g->kinds[c] == CELL_TEXT) {
        *v = dict_code(g, cell);
        return NULL;
    }
    if (!parse_number(cell, v))
        return "must be a finite number";
    return range_problem(g->spec->metric->range, *v);
}

static int encode_submission(struct grading *g, struct grade_result *out)
{
    const struct task_spec *s = g->spec;
    size_t n = g->sub->nrows, k = s->n_targets;
    g->y_pred = xcalloc(n * k, sizeof *g->y_pred);
    for (size_t i = 0; i < n; i++) {
        size_t row = g->sub_order[i];
        double sum = 0;
        for (size_t c = 0; c < k; c++) {
            const char *cell = csv_table_cell(g->sub, row, g->sub_cols[c]);
            const char *problem = encode_cell(g, c, cell, &g->y_pred[i * k + c]);
            if (problem) {
                char *id = row_id(g->sub, g->sub_id_cols, s->n_ids, row);
                int rc = invalid(out, "row %zu (id %s): column %s %s%s%.40s%s", row + 1, id,
                                 s->targets[c], problem, blank(cell) ? "" : " (`", cell,
                                 blank(cell) ? "" : "`)");
                free(id);
                return rc;
            }
            sum += g->y_pred[i * k + c];
        }
        if (s->metric->rows_sum_to_one && fabs(sum - 1) > SUM_TOLERANCE) {
            char *id = row_id(g->sub, g->sub_id_cols, s->n_ids, row);
            int rc = invalid(out, "row %zu (id %s): the class probabilities sum to %.9g, not 1 "
                             "(within 1e-6)", row + 1, id, sum);
            free(id);
            return rc;
        }
    }
    return 0;
}

/* ---- step 3: the score --------------------------------------------------- */

static bool at_least_as_good(const struct grade_result *r, double score, double threshold)
{
    return r->lower_is_better ? score <= threshold : score >= threshold;
}

static void award(struct grade_result *r)
{
    if (!r->valid || !r->has_thresholds)
        return;
    r->gold_medal = at_least_as_good(r, r->score, r->gold);
    r->silver_medal = !r->gold_medal && at_least_as_good(r, r->score, r->silver);
    r->bronze_medal = !r->gold_medal && !r->silver_medal && at_least_as_good(r, r->score, r->bronze);
    r->any_medal = r->gold_medal || r->silver_medal || r->bronze_medal;
    r->above_median = r->lower_is_better ? r->score < r->median : r->score > r->median;
}

static void grading_free(struct grading *g)
{
    free(g->ans_id_cols);
    free(g->sub_id_cols);
    free(g->ans_cols);
    free(g->sub_cols);
    free(g->ans_order);
    free(g->sub_order);
    free(g->kinds);
    free(g->dict);
    free(g->y_true);
    free(g->y_pred);
}

/* Steps 2 and 3 with both tables loaded and the answers checked. 0 graded
 * (valid or not), -1 when the metric cannot be computed on the answers. */
static int grade_tables(struct grading *g, struct grade_result *out, struct err *err)
{
    const struct task_spec *s = g->spec;
    if (submission_columns(g, out) != 0)
        return 0;
    if (g->sub->nrows != g->answers->nrows) {
        invalid(out, "the submission has %zu rows, the answers have %zu (one row per test id)",
                g->sub->nrows, g->answers->nrows);
        return 0;
    }
    if (match_ids(g, out) != 0)
        return 0;
    encode_answers(g);
    if (encode_submission(g, out) != 0)
        return 0;
    double raw;
    if (s->metric->fn(g->y_true, g->y_pred, g->answers->nrows, s->n_targets, &raw, err) < 0)
        return err_prefix(err, "cannot compute %s for %s", s->metric->name, s->name);
    out->valid = true;
    out->score = grade_round5(raw);
    award(out);
    return 0;
}

static void result_from_spec(const struct task_spec *spec, size_t rows, struct grade_result *out)
{
    out->task = xstrdup(spec->name);
    out->metric = xstrdup(spec->metric->name);
    out->lower_is_better = spec->lower_is_better;
    out->rows = rows;
    out->has_thresholds = spec->has_thresholds;
    out->gold = spec->gold;
    out->silver = spec->silver;
    out->bronze = spec->bronze;
    out->median = spec->median;
}

int grade_submission(const char *task_dir, const char *submission_path, struct grade_result *out,
                     struct err *err)
{
    memset(out, 0, sizeof *out);
    struct task_spec spec = {0};
    struct csv_table *answers = NULL, *sub = NULL;
    struct grading g = {.spec = &spec};
    int rc = read_spec(task_dir, &spec, err);
    if (rc == 0 && csv_table_load(spec.answers_path, &answers, err) < 0)
        rc = err_prefix(err, "the task's answers");
    g.answers = answers;
    if (rc == 0)
        rc = answer_columns(&g, err);
    if (rc == 0) {
        result_from_spec(&spec, answers->nrows, out);
        struct err sub_err = {{0}};
        if (csv_table_load(submission_path, &sub, &sub_err) < 0) {
            invalid(out, "cannot read the submission: %s", sub_err.msg);
        } else {
            g.sub = sub;
            rc = grade_tables(&g, out, err);
        }
    }
    grading_free(&g);
    csv_table_free(sub);
    csv_table_free(answers);
    spec_free(&spec);
    if (rc < 0)
        grade_result_free(out);
    return rc < 0 ? -1 : 0;
}

/* ---- reporting ----------------------------------------------------------- */

json_t *grade_result_json(const struct grade_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "task", json_string(r->task ? r->task : ""));
    json_object_set_new(o, "metric", json_string(r->metric ? r->metric : ""));
    json_object_set_new(o, "lower_is_better", json_boolean(r->lower_is_better));
    json_object_set_new(o, "valid", json_boolean(r->valid));
    json_object_set_new(o, "invalid_reason",
                        r->invalid_reason ? json_string(r->invalid_reason) : json_null());
    json_object_set_new(o, "score", r->valid ? json_real(r->score) : json_null());
    json_object_set_new(o, "rows", json_integer((json_int_t)r->rows));
    if (r->has_thresholds)
        json_object_set_new(o, "thresholds", json_pack("{s:f, s:f, s:f, s:f}", "gold", r->gold,
                                                       "silver", r->silver, "bronze", r->bronze,
                                                       "median", r->median));
    else
        json_object_set_new(o, "thresholds", json_null());
    json_object_set_new(o, "gold_medal", json_boolean(r->gold_medal));
    json_object_set_new(o, "silver_medal", json_boolean(r->silver_medal));
    json_object_set_new(o, "bronze_medal", json_boolean(r->bronze_medal));
    json_object_set_new(o, "any_medal", json_boolean(r->any_medal));
    json_object_set_new(o, "above_median", json_boolean(r->above_median));
    return o;
}

char *grade_result_line(const struct grade_result *r)
{
    struct buf b = {0};
    buf_printf(&b, "%s: ", r->task ? r->task : "task");
    if (!r->valid) {
        buf_printf(&b, "invalid submission \xe2\x80\x94 %s", r->invalid_reason ? r->invalid_reason : "");
        return buf_detach(&b);
    }
    buf_printf(&b, "%s %.5f (%s is better) \xe2\x80\x94 ", r->metric, r->score,
               r->lower_is_better ? "lower" : "higher");
    if (!r->has_thresholds) {
        buf_puts(&b, "no medal thresholds for this task");
        return buf_detach(&b);
    }
    if (r->any_medal)
        buf_printf(&b, "%s medal", r->gold_medal ? "gold" : r->silver_medal ? "silver" : "bronze");
    else
        buf_printf(&b, "no medal, %s median", r->above_median ? "above" : "not above");
    buf_printf(&b, " (gold %.5f, silver %.5f, bronze %.5f, median %.5f)", r->gold, r->silver,
               r->bronze, r->median);
    return buf_detach(&b);
}

void grade_result_free(struct grade_result *r)
{
    if (!r)
        return;
    free(r->task);
    free(r->metric);
    free(r->invalid_reason);
    memset(r, 0, sizeof *r);
}
