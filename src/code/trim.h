/* trim.h - shortening a script's output for a prompt.
 *
 * Training logs and tracebacks can be megabytes; the debug and refine
 * prompts have room for a few kilobytes. code_trim_output() keeps what a
 * reader needs, in this order of priority:
 *   1. the last traceback, from "Traceback (most recent call last):" to the
 *      end of the text (when even that is too long: its first line and as
 *      many of its last lines as fit);
 *   2. other lines that mention "Error" or "Exception", latest first, within
 *      half of the room left;
 *   3. the head and the tail of the rest, one line from each in turn.
 * Kept lines stay in their original order; every run of dropped lines is
 * replaced by one "[... N lines cut ...]" line. A single line longer than
 * an eighth of the room is shortened in its middle ("[... N bytes cut ...]"),
 * never inside a UTF-8 sequence.
 *
 * Pure function, thread-safe. */
#ifndef MLESTAR_CODE_TRIM_H
#define MLESTAR_CODE_TRIM_H

#include <stddef.h>

/* Returns a malloc'd copy of text shortened to at most max_bytes bytes
 * (strlen), or the text itself (copied) when it already fits. Caller frees. */
char *code_trim_output(const char *text, size_t max_bytes);

#endif
