/* bench.c - benchmark rows and their aggregates; see bench.h.
 *
 * A row is kept on disk as the JSON of bench_row_json (result.json), so
 * bench_row_from_json must read back everything bench_row_json writes; the
 * unit test round-trips it. The aggregates are plain counts over the rows
 * that are done; the tables that show them live in bench_table.c. */
#include "grade/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonutil.h"
#include "util/mem.h"

const char *bench_medal_name(enum bench_medal m)
{
    switch (m) {
    case BENCH_MEDAL_GOLD:
        return "gold";
    case BENCH_MEDAL_SILVER:
        return "silver";
    case BENCH_MEDAL_BRONZE:
        return "bronze";
    default:
        return "none";
    }
}

static enum bench_medal medal_from_name(const char *name)
{
    if (!strcmp(name, "gold"))
        return BENCH_MEDAL_GOLD;
    if (!strcmp(name, "silver"))
        return BENCH_MEDAL_SILVER;
    if (!strcmp(name, "bronze"))
        return BENCH_MEDAL_BRONZE;
    return BENCH_MEDAL_NONE;
}

void bench_row_set_str(char **field, const char *value)
{
    char *copy = value ? xstrdup(value) : NULL;
    free(*field);
    *field = copy;
}

void bench_row_set_grade(struct bench_row *row, const struct grade_result *g)
{
    row->done = true;
    row->valid = g->valid;
    bench_row_set_str(&row->invalid_reason, g->valid ? NULL : (g->invalid_reason ? g->invalid_reason : "invalid"));
    row->has_score = g->valid;
    row->score = g->valid ? g->score : 0;
    bench_row_set_str(&row->metric, g->metric);
    row->lower_is_better = g->lower_is_better ? 1 : 0;
    row->has_thresholds = g->has_thresholds;
    row->medal = !g->valid ? BENCH_MEDAL_NONE
                 : g->gold_medal ? BENCH_MEDAL_GOLD
                 : g->silver_medal ? BENCH_MEDAL_SILVER
                 : g->bronze_medal ? BENCH_MEDAL_BRONZE
                 : BENCH_MEDAL_NONE;
    row->above_median = g->valid && g->above_median;
}

void bench_row_set_invalid(struct bench_row *row, const char *reason)
{
    row->done = true;
    row->valid = false;
    row->has_score = false;
    row->score = 0;
    row->medal = BENCH_MEDAL_NONE;
    row->above_median = false;
    bench_row_set_str(&row->invalid_reason, reason ? reason : "invalid");
}

void bench_row_free(struct bench_row *row)
{
    if (!row)
        return;
    free(row->task);
    free(row->status);
    free(row->invalid_reason);
    free(row->metric);
    free(row->run_dir);
    memset(row, 0, sizeof *row);
}

/* ---- aggregates ----------------------------------------------------------- */

struct bench_proportion bench_proportion_of(size_t k, size_t n)
{
    struct bench_proportion pr = {k, n, 0, 0};
    if (n > 0) {
        pr.p = (double)k / (double)n;
        pr.se = sqrt(pr.p * (1 - pr.p) / (double)n);
    }
    return pr;
}

static struct bench_task_summary *task_summary_for(struct bench_summary *s, const struct bench_row *r)
{
    for (size_t i = 0; i < s->ntasks; i++)
        if (!strcmp(s->tasks[i].task, r->task))
            return &s->tasks[i];
    s->tasks = xrealloc(s->tasks, (s->ntasks + 1) * sizeof *s->tasks);
    struct bench_task_summary *t = &s->tasks[s->ntasks++];
    memset(t, 0, sizeof *t);
    t->task = xstrdup(r->task);
    t->lower_is_better = -1;
    return t;
}

/* Adds one done row to its task's summary; sum collects the valid scores. */
static void add_to_task(struct bench_task_summary *t, const struct bench_row *r, double *sum)
{
    t->runs++;
    if (!t->metric && r->metric) {
        t->metric = xstrdup(r->metric);
        t->lower_is_better = r->lower_is_better;
    }
    if (r->medal != BENCH_MEDAL_NONE)
        t->medals++;
    if (r->valid) {
        t->valid++;
        if (r->has_score) {
            *sum += r->score;
            t->has_mean = true;
        }
    }
}

void bench_summarize(const struct bench_row *rows, size_t nrows, struct bench_summary *out)
{
    memset(out, 0, sizeof *out);
    out->runs = nrows;
    size_t medal = 0, gold = 0, above = 0, valid = 0;
    double *sums = NULL;
    size_t *scored = NULL;
    for (size_t i = 0; i < nrows; i++) {
        const struct bench_row *r = &rows[i];
        size_t before = out->ntasks;
        struct bench_task_summary *t = task_summary_for(out, r);
        if (out->ntasks != before) {
            sums = xrealloc(sums, out->ntasks * sizeof *sums);
            scored = xrealloc(scored, out->ntasks * sizeof *scored);
            sums[out->ntasks - 1] = 0;
            scored[out->ntasks - 1] = 0;
        }
        if (!r->done)
            continue;
        size_t ti = (size_t)(t - out->tasks);
        add_to_task(t, r, &sums[ti]);
        scored[ti] += r->valid && r->has_score;
        out->done++;
        medal += r->medal != BENCH_MEDAL_NONE;
        gold += r->medal == BENCH_MEDAL_GOLD;
        above += r->above_median;
        valid += r->valid;
        out->wall_s += r->wall_s;
        out->input_tokens += r->input_tokens;
        out->output_tokens += r->output_tokens;
        out->cost_usd += r->cost_usd;
    }
    for (size_t i = 0; i < out->ntasks; i++)
        if (scored[i] > 0)
            out->tasks[i].mean_score = sums[i] / (double)scored[i];
    free(sums);
    free(scored);
    out->any_medal = bench_proportion_of(medal, out->done);
    out->gold = bench_proportion_of(gold, out->done);
    out->above_median = bench_proportion_of(above, out->done);
    out->valid = bench_proportion_of(valid, out->done);
}

