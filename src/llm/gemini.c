/* gemini.c - the `gemini` provider: POST {base}/models/{model}:generateContent.
 *
 * Base: llm.base_url, else https://generativelanguage.googleapis.com; a base
 * without a path gets "/v1beta". The key ($GEMINI_API_KEY, else
 * $GOOGLE_API_KEY) travels in the x-goog-api-key header, never in the URL,
 * so URLs in messages are safe to show.
 *
 * Request: system messages become systemInstruction; user/assistant turns
 * become contents with roles user/model; generationConfig carries
 * temperature and maxOutputTokens (which, for thinking models, also bounds
 * the thinking; lowered to the model's limit when known, see limits.c); json_output asks for responseMimeType application/json,
 * except together with web search, which that mode does not support.
 * web_search attaches the google_search tool; the grounding sources come
 * back from groundingMetadata (parse.c). */
#include "llm/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct gemini {
    char *base;
    char *key;
    double timeout;
    double temperature;  /* llm.temperature: for requests with temperature < 0 */
    long max_tokens;     /* llm.max_tokens: for requests with max_tokens 0 */
};

static void *gemini_create(const struct config *cfg, struct err *err)
{
    static const char *const vars[] = {"GEMINI_API_KEY", "GOOGLE_API_KEY", NULL};
    char *key = llm_env_key(vars);
    if (!key) {
        err_set(err, "gemini: no API key: set the environment variable GEMINI_API_KEY (or GOOGLE_API_KEY)");
        return NULL;
    }
    struct gemini *g = xcalloc(1, sizeof *g);
    g->base = llm_base_url(cfg->llm.base_url, NULL, "https://generativelanguage.googleapis.com", "/v1beta");
    g->key = key;
    g->timeout = cfg->llm.timeout;
    g->temperature = cfg->llm.temperature;
    g->max_tokens = cfg->llm.max_tokens;
    return g;
}

static void gemini_destroy(void *state)
{
    struct gemini *g = state;
    if (!g)
        return;
    memset(g->key, 0, strlen(g->key));
    free(g->key);
    free(g->base);
    free(g);
}

static json_t *text_part(const char *text)
{
    return json_pack("{s:[{s:o}]}", "parts", "text", llm_json_str(text));
}

static json_t *build_contents(const struct llm_request *req, const char *system)
{
    json_t *contents = json_array();
    for (size_t i = 0; i < req->nmessages; i++) {
        const struct llm_message *m = &req->messages[i];
        if (m->role == LLM_SYSTEM)
            continue;
        json_t *c = text_part(m->content);
        json_object_set_new(c, "role", json_string(m->role == LLM_ASSISTANT ? "model" : "user"));
        json_array_append_new(contents, c);
    }
    if (json_array_size(contents) == 0) {
        /* Only system text: the API needs at least one turn. */
        json_t *c = text_part(system ? system : "");
        json_object_set_new(c, "role", json_string("user"));
        json_array_append_new(contents, c);
    }
    return contents;
}

static char *build_body(const struct gemini *g, const struct llm_request *req, const char *model)
{
    char *system = llm_request_system_text(req);
    json_t *body = json_object();
    bool only_system = true;
    for (size_t i = 0; i < req->nmessages; i++)
        if (req->messages[i].role != LLM_SYSTEM)
            only_system = false;
    json_object_set_new(body, "contents", build_contents(req, system));
    if (system && !only_system)
        json_object_set_new(body, "systemInstruction", text_part(system));
    json_t *gen = json_object();
    json_object_set_new(gen, "temperature", json_real(req->temperature >= 0 ? req->temperature : g->temperature));
    long max_tokens = req->max_tokens > 0 ? req->max_tokens : g->max_tokens;
    json_object_set_new(gen, "maxOutputTokens", json_integer(llm_clamp_max_tokens(model, max_tokens)));
    if (req->json_output && !req->web_search)
        json_object_set_new(gen, "responseMimeType", json_string("application/json"));
    json_object_set_new(body, "generationConfig", gen);
    if (req->web_search)
        json_object_set_new(body, "tools", json_pack("[{s:{}}]", "google_search"));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    free(system);
    return text;
}

static int gemini_chat(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                       bool *retryable, double *retry_after_s, struct err *err)
{
    struct gemini *g = state;
    const char *name = !strncmp(model, "models/", 7) ? model + 7 : model;
    char *url = xasprintf("%s/models/%s:generateContent", g->base, name);
    char *body = build_body(g, req, model);
    struct llm_http_header headers[] = {{"x-goog-api-key", g->key}};
    struct llm_http_response resp;
    llm_http_post(url, headers, 1, body, g->timeout, &resp);
    int rc = llm_http_outcome("gemini", url, &resp, llm_parse_gemini, g->key, reply, retryable, retry_after_s,
                              err);
    free(body);
    free(url);
    llm_http_response_free(&resp);
    return rc;
}

static bool gemini_can_web_search(void *state, const char *model)
{
    (void)state, (void)model;
    return true;
}

const struct llm_provider_ops llm_gemini_ops = {
    .name = "gemini",
    .create = gemini_create,
    .chat = gemini_chat,
    .destroy = gemini_destroy,
    .default_model = "gemini-2.5-pro",
    .can_web_search = gemini_can_web_search,
};
