/* submission.h - is a submission CSV shaped like the sample submission?
 *
 * Run after every script that wrote ./submission.csv, before a score is
 * trusted. The checks, in order (the first failure is reported):
 *   - same columns as the sample, same names, same order;
 *   - same number of rows;
 *   - the same ids in the id columns, as a multiset, in any order (missing,
 *     unknown and duplicated ids are named);
 *   - no empty cell in a prediction column;
 *   - a number (finite) wherever the sample's column holds numbers, and
 *     True/False wherever it holds booleans;
 *   - rules->probabilities: values in [0, 1]; rules->rows_sum_to_one: each
 *     row's prediction columns sum to 1 within rules->sum_tolerance (1e-6
 *     when 0); rules->nonnegative / rules->positive: values >= 0 / > 0.
 * Messages are written for the debugging LLM: "row 17 (id 4411): column
 * class_2 is empty", "submission has 870 rows, the sample has 871", "id
 * 0013_01 is missing". Rows are counted from 1 after the header.
 *
 * Reads both files with csv_table_load(). Thread-safe. */
#ifndef MLESTAR_CODE_SUBMISSION_H
#define MLESTAR_CODE_SUBMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct submission_rules {
    const char *const *id_columns;   /* names; NULL/0 = the sample's first column */
    size_t n_id;
    bool probabilities;              /* prediction columns are probabilities */
    bool rows_sum_to_one;            /* ... of classes: each row sums to 1 */
    double sum_tolerance;            /* 0 = 1e-6 */
    bool nonnegative;
    bool positive;
};

/* Returns 0 when the submission passes; -1 with err describing the first
 * problem (or naming the file that cannot be read). rules may be NULL. */
int code_check_submission(const char *submission_path, const char *sample_path,
                          const struct submission_rules *rules, struct err *err);

#endif
