/* submission.c - is a submission CSV shaped like the sample? (see submission.h)
 *
 * Both files are loaded whole (submissions are small). Ids are compared as
 * sorted multisets of row keys (the id cells joined with a unit separator),
 * which handles any row order, composite ids and legitimately repeated ids
 * in one merge walk. Cell checks make one pass over the prediction cells,
 * remember the first problem and count the rest, so the message names one
 * concrete cell and says how widespread the problem is. */
#include "code/submission.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task/csv.h"
#include "util/buf.h"
#include "util/mem.h"

#define KEY_SEP '\x1f'
#define MAX_NAMES 12

enum col_kind { KIND_TEXT, KIND_NUMBER, KIND_BOOL };

struct check {
    const struct csv_table *sub;
    const struct csv_table *sample;
    const struct submission_rules *rules;
    size_t *id_cols;       /* indices (same in both files: columns are equal) */
    size_t n_id;
    bool *is_id;           /* per column */
    enum col_kind *kind;   /* per column, from the sample */
};

/* ---- cells --------------------------------------------------------------- */

static bool blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static bool parse_number(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return false;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end)
        return false;
    *out = v;
    return isfinite(v);
}

static bool parse_bool(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return (n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 5 && strncasecmp(s, "false", 5) == 0);
}

static enum col_kind column_kind(const struct csv_table *t, size_t col)
{
    bool numbers = true, bools = true, any = false;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *cell = csv_table_cell(t, r, col);
        if (blank(cell))
            continue;
        double v;
        any = true;
        numbers = numbers && parse_number(cell, &v);
        bools = bools && parse_bool(cell);
    }
    if (!any)
        return KIND_TEXT;
    return bools ? KIND_BOOL : numbers ? KIND_NUMBER : KIND_TEXT;
}

/* ---- columns and rows ---------------------------------------------------- */

static void list_names(struct buf *b, char *const *names, size_t n)
{
    for (size_t i = 0; i < n && i < MAX_NAMES; i++)
        buf_printf(b, "%s%s", i ? ", " : "", names[i]);
    if (n > MAX_NAMES)
        buf_printf(b, ", ... (%zu in all)", n);
}

static int check_columns(const struct csv_table *sub, const struct csv_table *sample,
                         struct err *err)
{
    bool same = sub->ncols == sample->ncols;
    for (size_t c = 0; same && c < sub->ncols; c++)
        same = strcmp(sub->header[c], sample->header[c]) == 0;
    if (same)
        return 0;
    struct buf b = {0};
    buf_puts(&b, "the submission's columns are (");
    list_names(&b, sub->header, sub->ncols);
    buf_puts(&b, "), the sample's are (");
    list_names(&b, sample->header, sample->ncols);
    buf_puts(&b, ")");
    for (size_t c = 0; c < sample->ncols; c++)
        if (csv_table_col(sub, sample->header[c]) < 0) {
            buf_printf(&b, "; column %s is missing", sample->header[c]);
            break;
        }
    for (size_t c = 0; c < sub->ncols; c++)
        if (csv_table_col(sample, sub->header[c]) < 0) {
            buf_printf(&b, "; column %s is not in the sample", sub->header[c]);
            break;
        }
    buf_puts(&b, ": write exactly the sample's columns, in its order");
    err_set(err, "%s", buf_str(&b));
    buf_free(&b);
    return -1;
}

static int resolve_id_columns(struct check *ck, struct err *err)
{
    const struct submission_rules *rules = ck->rules;
    size_t n = rules && rules->n_id ? rules->n_id : 1;
    ck->id_cols = xcalloc(n, sizeof *ck->id_cols);
    ck->n_id = n;
    for (size_t i = 0; rules && i < rules->n_id; i++) {
        int col = csv_table_col(ck->sample, rules->id_columns[i]);
        if (col < 0)
            return err_set(err, "id column %s is not in the sample submission",
                           rules->id_columns[i]);
        ck->id_cols[i] = (size_t)col;
    }
    return 0;
}

/* ---- ids ----------------------------------------------------------------- */

struct row_key {
    char *key;
    size_t row;
};

static char *row_key(const struct check *ck, const struct csv_table *t, size_t row)
{
    struct buf b = {0};
    for (size_t i = 0; i < ck->n_id; i++) {
        if (i)
            buf_putc(&b, KEY_SEP);
        buf_puts(&b, csv_table_cell(t, row, ck->id_cols[i]));
    }
    return buf_detach(&b);
}

