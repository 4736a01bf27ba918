/* termtext.h - text from outside (column and file names, script output,
 * LLM replies) made safe to print on a terminal.
 *
 * A CSV header or a file name can hold ESC sequences that move the cursor,
 * rewrite the screen or set the window title when printed raw. These
 * functions write every control byte as \xNN: bytes below 0x20 (but for
 * '\n' and '\t' in multi-line text), DEL (0x7f), and the two-byte UTF-8
 * forms of the C1 controls U+0080..U+009F (CSI is U+009B), which some
 * terminals obey. Everything else, other UTF-8 included, passes unchanged.
 * Thread-safe; no state. */
#ifndef MLESTAR_UTIL_TERMTEXT_H
#define MLESTAR_UTIL_TERMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A malloc'd safe copy of the first n bytes of s. one_line: '\n' and '\t'
 * are escaped too (names, list items). */
char *term_safe_n(const char *s, size_t n, bool one_line);
/* term_safe_n(s, strlen(s), one_line); s may be NULL (gives ""). */
char *term_safe(const char *s, bool one_line);
/* Writes the safe form of s to f. */
void term_put(FILE *f, const char *s, bool one_line);

#endif
