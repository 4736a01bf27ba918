/* prices.c - what a call costs: USD per million tokens, per model.
 *
 * The built-in table lists the common OpenAI, Gemini and Anthropic models at
 * their published standard (non-batch) prices for prompts up to 200k tokens;
 * Anthropic cache writes are priced as ordinary input. Entries are prefixes:
 * "gpt-4o" prices "gpt-4o-2024-08-06", and the longest matching entry wins
 * ("gpt-4o-mini" beats "gpt-4o"). A "vendor/" part (OpenRouter's
 * "openai/gpt-4o", Gemini's "models/...") is ignored. llm.prices names a
 * JSON file {"model": {"input": x, "output": y, "cached": z}} whose entries
 * are searched first ("cached" defaults to "input"). Unknown models cost 0;
 * the client warns once per model. Prices change: the override file is the
 * place to keep them current without a rebuild. */
#include "llm/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static const struct llm_price builtin_prices[] = {
    /* OpenAI */
    {"gpt-5-nano", 0.05, 0.40, 0.005},
    {"gpt-5-mini", 0.25, 2.00, 0.025},
    {"gpt-5", 1.25, 10.00, 0.125},
    {"gpt-4.1-nano", 0.10, 0.40, 0.025},
    {"gpt-4.1-mini", 0.40, 1.60, 0.10},
    {"gpt-4.1", 2.00, 8.00, 0.50},
    {"gpt-4o-mini", 0.15, 0.60, 0.075},
    {"gpt-4o", 2.50, 10.00, 1.25},
    {"o4-mini", 1.10, 4.40, 0.275},
    {"o3-mini", 1.10, 4.40, 0.55},
    {"o3", 2.00, 8.00, 0.50},
    {"o1-mini", 1.10, 4.40, 0.55},
    {"o1", 15.00, 60.00, 7.50},
    /* Gemini */
    {"gemini-3-pro", 2.00, 12.00, 0.20},
    {"gemini-3-flash", 0.50, 3.00, 0.05},
    {"gemini-2.5-pro", 1.25, 10.00, 0.125},
    {"gemini-2.5-flash-lite", 0.10, 0.40, 0.01},
    {"gemini-2.5-flash", 0.30, 2.50, 0.03},
    {"gemini-2.0-flash-lite", 0.075, 0.30, 0.075},
    {"gemini-2.0-flash", 0.10, 0.40, 0.025},
    /* Anthropic */
    {"claude-opus-4-5", 5.00, 25.00, 0.50},
    {"claude-opus-4", 15.00, 75.00, 1.50},
    {"claude-sonnet-4", 3.00, 15.00, 0.30},
    {"claude-3-7-sonnet", 3.00, 15.00, 0.30},
    {"claude-3-5-sonnet", 3.00, 15.00, 0.30},
    {"claude-haiku-4-5", 1.00, 5.00, 0.10},
    {"claude-3-5-haiku", 0.80, 4.00, 0.08},
    {"claude-3-haiku", 0.25, 1.25, 0.03},
};
#define NBUILTIN (sizeof builtin_prices / sizeof builtin_prices[0])

struct llm_price_table {
    struct llm_price *items;   /* model strings owned */
    size_t n;
};

static int read_price(json_t *obj, const char *field, double *out, bool required, const char *path,
                      const char *model, struct err *err)
{
    json_t *v = json_object_get(obj, field);
    if (!v && !required)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return err_set(err, "%s: model '%s': \"%s\" must be a number >= 0 (USD per million tokens)", path,
                       model, field);
    *out = json_number_value(v);
    return 0;
}

struct llm_price_table *llm_prices_load(const char *path, struct err *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        err_set(err, "llm.prices: cannot read %s: %s (line %d)", path, jerr.text, jerr.line);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        err_set(err, "llm.prices: %s must hold a JSON object {\"model\": {\"input\": x, \"output\": y}}", path);
        return NULL;
    }
    struct llm_price_table *t = xcalloc(1, sizeof *t);
    t->items = xcalloc(json_object_size(root) + 1, sizeof *t->items);
    const char *model;
    json_t *entry;
    json_object_foreach(root, model, entry) {
        struct llm_price p = {0};
        if (!json_is_object(entry)) {
            err_set(err, "llm.prices: %s: model '%s' must map to {\"input\": x, \"output\": y}", path, model);
            goto fail;
        }
        if (read_price(entry, "input", &p.input, true, path, model, err) < 0 ||
            read_price(entry, "output", &p.output, true, path, model, err) < 0)
            goto fail;
        p.cached = p.input;
        if (read_price(entry, "cached", &p.cached, false, path, model, err) < 0)
            goto fail;
        p.model = xstrdup(model);
        t->items[t->n++] = p;
    }
    json_decref(root);
    return t;
fail:
    json_decref(root);
    llm_prices_free(t);
    return NULL;
}

void llm_prices_free(struct llm_price_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free((char *)t->items[i].model);
    free(t->items);
    free(t);
}

static const struct llm_price *longest_prefix(const struct llm_price *items, size_t n, const char *model)
{
    const struct llm_price *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(items[i].model);
        if (len > best_len && !strncmp(model, items[i].model, len)) {
            best = &items[i];
            best_len = len;
        }
    }
    return best;
}

bool llm_price_find(const struct llm_price_table *t, const char *model, struct llm_price *out)
{
    if (!model)
        return false;
    const char *slash = strrchr(model, '/');
    const char *bare = slash ? slash + 1 : model;
    const struct llm_price *p = NULL;
    if (t) {
        p = longest_prefix(t->items, t->n, model); /* an override may name the full "vendor/model" */
        if (!p)
            p = longest_prefix(t->items, t->n, bare);
    }
    if (!p)
        p = longest_prefix(builtin_prices, NBUILTIN, bare);
    if (!p)
        return false;
    *out = *p;
    return true;
}

double llm_price_cost(const struct llm_price *p, const struct llm_usage *u)
{
    long cached = u->cached_tokens < u->input_tokens ? u->cached_tokens : u->input_tokens;
    double fresh = (double)(u->input_tokens - cached);
    return (fresh * p->input + (double)cached * p->cached + (double)u->output_tokens * p->output) / 1e6;
}
