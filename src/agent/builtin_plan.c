/* builtin_plan.c - the decisions of the offline planner, one function per
 * pipeline stage. Every answer is built from the request's context and the
 * kit's catalog alone (deterministic), and has the form a model's answer
 * would have, so the pipeline treats it the same way.
 *
 *  retrieve      catalog models that fit the task's tags, ranked by prior
 *                strength plus the catalog search rank; lane l starts l
 *                places down the ranking so lanes differ
 *  candidate     the default blocks + the model + the always-useful
 *                feature steps the tags call for
 *  merge         the base solution with the other's model snippets added
 *  usage         adds the extra-files feature step when files go unused
 *  ablation      the solution with each refinable block set to its
 *                baseline, all variants on 3 folds
 *  summarize     each block's contribution from the ablation output, and a
 *                ranking line the extraction reads back
 *  extract       the highest-ranked block not refined before that still has
 *                a move, with its first move as the plan
 *  plan          the next untried applicable move on the block (plans
 *                carry a "[move:block/name]" tag; moves already tried are
 *                in the block's compose record and in the plan history)
 *  implement     the move applied to the block's composition, re-rendered
 *  ensemble_plan the next untried combination ("[ensemble:name]")
 *  ensemble      the combination runner over the lanes' solutions
 *  debug         drop the feature step or model the traceback points at;
 *                on timeouts, fewer folds and trees
 *  submission    CONFIG mode "submit", subsampling off
 *  leakage_check fold-safe by construction; textual rules for the rest
 *  metric        rules over the description's wording */
#include "agent/builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/builtin_kit.h"
#include "util/assets.h"
#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/mem.h"

#define ABLATION_FOLDS 3
static const char *const refinable[] = {"model", "features", "validation"};

/* ---- replies ---- */

static char *fenced(const char *lang, const char *body)
{
    size_t n = strlen(body);
    return xasprintf("```%s\n%s%s```\n", lang, body, n && body[n - 1] == '\n' ? "" : "\n");
}

static char *json_reply(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    char *out = fenced("json", s ? s : "[]");
    free(s);
    return out;
}

/* ---- context helpers ---- */

static const char *problem_of(json_t *ctx)
{
    return json_str(json_object_get(ctx, "facts"), "problem", "unknown");
}

static const char *metric_of(json_t *ctx)
{
    return json_str(json_object_get(ctx, "facts"), "metric", "");
}

static bool lower_better(json_t *ctx)
{
    return json_bool(json_object_get(ctx, "facts"), "lower_is_better", false);
}

/* CONFIG for a new script (README section 2). */
static json_t *script_config(json_t *ctx, const char *mode)
{
    json_t *cfg = json_deep_copy(json_object_get(ctx, "facts"));
    json_object_del(cfg, "train_rows");
    json_object_set_new(cfg, "mode", json_string(mode));
    json_object_set_new(cfg, "seed", json_integer(json_int(ctx, "seed", 0)));
    json_object_set_new(cfg, "subsample_rows",
                        json_integer(!strcmp(mode, "search") ? json_int(ctx, "subsample_rows", 30000) : 0));
    json_object_set_new(cfg, "n_folds", json_integer(5));
    double budget = json_num(ctx, "script_timeout_s", 3600) * 0.8;
    json_object_set_new(cfg, "time_budget_s", json_real(budget));
    json_object_set_new(cfg, "threads", json_integer(json_int(ctx, "threads", 1)));
    return cfg;
}

static json_t *snippet_use(const struct kit *k, const char *block, const char *name)
{
    return json_pack("{s:s,s:o}", "name", name, "params", kit_default_params(k, block, name));
}

static json_t *names_to_uses(const struct kit *k, const char *block, json_t *names)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
        json_array_append_new(out, snippet_use(k, block, json_string_value(n)));
    return out;
}

static bool uses_snippet(json_t *uses, const char *name)
{
    size_t i;
    json_t *u;
    json_array_foreach(uses, i, u)
        if (!strcmp(json_str(u, "name", ""), name))
            return true;
    return false;
}

static bool snippet_allowed(const struct kit *k, json_t *tags, json_t *ctx, const char *block, const char *name)
{
    json_t *entry = kit_snippet(k, block, name);
    return entry && builtin_tags_allow(tags, entry, problem_of(ctx), metric_of(ctx));
}

static char *render(const struct kit *k, json_t *config, json_t *comp, struct err *err)
{
    char *code = kit_render_script(k, config, comp, err);
    if (!code)
        return NULL;
    char *out = fenced("python", code);
    free(code);
    return out;
}

