/* facts.c - the task facts every generated script needs, as one JSON object.
 *
 * Prompts show them to the LLM ("the id column is PassengerId, predict
 * Transported as True/False ..."), and the builtin planner renders them
 * into the CONFIG literal of its scripts. They come from the task intake
 * (columns, submission format) and the profile (problem kind, feature kinds,
 * extra files); the metric and direction come from the agent. A training
 * table mlestar built from file names (task.h, labels from names) lists no
 * feature column, and its note travels as labels_note. */
#include "agent/facts.h"

#include <string.h>

#include "util/jsonutil.h"

static json_t *string_list(char **items, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(items[i]));
    return list;
}

static bool in_list(char **items, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(items[i], name))
            return true;
    return false;
}

static json_t *find_file(json_t *profile, const char *role)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(profile, "files"), i, f)
        if (!strcmp(json_str(f, "role", ""), role))
            return f;
    return NULL;
}

/* Train feature columns by kind; targets and id columns excluded. */
static json_t *columns_by_kind(const struct task *t, json_t *train)
{
    const char *kinds[] = {"integer", "float", "boolean", "categorical", "text", "datetime", "id"};
    const char *groups[] = {"numeric", "numeric", "boolean", "categorical", "text", "datetime", "id"};
    json_t *out = json_object();
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        if (!json_object_get(out, groups[g]))
            json_object_set_new(out, groups[g], json_array());
    size_t i;
    json_t *col;
    json_array_foreach(json_object_get(train, "columns"), i, col) {
        const char *name = json_string_value(json_object_get(col, "name"));
        const char *kind = json_string_value(json_object_get(col, "kind"));
        if (!name || !kind || in_list(t->train_targets, t->n_train_targets, name))
            continue;
        const char *group = "categorical";
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
            if (!strcmp(kind, kinds[k]))
                group = groups[k];
        if (in_list(t->id_columns, t->n_id_columns, name) && strcmp(group, "text") != 0)
            group = "id";
        json_array_append_new(json_object_get(out, group), json_string(name));
    }
    return out;
}

/* Data the intake did not assign a role: per-sample folders, extra tables. */
static json_t *extra_files(json_t *profile)
{
    json_t *out = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(profile, "groups"), i, g)
        json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "pattern", json_object_get(g, "pattern"), "kind",
                                             json_object_get(g, "kind"), "count", json_object_get(g, "count")));
    json_t *f;
    json_array_foreach(json_object_get(profile, "files"), i, f) {
        if (strcmp(json_str(f, "role", ""), "data") != 0)
            continue;
        json_array_append_new(out, json_pack("{s:O,s:O,s:i}", "pattern", json_object_get(f, "path"), "kind",
                                             json_object_get(f, "kind"), "count", 1));
    }
    return out;
}

/* The test table; without one (image or audio tasks: the test inputs are
 * files), the sample submission lists the test ids, so scripts read it as
 * the test table and find each id's file. */
static void set_test_file(json_t *facts, const struct task *t)
{
    if (t->test) {
        json_object_set_new(facts, "test_file", json_string(t->test->rel_path));
    } else if (t->sample_submission) {
        json_object_set_new(facts, "test_file", json_string(t->sample_submission->rel_path));
        json_object_set_new(facts, "test_ids_from", json_string("sample_submission"));
    } else {
        json_object_set_new(facts, "test_file", json_null());
    }
}

json_t *facts_build(const struct task *t, json_t *profile, const char *metric, bool lower_is_better)
{
    json_t *train = find_file(profile, "train");
    json_t *facts = json_object();
    json_object_set_new(facts, "data_dir", json_string("./input"));
    json_object_set_new(facts, "train_file", t->train ? json_string(t->train->rel_path) : json_null());
    set_test_file(facts, t);
    json_object_set_new(facts, "sample_submission_file",
                        t->sample_submission ? json_string(t->sample_submission->rel_path) : json_null());
    json_object_set_new(facts, "id_columns", string_list(t->id_columns, t->n_id_columns));
    json_object_set_new(facts, "target_columns", string_list(t->target_columns, t->n_target_columns));
    json_object_set_new(facts, "train_targets", string_list(t->train_targets, t->n_train_targets));
    json_object_set_new(facts, "submission_format",
                        json_string(t->sub_format == TASK_SUB_CLASS_PROBS ? "class_probs" : "values"));
    json_object_set_new(facts, "class_values",
                        t->class_values ? string_list(t->class_values, t->n_target_columns) : json_null());
    json_t *problem = json_object_get(profile, "problem");
    json_object_set_new(facts, "problem", problem ? json_copy(problem) : json_string("unknown"));
    json_object_set_new(facts, "metric", json_string(metric ? metric : "unknown"));
    json_object_set_new(facts, "lower_is_better", json_boolean(lower_is_better));
    /* a train table built from file names has no feature column: its id and
     * path columns carry the label itself (folder or name prefix) */
    bool synthesized = t->train && t->train->synthesized;
    json_object_set_new(facts, "columns", train && !synthesized ? columns_by_kind(t, train) : json_object());
    if (t->labels_note)
        json_object_set_new(facts, "labels_note", json_string(t->labels_note));
    if (synthesized)
        json_object_set_new(facts, "train_labels_from",
                            json_string(t->labels_from == TASK_LABELS_FOLDERS ? "folders" : "names"));
    json_object_set_new(facts, "extra_files", extra_files(profile));
    json_object_set_new(facts, "train_rows", json_copy(train ? json_object_get(train, "rows") : json_integer(0)));
    return facts;
}
