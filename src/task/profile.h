/* profile.h - the data profiler: what the data files of a task hold.
 *
 * profile_task() reads every tabular file of a task (CSV, JSON arrays of
 * records, JSON-lines) in one streaming pass each, with bounded memory, and
 * describes each column: its inferred kind, missing share, distinct count
 * (exact up to a bound, then a HyperLogLog estimate), numeric statistics,
 * top values, text lengths and a few examples. Other files (images,
 * per-sample folders such as train/<n>/geometry.xyz) are summarised as
 * groups by path pattern with a count and a total size (class folders of
 * labels from names, train/<class>/<file>, form one group
 * "train/<any>/..." whatever the class names); image and audio
 * groups also get sizes, channels and formats from the headers of a
 * sample of their files (profile_media.c). The target column of
 * train gets its distribution, and the problem type is derived from it.
 *
 * Column kinds (decided over the non-missing cells; see colstat.c):
 *   boolean      every cell is true/false/yes/no (any case), or the column
 *                holds exactly the two integers 0 and 1;
 *   integer      every cell is an integer;
 *   float        every cell is a number (and some are not integers);
 *   datetime     every cell is an ISO-like date/time (2012-06-18,
 *                2012/06/18 19:21, 19:21:55, compact 20120618192155Z);
 *   id           distinct == rows and the name is like id / *_id / *Id,
 *                or strings, not text, at least 95% distinct (10+ values);
 *   text         strings with mean length > 30 or at least two spaces on
 *                average;
 *   categorical  everything else (also a column that is entirely missing).
 * Missing cells: empty, NA, N/A, NaN, nan, null, NULL, None.
 *
 * Two renderings: profile_to_json() (the pipeline and the offline planner
 * read its key names; they are a contract) and profile_to_markdown() (for
 * prompts, with a hard byte bound; wide tables are summarised and rows are
 * never cut in the middle).
 *
 * Distinct values: numbers are compared by value ("1.0" and "1" are one
 * value, as in pandas; numbers longer than 15 characters by their text),
 * everything else by its text. The exact tables hold at most 60k entries
 * per file (shared out between its columns, 64..10000 each); past a
 * column's share, its distinct count is a HyperLogLog estimate and its top
 * values are those counted until then.
 *
 * Speed and memory: see profile_csv.c (a CSV of 32 MB or more is cut into
 * byte ranges profiled by one thread per core, at most 4, and merged in
 * file order; memory stays bounded by the reader buffers and the table
 * limits: under 64 MB whatever the file, typically 20-30 MB).
 *
 * Ownership: a struct profile owns everything it points to (it copies what
 * it needs from the task, so the task may be freed first); free it with
 * profile_free(). A finished profile is read-only and may be shared between
 * threads; building one uses no global state, so several can be built at
 * once in different threads (profile_csv_tune() is the one global: set it
 * before, not during). */
#ifndef MLESTAR_TASK_PROFILE_H
#define MLESTAR_TASK_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "task/csv.h"
#include "task/task.h"
#include "util/err.h"

enum profile_kind {
    PROFILE_INTEGER, PROFILE_FLOAT, PROFILE_BOOLEAN, PROFILE_CATEGORICAL,
    PROFILE_TEXT, PROFILE_DATETIME, PROFILE_ID
};

enum profile_problem {
    PROFILE_PROBLEM_UNKNOWN, PROFILE_PROBLEM_BINARY, PROFILE_PROBLEM_MULTICLASS,
    PROFILE_PROBLEM_REGRESSION, PROFILE_PROBLEM_MULTI_REGRESSION
};

/* A value and how often it occurred. */
struct profile_value {
    char *value;              /* shortened to at most PROFILE_VALUE_MAX bytes */
    long long count;
};

#define PROFILE_VALUE_MAX 64  /* bytes kept of a top value or example */
#define PROFILE_TOP_MAX 50    /* values kept per column (JSON shows 10; the target all 50) */
#define PROFILE_EXAMPLES 3
#define PROFILE_ISSUES_MAX 20 /* issues kept per file; issues_total counts all */

struct profile_column {
    char *name;
    enum profile_kind kind;
    long long present;        /* non-missing cells */
    long long missing_count;
    double missing;           /* share 0..1 of the file's rows */
    long long distinct;       /* among non-missing cells */
    bool distinct_exact;      /* false: a HyperLogLog estimate (about 1% error) */
    bool has_numbers;         /* min/max/mean/std are set (integer, float, boolean 0/1) */
    double min, max, mean, std;
    struct profile_value *top;  /* most frequent first; counts are exact when distinct_exact */
    size_t ntop;
    size_t len_min, len_max;  /* bytes, over non-missing cells */
    double len_mean;
    char *examples[PROFILE_EXAMPLES];  /* first distinct non-missing values */
    size_t nexamples;
};

struct profile_issue {
    long long line;           /* 1-based line where the record starts */
    char *problem;            /* "ragged row: 5 fields, header has 6", "invalid UTF-8", ... */
};

