/* llm.h - one interface to every language model mlestar can use.
 *
 * The pipeline builds a struct llm_request (messages plus the stage it comes
 * from and the structured context its prompt was rendered from) and calls
 * llm_chat(). Which brain answers is decided once, in llm_client_new(), from
 * the config: `openai` (Chat Completions; also vLLM, llama.cpp, Ollama,
 * OpenRouter through the base URL), `gemini` (generateContent), `anthropic`
 * (Messages), `replay` (answers from a recording) or `builtin` (the offline
 * planner, registered by the agent module with llm_register_provider()).
 * Every provider sits behind the same small struct llm_provider_ops.
 *
 * The client retries 429, 5xx, timeouts and dropped connections with
 * exponential backoff and jitter, honouring Retry-After, up to
 * llm.max_tries; it fails at once on 400/401/403/404 with the provider's own
 * error text. It strips <think>...</think> blocks, accounts tokens and cost
 * per stage, enforces the token and cost budgets, limits requests in flight,
 * and hands every call to the recorder when one is set. API keys are read
 * from the providers' environment variables and never appear in errors,
 * records or logs.
 *
 * Outcomes, decided once here for every provider:
 *   - a reply cut by the token limit is LLM_ERR_TRUNCATED, and the reply
 *     still holds the partial text (and its usage); it is not retried;
 *   - a reply with no text is LLM_ERR_EMPTY; it is retried twice (empty
 *     replies are often transient) unless a content filter caused it;
 *   - a 2xx body that is not the expected JSON (a wrong content type, a body
 *     cut short without the connection dropping) is LLM_ERR_MALFORMED; it is
 *     retried twice. A body cut short of its Content-Length is a dropped
 *     connection: retried like any transport fault, up to llm.max_tries;
 *   - retryable faults that last until llm.max_tries give LLM_ERR_EXHAUSTED.
 * Token usage (llm_usage.input_tokens counts every prompt token, cached ones
 * included; cached_tokens is the part read from a cache; output_tokens
 * includes reasoning tokens) and cost are summed over all tries of a call.
 *
 * Backoff between tries: MLESTAR_LLM_BACKOFF_BASE seconds (default 1) times
 * 2^(try-1), with jitter (x0.5..1), at most 60 s; a Retry-After from the
 * server replaces it (at most 300 s). MLESTAR_LLM_BACKOFF_BASE is a testing
 * knob (the unit tests set it to 0.01); it is read by llm_client_new().
 *
 * Thread-safe: one client is shared by all lanes. */
#ifndef MLESTAR_LLM_LLM_H
#define MLESTAR_LLM_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/config.h"
#include "util/err.h"

enum llm_role { LLM_SYSTEM, LLM_USER, LLM_ASSISTANT };

struct llm_message {
    enum llm_role role;
    const char *content;
};

struct llm_request {
    const char *stage;              /* "retrieve", "candidate", "debug", ... */
    const char *call_id;            /* logical position in the run, e.g. "lane1/t2/k3/implement#1";
                                       part of the record key so resume finds the same call */
    const struct llm_message *messages;
    size_t nmessages;
    double temperature;             /* < 0: the config's */
    long max_tokens;                /* 0: the config's */
    bool json_output;               /* ask for a JSON reply where the API supports it */
    bool web_search;                /* attach the provider's search tool */
    bool cheap;                     /* use llm.cheap_model (summaries, checks) */
    json_t *context;                /* structured context (borrowed); read by builtin, never sent */
};

enum llm_finish { LLM_FINISH_STOP, LLM_FINISH_LENGTH, LLM_FINISH_FILTER, LLM_FINISH_OTHER };

struct llm_usage {
    long input_tokens;
    long output_tokens;
    long cached_tokens;
};

struct llm_source {
    char *title;
    char *url;
};

struct llm_reply {
    char *text;                     /* reasoning blocks stripped */
    enum llm_finish finish;
    struct llm_usage usage;
    double latency_s;               /* wall time of the call: every try, slot waits and retry pauses */
    double queued_s;                /* the part of latency_s spent waiting for an in-flight slot
                                       (llm.max_inflight), summed over tries */
    char *request_id;               /* provider's id, "" when none */
    char *model;                    /* model that answered */
    struct llm_source *sources;     /* web-search grounding */
    size_t nsources;
    double cost_usd;
    int tries;
    bool from_record;               /* answered from the recorder, not the network */
};

/* Why llm_chat() failed (its negated return value). */
enum llm_error {
    LLM_OK = 0,
    LLM_ERR_CONFIG,        /* missing key, unknown provider or model */
    LLM_ERR_HTTP,          /* non-retryable status (400/401/403/404/...) */
    LLM_ERR_EXHAUSTED,     /* retryable faults until max_tries */
    LLM_ERR_TRUNCATED,     /* reply cut by the token limit */
    LLM_ERR_EMPTY,         /* no text in the reply */
    LLM_ERR_MALFORMED,     /* body is not the expected JSON */
    LLM_ERR_BUDGET,        /* token or cost limit reached */
    LLM_ERR_REPLAY_MISS,   /* replay: request not in the recording */
    LLM_ERR_CANCELLED
};

