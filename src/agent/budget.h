/* budget.h - the run's clock: the deadline every script obeys, the time
 * kept for what must follow, and the cost model that plans the search.
 *
 * run.time_limit is a promise: from start to summary. Time is split, from
 * the end backwards, into
 *   END_MARGIN            the summary, the report, copying the submission;
 *   final reserve         the full-data step, predicted from the best search
 *                         script's measured wall time scaled by the rows it
 *                         did not see (skipped when it cannot fit: the
 *                         fallback submission then stands);
 *   ensemble reserve      one ensemble round, predicted from the lanes'
 *                         measured script times;
 *   search                candidates, merges and the usage check in its first
 *                         part (INIT_SHARE), refinement in the rest.
 * No script outlives its part: each gets a hard deadline (limits.deadline_mono)
 * at the end of the part it belongs to, counted when it starts, so a script
 * that waited in the pool's queue gets only what is left. Each also gets a
 * planned time (its share of its part, from the scripts still planned there),
 * told to the LLM and to the builtin planner's scripts (which size their
 * folds to it).
 *
 * Costs are measured, not assumed: every finished script reports its wall
 * time by stage; predictions use the means (before the first measurement,
 * fixed fractions of the limit stand in).
 *
 * All functions take the agent's lock themselves; call them without it. */
#ifndef MLESTAR_AGENT_BUDGET_H
#define MLESTAR_AGENT_BUDGET_H

#include <pthread.h>
#include <stdbool.h>

struct agent;

/* Measured script times of one kind. */
struct budget_cost {
    double sum_s;
    int n;
};

struct budget {
    struct budget_cost search;      /* candidate, merge, usage, refine scripts (and their fixes) */
    struct budget_cost ablation;
    struct budget_cost ensemble;
    double best_wall_s;             /* wall time of the best-scoring search script so far */
    double best_score;
    bool has_best;
    long train_rows;                /* from the profile; 0 = unknown */
    long search_rows;               /* rows a search script trains on (subsample), 0 = all */
    /* the watchdog (budget_watch_start) */
    pthread_t watcher;
    pthread_mutex_t watch_lock;
    pthread_cond_t watch_cv;
    bool watching, watch_done, deadline_hit;
};

/* The part of the run a script belongs to. */
enum budget_part {
    BUDGET_INIT,        /* candidates, merges, usage check */
    BUDGET_REFINE,      /* ablations and refinement steps */
    BUDGET_ENSEMBLE,
    BUDGET_FINAL        /* the full-data submission step */
};

/* Seconds kept at the very end for the summary and the report. */
#define BUDGET_END_MARGIN_S 4.0
/* A script is not started with less than this before its deadline. */
#define BUDGET_MIN_START_S 3.0

void budget_init(struct agent *a);
/* A finished script (cached or not) of `stage` ("candidate", "ablation", ...). */
void budget_note(struct agent *a, const char *stage, double wall_s, bool ok, bool has_score, double score);
/* The part of the run a stage's scripts belong to. */
enum budget_part budget_part_of(const char *stage);
/* The time_mono() instant by which a script of this part must end (0 = no
 * limit). A script starting later than deadline - BUDGET_MIN_START_S is not
 * started. */
double budget_part_deadline(struct agent *a, enum budget_part part);
/* Planned seconds for one script of `stage` started now (what the LLM and
 * the builtin scripts are told); never more than exec.timeout. */
double budget_script_plan(struct agent *a, const char *stage);
/* Predicted seconds of the full-data step (0 = nothing measured yet). */
double budget_predict_final(struct agent *a);
/* true when the full-data step is predicted to fit in the time left. */
bool budget_final_fits(struct agent *a);
/* true while a new script of `part` may start. */
bool budget_part_open(struct agent *a, enum budget_part part);
/* The watchdog: at deadline - BUDGET_END_MARGIN_S, if the run has not
 * finished, the search is stopped and every LLM call in flight or waiting
 * is cancelled (scripts already end by their own deadlines), so the run
 * goes straight to its summary with the submission it has. No-op without a
 * time limit. budget_watch_stop() before the summary; both idempotent. */
void budget_watch_start(struct agent *a);
void budget_watch_stop(struct agent *a);

#endif