struct profile_file {
    char *path;               /* relative to the data folder (the file name for profile_csv_file) */
    char *archive;            /* the archive it was unpacked from, or NULL */
    enum task_file_kind kind; /* CSV, JSON or JSONL */
    enum task_file_role role;
    long long bytes;
    long long rows;           /* data records (header and blank lines not counted) */
    struct profile_column *columns;
    size_t ncolumns;
    struct profile_issue *issues;
    size_t nissues;           /* at most PROFILE_ISSUES_MAX */
    long long issues_total;
    bool synthesized;         /* written by mlestar (labels from names; see task.h) */
};

/* Image / audio headers read from a sample of a group's files (imghdr.h):
 * sizes, channels and formats, never decoded pixels. */
#define PROFILE_MEDIA_SAMPLE 64   /* files read per group, evenly spread */
struct profile_media {
    long long sampled;        /* files whose header was read */
    long long unknown;        /* of those, headers not recognised or without sizes */
    unsigned width_min, width_max, height_min, height_max;
    unsigned channels_min, channels_max;
    unsigned rate_min, rate_max;  /* audio sample rate (WAV) */
    char formats[64];         /* "png", "jpeg, png", "wav" ... */
};

/* Files that are not profiled one by one, grouped by path pattern. */
struct profile_group {
    char *pattern;            /* the path with its varying parts as an asterisk */
    enum task_file_kind kind;
    long long count;
    long long bytes;
    char *archive;            /* the archive its files were unpacked from, or NULL */
    bool has_media;           /* image or audio group: media is set */
    struct profile_media media;
};

/* The train target's distribution. */
struct profile_target {
    char *column;
    enum profile_kind kind;
    bool classification;      /* classes are set; else mean/std/min/max */
    struct profile_value *classes;  /* most frequent first, up to PROFILE_TOP_MAX */
    size_t nclasses;
    long long nclasses_total; /* distinct values (may exceed nclasses) */
    double mean, std, min, max;
};

struct profile {
    char *task;
    char **id_columns;
    size_t n_id_columns;
    char **target_columns;
    size_t n_target_columns;
    char **train_targets;
    size_t n_train_targets;
    enum task_sub_format sub_format;
    enum profile_problem problem;
    struct profile_file **files;   /* train, test, sample submission first, then the rest */
    size_t nfiles;
    struct profile_group *groups;
    size_t ngroups;
    struct profile_target *targets; /* one per train target found in train */
    size_t ntargets;
    char *metric;                  /* copied from the task; NULL when unknown */
    int lower_is_better;           /* -1 unknown, 0, 1 */
    /* Labels from names, copied from the task: how train was built, or
     * why labels could not be derived (NULL: nothing to say). */
    enum task_labels_from labels_from;
    char *labels_note;
};

/* Profiles every file of the task. Fails only when a train, test or sample
 * submission file cannot be read at all; problems inside a file are issues. */
int profile_task(const struct task *t, struct profile **out, struct err *err);
/* Profiles one CSV file (role DATA, path = its base name). For tests and the
 * benchmark. Free with profile_file_free(). */
int profile_csv_file(const char *path, struct profile_file **out, struct err *err);
/* Sets how profile_csv_file() splits big files between threads: ranges of
 * at least min_range_bytes (0: the default, 16 MiB), on `threads` threads
 * (0: one per usable CPU, at most 4; 1: one pass on one thread). For tests
 * and benchmarks; not thread-safe. */
void profile_csv_tune(size_t min_range_bytes, int threads);
/* How many times a split was abandoned for one pass because a cut turned
 * out to lie inside a record (for tests). */
unsigned long profile_csv_split_retries(void);
/* The same over an open reader (e.g. csv_open_mem() input); `name` becomes
 * the path; bytes is what the reader consumed. The reader stays the caller's. */
int profile_csv_reader(struct csv_reader *r, const char *name, struct profile_file **out,
                       struct err *err);
/* One JSON (array of records, or an object holding one) or JSON-lines file. */
int profile_json_file(const char *path, bool json_lines, struct profile_file **out, struct err *err);
void profile_file_free(struct profile_file *f);

/* The JSON described in the module docs; caller json_decref()s. */
json_t *profile_to_json(const struct profile *p);
/* Reads the headers of up to PROFILE_MEDIA_SAMPLE of the n files (evenly
 * spread) into *m (profile_media.c). */
void profile_media_read(const struct task_file *const *files, size_t n, struct profile_media *m);
json_t *profile_media_to_json(const struct profile_media *m, enum task_file_kind kind);
/* One line for people and prompts ("PNG, 8x8, 1 channel (grey)"); malloc'd. */
char *profile_media_text(const struct profile_media *m, enum task_file_kind kind);
json_t *profile_file_to_json(const struct profile_file *f);
/* Markdown for prompts; malloc'd, strlen() <= max_bytes (may be "" when
 * max_bytes cannot hold even the title). */
char *profile_to_markdown(const struct profile *p, size_t max_bytes);
void profile_free(struct profile *p);

const char *profile_kind_name(enum profile_kind kind);
const char *profile_problem_name(enum profile_problem problem);
const char *profile_sub_format_name(enum task_sub_format format);

#endif
