/* stage_submit.c - step 9: the submission. The best solution is rewritten
 * to train on all the data (subsampling removed), predict the test set and
 * write ./final/submission.csv; that script runs on full data and its file
 * is validated against the sample submission. An invalid file goes back
 * through the debugger like a crash. When the best solution cannot be
 * turned into a valid submission, the next best is tried (up to 3), so a
 * run with any working solution ends with a valid file.
 *
 * The chosen script and its submission are copied to RUN/final/, over the
 * fallback (fallback.c) that the search kept there. The fallback stands
 * instead, and the event "submitted" says why, when the full-data step is
 * predicted not to finish before the deadline (budget.h), or when every try
 * failed or ran out of time. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

#define SUBMIT_TRIES 3

struct submit_ctx {
    struct agent *a;
    const struct solution *from;
    int index;
};

static char *ask_submission(struct agent *a, const char *call_id, const char *code)
{
    json_t *vars = json_pack("{s:s}", "code", code);
    json_t *ctx = json_pack("{s:s}", "code", code);
    struct err err = {{0}};
    char *out = agent_ask_code(a, "submission", call_id, vars, ctx, &err);
    json_decref(vars);
    json_decref(ctx);
    return out;
}

static char *regenerate(struct agent *a, void *ctx, int attempt)
{
    struct submit_ctx *s = ctx;
    char call_id[96];
    snprintf(call_id, sizeof call_id, "final/s%d/regen%d/submission", s->index, attempt);
    return ask_submission(a, call_id, s->from->code);
}

static int publish(struct agent *a, const struct solution *sol, struct err *err)
{
    char *sub_from = fs_join(sol->attempt_dir, "final/submission.csv");
    int rc = agent_publish_final(a, sol->code, sub_from, err);
    free(sub_from);
    return rc;
}

static void announce(struct agent *a, const struct solution *s, const struct solution *from)
{
    json_t *d = json_pack("{s:I,s:I,s:s}", "node", (json_int_t)s->node_id, "from", (json_int_t)from->node_id,
                          "source", "full-data");
    if (s->has_score)
        json_object_set_new(d, "score", json_real(s->score));
    if (a->final_prior_only)
        json_object_set_new(d, "prior_only", json_true());
    agent_event(a, "submitted", d);
    json_decref(d);
}

/* The fallback as the run's submission; -1 when there is none. */
static int keep_fallback(struct agent *a, const char *why)
{
    if (!a->has_fallback)
        return -1;
    fallback_explain(a, why);
    return 0;
}

int stage_submit(struct agent *a, const struct solution *const *ranked, size_t n, struct solution *final_sol)
{
    if (a->has_fallback && !budget_final_fits(a)) {
        char why[160];
        snprintf(why, sizeof why, "the full-data step (predicted %.0f s) would not finish before the deadline",
                 budget_predict_final(a));
        return keep_fallback(a, why);
    }
    const char *why = "every full-data try failed";
    for (size_t i = 0; i < n && i < SUBMIT_TRIES && !a->interrupted; i++) {
        if (i > 0 && a->has_fallback && !budget_final_fits(a)) {
            why = "the full-data step failed and no time was left for another try";
            break;
        }
        char node_key[64], call_id[96];
        snprintf(node_key, sizeof node_key, "final/s%zu", i);
        snprintf(call_id, sizeof call_id, "%s/submission", node_key);
        char *code = ask_submission(a, call_id, ranked[i]->code);
        if (!code)
            continue;
        struct submit_ctx ctx = {a, ranked[i], (int)i};
        struct script_job job = {
            .stage = "submission", .call_id = node_key, .area = "final", .lane = -1, .outer_step = -1,
            .inner_step = -1, .parent_id = ranked[i]->node_id, .need_score = false, .submit_mode = true,
            .check_leakage = true, .regenerate = regenerate, .regenerate_ctx = &ctx,
        };
        struct solution s = {0};
        guard_run_script(a, &job, code, &s);
        free(code);
        if (s.ok) {
            struct err err = {{0}};
            if (publish(a, &s, &err) < 0) {
                log_error("cannot write the final solution: %s", err.msg);
                solution_clear(&s);
                return -1;
            }
            *final_sol = s;
            announce(a, &s, ranked[i]);
            return 0;
        }
        log_warn("submission from node %lld failed; trying the next best solution", (long long)ranked[i]->node_id);
        solution_clear(&s);
    }
    return keep_fallback(a, a->interrupted ? "the run was interrupted" : why);
}
