/* builtin.h - the offline planner behind the `builtin` LLM provider.
 *
 * Each pipeline stage's request carries a structured context (see
 * agent_llm.c: facts, profile, packages, seed, ... plus the stage's own
 * keys); the planner answers exactly as a model would (a fenced Python
 * block, a JSON list, a plan text), so the pipeline parses builtin replies
 * with the same code as any other. Deterministic: the same context gives
 * the same reply, byte for byte. Files:
 *   builtin.c         provider glue and the stage table
 *   builtin_plan.c    decisions: retrieval, candidates, merging, ablation,
 *                     extraction, moves, ensembles, debugging, submission
 *   builtin_kit.c     rendering and parsing of composed scripts
 *   builtin_tags.c    profile tags
 *   builtin_metric.c  metric and direction from the description's wording */
#ifndef MLESTAR_AGENT_BUILTIN_H
#define MLESTAR_AGENT_BUILTIN_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* Profile tags of the task in ctx (new reference): {"numeric": true, ...}. */
json_t *builtin_tags(json_t *ctx);
/* Whether a catalog entry's requires/avoid/problems/metrics admit the task. */
bool builtin_tags_allow(json_t *tags, json_t *entry, const char *problem, const char *metric);

/* Reads the metric from a description. Returns 0 with *metric (static
 * string) and *lower_is_better, -1 when no rule matched. problem may be
 * NULL ("multiclass" turns log loss into multiclass_logloss). */
int builtin_metric_from_text(const char *description, const char *problem, const char **metric,
                             bool *lower_is_better);

/* One stage's reply (malloc'd) or NULL + err. */
char *builtin_answer(const char *stage, json_t *ctx, struct err *err);

#endif