/* ---- retrieve ---- */

static char *card_body(const char *card_path)
{
    const struct asset *a = card_path ? assets_get(card_path) : NULL;
    if (!a)
        return xstrdup("");
    const char *p = strstr(a->data, "\n---");
    p = p ? strchr(p + 1, '\n') : NULL;
    return xstrdup(p ? p + 1 : a->data);
}

static double search_bonus(json_t *cards, const char *card_path)
{
    size_t n = json_array_size(cards), i;
    json_t *c;
    json_array_foreach(cards, i, c) {
        char *path = xasprintf("catalog/%s.md", json_str(c, "name", ""));
        bool same = card_path && !strcmp(path, card_path);
        free(path);
        if (same)
            return 0.2 * (1.0 - (double)i / (double)n);
    }
    return 0;
}

static const char *limit_message(const struct kit *k, json_t *tags)
{
    size_t i;
    json_t *lim;
    json_array_foreach(json_object_get(k->catalog, "limits"), i, lim) {
        bool all = json_array_size(json_object_get(lim, "when")) > 0;
        size_t j;
        json_t *t;
        json_array_foreach(json_object_get(lim, "when"), j, t)
            all = all && json_object_get(tags, json_string_value(t));
        json_array_foreach(json_object_get(lim, "unless"), j, t)
            all = all && !json_object_get(tags, json_string_value(t));
        if (all)
            return json_str(lim, "message", "this kind of task is beyond the builtin planner");
    }
    return NULL;
}

/* The budget a new script gets (script_config's time_budget_s). */
static double script_budget_s(json_t *ctx)
{
    return json_num(ctx, "script_timeout_s", 3600) * 0.8;
}

/* A model's prior strength: its "prior"; fast models carry a higher
 * "tight_prior" for scripts whose budget is under their "tight_budget_s";
 * "tag_priors" ({"image_files": 0.98}) raise it on tasks with that tag
 * (the highest applicable value wins). */
static double model_prior(json_t *ctx, json_t *tags, json_t *model)
{
    double prior = json_num(model, "prior", 0.5);
    double tight = json_num(model, "tight_budget_s", 0);
    if (tight > 0 && script_budget_s(ctx) < tight)
        prior = json_num(model, "tight_prior", prior);
    const char *tag;
    json_t *v;
    json_object_foreach(json_object_get(model, "tag_priors"), tag, v)
        if (json_object_get(tags, tag) && json_is_number(v) && json_number_value(v) > prior)
            prior = json_number_value(v);
    return prior;
}

struct ranked_model {
    json_t *entry;
    double score;
    size_t order;
};

