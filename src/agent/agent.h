/* agent.h - the MLE-STAR pipeline: the run's state and what every stage
 * shares.
 *
 * `mlestar run` builds one struct agent (agent_open), then agent_run()
 * drives the stages, each in its own file:
 *   stage_retrieve.c   M models with example code (web search / catalog)
 *   stage_candidate.c  one script per model, run and scored, concurrently
 *   stage_merge.c      s0: merge candidates best-first, stop at the first loss
 *   stage_usage.c      data-usage check of s0 (LLM + files never opened)
 *   stage_refine.c     T outer steps: ablation, summary, extraction; K inner
 *                      plans per step: implement the block, splice, run
 *   stage_ensemble.c   R rounds combining the L lanes' solutions
 *   stage_submit.c     full data, test predictions, validated submission
 * and the guards every script passes through:
 *   guard_debug.c      fix from traceback, regenerate, fall back
 *   guard_leakage.c    LLM leakage check + the record of files read
 * Lanes run as threads (lane.c); scripts go through the exec pool; every
 * LLM call and every execution is memoized in the journal under a logical
 * key, which is how `mlestar resume` replays a run up to where it died
 * without repeating work (see resume in agent.c).
 *
 * Nothing here knows which LLM answers: the builtin planner (builtin_*.c)
 * is one more provider that reads the structured context each request
 * carries.
 *
 * Thread-safety: struct agent is shared by the lane threads; its mutable
 * parts (best score, stop flag, counters) are behind `lock`. */
#ifndef MLESTAR_AGENT_AGENT_H
#define MLESTAR_AGENT_AGENT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/budget.h"
#include "exec/exec.h"
#include "llm/llm.h"
#include "search/search.h"
#include "store/store.h"
#include "task/task.h"
#include "util/config.h"
#include "util/err.h"

struct progress;
struct callkey_registry;

struct agent {
    struct config cfg;
    struct task *task;
    json_t *profile;            /* profile_to_json() */
    char *profile_md;           /* bounded Markdown for prompts */
    json_t *task_facts;         /* what scripts must know: columns, metric, formats (see agent_task_facts) */
    struct pyenv pyenv;
    char *env_text;             /* pyenv_describe() */
    struct llm_client *llm;
    struct llm_recorder recorder;
    struct store *store;
    struct exec_pool *pool;
    struct progress *progress;  /* live display fed by agent_event (report/progress.h); NULL = none; caller owns */
    struct search_catalog *catalog;
    char *run_dir;
    char *metric;
    bool lower_is_better;
    int slots;
    double t_start;             /* time_mono() at start (or resume) */
    double deadline;            /* time_mono() when the budget ends; 0 = none */
    double time_used_before;    /* wall seconds spent by earlier sessions of a resumed run */

    pthread_mutex_t lock;
    volatile int stop;          /* set when a budget is spent: search ends, submission goes on */
    volatile int interrupted;   /* set on SIGINT/SIGTERM: running scripts are killed, nothing new starts */
    char stop_reason[256];
    char fatal[512];            /* why the task cannot be done at all ("" = none) */
    long scripts_run;
    long scripts_running;
    bool has_best;
    double best_score;
    int best_lane;
    struct budget budget;       /* the clock and the cost model (budget.h) */
    /* The fallback submission (fallback.c): the best search script's test
     * predictions, kept in RUN/final/ from the first valid one on. */
    bool has_fallback;
    double fallback_score;
    int64_t fallback_node;
    char fallback_stage[32];
    bool submitted_fallback;    /* the run's submission is the fallback ... */
    char submit_why[192];       /* ... because of this */
    bool final_prior_only;      /* RUN/final/solution.py is a prior-only guess (agent_code_is_prior_only) */
    struct callkey_registry *asked_calls; /* the LLM calls of this process (agent/callkey.h); NULL until the first */
};

/* A solution script with its measured outcome. */
struct solution {
    int64_t node_id;
    char *code;
    bool ok;                    /* ran to completion */
    bool has_score;
    double score;
    char *attempt_dir;
    char *model_name;           /* for candidates */
    char **files_read;          /* inputs it opened (relative to input/) */
    size_t nfiles_read;
};

void solution_clear(struct solution *s);
void solution_copy(struct solution *dst, const struct solution *src);

