/* profile_compare.h - compares two profiles of the same CSV file, one made
 * in a single pass and one split between threads (test helper, header
 * only; used by tests/unit/task_profile_test.c and the split fuzz target).
 *
 * What must be equal: rows, bytes, columns and their names, kinds, present
 * and missing counts, distinct counts (exact or estimated: HyperLogLog
 * registers merge exactly), min and max, length statistics, examples, the
 * issues with their line numbers and the issue total. Top values and their
 * counts must be equal where the distinct count is exact (past the exact
 * bound a part's counts are those of its own table). Mean and standard
 * deviation are sums added in another order: equal to a relative 1e-9;
 * two NaNs agree, and NaN agrees with an infinity (sums of numbers near
 * the double's limit overflow to either, depending on the order; the JSON
 * shows all three as null).
 *
 * profile_diff() returns NULL when the profiles agree, else a static
 * message naming the first difference. profile_find_column() looks a
 * column up by name (NULL when there is none). */
#ifndef MLESTAR_TESTS_PROFILE_COMPARE_H
#define MLESTAR_TESTS_PROFILE_COMPARE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "task/profile.h"

static char profile_diff_msg[512];

static inline const struct profile_column *profile_find_column(const struct profile_file *f, const char *name)
{
    for (size_t i = 0; i < f->ncolumns; i++)
        if (strcmp(f->columns[i].name, name) == 0)
            return &f->columns[i];
    return NULL;
}

static inline const char *profile_diff_set(const char *what, const char *column)
{
    snprintf(profile_diff_msg, sizeof profile_diff_msg, "%s differs%s%s", what, column ? " in column " : "",
             column ? column : "");
    return profile_diff_msg;
}

static inline int profile_close(double a, double b)
{
    if (a == b || (!isfinite(a) && !isfinite(b) && (isnan(a) || isnan(b) || a == b)))
        return 1;
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= 1e-9 * (scale > 1 ? scale : 1);
}

static inline const char *profile_column_diff(const struct profile_column *a, const struct profile_column *b)
{
    const char *n = a->name;
    if (strcmp(a->name, b->name) != 0)
        return profile_diff_set("name", n);
    if (a->kind != b->kind)
        return profile_diff_set("kind", n);
    if (a->present != b->present || a->missing_count != b->missing_count)
        return profile_diff_set("present/missing", n);
    if (a->distinct != b->distinct || a->distinct_exact != b->distinct_exact)
        return profile_diff_set("distinct", n);
    if (a->has_numbers != b->has_numbers)
        return profile_diff_set("has_numbers", n);
    if (a->has_numbers && (a->min != b->min || a->max != b->max))
        return profile_diff_set("min/max", n);
    if (a->has_numbers && (!profile_close(a->mean, b->mean) || !profile_close(a->std, b->std)))
        return profile_diff_set("mean/std", n);
    if (a->len_min != b->len_min || a->len_max != b->len_max || !profile_close(a->len_mean, b->len_mean))
        return profile_diff_set("length statistics", n);
    if (a->nexamples != b->nexamples)
        return profile_diff_set("example count", n);
    for (size_t i = 0; i < a->nexamples; i++)
        if (strcmp(a->examples[i], b->examples[i]) != 0)
            return profile_diff_set("examples", n);
    if (a->distinct_exact) {
        if (a->ntop != b->ntop)
            return profile_diff_set("top value count", n);
        for (size_t i = 0; i < a->ntop; i++)
            if (strcmp(a->top[i].value, b->top[i].value) != 0 || a->top[i].count != b->top[i].count)
                return profile_diff_set("top values", n);
    }
    return NULL;
}

static inline const char *profile_diff(const struct profile_file *a, const struct profile_file *b)
{
    if (a->rows != b->rows)
        return profile_diff_set("rows", NULL);
    if (a->bytes != b->bytes)
        return profile_diff_set("bytes", NULL);
    if (a->ncolumns != b->ncolumns)
        return profile_diff_set("column count", NULL);
    if (a->nissues != b->nissues || a->issues_total != b->issues_total)
        return profile_diff_set("issue count", NULL);
    for (size_t i = 0; i < a->nissues; i++)
        if (a->issues[i].line != b->issues[i].line || strcmp(a->issues[i].problem, b->issues[i].problem) != 0)
            return profile_diff_set("issues", NULL);
    for (size_t c = 0; c < a->ncolumns; c++) {
        const char *d = profile_column_diff(&a->columns[c], &b->columns[c]);
        if (d)
            return d;
    }
    return NULL;
}

#endif