static int by_score_desc(const void *x, const void *y)
{
    const struct ranked_model *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

static size_t rank_models(const struct kit *k, json_t *ctx, json_t *tags, struct ranked_model **out)
{
    json_t *models = json_object_get(k->catalog, "models");
    struct ranked_model *r = xcalloc(json_array_size(models) + 1, sizeof *r);
    size_t n = 0, i;
    json_t *m;
    json_array_foreach(models, i, m) {
        if (!builtin_tags_allow(tags, m, problem_of(ctx), metric_of(ctx)))
            continue;
        if (!snippet_allowed(k, tags, ctx, "model", json_str(m, "snippet", "")))
            continue;
        r[n].entry = m;
        r[n].score = model_prior(ctx, tags, m) + search_bonus(json_object_get(ctx, "cards"), json_str(m, "card", NULL));
        r[n].order = i;
        n++;
    }
    qsort(r, n, sizeof *r, by_score_desc);
    *out = r;
    return n;
}

/* Ranks for one lane: lanes deal the ranking between them like cards (lane
 * l of L takes ranks l, l+L, l+2L, ...) so that their solutions differ and
 * ensembling them pays; a lane short of m models fills up with the best
 * ranks it has not taken. Returns how many of `pick` were set. */
static size_t pick_for_lane(size_t n, size_t m, size_t lane, size_t lanes, size_t *pick)
{
    size_t k = 0;
    if (lanes == 0)
        lanes = 1;
    for (size_t i = lane % lanes; i < n && k < m; i += lanes)
        pick[k++] = i;
    for (size_t i = 0; i < n && k < m; i++) {
        bool taken = false;
        for (size_t j = 0; j < k; j++)
            taken = taken || pick[j] == i;
        if (!taken)
            pick[k++] = i;
    }
    return k;
}

static char *answer_retrieve(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    json_t *tags = builtin_tags(ctx);
    const char *limit = limit_message(k, tags);
    if (limit) {
        json_decref(tags);
        err_set(err, "unsupported task: %s", limit);
        return NULL;
    }
    struct ranked_model *r;
    size_t n = rank_models(k, ctx, tags, &r);
    json_decref(tags);
    long m = json_int(ctx, "m", 4);
    size_t *pick = xcalloc(n + 1, sizeof *pick);
    size_t npick = pick_for_lane(n, (size_t)m, (size_t)json_int(ctx, "lane", 0), (size_t)json_int(ctx, "lanes", 1), pick);
    json_t *list = json_array();
    for (size_t i = 0; i < npick; i++) {
        json_t *e = r[pick[i]].entry;
        char *body = card_body(json_str(e, "card", NULL));
        json_array_append_new(list, json_pack("{s:s,s:s}", "model_name", json_str(e, "snippet", ""),
                                              "example_code", body));
        free(body);
    }
    free(pick);
    free(r);
    if (!json_array_size(list)) {
        json_decref(list);
        err_set(err, "unsupported task: no model in the builtin catalog fits a %s problem with metric %s",
                problem_of(ctx), metric_of(ctx));
        return NULL;
    }
    char *out = json_reply(list);
    json_decref(list);
    return out;
}

/* ---- candidate, merge ---- */

static const char *model_snippet_for(const struct kit *k, const char *model_name)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(k->catalog, "models"), i, m) {
        const char *snip = json_str(m, "snippet", "");
        const char *card = json_str(m, "card", "");
        const char *base = strrchr(card, '/');
        base = base ? base + 1 : card;
        if (!strcmp(snip, model_name) || (!strncmp(base, model_name, strlen(model_name)) &&
                                          !strcmp(base + strlen(model_name), ".md")))
            return snip;
    }
    return NULL;
}

/* The data-layout load steps (catalog "auto_load": JSON records, image
 * features) whose tags hold, added beside the default loader. */
static void add_auto_load(const struct kit *k, json_t *ctx, json_t *tags, json_t *load)
{
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(k->catalog, "auto_load"), i, name) {
        const char *n = json_string_value(name);
        if (n && !uses_snippet(load, n) && snippet_allowed(k, tags, ctx, "load", n))
            json_array_append_new(load, snippet_use(k, "load", n));
    }
}

static json_t *fresh_composition(const struct kit *k, json_t *ctx, json_t *tags, const char *model)
{
    json_t *defaults = json_object_get(k->catalog, "defaults");
    json_t *comp = json_object();
    for (size_t i = 0; i < 5; i++) {
        const char *block = kit_blocks[i];
        if (!strcmp(block, "model"))
            json_object_set_new(comp, block, json_pack("[o]", snippet_use(k, "model", model)));
        else
            json_object_set_new(comp, block, names_to_uses(k, block, json_object_get(defaults, block)));
    }
    add_auto_load(k, ctx, tags, json_object_get(comp, "load"));
    json_t *features = json_object_get(comp, "features");
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(k->catalog, "auto_features"), i, name) {
        const char *n = json_string_value(name);
        if (n && !uses_snippet(features, n) && snippet_allowed(k, tags, ctx, "features", n))
            json_array_append_new(features, snippet_use(k, "features", n));
    }
    return comp;
}

static char *answer_candidate(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    json_t *tags = builtin_tags(ctx);
    const char *model = model_snippet_for(k, json_str(ctx, "model_name", ""));
    if (!model) {
        struct ranked_model *r;
        size_t n = rank_models(k, ctx, tags, &r);
        model = n ? json_str(r[0].entry, "snippet", "linear") : "linear";
        free(r);
    }
    json_t *comp = fresh_composition(k, ctx, tags, model);
    json_t *config = script_config(ctx, "search");
    char *out = render(k, config, comp, err);
    json_decref(comp);
    json_decref(config);
    json_decref(tags);
    return out;
}

static char *answer_merge(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    const char *base = json_str(ctx, "base_code", "");
    json_t *comp = kit_parse_composition(base);
    json_t *add = kit_parse_composition(json_str(ctx, "add_code", ""));
    json_t *config = kit_parse_config(base);
    char *out = NULL;
    if (!comp || !add || !config) {
        err_set(err, "the builtin planner merges only scripts it composed");
    } else {
        json_t *models = json_object_get(comp, "model");
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(add, "model"), i, u)
            if (!uses_snippet(models, json_str(u, "name", "")))
                json_array_append(models, u);
        out = render(k, config, comp, err);
    }
    json_decref(comp);
    json_decref(add);
    json_decref(config);
    return out;
}

