/* parse.c - response and error bodies of the three wire formats, read into
 * struct llm_reply (see parse.h).
 *
 * Every parser is tolerant where providers and compatible servers differ
 * (a content given as a list of parts, a missing usage block, null fields)
 * and strict only about what a reply cannot do without: a JSON object of
 * the right shape. Missing numbers count as 0; missing strings as "". The
 * readers never trust a type: every json_t is checked before use, which is
 * what the fuzz target exercises. */
#include "llm/parse.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/mem.h"

/* ---- small readers ---- */

static const char *jstr(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s ? s : "";
}

static long jlong(const json_t *obj, const char *name)
{
    const json_t *v = json_object_get(obj, name);
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        return n < 0 ? 0 : (long)n;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d > 0 && d < 9e18 ? (long)d : 0;
    }
    return 0;
}

static json_t *load_object(const char *body, size_t len, const char *what, struct err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", len, 0, &jerr);
    if (!root) {
        err_set(err, "%s reply is not JSON (%s at byte %d)", what, jerr.text, jerr.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        err_set(err, "%s reply is JSON but not an object", what);
        return NULL;
    }
    return root;
}

static void set_common(struct llm_reply *reply, const char *id, const char *model)
{
    free(reply->request_id);
    reply->request_id = xstrdup(id);
    free(reply->model);
    reply->model = xstrdup(model);
}

static void add_source(struct llm_reply *reply, const char *title, const char *url)
{
    if (!url || !*url)
        return;
    for (size_t i = 0; i < reply->nsources; i++)
        if (!strcmp(reply->sources[i].url, url))
            return;
    reply->sources = xrealloc(reply->sources, (reply->nsources + 1) * sizeof *reply->sources);
    reply->sources[reply->nsources].title = xstrdup(title ? title : "");
    reply->sources[reply->nsources].url = xstrdup(url);
    reply->nsources++;
}

/* Text of an OpenAI-style content: a string, or a list of {type:"text", text}. */
static void append_content(struct buf *out, const json_t *content)
{
    if (json_is_string(content)) {
        buf_append(out, json_string_value(content), json_string_length(content));
        return;
    }
    size_t i;
    const json_t *part;
    json_array_foreach(content, i, part) {
        const json_t *t = json_object_get(part, "text");
        if (json_is_string(t))
            buf_append(out, json_string_value(t), json_string_length(t));
    }
}

static void take_text(struct llm_reply *reply, struct buf *text)
{
    free(reply->text);
    reply->text = buf_detach(text);
}

/* ---- OpenAI ---- */

static enum llm_finish openai_finish(const char *r)
{
    if (!strcmp(r, "stop"))
        return LLM_FINISH_STOP;
    if (!strcmp(r, "length"))
        return LLM_FINISH_LENGTH;
    if (!strcmp(r, "content_filter"))
        return LLM_FINISH_FILTER;
    return LLM_FINISH_OTHER;
}

static void openai_annotations(struct llm_reply *reply, const json_t *message)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(message, "annotations"), i, a) {
        const json_t *cit = json_object_get(a, "url_citation");
        if (json_is_object(cit))
            add_source(reply, jstr(cit, "title"), jstr(cit, "url"));
    }
}

int llm_parse_openai(const char *body, size_t len, struct llm_reply *reply, struct err *err)
{
    json_t *root = load_object(body, len, "openai", err);
    if (!root)
        return LLM_ERR_MALFORMED;
    const json_t *choices = json_object_get(root, "choices");
    if (!json_is_array(choices)) {
        json_decref(root);
        err_set(err, "openai reply has no \"choices\" list");
        return LLM_ERR_MALFORMED;
    }
    set_common(reply, jstr(root, "id"), jstr(root, "model"));
    const json_t *usage = json_object_get(root, "usage");
    reply->usage.input_tokens = jlong(usage, "prompt_tokens");
    reply->usage.output_tokens = jlong(usage, "completion_tokens");
    reply->usage.cached_tokens = jlong(json_object_get(usage, "prompt_tokens_details"), "cached_tokens");

    struct buf text = {0};
    reply->finish = LLM_FINISH_OTHER;
    const json_t *choice = json_array_get(choices, 0);
    if (json_is_object(choice)) {
        const json_t *message = json_object_get(choice, "message");
        append_content(&text, json_object_get(message, "content"));
        if (text.len == 0 && json_is_string(json_object_get(message, "refusal")))
            reply->finish = LLM_FINISH_FILTER;
        openai_annotations(reply, message);
        const char *fr = jstr(choice, "finish_reason");
        if (*fr)
            reply->finish = openai_finish(fr);
    }
    take_text(reply, &text);
    json_decref(root);
    return LLM_OK;
}

