/* extract.h - the Python script inside an LLM reply.
 *
 * LLM replies put code in Markdown fences, but not always the same way:
 * ```python, ```py, ```Python3, ~~~ fences, fences indented inside a list
 * item, several blocks (a shell command, then the script), an unterminated
 * last fence when the reply was cut off, CRLF line ends, or no fence at all.
 * code_extract_python() picks the block the pipeline should run:
 *
 *   1. the first non-empty fence tagged python / py / python3 / py3 (any case);
 *   2. else the first non-empty fence with no tag;
 *   3. else the first non-empty fence with another tag whose content looks
 *      like Python (imports, defs, assignments, ...);
 *   4. else, when the reply has no fence at all and looks like Python, the
 *      reply itself (leading prose lines before the first code line dropped).
 *
 * A fence indented by N columns has up to N columns of indentation removed
 * from its content lines (as CommonMark does). An unterminated fence runs to
 * the end of the reply. The result always uses LF line ends and ends with a
 * newline.
 *
 * Pure functions: no global state, thread-safe. */
#ifndef MLESTAR_CODE_EXTRACT_H
#define MLESTAR_CODE_EXTRACT_H

#include <stdbool.h>

#include "util/err.h"

/* Returns the malloc'd code (caller frees), or NULL with err set to a message
 * meant to be sent back to the LLM (e.g. "the reply holds no code block"). */
char *code_extract_python(const char *reply, struct err *err);

/* True when the text reads like Python source rather than prose: most of its
 * non-blank lines are code-like and at least one is a strong signal (import,
 * def, class, assignment, call). Exposed for the JSON and splice helpers and
 * for tests. */
bool code_looks_like_python(const char *text);

/* A code block quoted inside a JSON field ({"code_block": "```python\n...```"})
 * without its fence: when text is one fenced block and nothing else (blank
 * lines around it allowed; an unterminated fence runs to the end), returns
 * its content (fence indentation removed, no final newline); otherwise a
 * copy of text. CRLF becomes LF either way. malloc'd; never NULL. */
char *code_strip_fence(const char *text);

#endif