/* ---- usage ---- */

static char *answer_usage(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    const char *code = json_str(ctx, "code", "");
    json_t *comp = kit_parse_composition(code);
    json_t *config = kit_parse_config(code);
    json_t *tags = builtin_tags(ctx);
    char *out = NULL;
    json_t *features = json_object_get(comp, "features");
    if (comp && config && json_array_size(json_object_get(ctx, "unused_files")) > 0 &&
        !uses_snippet(features, "extra_files") && snippet_allowed(k, tags, ctx, "features", "extra_files")) {
        json_array_append_new(features, snippet_use(k, "features", "extra_files"));
        out = render(k, config, comp, err);
    } else {
        out = xstrdup("All the provided information is used.");
    }
    json_decref(tags);
    json_decref(comp);
    json_decref(config);
    return out;
}

/* ---- ablation and summary ---- */

static bool same_names(json_t *uses, json_t *names)
{
    if (json_array_size(uses) != json_array_size(names))
        return false;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
        if (!uses_snippet(uses, json_string_value(n)))
            return false;
    return true;
}

static char *answer_ablation(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    const char *code = json_str(ctx, "code", "");
    json_t *comp = kit_parse_composition(code);
    json_t *config = kit_parse_config(code);
    if (!comp || !config) {
        json_decref(comp);
        json_decref(config);
        err_set(err, "the builtin planner studies only scripts it composed");
        return NULL;
    }
    json_object_set_new(config, "n_folds", json_integer(ABLATION_FOLDS));
    json_t *variants = json_object();
    char *full = kit_render_script(k, config, comp, err);
    if (full)
        json_object_set_new(variants, "full", json_string(full));
    free(full);
    json_t *baselines = json_object_get(k->catalog, "baselines");
    for (size_t i = 0; i < sizeof refinable / sizeof *refinable; i++) {
        json_t *base = json_object_get(baselines, refinable[i]);
        if (!base || same_names(json_object_get(comp, refinable[i]), base))
            continue;
        json_t *variant = json_deep_copy(comp);
        json_object_set_new(variant, refinable[i], names_to_uses(k, refinable[i], base));
        char *text = kit_render_script(k, config, variant, err);
        char *name = xasprintf("%s:baseline", refinable[i]);
        if (text)
            json_object_set_new(variants, name, json_string(text));
        free(name);
        free(text);
        json_decref(variant);
    }
    char *runner = kit_render_runner(k, json_str(k->catalog, "ablation", "ablation.py"), "VARIANTS", variants, err);
    json_decref(variants);
    json_decref(comp);
    json_decref(config);
    if (!runner)
        return NULL;
    char *out = fenced("python", runner);
    free(runner);
    return out;
}

struct ablation_row {
    char name[64];
    bool ok;
    double score;
    double effect;
};

static size_t parse_ablation(const char *output, struct ablation_row *rows, size_t max)
{
    size_t n = 0;
    const char *tag = "Ablation result: ";
    for (const char *p = output; n < max && (p = strstr(p, tag)) != NULL;) {
        p += strlen(tag);
        const char *colon = strstr(p, ": ");
        const char *eol = strchr(p, '\n');
        if (!colon || (eol && colon > eol))
            continue;
        struct ablation_row *r = &rows[n];
        snprintf(r->name, sizeof r->name, "%.*s", (int)(colon - p), p);
        char *end;
        r->score = strtod(colon + 2, &end);
        r->ok = end != colon + 2 && strncmp(colon + 2, "failed", 6) != 0;
        n++;
    }
    return n;
}

static int by_effect(const void *x, const void *y)
{
    const struct ablation_row *a = x, *b = y;
    if (a->effect != b->effect)
        return a->effect > b->effect ? -1 : 1;
    return strcmp(a->name, b->name);
}

