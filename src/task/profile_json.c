/* profile_json.c - the profile as JSON (key names are a contract: the
 * pipeline and the offline planner read them; see profile.h).
 *
 * Numbers that JSON cannot hold (NaN, infinities) become null. Columns show
 * up to PROFILE_JSON_TOP top values, the target up to PROFILE_TOP_MAX
 * classes. */
#include "task/profile.h"

#include <math.h>
#include <string.h>

#include "task/csv.h"
#include "util/buf.h"

#define PROFILE_JSON_TOP 10

/* A JSON string; bytes that are not valid UTF-8 become '?'. */
static json_t *str(const char *s)
{
    size_t n = strlen(s);
    if (csv_utf8_valid(s, n))
        return json_stringn(s, n);
    struct buf b = {0};
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + len <= n && csv_utf8_valid(s + i, len)) {
            buf_append(&b, s + i, len);
            i += len;
        } else {
            buf_putc(&b, '?');
            i++;
        }
    }
    json_t *j = json_stringn(buf_str(&b), b.len);
    buf_free(&b);
    return j;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, str(v[i]));
    return a;
}

static json_t *values(const struct profile_value *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:o, s:I}", "value", str(v[i].value), "count", (json_int_t)v[i].count));
    return a;
}

static json_t *column_json(const struct profile_column *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", str(c->name));
    json_object_set_new(o, "kind", json_string(profile_kind_name(c->kind)));
    json_object_set_new(o, "missing", num(c->missing));
    json_object_set_new(o, "missing_count", json_integer(c->missing_count));
    json_object_set_new(o, "distinct", json_integer(c->distinct));
    json_object_set_new(o, "distinct_exact", json_boolean(c->distinct_exact));
    if (c->has_numbers) {
        json_object_set_new(o, "min", num(c->min));
        json_object_set_new(o, "max", num(c->max));
        json_object_set_new(o, "mean", num(c->mean));
        json_object_set_new(o, "std", num(c->std));
    }
    if (c->kind == PROFILE_CATEGORICAL || c->kind == PROFILE_BOOLEAN)
        json_object_set_new(o, "top", values(c->top, c->ntop < PROFILE_JSON_TOP ? c->ntop : PROFILE_JSON_TOP));
    if ((c->kind == PROFILE_TEXT || c->kind == PROFILE_ID) && c->present > 0)
        json_object_set_new(o, "length", json_pack("{s:I, s:I, s:f}", "min", (json_int_t)c->len_min, "max",
                                                   (json_int_t)c->len_max, "mean", c->len_mean));
    json_object_set_new(o, "examples", strv(c->examples, c->nexamples));
    return o;
}

json_t *profile_file_to_json(const struct profile_file *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", str(f->path ? f->path : ""));
    json_object_set_new(o, "role", json_string(task_role_name(f->role)));
    json_object_set_new(o, "kind", json_string(task_kind_name(f->kind)));
    if (f->archive)
        json_object_set_new(o, "archive", str(f->archive));
    if (f->synthesized)
        json_object_set_new(o, "synthesized", json_true());
    json_object_set_new(o, "bytes", json_integer(f->bytes));
    json_object_set_new(o, "rows", json_integer(f->rows));
    json_t *cols = json_array();
    for (size_t i = 0; i < f->ncolumns; i++)
        json_array_append_new(cols, column_json(&f->columns[i]));
    json_object_set_new(o, "columns", cols);
    json_t *issues = json_array();
    for (size_t i = 0; i < f->nissues; i++)
        json_array_append_new(issues, json_pack("{s:I, s:o}", "line", (json_int_t)f->issues[i].line, "problem",
                                                str(f->issues[i].problem)));
    json_object_set_new(o, "issues", issues);
    json_object_set_new(o, "issues_total", json_integer(f->issues_total));
    return o;
}

static json_t *target_json(const struct profile_target *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "column", str(t->column));
    json_object_set_new(o, "kind", json_string(profile_kind_name(t->kind)));
    if (t->classification) {
        json_object_set_new(o, "classes", values(t->classes, t->nclasses));
        json_object_set_new(o, "n_classes", json_integer(t->nclasses_total));
    } else {
        json_object_set_new(o, "mean", num(t->mean));
        json_object_set_new(o, "std", num(t->std));
        json_object_set_new(o, "min", num(t->min));
        json_object_set_new(o, "max", num(t->max));
    }
    return o;
}

json_t *profile_to_json(const struct profile *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "task", str(p->task));
    json_object_set_new(o, "id_columns", strv(p->id_columns, p->n_id_columns));
    json_object_set_new(o, "target_columns", strv(p->target_columns, p->n_target_columns));
    json_object_set_new(o, "train_targets", strv(p->train_targets, p->n_train_targets));
    json_object_set_new(o, "submission_format", json_string(profile_sub_format_name(p->sub_format)));
    json_object_set_new(o, "problem", json_string(profile_problem_name(p->problem)));
    json_object_set_new(o, "metric", p->metric ? str(p->metric) : json_null());
    json_object_set_new(o, "lower_is_better",
                        p->lower_is_better < 0 ? json_null() : json_boolean(p->lower_is_better));
    json_t *files = json_array();
    for (size_t i = 0; i < p->nfiles; i++)
        json_array_append_new(files, profile_file_to_json(p->files[i]));
    json_object_set_new(o, "files", files);
    json_t *groups = json_array();
    for (size_t i = 0; i < p->ngroups; i++) {
        const struct profile_group *g = &p->groups[i];
        json_t *gj = json_pack("{s:o, s:s, s:I, s:I}", "pattern", str(g->pattern), "kind", task_kind_name(g->kind),
                               "count", (json_int_t)g->count, "bytes", (json_int_t)g->bytes);
        if (g->archive)
            json_object_set_new(gj, "archive", str(g->archive));
        if (g->has_media)
            json_object_set_new(gj, "media", profile_media_to_json(&g->media, g->kind));
        json_array_append_new(groups, gj);
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "target", p->ntargets ? target_json(&p->targets[0]) : json_null());
    json_t *targets = json_array();
    for (size_t i = 0; i < p->ntargets; i++)
        json_array_append_new(targets, target_json(&p->targets[i]));
    json_object_set_new(o, "targets", targets);
    if (p->labels_note) {
        static const char *const from[] = {"none", "folders", "names"};
        json_object_set_new(o, "labels", json_pack("{s:s, s:o}", "from", from[p->labels_from], "note",
                                                   str(p->labels_note)));
    }
    return o;
}
