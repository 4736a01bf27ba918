/* bench_table.c - the benchmark's tables: Markdown, CSV and JSON; see
 * bench.h.
 *
 * The three show the same rows in the same order (the caller's: tasks as
 * given, then seeds). Scores are printed with 5 decimals and trailing
 * zeros removed (grades are rounded to 5 decimals, so nothing is lost);
 * percentages with one decimal. Text that comes from outside (task names,
 * reasons for an invalid submission) is escaped for its table: `|` and line
 * breaks in Markdown, quotes in CSV. */
#include "grade/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* "0.80967", "53.1", "2" */
static void format_score(double score, char *out, size_t outsz)
{
    snprintf(out, outsz, "%.5f", score);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *end = out + strlen(out) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *end = '\0';
}

static const char *direction_name(int lower_is_better)
{
    return lower_is_better < 0 ? "" : lower_is_better ? "lower" : "higher";
}

/* ---- Markdown ------------------------------------------------------------ */

/* Appends text with `|` escaped and line breaks as spaces. */
static void md_cell(struct buf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '|')
            buf_puts(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            buf_putc(b, ' ');
        else
            buf_putc(b, *p);
    }
}

static void md_run_row(struct buf *b, const struct bench_row *r)
{
    char score[64] = "", took[32] = "";
    if (r->has_score)
        format_score(r->score, score, sizeof score);
    if (r->done || r->wall_s > 0)
        format_duration(r->wall_s, took, sizeof took);
    buf_puts(b, "| ");
    md_cell(b, r->task);
    buf_printf(b, " | %ld | ", r->seed);
    md_cell(b, r->status ? r->status : "pending");
    buf_printf(b, " | %s | %s | ", !r->done ? "" : r->valid ? "yes" : "no", score);
    if (r->metric) {
        md_cell(b, r->metric);
        if (r->lower_is_better >= 0)
            buf_printf(b, " (%s)", direction_name(r->lower_is_better));
    }
    const bool graded = r->done && r->valid;
    const char *medal = !graded ? "" : r->has_thresholds ? bench_medal_name(r->medal) : "n/a";
    const char *above = !graded ? "" : !r->has_thresholds ? "n/a" : r->above_median ? "yes" : "no";
    buf_printf(b, " | %s | %s | %s | %lld | %lld | $%.4f |\n", medal, above, took, r->input_tokens,
               r->output_tokens, r->cost_usd);
}

static void md_runs(struct buf *b, const struct bench_row *rows, size_t nrows)
{
    buf_puts(b, "| task | seed | status | valid | score | metric | medal | above median | time "
                "| tokens in | tokens out | cost |\n"
                "|---|---:|---|---|---:|---|---|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < nrows; i++)
        md_run_row(b, &rows[i]);
    bool any_invalid = false;
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        if (!r->done || r->valid)
            continue;
        if (!any_invalid)
            buf_puts(b, "\nInvalid runs:\n\n");
        any_invalid = true;
        buf_puts(b, "- ");
        md_cell(b, r->task);
        buf_printf(b, " seed %ld: ", r->seed);
        md_cell(b, r->invalid_reason ? r->invalid_reason : "invalid");
        buf_putc(b, '\n');
    }
}

static void md_proportion(struct buf *b, const char *name, const struct bench_proportion *p)
{
    if (p->n == 0)
        buf_printf(b, "| %s | n/a | n/a | 0/0 |\n", name);
    else
        buf_printf(b, "| %s | %.1f | %.1f | %zu/%zu |\n", name, 100 * p->p, 100 * p->se, p->k, p->n);
}