static char *answer_summarize(json_t *ctx, struct err *err)
{
    (void)err;
    struct ablation_row rows[16];
    size_t n = parse_ablation(json_str(ctx, "output", ""), rows, 16);
    const struct ablation_row *full = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].name, "full") && rows[i].ok)
            full = &rows[i];
    struct buf b = {0};
    if (!full) {
        buf_puts(&b, "The ablation study did not produce a score for the full solution, so no block's "
                     "contribution is known.\nranking: model features validation\n");
        return buf_detach(&b);
    }
    bool lower = lower_better(ctx);
    buf_printf(&b, "Ablation study (%s, %s is better). The full solution scores %.6g.\n", metric_of(ctx),
               lower ? "lower" : "higher", full->score);
    struct ablation_row blocks[16];
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (&rows[i] == full)
            continue;
        blocks[nb] = rows[i];
        blocks[nb].effect = rows[i].ok ? (lower ? rows[i].score - full->score : full->score - rows[i].score) : -1e300;
        char *colon = strchr(blocks[nb].name, ':');
        if (colon)
            *colon = '\0';
        if (rows[i].ok)
            buf_printf(&b, "- %s set to its baseline scores %.6g: the block is worth %+.6g.\n", blocks[nb].name,
                       rows[i].score, blocks[nb].effect);
        else
            buf_printf(&b, "- %s set to its baseline failed to run.\n", blocks[nb].name);
        nb++;
    }
    qsort(blocks, nb, sizeof *blocks, by_effect);
    buf_puts(&b, "ranking:");
    for (size_t i = 0; i < nb; i++)
        buf_printf(&b, " %s", blocks[i].name);
    for (size_t i = 0; i < sizeof refinable / sizeof *refinable; i++) {
        bool listed = false;
        for (size_t j = 0; j < nb; j++)
            listed = listed || !strcmp(blocks[j].name, refinable[i]);
        if (!listed)
            buf_printf(&b, " %s", refinable[i]);
    }
    buf_putc(&b, '\n');
    return buf_detach(&b);
}

/* ---- moves ---- */

static const char *move_tag_name(const char *text, const char *kind, char *out, size_t outsz)
{
    char tag[32];
    snprintf(tag, sizeof tag, "[%s:", kind);
    const char *p = text ? strstr(text, tag) : NULL;
    if (!p)
        return NULL;
    p += strlen(tag);
    const char *end = strchr(p, ']');
    if (!end || (size_t)(end - p) >= outsz)
        return NULL;
    snprintf(out, outsz, "%.*s", (int)(end - p), p);
    return out;
}

/* Moves tried on a block: its record's list plus the plans of the history. */
static json_t *tried_moves(json_t *record, json_t *history)
{
    json_t *tried = json_object_get(record, "tried");
    tried = tried ? json_deep_copy(tried) : json_array();
    size_t i;
    json_t *h;
    char name[128];
    json_array_foreach(history, i, h)
        if (move_tag_name(json_str(h, "plan", ""), "move", name, sizeof name) && !json_list_has(tried, name))
            json_array_append_new(tried, json_string(name));
    return tried;
}

/* Applies move to the block's snippet uses (in place); true when it changed them. */
static bool apply_move(const struct kit *k, json_t *ctx, json_t *tags, const char *block, json_t *uses, json_t *move)
{
    if (!builtin_tags_allow(tags, move, problem_of(ctx), NULL))
        return false;
    const char *add = json_str(move, "add", NULL);
    if (add) {
        if (uses_snippet(uses, add) || !snippet_allowed(k, tags, ctx, block, add))
            return false;
        json_array_append_new(uses, snippet_use(k, block, add));
        return true;
    }
    const char *replace = json_str(move, "replace", NULL);
    bool changed = false;
    if (replace) {
        if (!snippet_allowed(k, tags, ctx, block, replace))
            return false;
        changed = !(json_array_size(uses) == 1 && uses_snippet(uses, replace));
        json_array_clear(uses);
        json_array_append_new(uses, snippet_use(k, block, replace));
    }
    json_t *params = json_object_get(move, "params");
    json_t *applies = json_object_get(move, "applies_to");
    size_t i;
    json_t *u;
    json_array_foreach(uses, i, u) {
        if (json_array_size(applies) && !json_list_has(applies, json_str(u, "name", "")))
            continue;
        if (params && kit_apply_param_changes(json_object_get(u, "params"), params) > 0)
            changed = true;
    }
    return changed;
}

/* The first move (lane-rotated) not tried that changes the block: a new
 * reference to the move, with *uses_out the changed snippet uses. */
