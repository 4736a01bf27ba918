/* budget.c - the run's clock and cost model (see budget.h for the plan).
 *
 * Everything here is arithmetic on three inputs: the deadline, the means of
 * the measured script times, and the pipeline's shape (M candidates per
 * lane, L lanes, K inner steps, the exec slots). The constants are shares of
 * the time, not facts about any task:
 *   INIT_SHARE        the first part of the search time goes to candidates,
 *                     merges and the usage check (the rest to refinement);
 *   CANDIDATE_SHARE   of that, what the candidates get (merges the rest);
 *   FINAL_MAX_SHARE   the full-data step is skipped (the fallback stands)
 *                     when it would need more than this share of the limit;
 *   unmeasured        before any script finished, the final step and one
 *                     ensemble round are reserved 15% and 10% of the limit. */
#include "agent/budget.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#define INIT_SHARE 0.45
#define CANDIDATE_SHARE 0.5
#define FINAL_MAX_SHARE 0.35
#define FINAL_SAFETY 1.25
#define UNMEASURED_FINAL_SHARE 0.15
#define UNMEASURED_ENSEMBLE_SHARE 0.10
#define MIN_PLAN_S 5.0

static double cost_mean(const struct budget_cost *c)
{
    return c->n ? c->sum_s / c->n : 0;
}

void budget_init(struct agent *a)
{
    memset(&a->budget, 0, sizeof a->budget);
    a->budget.train_rows = (long)json_int(a->task_facts, "train_rows", 0);
    a->budget.search_rows = a->cfg.pipeline.subsample_rows > 0 ? (long)a->cfg.pipeline.subsample_rows : 0;
}

void budget_note(struct agent *a, const char *stage, double wall_s, bool ok, bool has_score, double score)
{
    if (!ok || wall_s <= 0)
        return;
    pthread_mutex_lock(&a->lock);
    struct budget *b = &a->budget;
    if (!strcmp(stage, "ablation")) {
        b->ablation.sum_s += wall_s, b->ablation.n++;
    } else if (!strcmp(stage, "ensemble")) {
        b->ensemble.sum_s += wall_s, b->ensemble.n++;
    } else if (strcmp(stage, "submission") != 0) {
        b->search.sum_s += wall_s, b->search.n++;
        if (has_score && (!b->has_best || agent_better(a, score, b->best_score))) {
            b->has_best = true;
            b->best_score = score;
            b->best_wall_s = wall_s;
        }
    }
    pthread_mutex_unlock(&a->lock);
}

enum budget_part budget_part_of(const char *stage)
{
    static const char *const refine_stages[] = {"ablation", "refine", "implement", "plan", "extract", "summarize",
                                                NULL};
    if (!strcmp(stage, "submission"))
        return BUDGET_FINAL;
    if (!strcmp(stage, "ensemble") || !strcmp(stage, "ensemble_plan"))
        return BUDGET_ENSEMBLE;
    for (const char *const *r = refine_stages; *r; r++)
        if (!strcmp(stage, *r))
            return BUDGET_REFINE;
    return BUDGET_INIT;
}

/* The scale from the search's rows to all rows. */
static double row_scale(const struct budget *b)
{
    if (b->search_rows <= 0 || b->train_rows <= b->search_rows)
        return 1.0;
    return (double)b->train_rows / (double)b->search_rows;
}

static double predict_final_locked(const struct budget *b)
{
    if (!b->has_best)
        return 0;
    return b->best_wall_s * row_scale(b);
}

double budget_predict_final(struct agent *a)
{
    pthread_mutex_lock(&a->lock);
    double p = predict_final_locked(&a->budget);
    pthread_mutex_unlock(&a->lock);
    return p;
}

/* Seconds kept for the full-data step; 0 when it cannot fit (fallback). */
static double final_reserve_locked(const struct agent *a)
{
    double limit = a->cfg.run.time_limit;
    double predicted = predict_final_locked(&a->budget);
    if (predicted <= 0)
        return UNMEASURED_FINAL_SHARE * limit;
    double need = predicted * FINAL_SAFETY + BUDGET_MIN_START_S;
    return need <= FINAL_MAX_SHARE * limit ? need : 0;
}

