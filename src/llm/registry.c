/* registry.c - which providers exist: the three HTTP ones and replay, built
 * in, plus those registered at start-up (the agent module's `builtin`).
 *
 * Registration happens before any client exists (main thread, start-up), so
 * the table is written once and only read afterwards; it needs no lock. A
 * later registration under an existing name replaces the earlier one. */
#include "llm/internal.h"

#include <string.h>

#include "util/log.h"

#define MAX_REGISTERED 16

static const struct llm_provider_ops *registered[MAX_REGISTERED];
static size_t nregistered;

static const struct llm_provider_ops *const builtin_providers[] = {
    &llm_openai_ops, &llm_gemini_ops, &llm_anthropic_ops, &llm_replay_ops,
};
#define NBUILTIN (sizeof builtin_providers / sizeof builtin_providers[0])

void llm_register_provider(const struct llm_provider_ops *ops)
{
    for (size_t i = 0; i < nregistered; i++) {
        if (!strcmp(registered[i]->name, ops->name)) {
            registered[i] = ops;
            return;
        }
    }
    if (nregistered == MAX_REGISTERED) {
        log_error("llm: cannot register provider '%s': table full (%d)", ops->name, MAX_REGISTERED);
        return;
    }
    registered[nregistered++] = ops;
}

const struct llm_provider_ops *llm_provider_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < nregistered; i++)
        if (!strcmp(registered[i]->name, name))
            return registered[i];
    for (size_t i = 0; i < NBUILTIN; i++)
        if (!strcmp(builtin_providers[i]->name, name))
            return builtin_providers[i];
    return NULL;
}

void llm_provider_names(struct buf *out)
{
    for (size_t i = 0; i < NBUILTIN; i++)
        buf_printf(out, "%s%s", i ? ", " : "", builtin_providers[i]->name);
    for (size_t i = 0; i < nregistered; i++) {
        bool shadows = false;
        for (size_t j = 0; j < NBUILTIN; j++)
            shadows |= !strcmp(builtin_providers[j]->name, registered[i]->name);
        if (!shadows)
            buf_printf(out, ", %s", registered[i]->name);
    }
}
