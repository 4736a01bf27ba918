/* client.c - the one object the pipeline talks to: provider choice, the
 * retry loop, budgets, the in-flight limit, accounting and recording.
 *
 * A call (llm_chat) goes:
 *   budget check -> recorder lookup -> tries:
 *       wait for an in-flight slot -> provider attempt -> release the slot
 *       -> classify (strip <think>, TRUNCATED, EMPTY) -> retry or stop
 *   -> recorders save -> totals.
 * Policy (documented in llm.h): transport faults, 408/425/429/5xx up to
 * llm.max_tries; MALFORMED and EMPTY (not filtered) at most
 * MAX_CONTENT_RETRIES more times; everything else at once. Backoff is
 * exponential with jitter, replaced by the server's Retry-After.
 *
 * Timing: reply->latency_s is the call's wall time (all tries, slot waits
 * and backoff sleeps); reply->queued_s is the part of it spent in
 * acquire_slot(), summed over tries, so a caller can tell a slow provider
 * from a full llm.max_inflight.
 *
 * Threads: the provider state and settings are read-only after
 * llm_client_new; one mutex guards the totals, the in-flight count and the
 * warned-models list; one condition variable (monotonic clock) serves both
 * slot waits and backoff sleeps, so llm_client_cancel() wakes everything. */
#include "llm/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define MAX_CONTENT_RETRIES 2
#define MAX_BACKOFF_S 60.0
#define MAX_RETRY_AFTER_S 300.0

struct stage_totals {
    char *stage;
    struct llm_totals t;
};

struct llm_client {
    const struct llm_provider_ops *ops;
    void *state;
    char *model;
    char *cheap_model;
    long max_tries;
    long max_inflight;          /* 0 = no limit */
    long token_limit;
    double cost_limit;
    double backoff_base;
    struct llm_price_table *prices;
    struct llm_file_recorder *file_rec;
    struct llm_recorder file_binding;
    struct llm_recorder rec;    /* set by llm_client_set_recorder */
    bool has_rec;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    long inflight;
    atomic_bool cancelled;
    struct llm_totals all;
    struct stage_totals *stages;
    size_t nstages;
    char **warned;              /* models without a price, warned about once */
    size_t nwarned;
};

/* ---- construction ---- */

static double backoff_base_from_env(void)
{
    const char *v = getenv("MLESTAR_LLM_BACKOFF_BASE");
    if (!v || !*v)
        return 1.0;
    char *end;
    double d = strtod(v, &end);
    if (*end || !isfinite(d) || d < 0) {
        log_warn("MLESTAR_LLM_BACKOFF_BASE='%s' is not a number of seconds >= 0: using 1", v);
        return 1.0;
    }
    return d;
}

static void init_sync(struct llm_client *c)
{
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&c->cancelled, false);
}

static const struct llm_provider_ops *find_provider(const char *name, struct err *err)
{
    const struct llm_provider_ops *ops = llm_provider_find(name);
    if (!ops) {
        struct buf names = {0};
        llm_provider_names(&names);
        err_set(err, "unknown LLM provider '%s' (llm.provider): known providers are %s", name ? name : "",
                buf_str(&names));
        buf_free(&names);
    }
    return ops;
}

static int open_files(struct llm_client *c, const struct config *cfg, struct err *err)
{
    if (cfg->llm.prices && *cfg->llm.prices) {
        c->prices = llm_prices_load(cfg->llm.prices, err);
        if (!c->prices)
            return -1;
    }
    if (cfg->llm.record && *cfg->llm.record) {
        if (cfg->llm.replay && !strcmp(cfg->llm.record, cfg->llm.replay) && !strcmp(c->ops->name, "replay"))
            return err_set(err, "llm.record and llm.replay both name %s: record to another file", cfg->llm.record);
        c->file_rec = llm_file_recorder_open(cfg->llm.record, c->ops->name, err);
        if (!c->file_rec)
            return -1;
        llm_file_recorder_bind(c->file_rec, &c->file_binding);
    }
    return 0;
}

