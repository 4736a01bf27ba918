/* limits.c - the most output tokens each known model accepts per call.
 *
 * llm.max_tokens is one number for every stage and model (16384 by
 * default), but several models refuse a larger max_tokens with a 400 (older
 * Claude and Gemini 2.0 models allow 4096 or 8192): providers clamp the
 * request to the model's limit when it is known, so a cheap model chosen
 * for summaries does not fail every call. Unknown models are sent the value
 * as it is. Entries are prefixes, the longest match wins, and a "vendor/"
 * part is ignored, as in prices.c. */
#include "llm/internal.h"

#include <string.h>

struct model_limit {
    const char *model;
    long max_output;
};

static const struct model_limit limits[] = {
    {"gpt-3.5-turbo", 4096},
    {"gpt-4-turbo", 4096},
    {"gpt-4o", 16384},
    {"gpt-4.1", 32768},
    {"gpt-5", 128000},
    {"o1-mini", 65536},
    {"o1", 100000},
    {"o3", 100000},
    {"o4-mini", 100000},
    {"gemini-1.5", 8192},
    {"gemini-2.0-flash", 8192},
    {"gemini-2.5", 65536},
    {"claude-3-haiku", 4096},
    {"claude-3-opus", 4096},
    {"claude-3-5-haiku", 8192},
    {"claude-3-5-sonnet", 8192},
    {"claude-3-7-sonnet", 64000},
    {"claude-sonnet-4", 64000},
    {"claude-haiku-4-5", 64000},
    {"claude-opus-4", 32000},
    {"claude-opus-4-5", 64000},
};

long llm_model_max_output(const char *model)
{
    if (!model)
        return 0;
    const char *slash = strrchr(model, '/');
    const char *bare = slash ? slash + 1 : model;
    long best = 0;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        size_t len = strlen(limits[i].model);
        if (len > best_len && !strncmp(bare, limits[i].model, len)) {
            best = limits[i].max_output;
            best_len = len;
        }
    }
    return best;
}

long llm_clamp_max_tokens(const char *model, long requested)
{
    long limit = llm_model_max_output(model);
    return limit > 0 && requested > limit ? limit : requested;
}
