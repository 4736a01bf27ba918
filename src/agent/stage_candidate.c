/* stage_candidate.c - step 2: one simple script per retrieved model, all
 * generated, checked and run concurrently (threads; the LLM client and the
 * exec pool bound what really runs at once). A candidate that cannot be
 * made to work is kept as failed: it never ranks above a real score. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

struct candidate_task {
    struct agent *a;
    int lane;
    int index;
    json_t *model;          /* borrowed */
    struct solution sol;
};

static char *generate(struct agent *a, struct candidate_task *t, const char *call_id)
{
    const char *name = json_str(t->model, "model_name", "");
    const char *example = json_str(t->model, "example_code", "");
    json_t *vars = json_pack("{s:s,s:s}", "model_name", name, "example_code", example);
    json_t *ctx = json_pack("{s:s,s:s,s:i,s:i}", "model_name", name, "example_code", example, "lane", t->lane,
                            "index", t->index);
    struct err err = {{0}};
    char *code = agent_ask_code(a, "candidate", call_id, vars, ctx, &err);
    json_decref(vars);
    json_decref(ctx);
    return code;
}

static char *regenerate(struct agent *a, void *ctx, int attempt)
{
    struct candidate_task *t = ctx;
    char call_id[96];
    snprintf(call_id, sizeof call_id, "lane%d/cand%d/regen%d/candidate", t->lane, t->index, attempt);
    return generate(a, t, call_id);
}

static void *candidate_main(void *arg)
{
    struct candidate_task *t = arg;
    struct agent *a = t->a;
    char node_key[64], call_id[96], area[32];
    snprintf(node_key, sizeof node_key, "lane%d/cand%d", t->lane, t->index);
    snprintf(call_id, sizeof call_id, "%s/candidate", node_key);
    snprintf(area, sizeof area, "lane%d", t->lane);
    const char *name = json_str(t->model, "model_name", "");
    char *code = generate(a, t, call_id);
    if (!code) {
        log_warn("%s: no script for %s", node_key, name);
        return NULL;
    }
    struct script_job job = {
        .stage = "candidate", .call_id = node_key, .area = area, .lane = t->lane,
        .outer_step = -1, .inner_step = -1, .model_name = name, .need_score = true,
        .check_leakage = true, .regenerate = regenerate, .regenerate_ctx = t,
    };
    guard_run_script(a, &job, code, &t->sol);
    free(code);
    t->sol.model_name = xstrdup(name);
    if (t->sol.ok && t->sol.has_score)
        agent_note_score(a, t->lane, t->sol.node_id, t->sol.score);
    return NULL;
}

int stage_candidates(struct agent *a, int lane, json_t *models, struct solution **out, size_t *nout)
{
    size_t n = json_array_size(models);
    struct candidate_task *tasks = xcalloc(n ? n : 1, sizeof *tasks);
    pthread_t *threads = xcalloc(n ? n : 1, sizeof *threads);
    bool *started = xcalloc(n ? n : 1, sizeof *started);
    for (size_t i = 0; i < n; i++) {
        tasks[i] = (struct candidate_task){a, lane, (int)i, json_array_get(models, i), {0}};
        started[i] = pthread_create(&threads[i], NULL, candidate_main, &tasks[i]) == 0;
        if (!started[i])
            candidate_main(&tasks[i]); /* no thread to be had: run it here */
    }
    for (size_t i = 0; i < n; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    free(started);
    *out = xcalloc(n ? n : 1, sizeof **out);
    *nout = n;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = tasks[i].sol;
        ok += tasks[i].sol.ok;
    }
    free(tasks);
    free(threads);
    json_t *d = json_pack("{s:i,s:I,s:I}", "lane", lane, "candidates", (json_int_t)n, "working", (json_int_t)ok);
    agent_event(a, "candidates_done", d);
    json_decref(d);
    return 0;
}
