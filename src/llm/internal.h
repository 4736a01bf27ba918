/* internal.h - what the files of the llm module share and nothing outside
 * it should use.
 *
 * Layering inside the module:
 *   client.c    the retry loop, budgets, in-flight limit, accounting, recorder
 *   registry.c  name -> struct llm_provider_ops
 *   openai.c, gemini.c, anthropic.c   one HTTP provider each: build the
 *               request body, call http.c, hand the body to parse.c
 *   replay.c    the provider that answers from a recording
 *   recorder.c  the JSON-lines recorder (llm.record) and the record format
 *   http.c      one POST with libcurl, and the classification of its outcome
 *   parse.c     pure parsers of response and error bodies (see parse.h)
 *   prices.c    the price table; key.c the request key
 *
 * Nothing here is thread-unsafe unless said: providers' states are read-only
 * after create(), so one state serves every thread. */
#ifndef MLESTAR_LLM_INTERNAL_H
#define MLESTAR_LLM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "llm/llm.h"
#include "llm/parse.h"
#include "util/buf.h"

/* ---- providers (defined in their own files) ---- */
extern const struct llm_provider_ops llm_openai_ops;
extern const struct llm_provider_ops llm_gemini_ops;
extern const struct llm_provider_ops llm_anthropic_ops;
extern const struct llm_provider_ops llm_replay_ops;

/* registry.c: the provider called `name`, or NULL. */
const struct llm_provider_ops *llm_provider_find(const char *name);
/* Appends "openai, gemini, anthropic, replay[, registered...]" to out. */
void llm_provider_names(struct buf *out);

/* ---- HTTP (http.c) ---- */

/* What one POST brought back. Owned by the caller; llm_http_response_free(). */
struct llm_http_response {
    long status;             /* HTTP status; 0 when no response arrived */
    int curl_code;           /* CURLcode; 0 when the transfer completed */
    char curl_error[256];    /* curl's own message when curl_code != 0 */
    char *body;              /* NUL-terminated, never NULL after llm_http_post */
    size_t body_len;
    char *content_type;      /* "" when none */
    char *request_id;        /* x-request-id or request-id header; "" when none */
    double retry_after_s;    /* Retry-After (or retry-after-ms); < 0 when none */
    bool cancelled;          /* stopped by llm_client_cancel() */
};

struct llm_http_header {
    const char *name;
    const char *value;
};

/* POSTs `body` (JSON) to `url` with the given extra headers and a whole-
 * request timeout. Fills resp in every case (transport faults are reported in
 * curl_code, not as a return value). Thread-safe. */
void llm_http_post(const char *url, const struct llm_http_header *headers, size_t nheaders,
                   const char *body, double timeout_s, struct llm_http_response *resp);
void llm_http_response_free(struct llm_http_response *resp);

/* The parser a provider hands to llm_http_outcome(). */
typedef int (*llm_body_parser)(const char *body, size_t len, struct llm_reply *reply, struct err *err);

/* Turns a response into the provider contract's answer: LLM_OK with reply
 * filled by `parse`, or an enum llm_error with *retryable and
 * *retry_after_s set and err naming the provider, the URL, the status and
 * the provider's own message. `secret` (the API key, may be NULL) is
 * removed from any text that goes into err. */
int llm_http_outcome(const char *provider, const char *url, const struct llm_http_response *resp,
                     llm_body_parser parse, const char *secret, struct llm_reply *reply,
                     bool *retryable, double *retry_after_s, struct err *err);

/* The flag the current thread's transfers watch; the client sets it around
 * each provider call (NULL: none). Thread-local. */
void llm_http_set_cancel_flag(const atomic_bool *flag);

/* Calls curl_global_init exactly once (pthread_once). */
void llm_http_global_init(void);

/* ---- base URLs and keys (http.c) ---- */

