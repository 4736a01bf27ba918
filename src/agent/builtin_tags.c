/* builtin_tags.c - the profile tags the kit's catalog speaks of
 * (templates/builtin/README.md, section 2), computed from the task facts,
 * the profile and the importable packages. They decide which snippets,
 * models and moves apply: the planner works from these tags alone, never
 * from a task's name or its column names. */
#include "agent/builtin.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "util/jsonutil.h"

static bool has_kind(json_t *facts, const char *kind)
{
    return json_array_size(json_object_get(json_object_get(facts, "columns"), kind)) > 0;
}

static json_t *train_columns(json_t *profile)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(profile, "files"), i, f)
        if (!strcmp(json_str(f, "role", ""), "train"))
            return json_object_get(f, "columns");
    return NULL;
}

static bool is_feature(json_t *facts, const char *name)
{
    return !json_list_has(json_object_get(facts, "train_targets"), name);
}

/* Values sharing one separator with a constant number of parts ("B/12/P"). */
static bool structured_values(json_t *values)
{
    static const char seps[] = "/_-:|";
    for (const char *sep = seps; *sep; sep++) {
        long parts = -1;
        size_t n = 0;
        bool ok = true;
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v) {
            const char *s = json_is_string(v) ? json_string_value(v) : json_str(v, "value", NULL);
            if (!s)
                continue;
            long count = 1;
            for (const char *p = s; *p; p++)
                count += *p == *sep;
            if (count < 2 || (parts >= 0 && count != parts))
                ok = false;
            parts = count;
            n++;
        }
        if (ok && n >= 2)
            return true;
    }
    return false;
}

static void column_tags(json_t *facts, json_t *cols, json_t *tags)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
        const char *name = json_str(c, "name", "");
        const char *kind = json_str(c, "kind", "");
        if (!is_feature(facts, name))
            continue;
        if (json_num(c, "missing", 0) > 0)
            json_object_set_new(tags, "missing", json_true());
        if (!strcmp(kind, "categorical") && json_num(c, "distinct", 0) > 50)
            json_object_set_new(tags, "high_cardinality", json_true());
        bool numeric = !strcmp(kind, "integer") || !strcmp(kind, "float");
        double mean = json_num(c, "mean", 0), sd = json_num(c, "std", 0), mn = json_num(c, "min", -1);
        double mx = json_num(c, "max", 0);
        /* no skewness in the profile: a non-negative column whose max lies
         * many deviations above a mean smaller than its deviation is skewed */
        if (numeric && mn >= 0 && sd > 0 && sd > mean && (mx - mean) / sd > 4)
            json_object_set_new(tags, "skewed_numeric", json_true());
        if ((!strcmp(kind, "categorical") || !strcmp(kind, "id")) &&
            (structured_values(json_object_get(c, "examples")) || structured_values(json_object_get(c, "top"))))
            json_object_set_new(tags, "structured_string", json_true());
    }
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Tags of the data layout (README section 2): json_records (train or test
 * given as JSON records), image_files (an image group among the extra
 * files), pil (PIL importable), and, when the training table has no usable
 * feature column: images / audio (what the inputs are) and no_features
 * (nothing readable: no image and no text extra files). */
static void layout_tags(json_t *ctx, json_t *facts, json_t *tags)
{
    static const char *const feature_kinds[] = {"numeric", "categorical", "boolean", "text", "datetime"};
    bool features = false;
    for (size_t i = 0; i < sizeof feature_kinds / sizeof *feature_kinds; i++)
        features = features || has_kind(facts, feature_kinds[i]);
    bool images = false, audio = false, text_files = false;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(facts, "extra_files"), i, g) {
        const char *kind = json_str(g, "kind", "");
        images = images || !strcmp(kind, "image");
        audio = audio || !strcmp(kind, "audio");
        text_files = text_files || !strcmp(kind, "text");
    }
    const char *files[] = {json_str(facts, "train_file", ""), json_str(facts, "test_file", "")};
    for (size_t k = 0; k < 2; k++)
        if (files[k] && (ends_with_ci(files[k], ".json") || ends_with_ci(files[k], ".jsonl") ||
                         ends_with_ci(files[k], ".ndjson")))
            json_object_set_new(tags, "json_records", json_true());
    if (json_object_get(json_object_get(ctx, "packages"), "PIL"))
        json_object_set_new(tags, "pil", json_true());
    if (images)
        json_object_set_new(tags, "image_files", json_true());
    if (features)
        return;
    if (images)
        json_object_set_new(tags, "images", json_true());
    else if (audio)
        json_object_set_new(tags, "audio", json_true());
    if (!images && !text_files)
        json_object_set_new(tags, "no_features", json_true());
}

json_t *builtin_tags(json_t *ctx)
{
    json_t *facts = json_object_get(ctx, "facts");
    json_t *profile = json_object_get(ctx, "profile");
    json_t *tags = json_object();
    const char *kinds[] = {"numeric", "categorical", "boolean", "text", "datetime"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (has_kind(facts, kinds[i]))
            json_object_set_new(tags, kinds[i], json_true());
    column_tags(facts, train_columns(profile), tags);
    if (json_array_size(json_object_get(facts, "extra_files")) > 0)
        json_object_set_new(tags, "extra_files", json_true());
    if (json_int(facts, "train_rows", 0) <= 5000)
        json_object_set_new(tags, "small_data", json_true());
    json_t *target = json_object_get(profile, "target");
    if (!strcmp(json_str(facts, "problem", ""), "multiclass") && json_int(target, "classes_total", 0) > 10)
        json_object_set_new(tags, "many_classes", json_true());
    if (json_object_get(json_object_get(ctx, "packages"), "torch"))
        json_object_set_new(tags, "torch", json_true());
    layout_tags(ctx, facts, tags);
    return tags;
}

bool builtin_tags_allow(json_t *tags, json_t *entry, const char *problem, const char *metric)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(entry, "requires"), i, t)
        if (!json_object_get(tags, json_string_value(t)))
            return false;
    json_array_foreach(json_object_get(entry, "avoid"), i, t)
        if (json_object_get(tags, json_string_value(t)))
            return false;
    json_t *problems = json_object_get(entry, "problems");
    if (problem && json_array_size(problems) && !json_list_has(problems, problem) && !json_list_has(problems, "*"))
        return false;
    json_t *metrics = json_object_get(entry, "metrics");
    if (metric && json_array_size(metrics) && !json_list_has(metrics, metric) && !json_list_has(metrics, "*"))
        return false;
    return true;
}
