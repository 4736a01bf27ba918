/* stage_refine.c - steps 5 and 6: targeted refinement of one lane.
 *
 * Outer step t (T of them), on the current solution s:
 *   a. an ablation script that runs variants of s with parts switched off
 *      or simplified (parts not studied before) and prints their scores;
 *   b. a summary of its noisy output (an ablation that failed, even after
 *      debugging and regeneration, is summarized as failed, with the end of
 *      its standard error, without asking the LLM to read an output that
 *      measured nothing);
 *   c. extraction of the code block that matters most, copied exactly from
 *      s and not refined before, plus a first plan, as JSON
 *      [{"code_block", "plan"}]. A code_block quoted in a ``` fence is
 *      unwrapped; a block that is not found in s, was refined before, or is
 *      (nearly) all of s is sent back with the reason
 *      (pipeline.placement_retries times).
 * Earlier ablation summaries and refined blocks reach the prompts as
 * readable sections (agent_sections_text), not as JSON.
 * Inner step k (K of them) on that block: plan k (k = 0 from extraction,
 * later from a planner that sees every earlier plan and its score),
 * implement it as a new version of the block only, splice it into s (exact
 * unique match, else whitespace-insensitive; see code/splice.h), run and
 * score. Every plan, the last included, is considered; the best variant
 * replaces s when it is strictly better. The planner sees the earlier plans
 * best first, each with its score, its change against s and its run time.
 * Ablation scripts and variants that cannot be debugged into working are
 * written anew (pipeline.regenerations), like candidates.
 *
 * Time: no new outer or inner step starts once the time left is within the
 * reserve kept for ensembling and submission (agent_search_time_ok). */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/extract.h"
#include "code/splice.h"
#include "code/trim.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

#define ABLATION_OUTPUT_MAX 8000

struct refine_state {
    struct agent *a;
    int lane;
    char area[32];
    struct solution *s;          /* the lane's current solution */
    json_t *refined_blocks;      /* blocks refined in earlier outer steps */
    json_t *ablations;           /* summaries of earlier ablations */
};

/* ---- a. ablation and b. summary ---- */

struct ablation_ask {
    struct refine_state *st;
    const char *node_key;
    json_t *vars, *ctx;
};

static char *ask_ablation(struct agent *a, struct ablation_ask *q, const char *call_id)
{
    struct err err = {{0}};
    return agent_ask_code(a, "ablation", call_id, q->vars, q->ctx, &err);
}

static char *regenerate_ablation(struct agent *a, void *ctx, int attempt)
{
    struct ablation_ask *q = ctx;
    char call_id[128];
    snprintf(call_id, sizeof call_id, "%s/regen%d/ablation", q->node_key, attempt);
    return ask_ablation(a, q, call_id);
}

/* The trimmed tail of one of an attempt's output files ("" when none). */
static char *attempt_output(const struct solution *sol, const char *file, size_t max)
{
    char *path = sol->attempt_dir ? xasprintf("%s/%s", sol->attempt_dir, file) : NULL;
    char *output = NULL;
    struct err err = {{0}};
    if (!path || fs_read_tail(path, max * 4, &output, &err) < 0)
        output = xstrdup("");
    free(path);
    char *trimmed = code_trim_output(output, max);
    free(output);
    return trimmed;
}

/* What the extraction sees of an ablation that never ran to the end. */
static char *failed_summary(struct agent *a, const char *node_key, const struct solution *abl)
{
    char *err_text = attempt_output(abl, "stderr.txt", ABLATION_OUTPUT_MAX / 2);
    char *summary = xasprintf("The ablation study failed to run, so nothing was measured and no part of the "
                              "solution can be ranked by it. The end of its error output:\n%s",
                              *err_text ? err_text : "(no error output)");
    json_t *d = json_pack("{s:s,s:s}", "call_id", node_key, "stderr", err_text);
    agent_event(a, "ablation_failed", d);
    json_decref(d);
    free(err_text);
    return summary;
}

