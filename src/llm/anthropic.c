/* anthropic.c - the `anthropic` provider: POST {base}/messages.
 *
 * Base: llm.base_url, else $ANTHROPIC_BASE_URL, else
 * https://api.anthropic.com; a base without a path gets "/v1". Headers:
 * x-api-key ($ANTHROPIC_API_KEY) and anthropic-version: 2023-06-01.
 *
 * Request: system messages joined into the top-level `system` field; the
 * other turns as messages with roles user/assistant; max_tokens (required
 * by the API; lowered to the model's limit when known, see limits.c); temperature clamped to the API's range 0..1. The API has no
 * JSON mode: json_output relies on the prompt. web_search attaches the
 * server tool web_search_20250305 (at most 5 searches per call); its results
 * and the text's citations come back as sources (parse.c). A reply stopped
 * with stop_reason "pause_turn" (a long server-tool turn) is returned as it
 * is, with finish OTHER: continuing the turn is not implemented. */
#include "llm/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define ANTHROPIC_VERSION "2023-06-01"
#define WEB_SEARCH_MAX_USES 5

struct anthropic {
    char *url;
    char *key;
    double timeout;
    double temperature;  /* llm.temperature: for requests with temperature < 0 */
    long max_tokens;     /* llm.max_tokens: for requests with max_tokens 0 */
};

static void *anthropic_create(const struct config *cfg, struct err *err)
{
    static const char *const vars[] = {"ANTHROPIC_API_KEY", NULL};
    char *key = llm_env_key(vars);
    if (!key) {
        err_set(err, "anthropic: no API key: set the environment variable ANTHROPIC_API_KEY");
        return NULL;
    }
    struct anthropic *a = xcalloc(1, sizeof *a);
    char *base = llm_base_url(cfg->llm.base_url, "ANTHROPIC_BASE_URL", "https://api.anthropic.com", "/v1");
    a->url = xasprintf("%s/messages", base);
    free(base);
    a->key = key;
    a->timeout = cfg->llm.timeout;
    a->temperature = cfg->llm.temperature;
    a->max_tokens = cfg->llm.max_tokens;
    return a;
}

static void anthropic_destroy(void *state)
{
    struct anthropic *a = state;
    if (!a)
        return;
    memset(a->key, 0, strlen(a->key));
    free(a->key);
    free(a->url);
    free(a);
}

static char *build_body(const struct anthropic *a, const struct llm_request *req, const char *model)
{
    json_t *body = json_object();
    json_object_set_new(body, "model", llm_json_str(model));
    long max_tokens = req->max_tokens > 0 ? req->max_tokens : a->max_tokens;
    json_object_set_new(body, "max_tokens", json_integer(llm_clamp_max_tokens(model, max_tokens)));
    char *system = llm_request_system_text(req);
    if (system)
        json_object_set_new(body, "system", llm_json_str(system));
    free(system);
    json_t *msgs = json_array();
    for (size_t i = 0; i < req->nmessages; i++) {
        const struct llm_message *m = &req->messages[i];
        if (m->role == LLM_SYSTEM)
            continue;
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", m->role == LLM_ASSISTANT ? "assistant" : "user",
                                              "content", llm_json_str(m->content)));
    }
    json_object_set_new(body, "messages", msgs);
    double t = req->temperature >= 0 ? req->temperature : a->temperature;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    json_object_set_new(body, "temperature", json_real(t));
    if (req->web_search)
        json_object_set_new(body, "tools", json_pack("[{s:s, s:s, s:i}]", "type", "web_search_20250305", "name",
                                                     "web_search", "max_uses", WEB_SEARCH_MAX_USES));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int anthropic_chat(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                          bool *retryable, double *retry_after_s, struct err *err)
{
    struct anthropic *a = state;
    char *body = build_body(a, req, model);
    struct llm_http_header headers[] = {{"x-api-key", a->key}, {"anthropic-version", ANTHROPIC_VERSION}};
    struct llm_http_response resp;
    llm_http_post(a->url, headers, 2, body, a->timeout, &resp);
    int rc = llm_http_outcome("anthropic", a->url, &resp, llm_parse_anthropic, a->key, reply, retryable,
                              retry_after_s, err);
    free(body);
    llm_http_response_free(&resp);
    return rc;
}

static bool anthropic_can_web_search(void *state, const char *model)
{
    (void)state, (void)model;
    return true;
}

const struct llm_provider_ops llm_anthropic_ops = {
    .name = "anthropic",
    .create = anthropic_create,
    .chat = anthropic_chat,
    .destroy = anthropic_destroy,
    .default_model = "claude-sonnet-4-5",
    .can_web_search = anthropic_can_web_search,
};