/* ---- run-level (agent.c) ---- */
struct agent_open_opts {
    const struct config *cfg;
    const char *task_dir;       /* may be NULL with task.data_dir */
    const char *run_dir;        /* "" = runs/<task>-<time> */
    bool resume;
};
int agent_open(const struct agent_open_opts *opts, struct agent **out, struct err *err);
/* Runs the pipeline to the end. Returns 0 with a valid submission written,
 * -1 otherwise (err says why; the journal holds the details). */
int agent_run(struct agent *a, struct err *err);
void agent_close(struct agent *a);
/* Registers the builtin planner as an LLM provider (idempotent). */
void agent_register_builtin(void);

/* ---- shared helpers (agent.c, agent_exec.c, agent_llm.c) ---- */
/* true when a is strictly better than b under the run's direction. */
bool agent_better(const struct agent *a, double x, double y);
/* Seconds left in the budget (a large number when there is none). */
double agent_time_left(const struct agent *a);
/* true while refinement work may start: no stop requested and one more
 * script fits before the search's part of the time ends (budget.h). */
bool agent_search_time_ok(struct agent *a);
/* true while merges and the usage check may start (the first part of the
 * search, budget.h). */
bool agent_init_time_ok(struct agent *a);
/* true while an ensemble round may start (before the final step's reserve). */
bool agent_ensemble_time_ok(struct agent *a);
/* true when the run must stop starting new work (budget, signal). */
bool agent_should_stop(struct agent *a);
void agent_request_stop(struct agent *a, const char *why);
/* Journal event + progress line; data is borrowed. */
void agent_event(struct agent *a, const char *type, json_t *data);
/* Reports a score of a lane to the run's best. */
void agent_note_score(struct agent *a, int lane, int64_t node_id, double score);

/* One LLM call. `stage` names the prompt template (prompts/<stage>.txt) and
 * the stage for accounting; `vars` fills the template (the common task
 * context is added); `context` is the structured context for the builtin
 * planner (stage-specific keys; the common ones are added). Returns the
 * reply text (malloc'd) or NULL + err. Both json objects are borrowed. */
char *agent_ask(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                bool cheap, struct err *err);
/* agent_ask, then the first Python block of the reply. */
char *agent_ask_code(struct agent *a, const char *stage, const char *call_id, json_t *vars,
                     json_t *context, struct err *err);
/* agent_ask, then the JSON list in the reply. */
json_t *agent_ask_json(struct agent *a, const char *stage, const char *call_id, json_t *vars,
                       json_t *context, bool cheap, struct err *err);

/* Runs a script in the sandbox, memoized by exec_key (the journal answers
 * a run it already finished). attempt_label names the attempt folder under
 * RUN/<area>/ (lane<N> or ensemble or final). */
struct run_outcome {
    struct exec_result res;
    bool valid_submission;      /* when a submission was required */
    char *submission_error;     /* why it is invalid */
    long rows_reported;         /* its last `Training rows: <n>` line; -1 = none */
    bool subsample_dropped;     /* a search script that trains on more rows than pipeline.subsample_rows */
};
/* stage names the script's part of the time (budget_part_of): its hard
 * deadline. Returns -1 without running when its part has no time left
 * (err says so) or on interruption. */
int agent_exec(struct agent *a, const char *area, const char *label, int64_t node_id, const char *code,
               const char *stage, bool submit_mode, struct run_outcome *out, struct err *err);
/* Validates a submission file against the sample submission; returns NULL
 * when valid, else the reason (malloc'd). */
char *agent_check_submission(struct agent *a, const char *path);

/* ---- the fallback submission (fallback.c) ---- */
/* Copies `submission` to RUN/final/submission.csv and writes `code` as
 * RUN/final/solution.py, each atomically (the final step and the fallback). */
int agent_publish_final(struct agent *a, const char *code, const char *submission, struct err *err);

/* True when a solution learns nothing from the inputs: it says so with the
 * marker PRIOR_ONLY_MARKER (the builtin kit's model/prior prints it; the
 * prompts ask the same of an LLM's constant guess). The summary, the
 * "submitted" event and the report label such a submission. */