static char *run_ablation(struct refine_state *st, int t)
{
    struct agent *a = st->a;
    char node_key[64], call_id[96];
    snprintf(node_key, sizeof node_key, "lane%d/t%d/ablation", st->lane, t);
    snprintf(call_id, sizeof call_id, "%s/ablation", node_key);
    char *prev = agent_sections_text(st->ablations, "Ablation study", false);
    json_t *vars = json_pack("{s:s,s:s}", "code", st->s->code, "previous_ablations", prev);
    json_t *ctx = json_pack("{s:s,s:O,s:O,s:i,s:i}", "code", st->s->code, "previous_ablations", st->ablations,
                            "refined_blocks", st->refined_blocks, "lane", st->lane, "outer_step", t);
    free(prev);
    struct ablation_ask q = {st, node_key, vars, ctx};
    char *code = ask_ablation(a, &q, call_id);
    if (!code) {
        json_decref(vars);
        json_decref(ctx);
        return xstrdup("The ablation study could not be generated.");
    }
    struct script_job job = {
        .stage = "ablation", .call_id = node_key, .area = st->area, .lane = st->lane, .outer_step = t,
        .inner_step = -1, .parent_id = st->s->node_id, .need_score = false,
        .regenerate = regenerate_ablation, .regenerate_ctx = &q,
    };
    struct solution abl = {0};
    guard_run_script(a, &job, code, &abl);
    json_decref(vars);
    json_decref(ctx);
    if (!abl.ok) {
        char *summary = failed_summary(a, node_key, &abl);
        free(code);
        solution_clear(&abl);
        return summary;
    }
    struct err err = {{0}};
    /* The output is in the attempt's stdout; read its tail back. */
    char *trimmed = attempt_output(&abl, "stdout.txt", ABLATION_OUTPUT_MAX);
    char *summary_id = xasprintf("%s/summarize", node_key);
    json_t *svars = json_pack("{s:s,s:s}", "ablation_code", abl.code ? abl.code : code, "output", trimmed);
    json_t *sctx = json_pack("{s:s,s:s,s:b}", "ablation_code", abl.code ? abl.code : code, "output", trimmed,
                             "ok", abl.ok);
    char *summary = agent_ask(a, "summarize", summary_id, svars, sctx, true, &err);
    json_decref(svars);
    json_decref(sctx);
    free(summary_id);
    free(trimmed);
    free(code);
    solution_clear(&abl);
    return summary ? summary : xstrdup("The ablation study failed; no summary is available.");
}

/* ---- c. extraction ---- */

static bool refined_before(struct refine_state *st, const char *block)
{
    return json_list_has(st->refined_blocks, block);
}

/* Asks for the block to refine; returns 0 with *block and *plan set. */
static int extract_block(struct refine_state *st, int t, const char *summary, char **block, char **plan)
{
    struct agent *a = st->a;
    char *reason = NULL;
    for (long attempt = 0; attempt <= a->cfg.pipeline.placement_retries; attempt++) {
        char call_id[128];
        snprintf(call_id, sizeof call_id, "lane%d/t%d/extract%s%ld", st->lane, t, attempt ? "#retry" : "#",
                 attempt);
        char *refined = agent_sections_text(st->refined_blocks, "Refined block", true);
        json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "code", st->s->code, "summary", summary, "refined_blocks",
                                 refined, "retry_reason", reason ? reason : "");
        json_t *ctx = json_pack("{s:s,s:s,s:O,s:i,s:i}", "code", st->s->code, "summary", summary,
                                "refined_blocks", st->refined_blocks, "lane", st->lane, "outer_step", t);
        free(refined);
        struct err err = {{0}};
        json_t *list = agent_ask_json(a, "extract", call_id, vars, ctx, false, &err);
        json_decref(vars);
        json_decref(ctx);
        free(reason);
        reason = NULL;
        if (!list)
            return -1;
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) {
            const char *raw = json_str(item, "code_block", "");
            char *b = code_strip_fence(raw);
            struct code_splice probe;
            struct err perr = {{0}};
            free(reason);
            reason = NULL;
            if (refined_before(st, b)) {
                reason = xasprintf("The block you chose was already refined in an earlier step; choose another.");
            } else if (code_block_is_whole_script(st->s->code, b)) {
                reason = xasprintf("The block you chose is (nearly) the whole solution; choose one part of it, a "
                                   "few to a few dozen lines.");
            } else if (code_replace_block(st->s->code, b, b, &probe, &perr) < 0) {
                reason = xasprintf("%s Copy the block exactly from the current solution.", perr.msg);
            } else {
                code_splice_free(&probe);
                if (strcmp(raw, b) != 0)
                    agent_recovery(a, "fence_stripped", call_id, "the code_block came in a ``` fence inside the JSON");
                if (attempt)
                    agent_recovery(a, "block_placed_on_retry", call_id, "the extracted block was found after a retry");
                *block = b;
                *plan = xstrdup(json_str(item, "plan", "Improve this block."));
                json_decref(list);
                return 0;
            }
            free(b);
        }
        json_decref(list);
        log_info("lane %d t%d: extracted block unusable (%s); asking again", st->lane, t, reason ? reason : "");
    }
    free(reason);
    return -1;
}