/* ---- Gemini ---- */

static enum llm_finish gemini_finish(const char *r)
{
    if (!strcmp(r, "STOP"))
        return LLM_FINISH_STOP;
    if (!strcmp(r, "MAX_TOKENS"))
        return LLM_FINISH_LENGTH;
    static const char *const filtered[] = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                           "SPII", "IMAGE_SAFETY", NULL};
    for (int i = 0; filtered[i]; i++)
        if (!strcmp(r, filtered[i]))
            return LLM_FINISH_FILTER;
    return LLM_FINISH_OTHER;
}

static void gemini_sources(struct llm_reply *reply, const json_t *candidate)
{
    const json_t *meta = json_object_get(candidate, "groundingMetadata");
    size_t i;
    const json_t *chunk;
    json_array_foreach(json_object_get(meta, "groundingChunks"), i, chunk) {
        const json_t *web = json_object_get(chunk, "web");
        if (json_is_object(web))
            add_source(reply, jstr(web, "title"), jstr(web, "uri"));
    }
}

int llm_parse_gemini(const char *body, size_t len, struct llm_reply *reply, struct err *err)
{
    json_t *root = load_object(body, len, "gemini", err);
    if (!root)
        return LLM_ERR_MALFORMED;
    const json_t *candidates = json_object_get(root, "candidates");
    const json_t *feedback = json_object_get(root, "promptFeedback");
    if (!json_is_array(candidates) && !json_is_object(feedback)) {
        json_decref(root);
        err_set(err, "gemini reply has neither \"candidates\" nor \"promptFeedback\"");
        return LLM_ERR_MALFORMED;
    }
    set_common(reply, jstr(root, "responseId"), jstr(root, "modelVersion"));
    const json_t *usage = json_object_get(root, "usageMetadata");
    reply->usage.input_tokens = jlong(usage, "promptTokenCount");
    reply->usage.output_tokens = jlong(usage, "candidatesTokenCount") + jlong(usage, "thoughtsTokenCount");
    reply->usage.cached_tokens = jlong(usage, "cachedContentTokenCount");

    struct buf text = {0};
    reply->finish = *jstr(feedback, "blockReason") ? LLM_FINISH_FILTER : LLM_FINISH_OTHER;
    const json_t *cand = json_array_get(candidates, 0);
    if (json_is_object(cand)) {
        size_t i;
        const json_t *part;
        json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, part) {
            const json_t *t = json_object_get(part, "text");
            if (json_is_string(t) && !json_is_true(json_object_get(part, "thought")))
                buf_append(&text, json_string_value(t), json_string_length(t));
        }
        gemini_sources(reply, cand);
        const char *fr = jstr(cand, "finishReason");
        if (*fr)
            reply->finish = gemini_finish(fr);
    }
    take_text(reply, &text);
    json_decref(root);
    return LLM_OK;
}

/* ---- Anthropic ---- */

static enum llm_finish anthropic_finish(const char *r)
{
    if (!strcmp(r, "end_turn") || !strcmp(r, "stop_sequence"))
        return LLM_FINISH_STOP;
    if (!strcmp(r, "max_tokens") || !strcmp(r, "model_context_window_exceeded"))
        return LLM_FINISH_LENGTH;
    if (!strcmp(r, "refusal"))
        return LLM_FINISH_FILTER;
    return LLM_FINISH_OTHER;
}

static void anthropic_block(struct llm_reply *reply, struct buf *text, const json_t *block)
{
    const char *type = jstr(block, "type");
    size_t i;
    const json_t *item;
    if (!strcmp(type, "text")) {
        const json_t *t = json_object_get(block, "text");
        if (json_is_string(t))
            buf_append(text, json_string_value(t), json_string_length(t));
        json_array_foreach(json_object_get(block, "citations"), i, item)
            add_source(reply, jstr(item, "title"), jstr(item, "url"));
    } else if (!strcmp(type, "web_search_tool_result")) {
        json_array_foreach(json_object_get(block, "content"), i, item)
            if (!strcmp(jstr(item, "type"), "web_search_result"))
                add_source(reply, jstr(item, "title"), jstr(item, "url"));
    }
}