static void md_aggregates(struct buf *b, const struct bench_summary *s)
{
    buf_printf(b, "\n## Aggregates\n\nOver n = %zu graded task-seed runs", s->done);
    if (s->done < s->runs)
        buf_printf(b, " (%zu of %zu not graded yet)", s->runs - s->done, s->runs);
    buf_puts(b, ". A failed run counts as invalid. Standard error of a proportion p: "
                "SE = sqrt(p(1-p)/n).\n\n"
                "| measure | % | SE (%) | runs |\n|---|---:|---:|---:|\n");
    md_proportion(b, "any medal", &s->any_medal);
    md_proportion(b, "gold medal", &s->gold);
    md_proportion(b, "above median", &s->above_median);
    md_proportion(b, "valid submission", &s->valid);
}

static void md_tasks(struct buf *b, const struct bench_summary *s)
{
    buf_puts(b, "\n## Per task\n\n| task | metric | graded runs | valid | medals | mean score (valid runs) |\n"
                "|---|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < s->ntasks; i++) {
        const struct bench_task_summary *t = &s->tasks[i];
        char mean[64] = "";
        if (t->has_mean)
            format_score(t->mean_score, mean, sizeof mean);
        buf_puts(b, "| ");
        md_cell(b, t->task);
        buf_puts(b, " | ");
        if (t->metric) {
            md_cell(b, t->metric);
            if (t->lower_is_better >= 0)
                buf_printf(b, " (%s)", direction_name(t->lower_is_better));
        }
        buf_printf(b, " | %zu | %zu | %zu | %s |\n", t->runs, t->valid, t->medals, mean);
    }
    char took[32];
    format_duration(s->wall_s, took, sizeof took);
    buf_printf(b, "\nTotal: %s of agent time, %lld input + %lld output tokens, $%.4f.\n", took, s->input_tokens,
               s->output_tokens, s->cost_usd);
}

char *bench_markdown(const struct bench_row *rows, size_t nrows, const struct bench_summary *s,
                     const char *settings_line)
{
    struct buf b = {0};
    buf_puts(&b, "# mlestar bench\n\n");
    if (settings_line && *settings_line) {
        md_cell(&b, settings_line);
        buf_puts(&b, "\n\n");
    }
    md_runs(&b, rows, nrows);
    md_aggregates(&b, s);
    md_tasks(&b, s);
    return buf_detach(&b);
}

/* ---- CSV ---------------------------------------------------------------- */

/* A field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(struct buf *b, const char *text)
{
    const char *t = text ? text : "";
    if (!strpbrk(t, ",\"\r\n")) {
        buf_puts(b, t);
        return;
    }
    buf_putc(b, '"');
    for (const char *p = t; *p; p++) {
        if (*p == '"')
            buf_putc(b, '"');
        buf_putc(b, *p);
    }
    buf_putc(b, '"');
}

static void csv_row(struct buf *b, const struct bench_row *r)
{
    char score[64] = "";
    if (r->has_score)
        format_score(r->score, score, sizeof score);
    csv_field(b, r->task);
    buf_printf(b, ",%ld,", r->seed);
    csv_field(b, r->status ? r->status : "pending");
    buf_printf(b, ",%s,%s,%s,", r->done ? "true" : "false", r->valid ? "true" : "false", score);
    csv_field(b, r->metric);
    buf_printf(b, ",%s,%s,%s,%.3f,%lld,%lld,%.6f,", direction_name(r->lower_is_better),
               r->done && r->valid && r->has_thresholds ? bench_medal_name(r->medal) : "",
               r->done && r->valid && r->has_thresholds ? (r->above_median ? "true" : "false") : "", r->wall_s,
               r->input_tokens, r->output_tokens, r->cost_usd);
    csv_field(b, r->valid ? NULL : r->invalid_reason);
    buf_putc(b, ',');
    csv_field(b, r->run_dir);
    buf_putc(b, '\n');
}

char *bench_csv(const struct bench_row *rows, size_t nrows)
{
    struct buf b = {0};
    buf_puts(&b, "task,seed,status,done,valid,score,metric,direction,medal,above_median,wall_s,"
                 "input_tokens,output_tokens,cost_usd,invalid_reason,run_dir\n");
    for (size_t i = 0; i < nrows; i++)
        csv_row(&b, &rows[i]);
    return buf_detach(&b);
}

/* ---- JSON --------------------------------------------------------------- */