static json_t *next_move(const struct kit *k, json_t *ctx, const char *block, json_t *uses, json_t *tried,
                         json_t **uses_out)
{
    json_t *moves = json_object_get(json_object_get(k->catalog, "moves"), block);
    size_t n = json_array_size(moves);
    json_t *tags = builtin_tags(ctx);
    long lane = json_int(ctx, "lane", 0);
    json_t *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        json_t *move = json_array_get(moves, (i + (size_t)lane * 2) % n);
        if (json_list_has(tried, json_str(move, "name", "")))
            continue;
        json_t *candidate = json_deep_copy(uses);
        if (apply_move(k, ctx, tags, block, candidate, move)) {
            found = json_incref(move);
            *uses_out = candidate;
        } else {
            json_decref(candidate);
        }
    }
    json_decref(tags);
    return found;
}

static char *plan_text(json_t *move)
{
    return xasprintf("[move:%s] %s", json_str(move, "name", ""), json_str(move, "description", "Change this block."));
}

static const char *record_block(json_t *record)
{
    return json_str(record, "block", "");
}

static char *answer_extract(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    const char *code = json_str(ctx, "code", "");
    const char *summary = json_str(ctx, "summary", "");
    const char *rank = strstr(summary, "ranking:");
    char order[3][16] = {"model", "features", "validation"};
    if (rank && sscanf(rank, "ranking: %15s %15s %15s", order[0], order[1], order[2]) < 1)
        snprintf(order[0], sizeof order[0], "model");
    json_t *refined = json_array();
    size_t i;
    json_t *text;
    json_array_foreach(json_object_get(ctx, "refined_blocks"), i, text) {
        json_t *rec = kit_parse_block_record(json_string_value(text));
        if (rec)
            json_array_append_new(refined, json_string(record_block(rec)));
        json_decref(rec);
    }
    char *out = NULL;
    /* first pass: blocks not refined before; second pass: blocks refined
     * before whose text has changed since (the pipeline refuses a block
     * text it has already refined) */
    json_t *refined_texts = json_object_get(ctx, "refined_blocks");
    for (int pass = 0; pass < 2 && !out; pass++) {
        for (size_t j = 0; j < 3 && !out; j++) {
            if (pass == 0 && json_list_has(refined, order[j]))
                continue;
            char *block_text = kit_block_text(code, order[j]);
            if (block_text && json_list_has(refined_texts, block_text)) {
                free(block_text);
                continue;
            }
            json_t *rec = kit_parse_block_record(block_text);
            json_t *uses_out = NULL;
            json_t *tried = rec ? tried_moves(rec, NULL) : NULL;
            json_t *move = rec ? next_move(k, ctx, order[j], json_object_get(rec, "snippets"), tried, &uses_out)
                               : NULL;
            if (move) {
                char *plan = plan_text(move);
                json_t *reply = json_pack("[{s:s,s:s}]", "code_block", block_text, "plan", plan);
                out = json_reply(reply);
                json_decref(reply);
                free(plan);
            }
            json_decref(move);
            json_decref(uses_out);
            json_decref(tried);
            json_decref(rec);
            free(block_text);
        }
    }
    json_decref(refined);
    if (!out)
        err_set(err, "no block of the solution has a move left to try");
    return out;
}

static char *answer_plan(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    json_t *rec = kit_parse_block_record(json_str(ctx, "code_block", ""));
    if (!rec) {
        err_set(err, "the builtin planner plans only for blocks it composed");
        return NULL;
    }
    json_t *tried = tried_moves(rec, json_object_get(ctx, "history"));
    json_t *uses_out = NULL;
    json_t *move = next_move(k, ctx, record_block(rec), json_object_get(rec, "snippets"), tried, &uses_out);
    char *out = move ? plan_text(move) : NULL;
    if (!move)
        err_set(err, "every applicable move on the %s block has been tried", record_block(rec));
    json_decref(move);
    json_decref(uses_out);
    json_decref(tried);
    json_decref(rec);
    return out;
}

static json_t *find_move(const struct kit *k, const char *block, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(json_object_get(k->catalog, "moves"), block), i, m)
        if (!strcmp(json_str(m, "name", ""), name))
            return m;
    return NULL;
}