static double ensemble_reserve_locked(const struct agent *a)
{
    if (a->cfg.pipeline.ensemble_rounds <= 0 || a->cfg.pipeline.lanes < 2)
        return 0;
    const struct budget *b = &a->budget;
    if (b->ensemble.n)
        return cost_mean(&b->ensemble) * 1.2;
    if (b->search.n)
        return cost_mean(&b->search) * (double)a->cfg.pipeline.lanes * 1.2;
    return UNMEASURED_ENSEMBLE_SHARE * a->cfg.run.time_limit;
}

/* Deadlines of the parts, computed under the lock. */
struct part_times {
    double end;          /* summary and report after this */
    double final_start;  /* the full-data step may start until ... and ends by end */
    double ensemble_end;
    double search_end;
    double init_end;     /* merges and the usage check start only before this */
};

static struct part_times part_times_locked(const struct agent *a)
{
    struct part_times p;
    double start = a->deadline - a->cfg.run.time_limit;
    p.end = a->deadline - BUDGET_END_MARGIN_S;
    p.ensemble_end = p.end - final_reserve_locked(a);
    p.final_start = p.ensemble_end;
    p.search_end = p.ensemble_end - ensemble_reserve_locked(a);
    if (p.search_end < start)
        p.search_end = start;
    p.init_end = start + INIT_SHARE * (p.search_end - start);
    return p;
}

static struct part_times part_times(struct agent *a)
{
    pthread_mutex_lock(&a->lock);
    struct part_times p = part_times_locked(a);
    pthread_mutex_unlock(&a->lock);
    return p;
}

double budget_part_deadline(struct agent *a, enum budget_part part)
{
    if (a->deadline <= 0)
        return 0;
    struct part_times p = part_times(a);
    switch (part) {
    case BUDGET_INIT:
    case BUDGET_REFINE:
        return p.search_end;
    case BUDGET_ENSEMBLE:
        return p.ensemble_end;
    case BUDGET_FINAL:
        return p.end;
    }
    return p.end;
}

bool budget_final_fits(struct agent *a)
{
    if (a->deadline <= 0)
        return true;
    pthread_mutex_lock(&a->lock);
    double predicted = predict_final_locked(&a->budget);
    double left = a->deadline - BUDGET_END_MARGIN_S - time_mono();
    pthread_mutex_unlock(&a->lock);
    return left > BUDGET_MIN_START_S && (predicted <= 0 || predicted * FINAL_SAFETY <= left);
}

bool budget_part_open(struct agent *a, enum budget_part part)
{
    if (a->deadline <= 0)
        return true;
    double now = time_mono();
    pthread_mutex_lock(&a->lock);
    struct part_times p = part_times_locked(a);
    double one_search = cost_mean(&a->budget.search);
    double one_ensemble = a->budget.ensemble.n ? cost_mean(&a->budget.ensemble) : 0;
    pthread_mutex_unlock(&a->lock);
    /* an ensemble script's hard deadline comes a grace period before its part's end (agent_exec.c) */
    double grace = a->cfg.exec.grace > 0 ? a->cfg.exec.grace : 0;
    switch (part) {
    case BUDGET_INIT:
        return now < p.init_end && now + BUDGET_MIN_START_S < p.search_end;
    case BUDGET_REFINE:
        return now + fmax(one_search, BUDGET_MIN_START_S) < p.search_end;
    case BUDGET_ENSEMBLE:
        return now + fmax(one_ensemble, BUDGET_MIN_START_S) + grace < p.ensemble_end;
    case BUDGET_FINAL:
        return budget_final_fits(a);
    }
    return false;
}

static long ceil_div(long x, long y)
{
    return y > 0 ? (x + y - 1) / y : x;
}