void bench_summary_free(struct bench_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntasks; i++) {
        free(s->tasks[i].task);
        free(s->tasks[i].metric);
    }
    free(s->tasks);
    memset(s, 0, sizeof *s);
}

/* ---- one row as JSON ---------------------------------------------------- */

static json_t *direction_json(int lower_is_better)
{
    if (lower_is_better < 0)
        return json_null();
    return json_string(lower_is_better ? "lower" : "higher");
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *bench_row_json(const struct bench_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "task", json_string(r->task ? r->task : ""));
    json_object_set_new(o, "seed", json_integer(r->seed));
    json_object_set_new(o, "status", json_string(r->status ? r->status : "pending"));
    json_object_set_new(o, "done", json_boolean(r->done));
    json_object_set_new(o, "valid", json_boolean(r->valid));
    json_object_set_new(o, "invalid_reason", str_or_null(r->valid ? NULL : r->invalid_reason));
    json_object_set_new(o, "score", r->has_score ? json_real(r->score) : json_null());
    json_object_set_new(o, "metric", str_or_null(r->metric));
    json_object_set_new(o, "direction", direction_json(r->lower_is_better));
    json_object_set_new(o, "has_thresholds", json_boolean(r->has_thresholds));
    json_object_set_new(o, "medal", json_string(bench_medal_name(r->medal)));
    json_object_set_new(o, "any_medal", json_boolean(r->medal != BENCH_MEDAL_NONE));
    json_object_set_new(o, "above_median", json_boolean(r->above_median));
    json_object_set_new(o, "wall_s", json_real(r->wall_s));
    json_object_set_new(o, "input_tokens", json_integer(r->input_tokens));
    json_object_set_new(o, "output_tokens", json_integer(r->output_tokens));
    json_object_set_new(o, "cost_usd", json_real(r->cost_usd));
    json_object_set_new(o, "agent_exit", json_integer(r->agent_exit));
    json_object_set_new(o, "run_dir", str_or_null(r->run_dir));
    return o;
}

/* Checks that obj[key] is absent, null or of the JSON type `want`. */
static int check_type(const json_t *obj, const char *key, json_type want, struct err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v) || json_typeof(v) == want)
        return 0;
    if (want == JSON_REAL && json_is_integer(v))
        return 0;
    if ((want == JSON_TRUE) && json_is_boolean(v))
        return 0;
    return err_set(err, "result field \"%s\" has the wrong type", key);
}

static int check_row_types(const json_t *obj, struct err *err)
{
    static const struct {
        const char *key;
        json_type type;
    } fields[] = {
        {"task", JSON_STRING},   {"seed", JSON_INTEGER},         {"status", JSON_STRING},
        {"done", JSON_TRUE},     {"valid", JSON_TRUE},           {"invalid_reason", JSON_STRING},
        {"score", JSON_REAL},    {"metric", JSON_STRING},        {"direction", JSON_STRING},
        {"medal", JSON_STRING},  {"has_thresholds", JSON_TRUE},  {"above_median", JSON_TRUE},
        {"wall_s", JSON_REAL},   {"input_tokens", JSON_INTEGER}, {"output_tokens", JSON_INTEGER},
        {"cost_usd", JSON_REAL}, {"agent_exit", JSON_INTEGER},   {"run_dir", JSON_STRING},
    };
    if (!json_is_object(obj))
        return err_set(err, "a result is not a JSON object");
    if (!json_is_string(json_object_get(obj, "task")) || !json_is_integer(json_object_get(obj, "seed")))
        return err_set(err, "a result needs \"task\" (a string) and \"seed\" (an integer)");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (check_type(obj, fields[i].key, fields[i].type, err) < 0)
            return -1;
    return 0;
}

static char *dup_or_null(const json_t *obj, const char *key)
{
    const char *s = json_str(obj, key, NULL);
    return s ? xstrdup(s) : NULL;
}

int bench_row_from_json(const json_t *obj, struct bench_row *out, struct err *err)
{
    if (check_row_types(obj, err) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    out->task = xstrdup(json_str(obj, "task", ""));
    out->seed = (long)json_int(obj, "seed", 0);
    out->status = xstrdup(json_str(obj, "status", "pending"));
    out->done = json_bool(obj, "done", false);
    out->valid = json_bool(obj, "valid", false);
    out->invalid_reason = out->valid ? NULL : dup_or_null(obj, "invalid_reason");
    json_t *score = json_object_get(obj, "score");
    out->has_score = json_is_number(score);
    out->score = out->has_score ? json_number_value(score) : 0;
    out->metric = dup_or_null(obj, "metric");
    const char *direction = json_str(obj, "direction", NULL);
    out->lower_is_better = !direction ? -1 : !strcmp(direction, "lower") ? 1 : 0;
    out->has_thresholds = json_bool(obj, "has_thresholds", false);
    out->medal = medal_from_name(json_str(obj, "medal", "none"));
    out->above_median = json_bool(obj, "above_median", false);
    out->wall_s = json_num(obj, "wall_s", 0);
    out->input_tokens = json_int(obj, "input_tokens", 0);
    out->output_tokens = json_int(obj, "output_tokens", 0);
    out->cost_usd = json_num(obj, "cost_usd", 0);
    out->agent_exit = (int)json_int(obj, "agent_exit", -1);
    out->run_dir = dup_or_null(obj, "run_dir");
    return 0;
}
