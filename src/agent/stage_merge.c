/* stage_merge.c - step 3: the initial solution s0. Candidates are sorted
 * best first; starting from the best, the next one is merged in (both
 * trained, predictions averaged) and the merge is kept only when the score
 * does not get worse; the first merge that makes it worse (or fails) ends
 * the stage. Failed candidates never take part. A merge that cannot be
 * debugged into working is asked for anew (pipeline.regenerations). */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"

static struct agent *sort_agent; /* qsort has no context argument; guarded by sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int by_score(const void *x, const void *y)
{
    const struct solution *p = *(const struct solution *const *)x;
    const struct solution *q = *(const struct solution *const *)y;
    if (agent_better(sort_agent, p->score, q->score))
        return -1;
    if (agent_better(sort_agent, q->score, p->score))
        return 1;
    return p->node_id < q->node_id ? -1 : p->node_id > q->node_id;
}

/* Sorts the working solutions best first into *ranked (pointers). */
size_t agent_rank(struct agent *a, struct solution *sols, size_t n, struct solution ***ranked)
{
    *ranked = xcalloc(n ? n : 1, sizeof **ranked);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (sols[i].ok && sols[i].has_score)
            (*ranked)[k++] = &sols[i];
    pthread_mutex_lock(&sort_lock);
    sort_agent = a;
    qsort(*ranked, k, sizeof **ranked, by_score);
    pthread_mutex_unlock(&sort_lock);
    return k;
}

static char *ask_merge(struct agent *a, const char *call_id, const char *base, const char *add)
{
    json_t *vars = json_pack("{s:s,s:s}", "base_code", base, "add_code", add);
    json_t *ctx = json_pack("{s:s,s:s}", "base_code", base, "add_code", add);
    struct err err = {{0}};
    char *code = agent_ask_code(a, "merge", call_id, vars, ctx, &err);
    json_decref(vars);
    json_decref(ctx);
    return code;
}

struct merge_ask {
    const char *node_key;
    const char *base, *add;
};

static char *regenerate(struct agent *a, void *ctx, int attempt)
{
    struct merge_ask *m = ctx;
    char call_id[128];
    snprintf(call_id, sizeof call_id, "%s/regen%d/merge", m->node_key, attempt);
    return ask_merge(a, call_id, m->base, m->add);
}

int stage_merge(struct agent *a, int lane, struct solution *cands, size_t n, struct solution *s0)
{
    struct solution **ranked;
    size_t k = agent_rank(a, cands, n, &ranked);
    if (k == 0) {
        free(ranked);
        return -1;
    }
    solution_copy(s0, ranked[0]);
    char area[32];
    snprintf(area, sizeof area, "lane%d", lane);
    for (size_t j = 1; j < k && agent_init_time_ok(a); j++) { /* merges share the search's first part (budget.h) */
        char node_key[64], call_id[96];
        snprintf(node_key, sizeof node_key, "lane%d/merge%zu", lane, j);
        snprintf(call_id, sizeof call_id, "%s/merge", node_key);
        char *code = ask_merge(a, call_id, s0->code, ranked[j]->code);
        if (!code)
            break;
        struct merge_ask m = {node_key, s0->code, ranked[j]->code};
        struct script_job job = {
            .stage = "merge", .call_id = node_key, .area = area, .lane = lane, .outer_step = -1,
            .inner_step = -1, .parent_id = s0->node_id, .parent2_id = ranked[j]->node_id,
            .model_name = ranked[j]->model_name, .need_score = true, .check_leakage = true,
            .regenerate = regenerate, .regenerate_ctx = &m,
        };
        struct solution merged = {0};
        guard_run_script(a, &job, code, &merged);
        free(code);
        bool keep = merged.ok && merged.has_score && !agent_better(a, s0->score, merged.score);
        json_t *d = json_pack("{s:i,s:s,s:b}", "lane", lane, "added", ranked[j]->model_name ? ranked[j]->model_name : "",
                              "kept", keep);
        if (merged.has_score)
            json_object_set_new(d, "score", json_real(merged.score));
        agent_event(a, "merge", d);
        json_decref(d);
        if (!keep) {
            solution_clear(&merged);
            break;
        }
        solution_clear(s0);
        *s0 = merged;
        agent_note_score(a, lane, s0->node_id, s0->score);
    }
    free(ranked);
    return 0;
}
