/* text.c - small text helpers of the llm module: role names, the system
 * text of a request, and JSON strings that are always valid UTF-8.
 *
 * Prompts carry data previews, tracebacks and file excerpts: any of them may
 * hold bytes that are not UTF-8, which JSON cannot carry. llm_json_str()
 * replaces each invalid byte by U+FFFD instead of failing the call. */
#include "llm/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *llm_utf8_clean(const char *s)
{
    struct buf b = {0};
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = utf8_seq(p);
        if (n) {
            buf_append(&b, p, n);
            p += n;
        } else {
            buf_puts(&b, "\xEF\xBF\xBD");
            p++;
        }
    }
    return buf_detach(&b);
}

json_t *llm_json_str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    if (v)
        return v;
    char *clean = llm_utf8_clean(s);
    v = json_string(clean);
    free(clean);
    return v ? v : json_string("");
}

const char *llm_role_name(enum llm_role role)
{
    switch (role) {
    case LLM_SYSTEM: return "system";
    case LLM_ASSISTANT: return "assistant";
    default: return "user";
    }
}

bool llm_request_mentions_json(const struct llm_request *req)
{
    for (size_t i = 0; i < req->nmessages; i++)
        if (req->messages[i].content && strcasestr(req->messages[i].content, "json"))
            return true;
    return false;
}

char *llm_request_system_text(const struct llm_request *req)
{
    struct buf b = {0};
    for (size_t i = 0; i < req->nmessages; i++) {
        if (req->messages[i].role != LLM_SYSTEM || !req->messages[i].content)
            continue;
        if (b.len)
            buf_puts(&b, "\n\n");
        buf_puts(&b, req->messages[i].content);
    }
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* ---- names ---- */

static const char *const error_names[] = {
    [LLM_OK] = "ok",
    [LLM_ERR_CONFIG] = "config",
    [LLM_ERR_HTTP] = "http",
    [LLM_ERR_EXHAUSTED] = "exhausted",
    [LLM_ERR_TRUNCATED] = "truncated",
    [LLM_ERR_EMPTY] = "empty",
    [LLM_ERR_MALFORMED] = "malformed",
    [LLM_ERR_BUDGET] = "budget",
    [LLM_ERR_REPLAY_MISS] = "replay_miss",
    [LLM_ERR_CANCELLED] = "cancelled",
};
#define NERRORS (sizeof error_names / sizeof error_names[0])

const char *llm_error_name(int code)
{
    if (code < 0)
        code = -code;
    return (size_t)code < NERRORS ? error_names[code] : "unknown";
}

int llm_error_parse(const char *name)
{
    for (size_t i = 0; i < NERRORS; i++)
        if (!strcmp(error_names[i], name))
            return (int)i;
    return LLM_OK;
}

static const char *const finish_names[] = {
    [LLM_FINISH_STOP] = "stop",
    [LLM_FINISH_LENGTH] = "length",
    [LLM_FINISH_FILTER] = "filter",
    [LLM_FINISH_OTHER] = "other",
};

const char *llm_finish_name(enum llm_finish finish)
{
    return (unsigned)finish <= LLM_FINISH_OTHER ? finish_names[finish] : "other";
}

enum llm_finish llm_finish_parse(const char *name)
{
    for (int i = 0; i <= LLM_FINISH_OTHER; i++)
        if (!strcmp(finish_names[i], name))
            return (enum llm_finish)i;
    return LLM_FINISH_OTHER;
}
