/* colstat.h - one column's statistics, accumulated one cell at a time.
 *
 * The profiler feeds every cell of a column to colstat_add() and calls
 * colstat_finish() once at the end to get a struct profile_column. Memory
 * per column is bounded: an exact table of distinct values (64-bit hash,
 * count, the first PROFILE_VALUE_MAX bytes of the value) that stops growing
 * at `exact_bound` entries, then a 16 KiB HyperLogLog. The table keeps its
 * entries in the order first seen, found through a separate array of
 * slots, so merging two tables and breaking ties between top values need
 * no sorting by age. Past the bound the
 * distinct count is the HyperLogLog estimate and the top values are those
 * counted before the bound was hit. The HyperLogLog is only created when the
 * table fills up (seeded then with the table's hashes), which keeps it out
 * of the cache for low-cardinality columns. Numbers (up to 15 characters)
 * are compared by value, everything else by its text; comparison is by
 * 64-bit hash, so a collision is possible but negligible.
 *
 * Per cell the work is: a missing-value check, a hand-written number parser
 * (no strtod on the common path), the hash, and either one probe of the
 * exact table or one HyperLogLog register update. Spaces (for the text
 * rule) are counted in the first space_limit string cells only. The
 * kind rules are documented in profile.h. Internal to ms_task; not thread-safe
 * per column. */
#ifndef MLESTAR_TASK_COLSTAT_H
#define MLESTAR_TASK_COLSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "task/hll.h"
#include "task/profile.h"

struct dentry {
    uint64_t hash;      /* of the value (see hash_cell in colstat.c) */
    uint32_t count;     /* saturates */
    uint32_t str;       /* offset of the value in the arena: length byte then bytes */
};

struct colstat {
    char *name;
    long long present;
    long long n_int, n_float, n_bool, n_date;
    /* numbers (n_int + n_float of them): min and max over all; sums over the
     * n_finite finite ones, shifted by the first of them for numerical
     * stability; infinities ("1e999") only counted */
    double shift, sum, sumsq, min, max;
    long long n_finite, n_inf_pos, n_inf_neg;
    /* lengths and spaces over non-missing cells */
    unsigned long long len_sum, spaces;
    long long space_sampled;  /* string cells whose spaces were counted ... */
    long long space_limit;    /* ... the first space_limit of them (default COLSTAT_SPACE_SAMPLE) */
    size_t len_min, len_max;
    /* distinct values */
    struct dentry *table;     /* entries in the order first seen */
    size_t table_cap, table_used, exact_bound;
    uint32_t *slots;          /* open addressing: entry index + 1, 0 = empty */
    size_t slots_cap;         /* a power of two, at least four times table_used */
    bool overflow;
    char *arena;
    size_t arena_len, arena_cap;
    struct hll *hll;          /* allocated when the exact table overflows */
    char *examples[PROFILE_EXAMPLES];
    size_t nexamples;
};

#define COLSTAT_SPACE_SAMPLE 100000 /* string cells whose spaces are counted, by default */

/* Kinds of one cell, as colstat_cell_kind() reports them. */
enum cell_kind { CELL_MISSING, CELL_INT, CELL_FLOAT, CELL_BOOL, CELL_DATE, CELL_STRING };

void colstat_init(struct colstat *c, const char *name, size_t exact_bound);
/* s[len] must be readable (cells are NUL-terminated). */
void colstat_add(struct colstat *c, const char *s, size_t len);
/* One record: fields[i] goes to cols[i], for i < n (the CSV profiler's
 * loop, here so that the per-cell work is inlined into it). */
struct csv_field;
void colstat_add_fields(struct colstat *cols, const struct csv_field *fields, size_t n);
/* Adds what src counted to c, as if c had also seen src's cells after its
 * own. Exact where both stayed under the distinct bound; past it the
 * distinct estimate is the same as one pass's (HyperLogLog registers merge
 * exactly) and top-value counts are those of the tables. Examples come
 * from src's values that are new to c, in the order src saw them, as one
 * pass would have taken them. Spaces are sampled per part (space_limit
 * cells of each).
 * Src is left unchanged. */
void colstat_merge(struct colstat *c, const struct colstat *src);
/* From now on only the HyperLogLog counts distinct values (as when the
 * exact table fills up). For a part of a file whose merged column has
 * already overflowed: merging it then gives the same result, without
 * filling an exact table that the merge would only read the hashes of. */
void colstat_start_estimating(struct colstat *c);
/* Fills *out (which it owns afterwards) given the file's row count. */
void colstat_finish(struct colstat *c, long long rows, struct profile_column *out);
void colstat_free(struct colstat *c);

/* Exposed for tests: the kind of one cell, and its numeric value. */
enum cell_kind colstat_cell_kind(const char *s, size_t len, double *value);
bool colstat_is_missing(const char *s, size_t len);
/* True for id / *_id / *Id / *ID names. */
bool colstat_id_name(const char *name);

#endif