struct llm_provider_ops {
    const char *name;
    /* Creates the provider's state from the config; NULL + err on failure.
     * The state must be usable from several threads at once. */
    void *(*create)(const struct config *cfg, struct err *err);
    /* One attempt (the client does retries): returns LLM_OK or an enum llm_error;
     * sets *retryable and, when the server said so, *retry_after_s (else < 0).
     * req is the caller's, unchanged: temperature < 0 and max_tokens 0 mean
     * llm.temperature / llm.max_tokens (read at create()). reply arrives zeroed;
     * whatever the provider puts in it is released by the client (llm_reply_free).
     * On LLM_OK the client strips <think> blocks and decides TRUNCATED / EMPTY
     * from reply->finish and reply->text, and prices the usage (unless
     * reply->from_record, whose recorded cost, latency, queue wait and tries are kept). */
    int (*chat)(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                bool *retryable, double *retry_after_s, struct err *err);
    void (*destroy)(void *state);
    const char *default_model;
    /* Optional (NULL = never): whether web_search requests reach a real search
     * tool with this model. Lets the search module choose another backend. */
    bool (*can_web_search)(void *state, const char *model);
};

/* Registers an extra provider (the agent module registers `builtin`).
 * Call before llm_client_new(); not thread-safe. */
void llm_register_provider(const struct llm_provider_ops *ops);

struct llm_client;
/* Creates the client of llm.provider. Fails (NULL + err) on an unknown
 * provider (the message lists the known ones), a missing API key (the
 * message names the environment variable to set), an unreadable llm.prices
 * or llm.record file. cfg is only read during the call. */
struct llm_client *llm_client_new(const struct config *cfg, struct err *err);
/* Not while calls are in flight. */
void llm_client_free(struct llm_client *c);
const char *llm_client_provider(const struct llm_client *c);
/* The model requests go to (cheap: llm.cheap_model, else llm.model); owned by c. */
const char *llm_client_model(const struct llm_client *c, bool cheap);
/* Whether web_search requests reach a search tool (see can_web_search). */
bool llm_client_can_web_search(const struct llm_client *c, bool cheap);
/* Stops the client for good: waits and transfers in flight end with
 * LLM_ERR_CANCELLED, and so do later calls. Thread-safe, async-signal-unsafe. */
void llm_client_cancel(struct llm_client *c);

/* Returns LLM_OK (0) or -(enum llm_error). reply is always initialised, and
 * must always be released with llm_reply_free() (harmless when empty): on
 * success it holds the answer; on -LLM_ERR_TRUNCATED the partial text, finish
 * LLM_FINISH_LENGTH and the usage; on other errors nothing. err (may be NULL)
 * names the provider, and for HTTP failures the status and the provider's
 * own message. Thread-safe. */
int llm_chat(struct llm_client *c, const struct llm_request *req, struct llm_reply *reply,
             struct err *err);
void llm_reply_free(struct llm_reply *reply);
/* "truncated", "replay_miss", ... for an enum llm_error (or its negation). */
const char *llm_error_name(int code);
/* "stop", "length", "filter", "other". */
const char *llm_finish_name(enum llm_finish finish);

/* A stable hex key (SHA-256) of the request: stage, call_id, cheap (which
 * stands for the model: the request names none, so a recording replays
 * under any llm.model), messages, temperature, max_tokens, json_output,
 * web_search. malloc'd. */
char *llm_request_key(const struct llm_request *req);

/* Recorder: the journal (or a JSON-lines file) sees every call and may answer
 * a call it has already seen (resume, replay). */
struct llm_recorder {
    void *ctx;
    /* Returns 1 and fills reply when the key is known, else 0. */
    int (*lookup)(void *ctx, const char *key, const struct llm_request *req, struct llm_reply *reply);
    void (*save)(void *ctx, const char *key, const struct llm_request *req, const struct llm_reply *reply,
                 int error_code, const char *error_text);
};
/* Copies *rec (NULL removes it). lookup is asked before every call; save
 * sees every call made (not those lookup answered), failed ones included,
 * with the error's code and text. A file recorder set by llm.record keeps
 * saving alongside. Both callbacks may run from several threads at once.
 * Set it before calls start. */
void llm_client_set_recorder(struct llm_client *c, const struct llm_recorder *rec);

/* Accounting: calls answered by a recorder count too (a resumed run's
 * budget includes what it spent before). All thread-safe. */
struct llm_totals {
    long calls;
    long failed_calls;
    struct llm_usage usage;
    double cost_usd;
};
void llm_client_totals(struct llm_client *c, const char *stage /* NULL = all */, struct llm_totals *out);
/* JSON object {stage: {calls, failed_calls, input_tokens, output_tokens,
 * cached_tokens, cost_usd}} (new reference). */
json_t *llm_client_totals_json(struct llm_client *c);
/* True when a budget is spent; `why` (may be NULL) says which ("token limit
 * 1000000 reached (1000245 tokens used)"). Tokens are input + output. */
bool llm_client_over_budget(struct llm_client *c, char *why, size_t whysz);

#endif