/* ---- inner loop ---- */

static char *next_plan(struct refine_state *st, int t, int k, const char *block, json_t *history)
{
    char call_id[96];
    snprintf(call_id, sizeof call_id, "lane%d/t%d/k%d/plan", st->lane, t, k);
    char *hist = agent_history_text(st->a, history, st->s->has_score, st->s->score);
    json_t *vars = json_pack("{s:s,s:s,s:s}", "code_block", block, "history", hist, "code", st->s->code);
    json_t *ctx = json_pack("{s:s,s:O,s:s,s:i,s:i,s:i}", "code_block", block, "history", history, "code",
                            st->s->code, "lane", st->lane, "outer_step", t, "inner_step", k);
    free(hist);
    struct err err = {{0}};
    char *plan = agent_ask(st->a, "plan", call_id, vars, ctx, false, &err);
    json_decref(vars);
    json_decref(ctx);
    return plan;
}

/* Implements plan on block and splices it in; 0 with *sp filled. The calls
 * are <prefix>/implement#<attempt>. */
static int implement(struct refine_state *st, const char *prefix, int t, int k, const char *block, const char *plan,
                     json_t *history, struct code_splice *sp, char **new_block)
{
    char *reason = NULL;
    for (long attempt = 0; attempt <= st->a->cfg.pipeline.placement_retries; attempt++) {
        char call_id[160];
        snprintf(call_id, sizeof call_id, "%s/implement#%ld", prefix, attempt);
        json_t *vars = json_pack("{s:s,s:s,s:s,s:s}", "code_block", block, "plan", plan, "code", st->s->code,
                                 "retry_reason", reason ? reason : "");
        json_t *ctx = json_pack("{s:s,s:s,s:s,s:O,s:i,s:i,s:i}", "code_block", block, "plan", plan, "code",
                                st->s->code, "history", history, "lane", st->lane, "outer_step", t, "inner_step", k);
        struct err err = {{0}};
        char *nb = agent_ask_code(st->a, "implement", call_id, vars, ctx, &err);
        json_decref(vars);
        json_decref(ctx);
        free(reason);
        reason = NULL;
        if (!nb)
            return -1;
        if (code_replace_block(st->s->code, block, nb, sp, &err) == 0) {
            *new_block = nb;
            return 0;
        }
        reason = xasprintf("Your block could not be used: %s", err.msg);
        free(nb);
    }
    free(reason);
    return -1;
}

struct variant_ask {
    struct refine_state *st;
    const char *node_key;
    int t, k;
    const char *block, *plan;
    json_t *history;
};

