/* bench.h - the results of a benchmark: one row per (task, seed) run, the
 * aggregates MLE-bench reports, and the tables `mlestar bench` writes.
 *
 * A row is what one agent run on one task came to: its journal status,
 * whether its final submission was valid, the graded score and medal, and
 * the budget it used. `mlestar bench` (src/cli/cmd_bench.c) runs the agent,
 * fills the rows, keeps each in BENCH/<task>/seed<k>/result.json
 * (bench_row_json / bench_row_from_json), and writes the tables below.
 *
 * Aggregates (bench_summarize) are over the runs that are done (graded);
 * runs still pending are listed but not counted. A run that failed in any
 * way is done and invalid: it counts in every denominator, as MLE-bench
 * counts a missing submission. Each aggregate is a sample proportion
 * p = k / n over the n task-seed runs, with the standard error
 *     SE = sqrt(p (1 - p) / n)
 * (0 when n = 0). "any medal" is gold, silver or bronze; a task without
 * thresholds gives no medal and is not above the median. Per task: the
 * mean score over its valid runs.
 *
 * Tables: results.md (the Markdown that `mlestar bench` prints),
 * results.csv (one line per run) and results.json ({"settings", "runs",
 * "aggregates", "tasks"}); bench_write_results writes all three
 * atomically.
 *
 * Memory: strings in a row are owned by it (bench_row_free); functions that
 * return char * or json_t * hand over a new allocation or reference.
 * Thread-safety: no shared state; callers serialise access to a row. */
#ifndef MLESTAR_GRADE_BENCH_H
#define MLESTAR_GRADE_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "grade/grade.h"
#include "util/err.h"

enum bench_medal { BENCH_MEDAL_NONE = 0, BENCH_MEDAL_BRONZE, BENCH_MEDAL_SILVER, BENCH_MEDAL_GOLD };

struct bench_row {
    char *task;              /* task name (folder name) */
    long seed;
    char *status;            /* the run's end: journal status (finished, failed, budget,
                                interrupted) or the bench's (error, crashed, timeout);
                                "pending" / "running" while not done */
    bool done;               /* graded: counted in the aggregates */
    bool valid;
    char *invalid_reason;    /* NULL when valid */
    bool has_score;
    double score;
    char *metric;            /* NULL when unknown */
    int lower_is_better;     /* 1, 0, or -1 unknown */
    bool has_thresholds;
    enum bench_medal medal;
    bool above_median;
    double wall_s;
    long long input_tokens;
    long long output_tokens;
    double cost_usd;
    int agent_exit;          /* exit status of the last agent process; -1 none/killed */
    char *run_dir;           /* the run folder (journal, agent.log, result.json) */
};

struct bench_proportion {
    size_t k;                /* runs with the property */
    size_t n;                /* runs counted */
    double p;                /* k / n, 0 when n = 0 */
    double se;               /* sqrt(p (1 - p) / n), 0 when n = 0 */
};

struct bench_task_summary {
    char *task;              /* owned */
    char *metric;            /* owned; NULL when no run knew it */
    int lower_is_better;
    size_t runs;             /* done runs */
    size_t valid;
    size_t medals;
    bool has_mean;
    double mean_score;       /* over the valid runs */
};

struct bench_summary {
    size_t runs;             /* rows */
    size_t done;             /* rows counted: n of the proportions */
    struct bench_proportion any_medal, gold, above_median, valid;
    struct bench_task_summary *tasks; /* in order of first appearance */
    size_t ntasks;
    double wall_s;           /* totals over the done runs */
    long long input_tokens, output_tokens;
    double cost_usd;
};

/* "gold", "silver", "bronze" or "none". */
const char *bench_medal_name(enum bench_medal m);

/* Copies what a grade says (validity, score, metric, medal) into row,
 * replacing what it held there; sets done. */
void bench_row_set_grade(struct bench_row *row, const struct grade_result *g);
/* Marks the row done and invalid with a malloc'd copy of reason. */
void bench_row_set_invalid(struct bench_row *row, const char *reason);
/* Replaces a string field of a row with a copy of value (NULL allowed). */
void bench_row_set_str(char **field, const char *value);
void bench_row_free(struct bench_row *row);

/* The proportion k / n with its standard error. */
struct bench_proportion bench_proportion_of(size_t k, size_t n);
/* Aggregates rows (see the top of this file); free with bench_summary_free. */
void bench_summarize(const struct bench_row *rows, size_t nrows, struct bench_summary *out);
void bench_summary_free(struct bench_summary *s);

/* A row as JSON (score null when there is none; direction "higher",
 * "lower" or null). */
json_t *bench_row_json(const struct bench_row *row);
/* Reads a row written by bench_row_json; fails, naming the field, when the
 * object lacks task or seed or has a field of the wrong type. *out is
 * filled on success only. */
int bench_row_from_json(const json_t *obj, struct bench_row *out, struct err *err);

/* The tables, malloc'd / a new reference. settings_line (may be NULL) is a
 * sentence printed under the Markdown title, e.g. "provider builtin, ...";
 * settings (may be NULL, borrowed) goes into results.json as is. */
char *bench_markdown(const struct bench_row *rows, size_t nrows, const struct bench_summary *s,
                     const char *settings_line);
char *bench_csv(const struct bench_row *rows, size_t nrows);
json_t *bench_results_json(const struct bench_row *rows, size_t nrows, const struct bench_summary *s,
                           json_t *settings);
/* Writes DIR/results.md, DIR/results.csv and DIR/results.json, each
 * atomically; *markdown_out (may be NULL) gets the Markdown (caller frees). */
int bench_write_results(const char *dir, const struct bench_row *rows, size_t nrows, json_t *settings,
                        const char *settings_line, char **markdown_out, struct err *err);

#endif
