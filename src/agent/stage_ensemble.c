/* stage_ensemble.c - step 8: R rounds combining the lanes' final solutions.
 * Each round: a plan (the first from nothing, later ones re-planned from
 * every earlier plan and its score; plain averaging is the natural first),
 * one script implementing it, run and scored. The best round wins if it
 * beats the best lane. Needs at least two working lanes. The planner sees
 * every earlier plan best first, with its score, its change against the
 * best lane and its run time; a script that cannot be debugged into working
 * is asked for anew (pipeline.regenerations). */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

static char *solutions_text(struct solution **sols, size_t n)
{
    struct buf b = {0};
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "# Solution %zu (validation score %.6g)\n```python\n%s\n```\n\n", i + 1, sols[i]->score,
                   sols[i]->code);
    return buf_detach(&b);
}

static json_t *solutions_json(struct solution **sols, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:f}", "code", sols[i]->code, "score", sols[i]->score));
    return list;
}

static char *ask(struct agent *a, const char *stage, const char *call_id, const char *sols_text, json_t *sols,
                 json_t *history, double base, const char *plan, bool want_code)
{
    char *hist = agent_history_text(a, history, true, base);
    json_t *vars = json_pack("{s:s,s:s,s:s}", "solutions", sols_text, "history", hist, "plan", plan ? plan : "");
    json_t *ctx = json_pack("{s:O,s:O,s:s}", "solutions", sols, "history", history, "plan", plan ? plan : "");
    free(hist);
    struct err err = {{0}};
    char *out = want_code ? agent_ask_code(a, stage, call_id, vars, ctx, &err)
                          : agent_ask(a, stage, call_id, vars, ctx, false, &err);
    json_decref(vars);
    json_decref(ctx);
    return out;
}

struct ensemble_ask {
    const char *node_key;
    const char *text;
    json_t *sols, *history;
    double base;
    const char *plan;
};

static char *regenerate(struct agent *a, void *ctx, int attempt)
{
    struct ensemble_ask *e = ctx;
    char call_id[128];
    snprintf(call_id, sizeof call_id, "%s/regen%d/ensemble", e->node_key, attempt);
    return ask(a, "ensemble", call_id, e->text, e->sols, e->history, e->base, e->plan, true);
}

int stage_ensemble(struct agent *a, struct solution *lanes, size_t nlanes, struct solution *best)
{
    struct solution **ranked;
    size_t n = agent_rank(a, lanes, nlanes, &ranked);
    if (n < 2 || a->cfg.pipeline.ensemble_rounds <= 0) {
        free(ranked);
        return -1;
    }
    char *text = solutions_text(ranked, n);
    json_t *sols = solutions_json(ranked, n);
    json_t *history = json_array();
    double base = ranked[0]->score;
    for (int r = 0; r < a->cfg.pipeline.ensemble_rounds && agent_ensemble_time_ok(a); r++) {
        char node_key[64], call_id[96];
        snprintf(node_key, sizeof node_key, "ensemble/r%d", r);
        snprintf(call_id, sizeof call_id, "%s/ensemble_plan", node_key);
        char *plan = ask(a, "ensemble_plan", call_id, text, sols, history, base, NULL, false);
        if (!plan)
            break;
        snprintf(call_id, sizeof call_id, "%s/ensemble", node_key);
        char *code = ask(a, "ensemble", call_id, text, sols, history, base, plan, true);
        json_t *h = json_pack("{s:s}", "plan", plan);
        if (code) {
            struct ensemble_ask regen = {node_key, text, sols, history, base, plan};
            struct script_job job = {
                .stage = "ensemble", .call_id = node_key, .area = "ensemble", .lane = -1, .outer_step = -1,
                .inner_step = r, .parent_id = ranked[0]->node_id, .parent2_id = ranked[1]->node_id,
                .plan = plan, .need_score = true, .check_leakage = true, .regenerate = regenerate,
                .regenerate_ctx = &regen,
            };
            struct solution e = {0};
            guard_run_script(a, &job, code, &e);
            free(code);
            double wall = agent_node_wall_s(a, e.node_id);
            if (wall >= 0)
                json_object_set_new(h, "wall_s", json_real(wall));
            if (e.ok && e.has_score) {
                json_object_set_new(h, "score", json_real(e.score));
                agent_note_score(a, -1, e.node_id, e.score);
            }
            if (e.ok && e.has_score && (!best->code || agent_better(a, e.score, best->score))) {
                solution_clear(best);
                *best = e;
            } else {
                solution_clear(&e);
            }
        }
        json_array_append_new(history, h);
        free(plan);
    }
    json_t *d = json_pack("{s:O}", "rounds", history);
    if (best->code)
        json_object_set_new(d, "best", json_real(best->score));
    agent_event(a, "ensemble_done", d);
    json_decref(d);
    json_decref(history);
    json_decref(sols);
    free(text);
    free(ranked);
    return best->code ? 0 : -1;
}