/* The plan implemented anew when its variant could not be debugged. */
static char *regenerate_variant(struct agent *a, void *ctx, int attempt)
{
    (void)a;
    struct variant_ask *q = ctx;
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s/regen%d", q->node_key, attempt);
    struct code_splice sp;
    char *new_block = NULL;
    if (implement(q->st, prefix, q->t, q->k, q->block, q->plan, q->history, &sp, &new_block) < 0)
        return NULL;
    char *code = xstrdup(sp.code);
    code_splice_free(&sp);
    free(new_block);
    return code;
}

static void refine_block(struct refine_state *st, int t, const char *block, char *plan)
{
    struct agent *a = st->a;
    json_t *history = json_array();
    struct solution best = {0};
    for (int k = 0; k < a->cfg.pipeline.inner_steps && agent_search_time_ok(a); k++) {
        if (k > 0) {
            free(plan);
            plan = next_plan(st, t, k, block, history);
            if (!plan)
                break;
        }
        struct code_splice sp;
        char *new_block = NULL;
        json_t *h = json_pack("{s:s}", "plan", plan);
        char node_key[64];
        snprintf(node_key, sizeof node_key, "lane%d/t%d/k%d", st->lane, t, k);
        if (implement(st, node_key, t, k, block, plan, history, &sp, &new_block) == 0) {
            struct variant_ask q = {st, node_key, t, k, block, plan, history};
            struct script_job job = {
                .stage = "refine", .call_id = node_key, .area = st->area, .lane = st->lane, .outer_step = t,
                .inner_step = k, .parent_id = st->s->node_id, .plan = plan, .block_before = block,
                .block_after = new_block, .diff = sp.diff, .need_score = true, .check_leakage = true,
                .regenerate = regenerate_variant, .regenerate_ctx = &q,
            };
            struct solution v = {0};
            guard_run_script(a, &job, sp.code, &v);
            double wall = agent_node_wall_s(a, v.node_id);
            if (wall >= 0)
                json_object_set_new(h, "wall_s", json_real(wall));
            if (v.ok && v.has_score) {
                json_object_set_new(h, "score", json_real(v.score));
                agent_note_score(a, st->lane, v.node_id, v.score);
            }
            if (v.ok && v.has_score && (!best.code || agent_better(a, v.score, best.score))) {
                solution_clear(&best);
                best = v;
            } else {
                solution_clear(&v);
            }
            code_splice_free(&sp);
            free(new_block);
        }
        json_array_append_new(history, h);
    }
    free(plan);
    bool improved = best.code && agent_better(a, best.score, st->s->score);
    json_t *d = json_pack("{s:i,s:i,s:o,s:b}", "lane", st->lane, "outer_step", t, "plans", history, "improved",
                          improved);
    agent_event(a, "refined", d);
    json_decref(d);
    if (improved) {
        log_info("lane %d t%d: block refinement improved %.6g -> %.6g", st->lane, t, st->s->score, best.score);
        solution_clear(st->s);
        *st->s = best;
    } else {
        solution_clear(&best);
    }
}

int stage_refine(struct agent *a, int lane, struct solution *s)
{
    struct refine_state st = {.a = a, .lane = lane, .s = s};
    snprintf(st.area, sizeof st.area, "lane%d", lane);
    st.refined_blocks = json_array();
    st.ablations = json_array();
    for (int t = 0; t < a->cfg.pipeline.outer_steps && agent_search_time_ok(a); t++) {
        char *summary = run_ablation(&st, t);
        json_array_append_new(st.ablations, json_string(summary));
        char *block = NULL, *plan = NULL;
        if (extract_block(&st, t, summary, &block, &plan) == 0) {
            json_t *d = json_pack("{s:i,s:i,s:s,s:s,s:s}", "lane", lane, "outer_step", t, "summary", summary,
                                  "block", block, "plan", plan);
            agent_event(a, "extracted", d);
            json_decref(d);
            json_array_append_new(st.refined_blocks, json_string(block));
            refine_block(&st, t, block, plan); /* takes plan */
            free(block);
        } else {
            log_warn("lane %d t%d: no refinable block was extracted; next step", lane, t);
        }
        free(summary);
    }
    json_decref(st.refined_blocks);
    json_decref(st.ablations);
    return 0;
}
