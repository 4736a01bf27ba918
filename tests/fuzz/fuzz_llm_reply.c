/* fuzz_llm_reply.c - arbitrary bytes into every response-body parser of the
 * llm module (OpenAI, Gemini, Anthropic), the error-body reader, Retry-After
 * and the <think> stripper. The first byte picks nothing: every parser sees
 * every input, so one corpus serves all of them. Checks that parsers never
 * crash, never leak, and leave a reply llm_reply_free() can release. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/parse.h"

typedef int (*parser)(const char *body, size_t len, struct llm_reply *reply, struct err *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const parser parsers[] = {llm_parse_openai, llm_parse_gemini, llm_parse_anthropic};
    const char *body = (const char *)data;
    for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
        struct llm_reply reply;
        memset(&reply, 0, sizeof reply);
        struct err err = {{0}};
        int rc = parsers[i](body, size, &reply, &err);
        if (rc == LLM_OK && !reply.text)
            abort(); /* a parsed reply always has text, maybe "" */
        for (size_t s = 0; s < reply.nsources; s++)
            if (!reply.sources[s].url || !reply.sources[s].title)
                abort();
        llm_reply_free(&reply);
    }
    char out[256];
    llm_parse_error_body(body, size, out, sizeof out);
    if (strlen(out) >= sizeof out)
        abort();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    llm_strip_think(text);
    (void)llm_parse_retry_after(text, 1e9);
    free(text);
    return 0;
}
