/* jsontext.h - a JSON list or object inside an LLM reply.
 *
 * Replies carry JSON in ```json fences, bare in prose, or written the Python
 * way. The reader accepts, besides strict JSON: single-quoted strings,
 * True/False/None, trailing commas, raw newlines and tabs inside strings,
 * unknown escapes such as "\d" (kept as a backslash and the letter), a
 * leading '+' or a bare leading/trailing '.' in numbers, and unquoted
 * identifier keys. Comments are not accepted.
 *
 * It works by rewriting the candidate text into strict JSON with a small
 * recursive scanner (depth-limited) and handing that to jansson. Candidates
 * are tried in order: the content of fences tagged json (then untagged
 * fences), then every '[' or '{' of the whole reply from the left; the first
 * that parses wins. The number of candidates tried is bounded, so a reply
 * full of brackets costs linear-ish time.
 *
 * Pure functions, thread-safe. */
#ifndef MLESTAR_CODE_JSONTEXT_H
#define MLESTAR_CODE_JSONTEXT_H

#include <jansson.h>

#include "util/err.h"

/* The first JSON array or object of the reply. Returns a new reference
 * (caller json_decref()s), or NULL with err set to a message that can be sent
 * back to the LLM (it names the first parse problem found). */
json_t *code_extract_json(const char *reply, struct err *err);

/* Like code_extract_json(), but always an array: an object is wrapped in a
 * one-element array. New reference, or NULL + err. */
json_t *code_extract_json_list(const char *reply, struct err *err);

/* The strict-JSON rewrite of the value starting at text[0] ('[' or '{').
 * Returns the malloc'd JSON text and stores in *consumed how many bytes of
 * `text` the value spans; NULL with err on a syntax error (then *consumed
 * is the offset of the problem). Exposed for tests
 * and the fuzzer. */
char *code_json_normalize(const char *text, size_t *consumed, struct err *err);

#endif
