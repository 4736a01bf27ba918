/* colstat.h - one column's statistics, accumulated one cell at a time.
 *
 * The profiler feeds every cell of a column to colstat_add() and calls
 * colstat_finish() once at the end to get a struct profile_column. Memory
 * per column is bounded: an exact table of distinct values (64-bit hash,
 * count, the first PROFILE_VALUE_MAX bytes of the value) that stops growing
 * at `exact_bound` entries, then a 16 KiB HyperLogLog. Past the bound the
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
 * rule) are counted in the first SPACE_SAMPLE string cells only. The kind
 * rules are documented in profile.h. Internal to ms_task; not thread-safe
 * per column. */
#ifndef MLESTAR_TASK_COLSTAT_H
#define MLESTAR_TASK_COLSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "task/hll.h"
#include "task/profile.h"

struct dentry {
    uint64_t hash;      /* 0 = empty slot */
    uint32_t count;     /* saturates */
    uint32_t str;       /* offset of the value in the arena: length byte then bytes */
};

struct colstat {
    char *name;
    long long present;
    long long n_int, n_float, n_bool, n_date;
    /* numbers: sums are shifted by the first value for numerical stability */
    long long n_num;
    double shift, sum, sumsq, min, max;
    /* lengths and spaces over non-missing cells */
    unsigned long long len_sum, spaces;
    long long space_sampled;  /* string cells whose spaces were counted (the first SPACE_SAMPLE) */
    size_t len_min, len_max;
    /* distinct values */
    struct dentry *table;
    size_t table_cap, table_used, exact_bound;
    bool overflow;
    char *arena;
    size_t arena_len, arena_cap;
    struct hll *hll;          /* allocated when the exact table overflows */
    char *examples[PROFILE_EXAMPLES];
    size_t nexamples;
};

/* Kinds of one cell, as colstat_cell_kind() reports them. */
enum cell_kind { CELL_MISSING, CELL_INT, CELL_FLOAT, CELL_BOOL, CELL_DATE, CELL_STRING };

void colstat_init(struct colstat *c, const char *name, size_t exact_bound);
void colstat_add(struct colstat *c, const char *s, size_t len);
/* Fills *out (which it owns afterwards) given the file's row count. */
void colstat_finish(struct colstat *c, long long rows, struct profile_column *out);
void colstat_free(struct colstat *c);

/* Exposed for tests: the kind of one cell, and its numeric value. */
enum cell_kind colstat_cell_kind(const char *s, size_t len, double *value);
bool colstat_is_missing(const char *s, size_t len);
/* True for id / *_id / *Id / *ID names. */
bool colstat_id_name(const char *name);

#endif