/* First non-empty of cfg_value, getenv(env_var) (env_var may be NULL) and
 * fallback, without trailing slashes; when it has no path ("http://h:1"),
 * default_path ("/v1") is appended. malloc'd. */
char *llm_base_url(const char *cfg_value, const char *env_var, const char *fallback,
                   const char *default_path);
/* Value of the first set, non-empty variable among names (NULL-terminated);
 * malloc'd, or NULL. */
char *llm_env_key(const char *const *names);
/* Replaces every occurrence of secret in text (in place, shrinking it) by
 * "[redacted]" when it fits, else by '*'s. No-op for NULL/short secrets. */
void llm_redact(char *text, size_t textsz, const char *secret);

/* ---- text (text.c) ---- */
/* A copy of s with every byte that is not part of valid UTF-8 replaced by
 * U+FFFD; malloc'd. */
char *llm_utf8_clean(const char *s);
/* A JSON string of s (NULL = ""), cleaned to UTF-8 when needed. New reference. */
json_t *llm_json_str(const char *s);
const char *llm_role_name(enum llm_role role); /* "system", "user", "assistant" */
/* True when any message mentions "json" (case-insensitive). */
bool llm_request_mentions_json(const struct llm_request *req);
/* Joins every system message with blank lines; malloc'd, NULL when none. */
char *llm_request_system_text(const struct llm_request *req);

/* ---- prices (prices.c) ---- */
struct llm_price {
    const char *model;   /* a prefix of model names: "gpt-4o" also prices "gpt-4o-2024-08-06" */
    double input;        /* USD per million input tokens (not read from cache) */
    double output;       /* USD per million output tokens */
    double cached;       /* USD per million input tokens read from cache */
};
struct llm_price_table;  /* the override file's entries; NULL = built-in only */

/* Loads a JSON price file {"model": {"input": x, "output": y, "cached": z}}. */
struct llm_price_table *llm_prices_load(const char *path, struct err *err);
void llm_prices_free(struct llm_price_table *t);
/* Finds the longest prefix match for model (after any "vendor/" part), in
 * the override table first. Returns false when the model is unknown. */
bool llm_price_find(const struct llm_price_table *t, const char *model, struct llm_price *out);
/* USD for usage at price (input_tokens includes cached_tokens). */
double llm_price_cost(const struct llm_price *p, const struct llm_usage *u);

/* ---- output limits (limits.c) ---- */
/* Most output tokens `model` accepts per call; 0 when unknown. */
long llm_model_max_output(const char *model);
/* requested, lowered to the model's limit when one is known. */
long llm_clamp_max_tokens(const char *model, long requested);

/* ---- request keys (key.c) ---- */
void llm_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- recorder.c ---- */
/* The record of one call as a JSON object (new reference). Never holds an
 * API key: only the request's messages and the reply. */
json_t *llm_record_json(const char *key, const char *provider, const struct llm_request *req,
                        const struct llm_reply *reply, int error_code, const char *error_text);
/* Fills reply from a record's "reply"/"usage"/... members (replay). Returns
 * the recorded error code (LLM_OK or an enum llm_error); *error_text points
 * into rec (borrowed) or is "". */
int llm_record_reply(json_t *rec, struct llm_reply *reply, const char **error_text);

/* The built-in JSON-lines file recorder. Thread-safe (a mutex per file). */
struct llm_file_recorder;
struct llm_file_recorder *llm_file_recorder_open(const char *path, const char *provider, struct err *err);
void llm_file_recorder_close(struct llm_file_recorder *r);
/* Fills rec with save() bound to r (lookup is NULL: a recording is answered
 * by the replay provider, not by the recorder). */
void llm_file_recorder_bind(struct llm_file_recorder *r, struct llm_recorder *rec);

/* Inverse of llm_error_name() / llm_finish_name() (unknown: LLM_OK / OTHER). */
int llm_error_parse(const char *name);
enum llm_finish llm_finish_parse(const char *name);

#endif