static int cmp_key(const void *a, const void *b)
{
    const struct row_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static struct row_key *sorted_keys(const struct check *ck, const struct csv_table *t)
{
    struct row_key *keys = xcalloc(t->nrows ? t->nrows : 1, sizeof *keys);
    for (size_t r = 0; r < t->nrows; r++)
        keys[r] = (struct row_key){row_key(ck, t, r), r};
    qsort(keys, t->nrows, sizeof *keys, cmp_key);
    return keys;
}

/* The key as people read it: id cells joined by ", ". */
static char *shown_key(const char *key)
{
    struct buf b = {0};
    for (const char *p = key; *p; p++) {
        if (*p == KEY_SEP)
            buf_puts(&b, ", ");
        else
            buf_putc(&b, *p);
    }
    if (b.len > 120) {
        buf_truncate(&b, 117);
        buf_puts(&b, "...");
    }
    return buf_detach(&b);
}

static size_t run_length(const struct row_key *keys, size_t n, size_t i)
{
    size_t k = 1;
    while (i + k < n && strcmp(keys[i].key, keys[i + k].key) == 0)
        k++;
    return k;
}

static int compare_ids(const struct check *ck, struct err *err)
{
    size_t n = ck->sample->nrows; /* == sub->nrows */
    struct row_key *a = sorted_keys(ck, ck->sample), *b = sorted_keys(ck, ck->sub);
    size_t i = 0, j = 0, missing = 0, unknown = 0;
    char *first_missing = NULL, *first_unknown = NULL, *first_repeat = NULL;
    size_t repeat_sub = 0, repeat_sample = 0, unknown_row = 0;
    while (i < n || j < n) {
        int c = i == n ? 1 : j == n ? -1 : strcmp(a[i].key, b[j].key);
        if (c < 0) {
            if (!first_missing)
                first_missing = a[i].key;
            missing++;
            i++;
        } else if (c > 0) {
            if (!first_unknown) {
                first_unknown = b[j].key;
                unknown_row = b[j].row + 1;
            }
            unknown++;
            j++;
        } else {
            size_t ka = run_length(a, n, i), kb = run_length(b, n, j);
            if (ka != kb && !first_repeat) {
                first_repeat = a[i].key;
                repeat_sample = ka;
                repeat_sub = kb;
            }
            missing += ka > kb ? ka - kb : 0;
            unknown += kb > ka ? kb - ka : 0;
            i += ka;
            j += kb;
        }
    }
    int rc = 0;
    if (first_repeat) {
        char *id = shown_key(first_repeat);
        rc = err_set(err, "id %s appears %zu time%s in the submission and %zu in the sample (%zu "
                     "ids missing or repeated in all): write one row per sample row", id,
                     repeat_sub, repeat_sub == 1 ? "" : "s", repeat_sample, missing + unknown);
        free(id);
    } else if (first_missing || first_unknown) {
        char *m = first_missing ? shown_key(first_missing) : NULL;
        char *u = first_unknown ? shown_key(first_unknown) : NULL;
        if (m && u)
            rc = err_set(err, "id %s is missing (%zu ids missing in all), and id %s (row %zu) is "
                         "not in the sample submission: take the ids from the test file", m,
                         missing, u, unknown_row);
        else if (m)
            rc = err_set(err, "id %s is missing (%zu ids missing in all)", m, missing);
        else
            rc = err_set(err, "id %s (row %zu) is not in the sample submission", u, unknown_row);
        free(m);
        free(u);
    }
    for (size_t r = 0; r < n; r++) {
        free(a[r].key);
        free(b[r].key);
    }
    free(a);
    free(b);
    return rc;
}

/* ---- values -------------------------------------------------------------- */

struct cell_problem {
    size_t count;
    struct buf first;
};

/* Counts a problem; the first one is kept as "row R (id X): <what>". Takes
 * ownership of what. */
static void problem(struct cell_problem *p, const struct check *ck, size_t row, char *what)
{
    if (p->count++ == 0) {
        char *id = row_key(ck, ck->sub, row);
        char *shown = shown_key(id);
        buf_printf(&p->first, "row %zu (id %s): %s", row + 1, shown, what);
        free(id);
        free(shown);
    }
    free(what);
}

static void check_row(const struct check *ck, size_t row, struct cell_problem *p)
{
    const struct submission_rules *rules = ck->rules;
    double sum = 0;
    bool sum_valid = true;
    for (size_t c = 0; c < ck->sub->ncols; c++) {
        if (ck->is_id[c])
            continue;
        const char *name = ck->sub->header[c];
        const char *cell = csv_table_cell(ck->sub, row, c);
        double v = 0;
        if (blank(cell)) {
            problem(p, ck, row, xasprintf("column %s is empty", name));
            sum_valid = false;
            continue;
        }
        if (ck->kind[c] == KIND_BOOL && !parse_bool(cell)) {
            problem(p, ck, row, xasprintf("column %s must be True or False like the sample, "
                                          "not `%s`", name, cell));
            continue;
        }
        bool numeric = ck->kind[c] == KIND_NUMBER ||
                       (rules && (rules->probabilities || rules->nonnegative || rules->positive));
        if (!numeric)
            continue;
        if (!parse_number(cell, &v)) {
            problem(p, ck, row,
                    xasprintf("column %s must be a finite number, not `%s`", name, cell));
            sum_valid = false;
            continue;
        }
        sum += v;
        if (rules && rules->probabilities && (v < 0 || v > 1))
            problem(p, ck, row,
                    xasprintf("column %s is %s, outside [0, 1] for a probability", name, cell));
        else if (rules && rules->positive && v <= 0)
            problem(p, ck, row, xasprintf("column %s is %s, but values must be > 0", name, cell));
        else if (rules && rules->nonnegative && v < 0)
            problem(p, ck, row, xasprintf("column %s is %s, but values must be >= 0", name, cell));
    }
    if (rules && rules->rows_sum_to_one && sum_valid) {
        double tol = rules->sum_tolerance > 0 ? rules->sum_tolerance : 1e-6;
        if (fabs(sum - 1.0) > tol)
            problem(p, ck, row,
                    xasprintf("the probabilities sum to %.9g, not 1 (normalize each row)", sum));
    }
}

static int check_values(struct check *ck, struct err *err)
{
    size_t ncols = ck->sub->ncols;
    ck->is_id = xcalloc(ncols, sizeof *ck->is_id);
    ck->kind = xcalloc(ncols, sizeof *ck->kind);
    for (size_t i = 0; i < ck->n_id; i++)
        ck->is_id[ck->id_cols[i]] = true;
    for (size_t c = 0; c < ncols; c++)
        ck->kind[c] = column_kind(ck->sample, c);
    struct cell_problem p = {0};
    for (size_t r = 0; r < ck->sub->nrows; r++)
        check_row(ck, r, &p);
    int rc = 0;
    if (p.count == 1)
        rc = err_set(err, "%s", buf_str(&p.first));
    else if (p.count > 1)
        rc = err_set(err, "%s (%zu problems in all)", buf_str(&p.first), p.count);
    buf_free(&p.first);
    return rc;
}

int code_check_submission(const char *submission_path, const char *sample_path,
                          const struct submission_rules *rules, struct err *err)
{
    struct csv_table *sub = NULL, *sample = NULL;
    if (csv_table_load(sample_path, &sample, err) < 0)
        return err_prefix(err, "cannot read the sample submission");
    if (csv_table_load(submission_path, &sub, err) < 0) {
        csv_table_free(sample);
        return err_prefix(err, "cannot read the submission");
    }
    struct check ck = {.sub = sub, .sample = sample, .rules = rules};
    int rc = check_columns(sub, sample, err);
    if (rc == 0 && sub->nrows != sample->nrows)
        rc = err_set(err, "submission has %zu rows, the sample has %zu: write one row per test row",
                     sub->nrows, sample->nrows);
    if (rc == 0 && sample->ncols == 0)
        rc = err_set(err, "the sample submission %s has no columns", sample_path);
    if (rc == 0)
        rc = resolve_id_columns(&ck, err);
    if (rc == 0)
        rc = compare_ids(&ck, err);
    if (rc == 0)
        rc = check_values(&ck, err);
    free(ck.id_cols);
    free(ck.is_id);
    free(ck.kind);
    csv_table_free(sub);
    csv_table_free(sample);
    return rc;
}