static char *answer_implement(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    json_t *rec = kit_parse_block_record(json_str(ctx, "code_block", ""));
    char name[128];
    const char *move_name = move_tag_name(json_str(ctx, "plan", ""), "move", name, sizeof name);
    json_t *move = rec && move_name ? find_move(k, record_block(rec), move_name) : NULL;
    if (!move) {
        json_decref(rec);
        err_set(err, "the builtin planner implements only its own moves on its own blocks");
        return NULL;
    }
    json_t *tags = builtin_tags(ctx);
    json_t *uses = json_deep_copy(json_object_get(rec, "snippets"));
    char *out = NULL;
    if (apply_move(k, ctx, tags, record_block(rec), uses, move)) {
        json_t *tried = tried_moves(rec, json_object_get(ctx, "history"));
        if (!json_list_has(tried, move_name))
            json_array_append_new(tried, json_string(move_name));
        char *block = kit_render_block(k, record_block(rec), uses, tried, err);
        json_decref(tried);
        if (block)
            out = fenced("python", block);
        free(block);
    } else {
        err_set(err, "move %s does not apply to this block", move_name);
    }
    json_decref(uses);
    json_decref(tags);
    json_decref(rec);
    return out;
}

/* ---- ensembles ---- */

static char *answer_ensemble_plan(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    json_t *tried = json_array();
    size_t i;
    json_t *h;
    char name[64];
    json_array_foreach(json_object_get(ctx, "history"), i, h)
        if (move_tag_name(json_str(h, "plan", ""), "ensemble", name, sizeof name))
            json_array_append_new(tried, json_string(name));
    char *out = NULL;
    json_t *e;
    json_array_foreach(json_object_get(k->catalog, "ensembles"), i, e) {
        if (json_list_has(tried, json_str(e, "name", "")))
            continue;
        out = xasprintf("[ensemble:%s] %s", json_str(e, "name", ""), json_str(e, "description", ""));
        break;
    }
    json_decref(tried);
    if (!out)
        err_set(err, "every ensemble method of the builtin catalog has been tried");
    return out;
}

static char *answer_ensemble(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    char name[64];
    if (!move_tag_name(json_str(ctx, "plan", ""), "ensemble", name, sizeof name)) {
        err_set(err, "the builtin planner implements only its own ensemble plans");
        return NULL;
    }
    json_t *codes = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(ctx, "solutions"), i, s)
        json_array_append_new(codes, json_string(json_str(s, "code", "")));
    char *runner = kit_render_ensemble(k, name, codes, err);
    json_decref(codes);
    if (!runner)
        return NULL;
    char *out = fenced("python", runner);
    free(runner);
    return out;
}

/* ---- debug ---- */

/* The last "solution.py", line N of a traceback. */
static long traceback_line(const char *error)
{
    long line = -1;
    for (const char *p = error; (p = strstr(p, "solution.py\", line ")) != NULL; p++)
        line = strtol(p + strlen("solution.py\", line "), NULL, 10);
    return line;
}

static bool drop_last_optional(json_t *uses, const char *keep)
{
    for (size_t i = json_array_size(uses); i-- > 0;) {
        if (!strcmp(json_str(json_array_get(uses, i), "name", ""), keep))
            continue;
        json_array_remove(uses, i);
        return true;
    }
    return false;
}

static bool make_lighter(json_t *comp, json_t *config)
{
    bool changed = false;
    if (json_int(config, "n_folds", 5) > 3) {
        json_object_set_new(config, "n_folds", json_integer(3));
        changed = true;
    }
    json_t *half = json_pack("{s:s,s:s}", "n_estimators", "x0.5", "max_iter", "x0.5");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(comp, "model"), i, u)
        if (kit_apply_param_changes(json_object_get(u, "params"), half) > 0)
            changed = true;
    json_decref(half);
    return changed;
}

static bool fix_block(const struct kit *k, json_t *comp, const char *block)
{
    json_t *uses = json_object_get(comp, block);
    if (!strcmp(block, "features"))
        return drop_last_optional(uses, "basic");
    if (!strcmp(block, "model")) {
        if (json_array_size(uses) > 1)
            return json_array_remove(uses, json_array_size(uses) - 1) == 0;
        if (uses_snippet(uses, "linear"))
            return false;
        json_array_clear(uses);
        json_array_append_new(uses, snippet_use(k, "model", "linear"));
        return true;
    }
    return false;
}

static char *answer_debug(json_t *ctx, struct err *err)
{
    const struct kit *k = kit_get(err);
    if (!k)
        return NULL;
    const char *code = json_str(ctx, "code", "");
    const char *error = json_str(ctx, "error", "");
    json_t *comp = kit_parse_composition(code);
    json_t *config = kit_parse_config(code);
    char *out = NULL;
    if (comp && config) {
        bool slow = strstr(error, "time limit") || strstr(error, "too much memory");
        const char *block = kit_block_at_line(code, traceback_line(error));
        bool changed = slow ? make_lighter(comp, config) : (block && fix_block(k, comp, block));
        if (!changed && !slow)
            changed = fix_block(k, comp, "features") || fix_block(k, comp, "model");
        if (changed)
            out = render(k, config, comp, err);
    }
    if (!out && err && !err->msg[0])
        err_set(err, "the builtin planner has no fix for this failure");
    json_decref(comp);
    json_decref(config);
    return out;
}