struct llm_client *llm_client_new(const struct config *cfg, struct err *err)
{
    llm_http_global_init();
    const struct llm_provider_ops *ops = find_provider(cfg->llm.provider, err);
    if (!ops)
        return NULL;
    const char *model = cfg->llm.model && *cfg->llm.model ? cfg->llm.model : ops->default_model;
    if (!model || !*model) {
        err_set(err, "provider %s has no default model: set llm.model", ops->name);
        return NULL;
    }
    struct llm_client *c = xcalloc(1, sizeof *c);
    init_sync(c);
    c->ops = ops;
    c->model = xstrdup(model);
    c->cheap_model = xstrdup(cfg->llm.cheap_model && *cfg->llm.cheap_model ? cfg->llm.cheap_model : model);
    c->max_tries = cfg->llm.max_tries < 1 ? 1 : cfg->llm.max_tries;
    c->max_inflight = cfg->llm.max_inflight;
    c->token_limit = cfg->llm.token_limit;
    c->cost_limit = cfg->llm.cost_limit;
    c->backoff_base = backoff_base_from_env();
    c->state = ops->create(cfg, err);
    if (!c->state || open_files(c, cfg, err) < 0) {
        llm_client_free(c);
        return NULL;
    }
    return c;
}

void llm_client_free(struct llm_client *c)
{
    if (!c)
        return;
    if (c->state && c->ops->destroy)
        c->ops->destroy(c->state);
    llm_file_recorder_close(c->file_rec);
    llm_prices_free(c->prices);
    for (size_t i = 0; i < c->nstages; i++)
        free(c->stages[i].stage);
    free(c->stages);
    for (size_t i = 0; i < c->nwarned; i++)
        free(c->warned[i]);
    free(c->warned);
    free(c->model);
    free(c->cheap_model);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *llm_client_provider(const struct llm_client *c)
{
    return c->ops->name;
}

const char *llm_client_model(const struct llm_client *c, bool cheap)
{
    return cheap ? c->cheap_model : c->model;
}

bool llm_client_can_web_search(const struct llm_client *c, bool cheap)
{
    return c->ops->can_web_search && c->ops->can_web_search(c->state, llm_client_model(c, cheap));
}

void llm_client_set_recorder(struct llm_client *c, const struct llm_recorder *rec)
{
    c->has_rec = rec != NULL;
    if (rec)
        c->rec = *rec;
    else
        memset(&c->rec, 0, sizeof c->rec);
}

void llm_client_cancel(struct llm_client *c)
{
    atomic_store(&c->cancelled, true);
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* ---- slots and sleeps ---- */

static bool acquire_slot(struct llm_client *c)
{
    pthread_mutex_lock(&c->lock);
    while (c->max_inflight > 0 && c->inflight >= c->max_inflight && !atomic_load(&c->cancelled))
        pthread_cond_wait(&c->wake, &c->lock);
    bool ok = !atomic_load(&c->cancelled);
    if (ok)
        c->inflight++;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static void release_slot(struct llm_client *c)
{
    pthread_mutex_lock(&c->lock);
    c->inflight--;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* Sleeps `seconds` unless cancelled first; returns false when cancelled. */
static bool sleep_unless_cancelled(struct llm_client *c, double seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double whole = floor(seconds);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    while (!atomic_load(&c->cancelled) && rc == 0)
        rc = pthread_cond_timedwait(&c->wake, &c->lock, &deadline);
    pthread_mutex_unlock(&c->lock);
    return !atomic_load(&c->cancelled);
}

static double jitter(void)
{
    static _Thread_local unsigned int seed;
    if (!seed)
        seed = (unsigned int)(time_mono() * 1e6) ^ (unsigned int)(uintptr_t)&seed;
    return 0.5 + 0.5 * ((double)rand_r(&seed) / RAND_MAX);
}

static double backoff_delay(const struct llm_client *c, int try, double retry_after_s)
{
    if (retry_after_s > 0)
        return retry_after_s < MAX_RETRY_AFTER_S ? retry_after_s : MAX_RETRY_AFTER_S;
    double d = c->backoff_base * pow(2.0, try - 1);
    if (d > MAX_BACKOFF_S)
        d = MAX_BACKOFF_S;
    return d * jitter();
}

/* ---- accounting ---- */

static struct llm_totals *stage_slot(struct llm_client *c, const char *stage)
{
    const char *name = stage && *stage ? stage : "unknown";
    for (size_t i = 0; i < c->nstages; i++)
        if (!strcmp(c->stages[i].stage, name))
            return &c->stages[i].t;
    c->stages = xrealloc(c->stages, (c->nstages + 1) * sizeof *c->stages);
    memset(&c->stages[c->nstages], 0, sizeof c->stages[c->nstages]);
    c->stages[c->nstages].stage = xstrdup(name);
    return &c->stages[c->nstages++].t;
}

static void add_totals(struct llm_totals *t, const struct llm_reply *reply, bool failed)
{
    t->calls++;
    if (failed)
        t->failed_calls++;
    t->usage.input_tokens += reply->usage.input_tokens;
    t->usage.output_tokens += reply->usage.output_tokens;
    t->usage.cached_tokens += reply->usage.cached_tokens;
    t->cost_usd += reply->cost_usd;
}

static void account(struct llm_client *c, const char *stage, const struct llm_reply *reply, int rc)
{
    pthread_mutex_lock(&c->lock);
    add_totals(&c->all, reply, rc != LLM_OK);
    add_totals(stage_slot(c, stage), reply, rc != LLM_OK);
    pthread_mutex_unlock(&c->lock);
}

/* Cost of one attempt's usage; warns once per model without a price. */
static double price_usage(struct llm_client *c, const char *model, const struct llm_usage *u)
{
    struct llm_price p;
    if (llm_price_find(c->prices, model, &p))
        return llm_price_cost(&p, u);
    if (u->input_tokens == 0 && u->output_tokens == 0)
        return 0;
    pthread_mutex_lock(&c->lock);
    bool seen = false;
    for (size_t i = 0; i < c->nwarned && !seen; i++)
        seen = !strcmp(c->warned[i], model);
    if (!seen) {
        c->warned = xrealloc(c->warned, (c->nwarned + 1) * sizeof *c->warned);
        c->warned[c->nwarned++] = xstrdup(model);
        log_warn("llm: no price known for model '%s': its cost counts as 0 (add it to an llm.prices file)",
                 model);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void llm_client_totals(struct llm_client *c, const char *stage, struct llm_totals *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->lock);
    if (!stage) {
        *out = c->all;
    } else {
        for (size_t i = 0; i < c->nstages; i++)
            if (!strcmp(c->stages[i].stage, stage))
                *out = c->stages[i].t;
    }
    pthread_mutex_unlock(&c->lock);
}

json_t *llm_client_totals_json(struct llm_client *c)
{
    json_t *obj = json_object();
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nstages; i++) {
        const struct llm_totals *t = &c->stages[i].t;
        json_object_set_new(obj, c->stages[i].stage,
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "calls", (json_int_t)t->calls,
                                      "failed_calls", (json_int_t)t->failed_calls, "input_tokens",
                                      (json_int_t)t->usage.input_tokens, "output_tokens",
                                      (json_int_t)t->usage.output_tokens, "cached_tokens",
                                      (json_int_t)t->usage.cached_tokens, "cost_usd", t->cost_usd));
    }
    pthread_mutex_unlock(&c->lock);
    return obj;
}

bool llm_client_over_budget(struct llm_client *c, char *why, size_t whysz)
{
    pthread_mutex_lock(&c->lock);
    long tokens = c->all.usage.input_tokens + c->all.usage.output_tokens;
    double cost = c->all.cost_usd;
    pthread_mutex_unlock(&c->lock);
    char text[200] = "";
    if (c->token_limit > 0 && tokens >= c->token_limit)
        snprintf(text, sizeof text, "token limit %ld reached (%ld tokens used)", c->token_limit, tokens);
    else if (c->cost_limit > 0 && cost >= c->cost_limit)
        snprintf(text, sizeof text, "cost limit $%.2f reached ($%.4f spent)", c->cost_limit, cost);
    if (why && whysz)
        snprintf(why, whysz, "%s", text);
    return text[0] != '\0';
}

/* ---- one call ---- */

void llm_reply_free(struct llm_reply *reply)
{
    if (!reply)
        return;
    free(reply->text);
    free(reply->request_id);
    free(reply->model);
    for (size_t i = 0; i < reply->nsources; i++) {
        free(reply->sources[i].title);
        free(reply->sources[i].url);
    }
    free(reply->sources);
    memset(reply, 0, sizeof *reply);
}

/* After a provider's LLM_OK: strips reasoning, fills defaults, and decides
 * TRUNCATED / EMPTY. */
static int classify(const struct llm_client *c, const char *model, struct llm_reply *r, bool *retryable,
                    struct err *err)
{
    if (!r->text)
        r->text = xstrdup("");
    if (!r->request_id)
        r->request_id = xstrdup("");
    if (!r->model || !*r->model) {
        free(r->model);
        r->model = xstrdup(model);
    }
    llm_strip_think(r->text);
    if (r->finish == LLM_FINISH_LENGTH) {
        *retryable = false;
        err_set(err, "%s: the reply was cut at the output token limit after %ld tokens%s (raise llm.max_tokens)",
                c->ops->name, r->usage.output_tokens, *r->text ? "; the partial text is kept" : ", with no text");
        return LLM_ERR_TRUNCATED;
    }
    const char *p = r->text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (!*p) {
        *retryable = r->finish != LLM_FINISH_FILTER && !r->from_record;
        err_set(err, "%s: model %s gave an empty reply (finish: %s)", c->ops->name, r->model,
                llm_finish_name(r->finish));
        return LLM_ERR_EMPTY;
    }
    return LLM_OK;
}

static bool should_retry(const struct llm_client *c, int rc, bool retryable, int try, int *content_faults)
{
    if (rc == LLM_OK || !retryable || try >= c->max_tries || atomic_load(&c->cancelled))
        return false;
    if (rc == LLM_ERR_MALFORMED || rc == LLM_ERR_EMPTY)
        return ++*content_faults <= MAX_CONTENT_RETRIES;
    return true;
}

/* One provider attempt inside a slot; returns the classified code and adds
 * the time spent waiting for the slot to *queued_s. */
static int attempt(struct llm_client *c, const struct llm_request *req, const char *model, struct llm_reply *r,
                   bool *retryable, double *retry_after_s, double *queued_s, struct err *err)
{
    *retryable = false;
    *retry_after_s = -1;
    double wait_start = time_mono();
    bool got_slot = acquire_slot(c);
    *queued_s += time_mono() - wait_start;
    if (!got_slot) {
        err_set(err, "%s: call cancelled", c->ops->name);
        return LLM_ERR_CANCELLED;
    }
    llm_http_set_cancel_flag(&c->cancelled);
    int rc = c->ops->chat(c->state, req, model, r, retryable, retry_after_s, err);
    llm_http_set_cancel_flag(NULL);
    release_slot(c);
    if (rc == LLM_OK)
        rc = classify(c, model, r, retryable, err);
    if (!r->from_record)
        r->cost_usd = price_usage(c, r->model && *r->model ? r->model : model, &r->usage);
    return rc;
}

static void add_usage(struct llm_usage *sum, const struct llm_usage *u)
{
    sum->input_tokens += u->input_tokens;
    sum->output_tokens += u->output_tokens;
    sum->cached_tokens += u->cached_tokens;
}

/* "openai: gave up after 3 tries: <the last fault, without its provider prefix>". */
static void note_gave_up(const struct llm_client *c, struct err *err, int tries)
{
    size_t n = strlen(c->ops->name);
    const char *last = err->msg;
    if (!strncmp(last, c->ops->name, n) && !strncmp(last + n, ": ", 2))
        last += n + 2;
    char copy[ERR_MSG_MAX];
    snprintf(copy, sizeof copy, "%s", last);
    err_set(err, "%s: gave up after %d %s: %s", c->ops->name, tries, tries == 1 ? "try" : "tries", copy);
}

static int call_with_retries(struct llm_client *c, const struct llm_request *req, struct llm_reply *reply,
                             struct err *err)
{
    const char *model = req->cheap ? c->cheap_model : c->model;
    struct llm_usage used = {0};
    double cost = 0, queued = 0;
    int content_faults = 0, rc = LLM_OK, try;
    for (try = 1;; try++) {
        bool retryable;
        double retry_after_s;
        llm_reply_free(reply);
        err_clear(err);
        rc = attempt(c, req, model, reply, &retryable, &retry_after_s, &queued, err);
        add_usage(&used, &reply->usage);
        cost += reply->cost_usd;
        if (!should_retry(c, rc, retryable, try, &content_faults))
            break;
        double delay = backoff_delay(c, try, retry_after_s);
        log_warn("%s; retrying in %.2fs (try %d of %ld)", err->msg, delay, try + 1, c->max_tries);
        if (!sleep_unless_cancelled(c, delay)) {
            err_set(err, "%s: call cancelled", c->ops->name);
            rc = LLM_ERR_CANCELLED;
            break;
        }
    }
    if (!reply->from_record) {
        reply->usage = used;
        reply->cost_usd = cost;
        reply->tries = try;
        reply->queued_s = queued;
    }
    if (rc == LLM_ERR_EXHAUSTED)
        note_gave_up(c, err, try);
    return rc;
}

static void save_call(struct llm_client *c, const char *key, const struct llm_request *req,
                      const struct llm_reply *reply, int rc, const char *error_text)
{
    if (c->file_rec)
        c->file_binding.save(c->file_binding.ctx, key, req, reply, rc, error_text);
    if (c->has_rec && c->rec.save)
        c->rec.save(c->rec.ctx, key, req, reply, rc, error_text);
}

static bool answered_by_recorder(struct llm_client *c, const char *key, const struct llm_request *req,
                                 struct llm_reply *reply)
{
    if (!c->has_rec || !c->rec.lookup)
        return false;
    if (c->rec.lookup(c->rec.ctx, key, req, reply) != 1) {
        llm_reply_free(reply);
        return false;
    }
    reply->from_record = true;
    if (!reply->text)
        reply->text = xstrdup("");
    if (!reply->request_id)
        reply->request_id = xstrdup("");
    if (!reply->model)
        reply->model = xstrdup(req->cheap ? c->cheap_model : c->model);
    return true;
}

int llm_chat(struct llm_client *c, const struct llm_request *req, struct llm_reply *reply, struct err *err)
{
    memset(reply, 0, sizeof *reply);
    struct err local = {{0}};
    if (atomic_load(&c->cancelled)) {
        err_set(err, "%s: call cancelled", c->ops->name);
        return -LLM_ERR_CANCELLED;
    }
    char why[200];
    if (llm_client_over_budget(c, why, sizeof why)) {
        err_set(err, "LLM budget spent: %s", why);
        return -LLM_ERR_BUDGET;
    }
    char *key = llm_request_key(req);
    if (answered_by_recorder(c, key, req, reply)) {
        account(c, req->stage, reply, LLM_OK);
        free(key);
        return LLM_OK;
    }
    double t0 = time_mono();
    int rc = call_with_retries(c, req, reply, &local);
    if (!reply->from_record)
        reply->latency_s = time_mono() - t0;
    save_call(c, key, req, reply, rc, rc == LLM_OK ? "" : local.msg);
    account(c, req->stage, reply, rc);
    free(key);
    if (rc != LLM_OK && rc != LLM_ERR_TRUNCATED) {
        /* Keep the usage in the totals (done above) but return nothing. */
        llm_reply_free(reply);
    }
    if (rc != LLM_OK && err)
        *err = local;
    return rc == LLM_OK ? 0 : -rc;
}