int llm_parse_anthropic(const char *body, size_t len, struct llm_reply *reply, struct err *err)
{
    json_t *root = load_object(body, len, "anthropic", err);
    if (!root)
        return LLM_ERR_MALFORMED;
    const json_t *content = json_object_get(root, "content");
    if (!json_is_array(content)) {
        json_decref(root);
        err_set(err, "anthropic reply has no \"content\" list");
        return LLM_ERR_MALFORMED;
    }
    set_common(reply, jstr(root, "id"), jstr(root, "model"));
    const json_t *usage = json_object_get(root, "usage");
    long cache_read = jlong(usage, "cache_read_input_tokens");
    reply->usage.input_tokens =
        jlong(usage, "input_tokens") + cache_read + jlong(usage, "cache_creation_input_tokens");
    reply->usage.output_tokens = jlong(usage, "output_tokens");
    reply->usage.cached_tokens = cache_read;

    struct buf text = {0};
    size_t i;
    const json_t *block;
    json_array_foreach(content, i, block)
        anthropic_block(reply, &text, block);
    const char *sr = jstr(root, "stop_reason");
    reply->finish = *sr ? anthropic_finish(sr) : LLM_FINISH_OTHER;
    take_text(reply, &text);
    json_decref(root);
    return LLM_OK;
}

/* ---- error bodies ---- */

static void excerpt(const char *body, size_t len, char *out, size_t outsz)
{
    size_t n = 0;
    bool space = false;
    for (size_t i = 0; i < len && n + 4 < outsz && n < 200; i++) {
        unsigned char c = (unsigned char)body[i];
        if (isspace(c) || c < 32) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)c;
    }
    if (n == 0)
        snprintf(out, outsz, "(empty body)");
    else
        out[n] = '\0';
}

void llm_parse_error_body(const char *body, size_t len, char *out, size_t outsz)
{
    if (!outsz)
        return;
    out[0] = '\0';
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    const json_t *e = json_object_get(root, "error");
    const char *msg = NULL, *kind = "";
    if (json_is_object(e)) {
        msg = json_string_value(json_object_get(e, "message"));
        kind = jstr(e, "status");          /* Gemini: "RESOURCE_EXHAUSTED" */
        if (!*kind)
            kind = jstr(e, "type");        /* OpenAI, Anthropic */
    } else if (json_is_string(e)) {
        msg = json_string_value(e);
    } else if (json_is_object(root)) {
        msg = json_string_value(json_object_get(root, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(root, "detail"));
    }
    if (msg && *kind)
        snprintf(out, outsz, "%s (%s)", msg, kind);
    else if (msg)
        snprintf(out, outsz, "%s", msg);
    else
        excerpt(body ? body : "", body ? len : 0, out, outsz);
    json_decref(root);
}

/* ---- Retry-After ---- */

double llm_parse_retry_after(const char *value, double now_epoch)
{
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (!*value)
        return -1;
    if (isdigit((unsigned char)*value)) {
        char *end;
        double s = strtod(value, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (!*end && s >= 0 && s < 1e9)
            return s;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    double d = (double)t - now_epoch;
    return d > 0 ? d : 0;
}

/* ---- <think> ---- */

void llm_strip_think(char *text)
{
    if (!text)
        return;
    static const char open[] = "<think>", close[] = "</think>";
    bool removed = false;
    char *first_close = strstr(text, close);
    char *first_open = strstr(text, open);
    if (first_close && (!first_open || first_close < first_open)) {
        char *rest = first_close + strlen(close);
        memmove(text, rest, strlen(rest) + 1);
        removed = true;
    }
    char *start;
    while ((start = strstr(text, open)) != NULL) {
        char *end = strstr(start + strlen(open), close);
        if (!end) {
            *start = '\0';
        } else {
            char *rest = end + strlen(close);
            memmove(start, rest, strlen(rest) + 1);
        }
        removed = true;
    }
    if (removed) {
        size_t skip = 0;
        while (isspace((unsigned char)text[skip]))
            skip++;
        memmove(text, text + skip, strlen(text + skip) + 1);
    }
}