/* ---- submission ---- */

static char *replace_all(const char *text, const char *from, const char *to)
{
    struct buf b = {0};
    size_t n = strlen(from);
    for (const char *p = text;;) {
        const char *hit = strstr(p, from);
        if (!hit) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(hit - p));
        buf_puts(&b, to);
        p = hit + n;
    }
    return buf_detach(&b);
}

/* In runner scripts the solutions are string literals: their compact CONFIG
 * JSON appears with escaped quotes. */
static char *submit_runner(const char *code, long subsample)
{
    char *step1 = replace_all(code, "\\\"mode\\\":\\\"search\\\"", "\\\"mode\\\":\\\"submit\\\"");
    char from[64];
    snprintf(from, sizeof from, "\\\"subsample_rows\\\":%ld", subsample);
    char *step2 = replace_all(step1, from, "\\\"subsample_rows\\\":0");
    free(step1);
    return step2;
}

static char *answer_submission(json_t *ctx, struct err *err)
{
    const char *code = json_str(ctx, "code", "");
    json_t *config = kit_parse_config(code);
    char *script;
    if (config) {
        json_object_set_new(config, "mode", json_string("submit"));
        json_object_set_new(config, "subsample_rows", json_integer(0));
        script = kit_replace_config(code, config);
        json_decref(config);
    } else if (strstr(code, "SOLUTIONS")) {
        script = submit_runner(code, json_int(ctx, "subsample_rows", 30000));
    } else {
        err_set(err, "the builtin planner prepares submissions only for scripts it composed");
        return NULL;
    }
    char *out = fenced("python", script);
    free(script);
    return out;
}

/* ---- checks ---- */

static char *answer_leakage_check(json_t *ctx, struct err *err)
{
    (void)err;
    const char *code = json_str(ctx, "code", "");
    char *features = kit_block_text(code, "features");
    const char *status = "No Data Leakage";
    const char *block = features ? features : code;
    /* Kit scripts fit every statistic on training folds; other code is
     * flagged on the classic pattern of fitting on train and test together. */
    if (!features && (strstr(code, "fit_transform(pd.concat") || strstr(code, "fit(pd.concat")))
        status = "Yes Data Leakage";
    json_t *reply = json_pack("[{s:s,s:s}]", "code_block", block, "leakage_status", status);
    char *out = json_reply(reply);
    json_decref(reply);
    free(features);
    return out;
}

static char *answer_leakage_fix(json_t *ctx, struct err *err)
{
    (void)err;
    return fenced("python", json_str(ctx, "code_block", ""));
}

static char *answer_metric(json_t *ctx, struct err *err)
{
    const char *metric;
    bool lower;
    if (builtin_metric_from_text(json_str(ctx, "description", ""), problem_of(ctx), &metric, &lower) < 0) {
        err_set(err, "the description names no metric the builtin planner knows");
        return NULL;
    }
    json_t *reply = json_pack("[{s:s,s:b}]", "metric", metric, "lower_is_better", lower);
    char *out = json_reply(reply);
    json_decref(reply);
    return out;
}

/* ---- dispatch ---- */

struct stage_answer {
    const char *stage;
    char *(*answer)(json_t *ctx, struct err *err);
};

static const struct stage_answer answers[] = {
    {"retrieve", answer_retrieve},       {"candidate", answer_candidate},
    {"merge", answer_merge},             {"usage", answer_usage},
    {"ablation", answer_ablation},       {"summarize", answer_summarize},
    {"extract", answer_extract},         {"plan", answer_plan},
    {"implement", answer_implement},     {"ensemble_plan", answer_ensemble_plan},
    {"ensemble", answer_ensemble},       {"debug", answer_debug},
    {"submission", answer_submission},   {"leakage_check", answer_leakage_check},
    {"leakage_fix", answer_leakage_fix}, {"metric", answer_metric},
};

char *builtin_answer(const char *stage, json_t *ctx, struct err *err)
{
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++)
        if (!strcmp(answers[i].stage, stage))
            return answers[i].answer(ctx, err);
    err_set(err, "the builtin planner does not answer the '%s' stage", stage);
    return NULL;
}
