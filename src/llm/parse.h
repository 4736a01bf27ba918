/* parse.h - the pure text functions of the llm module: response-body
 * parsers of each wire format, the error-body reader, Retry-After, and the
 * <think> stripper. Exposed (inside the project) for unit tests and the fuzz
 * target tests/fuzz/fuzz_llm_reply.c; the rest of mlestar uses llm.h.
 *
 * Parsers take a body of `len` bytes (need not be NUL-terminated), fill the
 * reply's text (raw, <think> blocks still in), finish, usage, request_id
 * (the body's id, "" when none), model ("" when none) and sources, and
 * return LLM_OK, or LLM_ERR_MALFORMED with err saying what was missing. A
 * well-formed body without text (an empty choices list, a blocked prompt)
 * is LLM_OK with text "": deciding that this is LLM_ERR_EMPTY is the
 * client's job. On any return the reply may hold allocations: release it
 * with llm_reply_free(). All functions are thread-safe (no shared state). */
#ifndef MLESTAR_LLM_PARSE_H
#define MLESTAR_LLM_PARSE_H

#include <stddef.h>

#include "llm/llm.h"

/* OpenAI Chat Completions: choices[0].message.content, finish_reason,
 * usage.{prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens},
 * message.annotations[].url_citation.{url,title}. */
int llm_parse_openai(const char *body, size_t len, struct llm_reply *reply, struct err *err);

/* Gemini generateContent: candidates[0].content.parts[].text (parts marked
 * "thought" skipped), finishReason, groundingMetadata.groundingChunks[].web,
 * usageMetadata.{promptTokenCount, candidatesTokenCount + thoughtsTokenCount,
 * cachedContentTokenCount}, promptFeedback.blockReason. */
int llm_parse_gemini(const char *body, size_t len, struct llm_reply *reply, struct err *err);

/* Anthropic Messages: content[] text blocks joined, stop_reason,
 * usage.{input_tokens + cache_read_input_tokens + cache_creation_input_tokens,
 * output_tokens, cache_read_input_tokens}, web_search_tool_result blocks and
 * text citations as sources. */
int llm_parse_anthropic(const char *body, size_t len, struct llm_reply *reply, struct err *err);

/* The provider's own error text from an error body, into out: understands
 * {"error":{"message","type"|"status"|"code"}} (OpenAI, Gemini),
 * {"type":"error","error":{"type","message"}} (Anthropic), {"error":"..."},
 * {"message"|"detail":"..."}; anything else gives a one-line excerpt of the
 * body. Always NUL-terminates out (outsz > 0). */
void llm_parse_error_body(const char *body, size_t len, char *out, size_t outsz);

/* Retry-After: delay-seconds ("120", "1.5") or an HTTP date, relative to
 * now_epoch. Returns seconds (>= 0) or -1 when the value is not either. */
double llm_parse_retry_after(const char *value, double now_epoch);

/* Removes <think>...</think> blocks in place; an unclosed <think> removes
 * the rest, and a stray leading "...</think>" (templates that open the block
 * in the prompt) removes everything up to it. Leading whitespace left by a
 * removal is trimmed. */
void llm_strip_think(char *text);

#endif