static json_t *proportion_json(const struct bench_proportion *p)
{
    return json_pack("{s:I,s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)p->k, "n", (json_int_t)p->n, "p", p->p,
                     "se", p->se, "pct", 100 * p->p, "se_pct", 100 * p->se);
}

static json_t *tasks_json(const struct bench_summary *s)
{
    json_t *list = json_array();
    for (size_t i = 0; i < s->ntasks; i++) {
        const struct bench_task_summary *t = &s->tasks[i];
        json_t *o = json_pack("{s:s,s:I,s:I,s:I}", "task", t->task, "runs", (json_int_t)t->runs, "valid",
                              (json_int_t)t->valid, "medals", (json_int_t)t->medals);
        json_object_set_new(o, "metric", t->metric ? json_string(t->metric) : json_null());
        json_object_set_new(o, "direction",
                            t->lower_is_better < 0 ? json_null() : json_string(direction_name(t->lower_is_better)));
        json_object_set_new(o, "mean_score", t->has_mean ? json_real(t->mean_score) : json_null());
        json_array_append_new(list, o);
    }
    return list;
}

json_t *bench_results_json(const struct bench_row *rows, size_t nrows, const struct bench_summary *s,
                           json_t *settings)
{
    json_t *runs = json_array();
    for (size_t i = 0; i < nrows; i++)
        json_array_append_new(runs, bench_row_json(&rows[i]));
    json_t *agg = json_pack("{s:I,s:I,s:s}", "runs", (json_int_t)s->runs, "graded", (json_int_t)s->done,
                            "standard_error", "sqrt(p*(1-p)/n) over the n graded task-seed runs");
    json_object_set_new(agg, "any_medal", proportion_json(&s->any_medal));
    json_object_set_new(agg, "gold_medal", proportion_json(&s->gold));
    json_object_set_new(agg, "above_median", proportion_json(&s->above_median));
    json_object_set_new(agg, "valid_submission", proportion_json(&s->valid));
    json_object_set_new(agg, "totals",
                        json_pack("{s:f,s:I,s:I,s:f}", "wall_s", s->wall_s, "input_tokens",
                                  (json_int_t)s->input_tokens, "output_tokens", (json_int_t)s->output_tokens,
                                  "cost_usd", s->cost_usd));
    json_t *o = json_object();
    json_object_set(o, "settings", settings ? settings : json_null());
    json_object_set_new(o, "runs", runs);
    json_object_set_new(o, "aggregates", agg);
    json_object_set_new(o, "tasks", tasks_json(s));
    return o;
}

/* ---- files -------------------------------------------------------------- */

static int write_text(const char *dir, const char *name, const char *text, struct err *err)
{
    char *path = fs_join(dir, name);
    int rc = fs_write_atomic(path, text, strlen(text), err);
    free(path);
    return rc;
}

int bench_write_results(const char *dir, const struct bench_row *rows, size_t nrows, json_t *settings,
                        const char *settings_line, char **markdown_out, struct err *err)
{
    struct bench_summary s;
    bench_summarize(rows, nrows, &s);
    char *md = bench_markdown(rows, nrows, &s, settings_line);
    char *csv = bench_csv(rows, nrows);
    json_t *results = bench_results_json(rows, nrows, &s, settings);
    char *json = json_dumps(results, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    struct buf jb = {0};
    buf_puts(&jb, json ? json : "{}");
    buf_putc(&jb, '\n');
    int rc = write_text(dir, "results.md", md, err);
    if (rc == 0)
        rc = write_text(dir, "results.csv", csv, err);
    if (rc == 0)
        rc = write_text(dir, "results.json", buf_str(&jb), err);
    buf_free(&jb);
    free(json);
    json_decref(results);
    free(csv);
    bench_summary_free(&s);
    if (rc == 0 && markdown_out)
        *markdown_out = md;
    else
        free(md);
    return rc;
}
