/* openai.c - the `openai` provider: POST {base}/chat/completions.
 *
 * Serves OpenAI itself and every server that speaks Chat Completions (vLLM,
 * llama.cpp server, Ollama, OpenRouter) through the base URL: llm.base_url,
 * else $OPENAI_BASE_URL, else https://api.openai.com/v1; a base without a
 * path ("http://localhost:8000") gets "/v1". The key comes from
 * $OPENAI_API_KEY as "Authorization: Bearer"; it is required for
 * api.openai.com and optional elsewhere (local servers need none).
 *
 * Model families differ:
 *   - reasoning models (o1, o3, o4..., gpt-5 except gpt-5-chat) take
 *     max_completion_tokens instead of max_tokens and no temperature;
 *   - search models (names containing "search") take no temperature and get
 *     web_search_options when a request asks for web search; other models
 *     cannot search through this API, so the flag is dropped for them
 *     (llm_client_can_web_search() says so up front);
 *   - o1-mini / o1-preview accept no system role: system text becomes the
 *     first user message.
 * The token limit is lowered to the model's own maximum when known
 * (limits.c). json_output sends response_format json_object, but only when a message
 * mentions JSON, which the API requires (else it answers 400). */
#include "llm/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct openai {
    char *base;
    char *url;
    char *key;       /* NULL when none */
    double timeout;
    double temperature;  /* llm.temperature: for requests with temperature < 0 */
    long max_tokens;     /* llm.max_tokens: for requests with max_tokens 0 */
};

static const char *bare_model(const char *model)
{
    const char *slash = strrchr(model, '/');
    return slash ? slash + 1 : model;
}

static bool is_reasoning_model(const char *model)
{
    const char *m = bare_model(model);
    if (m[0] == 'o' && m[1] >= '1' && m[1] <= '9')
        return true;
    return !strncmp(m, "gpt-5", 5) && !strstr(m, "-chat");
}

static bool is_search_model(const char *model)
{
    return strstr(bare_model(model), "search") != NULL;
}

static bool takes_no_system_role(const char *model)
{
    const char *m = bare_model(model);
    return !strncmp(m, "o1-mini", 7) || !strncmp(m, "o1-preview", 10);
}

static bool is_official_host(const char *url)
{
    return strstr(url, "://api.openai.com") != NULL;
}

static void *openai_create(const struct config *cfg, struct err *err)
{
    struct openai *o = xcalloc(1, sizeof *o);
    o->base = llm_base_url(cfg->llm.base_url, "OPENAI_BASE_URL", "https://api.openai.com/v1", "/v1");
    o->url = xasprintf("%s/chat/completions", o->base);
    static const char *const vars[] = {"OPENAI_API_KEY", NULL};
    o->key = llm_env_key(vars);
    o->timeout = cfg->llm.timeout;
    o->temperature = cfg->llm.temperature;
    o->max_tokens = cfg->llm.max_tokens;
    if (!o->key && is_official_host(o->base)) {
        err_set(err, "openai: no API key: set the environment variable OPENAI_API_KEY "
                     "(or point llm.base_url / OPENAI_BASE_URL at a server that needs none)");
        free(o->base);
        free(o->url);
        free(o);
        return NULL;
    }
    return o;
}

static void openai_destroy(void *state)
{
    struct openai *o = state;
    if (!o)
        return;
    if (o->key) {
        memset(o->key, 0, strlen(o->key));
        free(o->key);
    }
    free(o->base);
    free(o->url);
    free(o);
}

static json_t *build_messages(const struct llm_request *req, const char *model)
{
    json_t *msgs = json_array();
    bool fold_system = takes_no_system_role(model);
    char *system = fold_system ? llm_request_system_text(req) : NULL;
    if (system) {
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", "user", "content", llm_json_str(system)));
        free(system);
    }
    for (size_t i = 0; i < req->nmessages; i++) {
        const struct llm_message *m = &req->messages[i];
        if (fold_system && m->role == LLM_SYSTEM)
            continue;
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", llm_role_name(m->role), "content",
                                              llm_json_str(m->content)));
    }
    return msgs;
}

static char *build_body(const struct llm_request *req, const char *model, double temperature, long max_tokens)
{
    json_t *body = json_object();
    json_object_set_new(body, "model", llm_json_str(model));
    json_object_set_new(body, "messages", build_messages(req, model));
    bool reasoning = is_reasoning_model(model);
    bool search = is_search_model(model);
    json_object_set_new(body, reasoning ? "max_completion_tokens" : "max_tokens", json_integer(max_tokens));
    if (!reasoning && !search)
        json_object_set_new(body, "temperature", json_real(temperature));
    if (req->json_output && llm_request_mentions_json(req))
        json_object_set_new(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (req->web_search && search)
        json_object_set_new(body, "web_search_options", json_object());
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return text;
}

static int openai_chat(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                       bool *retryable, double *retry_after_s, struct err *err)
{
    struct openai *o = state;
    char *body = build_body(req, model, req->temperature >= 0 ? req->temperature : o->temperature,
                            llm_clamp_max_tokens(model, req->max_tokens > 0 ? req->max_tokens : o->max_tokens));
    char *auth = o->key ? xasprintf("Bearer %s", o->key) : NULL;
    struct llm_http_header headers[] = {{"Authorization", auth}};
    struct llm_http_response resp;
    llm_http_post(o->url, headers, auth ? 1 : 0, body, o->timeout, &resp);
    int rc = llm_http_outcome("openai", o->url, &resp, llm_parse_openai, o->key, reply, retryable,
                              retry_after_s, err);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    free(body);
    llm_http_response_free(&resp);
    return rc;
}

static bool openai_can_web_search(void *state, const char *model)
{
    (void)state;
    return is_search_model(model);
}

const struct llm_provider_ops llm_openai_ops = {
    .name = "openai",
    .create = openai_create,
    .chat = openai_chat,
    .destroy = openai_destroy,
    .default_model = "gpt-4.1",
    .can_web_search = openai_can_web_search,
};