#define PRIOR_ONLY_MARKER "PRIOR-ONLY"
bool agent_code_is_prior_only(const char *code);
/* Offers a finished search script's ./final/submission.csv: when it is
 * valid and its score is the best offered so far, it becomes RUN/final/
 * submission.csv (and its script RUN/final/solution.py). */
void fallback_offer(struct agent *a, const char *stage, int64_t node_id, const char *code,
                    const char *attempt_dir, const struct exec_result *res);
/* Records (event "submitted", source "fallback") that the fallback stands
 * as the run's submission, and why the full-data step did not replace it. */
void fallback_explain(struct agent *a, const char *why);
void run_outcome_free(struct run_outcome *o);
/* The text shown to the debugger: stderr tail, trimmed around what matters. */
char *run_outcome_error_text(const struct run_outcome *o, bool need_score, bool need_submission);
bool run_outcome_ok(const struct run_outcome *o, bool need_score, bool need_submission);

/* The plans tried so far, for prompts, from [{plan, score?, wall_s?,
 * error?}] (a plan without a score failed to run): best first, each with
 * its score, its change against the base (when has_base) and its run time.
 * malloc'd. */
char *agent_history_text(const struct agent *a, json_t *history, bool has_base, double base_score);
/* Wall seconds of the last execution of a node (from the journal), -1 when none. */
double agent_node_wall_s(struct agent *a, int64_t node_id);
/* A list of strings as readable prompt sections "## <title> N" (as_code:
 * each in a ```python fence); "(none)" when empty. malloc'd. */
char *agent_sections_text(json_t *items, const char *title, bool as_code);
/* Journals a recovery (event "recovery" {kind, call_id, detail}), which
 * `mlestar show` lists: a reply parsed on the second try, a leak fixed, a
 * block placed after a retry, a fix rejected for dropping the subsample ... */
void agent_recovery(struct agent *a, const char *kind, const char *call_id, const char *detail);
/* Points *ranked at the working, scored solutions of sols, best first
 * (ties: older node first). Returns how many; free(*ranked) after. */
size_t agent_rank(struct agent *a, struct solution *sols, size_t n, struct solution ***ranked);

/* ---- guards ---- */
/* Runs `code` (after the leakage check when enabled), debugging it on
 * failure: up to pipeline.debug_rounds fixes from the traceback. On return
 * `sol` holds the last code tried and its outcome (sol->ok says whether it
 * worked). call_id names the step ("lane0/cand2"). Never fails the run:
 * returns 0 even when nothing worked (sol->ok false), -1 only on stop. */
struct script_job {
    const char *stage;          /* for the node and prompts */
    const char *call_id;
    const char *area;           /* attempt folder area: "lane0", "ensemble", "final" */
    int lane;
    int outer_step, inner_step;
    int64_t parent_id, parent2_id;
    const char *model_name;
    const char *plan;
    const char *block_before, *block_after, *diff;
    bool need_score;
    bool submit_mode;           /* a submission file is required */
    bool check_leakage;
    /* Writes the script anew (the original request again, under a new call
     * id) when debugging fails; NULL = no regeneration. Returns malloc'd code. */
    char *(*regenerate)(struct agent *a, void *ctx, int attempt);
    void *regenerate_ctx;
};
int guard_run_script(struct agent *a, const struct script_job *job, const char *code, struct solution *sol);
/* The leakage check of the paper on one script: returns malloc'd code,
 * fixed when a leak was found (or the input unchanged). */
char *guard_leakage(struct agent *a, const char *call_id, const char *code);

/* ---- stages ---- */
int stage_retrieve(struct agent *a, int lane, json_t **models_out);
int stage_candidates(struct agent *a, int lane, json_t *models, struct solution **out, size_t *nout);
int stage_merge(struct agent *a, int lane, struct solution *cands, size_t n, struct solution *s0);
int stage_usage(struct agent *a, int lane, struct solution *s0);
int stage_refine(struct agent *a, int lane, struct solution *s);
int stage_ensemble(struct agent *a, struct solution *lanes, size_t nlanes, struct solution *best);
int stage_submit(struct agent *a, const struct solution *const *ranked, size_t n, struct solution *final_sol);
/* Metric and direction from the description when neither task.json nor flags gave them. */
int stage_metric(struct agent *a, struct err *err);

#endif
