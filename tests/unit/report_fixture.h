/* report_fixture.h - a small journal built by hand with the store API, as
 * the pipeline would leave it: two lanes (candidates, a debug attempt, a
 * merge, an ablation with its output, two inner plans with diffs), an
 * ensemble round, a submission run, events and LLM calls. Shared by the
 * report's unit tests. */
#ifndef MLESTAR_TESTS_REPORT_FIXTURE_H
#define MLESTAR_TESTS_REPORT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/mem.h"

#define FIX_XSS "</script><img src=x onerror=alert(1)>"
#define FIX_FINAL_CODE                                                                  \
    "import pandas as pd\n# final: train on all rows & write './final/submission.csv'\n" \
    "print(1 < 2)\n"

static inline char *fix_tmpdir(void)
{
    char *dir = xstrdup("/tmp/mlestar-report-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static inline void fix_rm(char *dir)
{
    struct err err = {{0}};
    assert_int_equal(fs_rm_rf(dir, &err), 0);
    free(dir);
}

struct fix_node {
    const char *key;
    const char *parent;      /* key or NULL */
    const char *parent2;
    int lane;
    const char *stage;
    int t, k;
    const char *model, *plan, *code, *diff, *block_before;
    const char *status;
    bool has_score;
    double score;
    const char *stdout_tail, *stderr_tail; /* an execution is saved when either is set */
};

static inline int64_t fix_add(struct store *s, const struct fix_node *f)
{
    struct err err = {{0}};
    int64_t parent = 0, parent2 = 0, id = 0;
    if (f->parent)
        assert_int_equal(store_node_find(s, f->parent, &parent, &err), 0);
    if (f->parent2)
        assert_int_equal(store_node_find(s, f->parent2, &parent2, &err), 0);
    struct store_node n = {
        .node_key = f->key, .parent_id = parent, .parent2_id = parent2, .lane = f->lane, .stage = f->stage,
        .outer_step = f->t, .inner_step = f->k, .model_name = f->model, .plan = f->plan,
        .code = f->code ? f->code : "print('Final Validation Performance: 0.5')\n",
        .block_before = f->block_before, .diff = f->diff, .status = "pending",
    };
    if (store_node_add(s, &n, &id, &err) < 0)
        fail_msg("store_node_add(%s): %s", f->key, err.msg);
    json_t *d = json_pack("{s:I,s:s,s:s,s:i,s:i,s:i}", "node", (json_int_t)id, "key", f->key, "stage", f->stage,
                          "lane", f->lane, "outer_step", f->t, "inner_step", f->k);
    assert_int_equal(store_event(s, "script_started", d, NULL, &err), 0);
    json_decref(d);
    if (f->stdout_tail || f->stderr_tail) {
        bool ok = !strcmp(f->status, "ok");
        struct exec_result r = {
            .status = ok ? 0 : 1, .exit_code = ok ? 0 : 1, .wall_s = 1.5, .cpu_s = 1.2,
            .peak_rss_bytes = 80LL << 20, .stdout_tail = (char *)(f->stdout_tail ? f->stdout_tail : ""),
            .stderr_tail = (char *)(f->stderr_tail ? f->stderr_tail : ""), .has_score = f->has_score,
            .score = f->score,
        };
        char key[128];
        snprintf(key, sizeof key, "%s/run:%lld", f->key, (long long)id);
        assert_int_equal(store_exec_save(s, key, id, NULL, &r, &err), 0);
    }
    assert_int_equal(store_node_update(s, id, f->status, f->has_score, f->score, NULL, &err), 0);
    return id;
}

static inline void fix_event(struct store *s, const char *type, json_t *data)
{
    struct err err = {{0}};
    assert_int_equal(store_event(s, type, data, NULL, &err), 0);
    json_decref(data);
}

static inline void fix_llm_call(struct store *s, const char *stage, const char *call_id, long in, long out)
{
    struct llm_recorder rec;
    store_llm_recorder(s, &rec);
    struct llm_message msg = {0};
    msg.role = LLM_USER;
    msg.content = "hello";
    struct llm_request req = {.stage = stage, .call_id = call_id, .messages = &msg, .nmessages = 1};
    struct llm_reply rep = {.text = "ok", .usage = {in, out, 0}, .latency_s = 0.5, .request_id = "",
                            .model = "builtin", .cost_usd = 0.001, .tries = 1,
                            .queued_s = strcmp(stage, "plan") == 0 ? 0.3 : 0.0}; /* the plan call waited */
    char key[128];
    snprintf(key, sizeof key, "%s#key", call_id);
    rec.save(rec.ctx, key, &req, &rep, 0, NULL);
}

/* Builds the journal in run_dir. finished=false leaves the run "running"
 * (no ensemble, no submission yet). lower=true makes the metric rmse. */
static inline void fix_build(const char *run_dir, bool finished, bool lower)
{
    struct err err = {{0}};
    struct store *s = NULL;
    assert_int_equal(store_open(run_dir, true, &s, &err), 0);
    json_t *settings = json_pack("{s:{s:i,s:i,s:i,s:i,s:i},s:{s:s,s:s},s:{s:s,s:s}}", "pipeline", "models", 2,
                                 "outer_steps", 1, "inner_steps", 2, "lanes", 2, "ensemble_rounds", 1, "llm",
                                 "provider", "builtin", "model", "", "task", "metric", "", "direction", "");
    assert_int_equal(store_run_begin(s, "breast-cancer", "/data/breast-cancer", "[run]\n", settings, &err), 0);
    json_decref(settings);
    double sign = lower ? -1 : 1, base = lower ? 1.0 : 0.0;
    fix_event(s, "run_started", json_pack("{s:s,s:s}", "task", "breast-cancer", "run_dir", run_dir));
    fix_event(s, "metric", json_pack("{s:s,s:b}", "metric", lower ? "rmse" : "auc", "lower_is_better", lower));
    for (int lane = 0; lane < 2; lane++) {
        fix_event(s, "lane_started", json_pack("{s:i}", "lane", lane));
        fix_event(s, "retrieved", json_pack("{s:i,s:[s,s]}", "lane", lane, "models", "logistic_regression",
                                            "<b>forest</b>"));
    }
    fix_llm_call(s, "retrieve", "lane0/retrieve", 1200, 300);
    fix_llm_call(s, "candidate", "lane0/cand0/candidate", 2500, 900);
    fix_llm_call(s, "plan", "lane0/t0/k1/plan", 3100, 150);

    const struct fix_node nodes[] = {
        {"lane0/cand0", NULL, NULL, 0, "candidate", -1, -1, "logistic_regression", NULL, NULL, NULL, NULL, "ok",
         true, base + sign * 0.95, "Final Validation Performance: 0.95\n", NULL},
        {"lane0/cand1", NULL, NULL, 0, "candidate", -1, -1, "<b>forest</b>", NULL, "import x\n" FIX_XSS "\n",
         NULL, NULL, "failed", false, 0, NULL, "Traceback (most recent call last):\nValueError: <bad> & 'worse'\n"},
        {"lane0/cand1/debug1", "lane0/cand1", NULL, 0, "debug", -1, -1, "<b>forest</b>", NULL, NULL, NULL, NULL,
         "ok", true, base + sign * 0.96, "ok\n", NULL},
        {"lane1/cand0", NULL, NULL, 1, "candidate", -1, -1, "logistic_regression", NULL, NULL, NULL, NULL, "ok",
         true, base + sign * 0.94, NULL, NULL},
        {"lane1/cand1", NULL, NULL, 1, "candidate", -1, -1, "<b>forest</b>", NULL, NULL, NULL, NULL, "ok", true,
         base + sign * 0.955, NULL, NULL},
        {"lane0/merge1", "lane0/cand1/debug1", "lane0/cand0", 0, "merge", -1, -1, NULL,
         "average logistic_regression into the forest", NULL, NULL, NULL, "ok", true, base + sign * 0.965, NULL,
         NULL},
        {"lane0/t0/ablation", "lane0/merge1", NULL, 0, "ablation", 0, -1, NULL, NULL, NULL, NULL, NULL, "ok", true,
         base + sign * 0.99,
         "training...\nAblation result: full: 0.965\nAblation result: no_scaling: 0.951\n"
         "Ablation result: no_feature_eng: 0.97\n",
         NULL},
        {"lane0/t0/k0", "lane0/merge1", NULL, 0, "refine", 0, 0, NULL, "scale the features with a RobustScaler",
         NULL,
         "--- block\n+++ block\n@@ -1,2 +1,2 @@\n-X = StandardScaler().fit_transform(X)\n"
         "+X = RobustScaler().fit_transform(X)\n unchanged\n",
         "X = StandardScaler().fit_transform(X)\n", "ok", true, base + sign * 0.97, NULL, NULL},
        {"lane0/t0/k1", "lane0/merge1", NULL, 0, "refine", 0, 1, NULL, "quantile transform \"then\" 'clip'", NULL,
         "--- block\n+++ block\n@@ -1 +1 @@\n-X = StandardScaler().fit_transform(X)\n"
         "+X = QuantileTransformer().fit_transform(X)\n",
         "X = StandardScaler().fit_transform(X)\n", "ok", true, base + sign * 0.968, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++)
        fix_add(s, &nodes[i]);
    int64_t merged = 0;
    assert_int_equal(store_node_find(s, "lane0/merge1", &merged, &err), 0);
    fix_event(s, "candidates_done", json_pack("{s:i,s:i,s:i}", "lane", 0, "candidates", 2, "working", 2));
    fix_event(s, "merge", json_pack("{s:i,s:s,s:b,s:f}", "lane", 0, "added", "logistic_regression", "kept", 1,
                                    "score", base + sign * 0.965));
    fix_event(s, "usage_check", json_pack("{s:i,s:[],s:b}", "lane", 0, "unused_files", "rewritten", 0));
    fix_event(s, "extracted", json_pack("{s:i,s:i,s:s,s:s,s:s}", "lane", 0, "outer_step", 0, "summary",
                                        "Scaling matters most: without it the score drops by 0.014.", "block",
                                        "X = StandardScaler().fit_transform(X)\n", "plan",
                                        "scale the features with a RobustScaler"));
    fix_event(s, "refined", json_pack("{s:i,s:i,s:[],s:b}", "lane", 0, "outer_step", 0, "plans", "improved", 1));
    assert_int_equal(store_run_set_best(s, base + sign * 0.97, merged + 2, &err), 0);
    if (finished) {
        const struct fix_node tail[] = {
            {"ensemble/r0", "lane0/t0/k0", "lane1/cand1", -1, "ensemble", -1, 0, NULL,
             "average the two lanes' predictions", NULL, NULL, NULL, "ok", true, base + sign * 0.975, NULL, NULL},
            {"final/s0", "ensemble/r0", NULL, -1, "submission", -1, -1, NULL, NULL, FIX_FINAL_CODE, NULL, NULL, "ok",
             true, base + sign * 0.974, NULL, NULL},
        };
        for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
            fix_add(s, &tail[i]);
        int64_t final_id = 0, ens_id = 0;
        assert_int_equal(store_node_find(s, "final/s0", &final_id, &err), 0);
        assert_int_equal(store_node_find(s, "ensemble/r0", &ens_id, &err), 0);
        fix_event(s, "lane_finished", json_pack("{s:i,s:b,s:f}", "lane", 0, "ok", 1, "score", base + sign * 0.97));
        fix_event(s, "lane_finished", json_pack("{s:i,s:b,s:f}", "lane", 1, "ok", 1, "score", base + sign * 0.955));
        fix_event(s, "ensemble_done", json_pack("{s:[{s:s,s:f}],s:f}", "rounds", "plan", "average", "score",
                                                base + sign * 0.975, "best", base + sign * 0.975));
        fix_event(s, "submitted", json_pack("{s:I,s:I,s:f}", "node", (json_int_t)final_id, "from",
                                            (json_int_t)ens_id, "score", base + sign * 0.974));
        assert_int_equal(store_run_set_best(s, base + sign * 0.975, ens_id, &err), 0);
        assert_int_equal(store_run_set_status(s, "finished", "finished with a valid submission", &err), 0);
        fix_event(s, "run_finished", json_pack("{s:s,s:s}", "status", "finished", "message", "ok"));
    }
    store_close(s);
}

#endif
