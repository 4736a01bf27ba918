/* stage_retrieve.c - step 1: M effective models for the task, each with
 * example code, as a JSON list [{"model_name", "example_code"}].
 *
 * The prompt carries search results: the catalog's best model cards for the
 * task (always, so that a provider without a search tool still sees real
 * options), and with search.backend=provider the request also asks for the
 * provider's web-search tool. Fallback when the reply is unusable: the top
 * M catalog cards themselves. */
#include "agent/agent.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

#define CARDS_MAX 12

static int has_package(void *ctx, const char *name)
{
    return pyenv_has(ctx, name);
}

/* "binary classification tabular categorical text missing ..." from the facts. */
static char *catalog_query(struct agent *a)
{
    struct buf q = {0};
    json_t *facts = a->task_facts;
    const char *problem = json_str(facts, "problem", "");
    buf_printf(&q, "%s tabular", problem);
    json_t *cols = json_object_get(facts, "columns");
    const char *kind;
    json_t *list;
    json_object_foreach(cols, kind, list)
        if (json_array_size(list) > 0)
            buf_printf(&q, " %s", kind);
    if (json_array_size(json_object_get(facts, "extra_files")) > 0)
        buf_puts(&q, " files");
    return buf_detach(&q);
}

static size_t find_cards(struct agent *a, struct search_hit *hits)
{
    char *query = catalog_query(a);
    const char *problem = json_str(a->task_facts, "problem", "");
    size_t n = 0;
    struct err err = {{0}};
    if (search_catalog_query(a->catalog, query, problem, has_package, &a->pyenv, hits, CARDS_MAX, &n, &err) < 0)
        log_warn("catalog search: %s", err.msg);
    free(query);
    return n;
}

static char *cards_text(struct search_hit *hits, size_t n)
{
    struct buf b = {0};
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "### %s\n%s\n\n", hits[i].card->name, hits[i].card->body);
    return buf_detach(&b);
}

static json_t *cards_json(struct search_hit *hits, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:f}", "name", hits[i].card->name, "snippet",
                                              hits[i].card->snippet, "kinds", hits[i].card->kinds, "tags",
                                              hits[i].card->tags, "rank", hits[i].rank));
    return list;
}

/* Keeps well-formed items, at most m. */
static json_t *clean_models(json_t *reply, long m)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(reply, i, item) {
        const char *name = json_str(item, "model_name", NULL);
        if (!name)
            name = json_str(item, "name", NULL);
        if (!name || !*name || (long)json_array_size(out) >= m)
            continue;
        json_array_append_new(out, json_pack("{s:s,s:s}", "model_name", name, "example_code",
                                             json_str(item, "example_code", "")));
    }
    return out;
}

static json_t *fallback_models(struct search_hit *hits, size_t n, long m)
{
    json_t *out = json_array();
    for (size_t i = 0; i < n && (long)i < m; i++)
        json_array_append_new(out, json_pack("{s:s,s:s}", "model_name", hits[i].card->name, "example_code",
                                             hits[i].card->body));
    return out;
}

int stage_retrieve(struct agent *a, int lane, json_t **models_out)
{
    struct search_hit hits[CARDS_MAX];
    size_t nhits = strcmp(a->cfg.search.backend, "none") ? find_cards(a, hits) : 0;
    char *results = cards_text(hits, nhits);
    json_t *vars = json_pack("{s:I,s:s}", "m", (json_int_t)a->cfg.pipeline.models, "search_results", results);
    json_t *ctx = json_pack("{s:I,s:i,s:I,s:o}", "m", (json_int_t)a->cfg.pipeline.models, "lane", lane, "lanes",
                            (json_int_t)a->cfg.pipeline.lanes, "cards", cards_json(hits, nhits));
    free(results);
    char call_id[64];
    snprintf(call_id, sizeof call_id, "lane%d/retrieve", lane);
    struct err err = {{0}};
    json_t *reply = agent_ask_json(a, "retrieve", call_id, vars, ctx, false, &err);
    json_decref(vars);
    json_decref(ctx);
    json_t *models = reply ? clean_models(reply, a->cfg.pipeline.models) : json_array();
    json_decref(reply);
    if (json_array_size(models) == 0) {
        log_warn("lane %d: retrieval gave no usable models%s%s; using the catalog's best", lane,
                 err.msg[0] ? ": " : "", err.msg);
        json_decref(models);
        models = fallback_models(hits, nhits, a->cfg.pipeline.models);
    }
    json_t *names = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m)
        json_array_append(names, json_object_get(m, "model_name"));
    json_t *d = json_pack("{s:i,s:o}", "lane", lane, "models", names);
    agent_event(a, "retrieved", d);
    json_decref(d);
    *models_out = models;
    return json_array_size(models) ? 0 : -1;
}