double budget_script_plan(struct agent *a, const char *stage)
{
    double cap = a->cfg.exec.timeout > 0 ? a->cfg.exec.timeout : 3600;
    if (a->deadline <= 0)
        return cap;
    double now = time_mono();
    struct part_times p = part_times(a);
    long slots = a->slots > 0 ? a->slots : 1;
    long lanes = a->cfg.pipeline.lanes > 0 ? a->cfg.pipeline.lanes : 1;
    double plan;
    switch (budget_part_of(stage)) {
    case BUDGET_INIT:
        if (!strcmp(stage, "candidate") || !strcmp(stage, "retrieve")) {
            long rounds = ceil_div(lanes * (a->cfg.pipeline.models > 0 ? a->cfg.pipeline.models : 1), slots);
            plan = CANDIDATE_SHARE * (p.init_end - now) / (double)(rounds > 0 ? rounds : 1);
        } else {
            plan = (p.init_end - now) / 2;
        }
        break;
    case BUDGET_REFINE: {
        long steps = 1 + (a->cfg.pipeline.inner_steps > 0 ? a->cfg.pipeline.inner_steps : 1);
        double lane_share = lanes > slots ? (double)slots / (double)lanes : 1.0;
        plan = (p.search_end - now) / (double)steps * lane_share;
        break;
    }
    case BUDGET_ENSEMBLE:
        plan = (p.ensemble_end - now) / 2;
        break;
    default:
        plan = p.end - now;
        break;
    }
    double hard_end = budget_part_deadline(a, budget_part_of(stage)) - now;
    if (plan > hard_end)
        plan = hard_end;
    if (plan < MIN_PLAN_S)
        plan = MIN_PLAN_S;
    return plan < cap ? plan : cap;
}

/* ---- the watchdog ---- */

static void *watch_main(void *arg)
{
    struct agent *a = arg;
    struct budget *b = &a->budget;
    double fire_at = a->deadline - BUDGET_END_MARGIN_S;
    /* the condition variable's clock is CLOCK_REALTIME: convert the monotonic instant */
    struct timespec now_rt;
    clock_gettime(CLOCK_REALTIME, &now_rt);
    double wait_s = fire_at - time_mono();
    if (wait_s < 0)
        wait_s = 0;
    double when = (double)now_rt.tv_sec + now_rt.tv_nsec / 1e9 + wait_s;
    struct timespec until = {(time_t)when, (long)((when - (double)(time_t)when) * 1e9)};
    pthread_mutex_lock(&b->watch_lock);
    int rc = 0;
    while (!b->watch_done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&b->watch_cv, &b->watch_lock, &until);
    bool fire = !b->watch_done;
    b->deadline_hit = fire;
    pthread_mutex_unlock(&b->watch_lock);
    if (fire) {
        log_warn("the time limit is reached: stopping the search and any LLM call in flight");
        agent_request_stop(a, "the time limit was reached");
        if (a->llm)
            llm_client_cancel(a->llm);
    }
    return NULL;
}

void budget_watch_start(struct agent *a)
{
    struct budget *b = &a->budget;
    if (a->deadline <= 0 || b->watching)
        return;
    pthread_mutex_init(&b->watch_lock, NULL);
    pthread_cond_init(&b->watch_cv, NULL);
    b->watch_done = false;
    b->watching = pthread_create(&b->watcher, NULL, watch_main, a) == 0;
    if (!b->watching) {
        pthread_cond_destroy(&b->watch_cv);
        pthread_mutex_destroy(&b->watch_lock);
    }
}

void budget_watch_stop(struct agent *a)
{
    struct budget *b = &a->budget;
    if (!b->watching)
        return;
    pthread_mutex_lock(&b->watch_lock);
    b->watch_done = true;
    pthread_cond_signal(&b->watch_cv);
    pthread_mutex_unlock(&b->watch_lock);
    pthread_join(b->watcher, NULL);
    pthread_cond_destroy(&b->watch_cv);
    pthread_mutex_destroy(&b->watch_lock);
    b->watching = false;
}
