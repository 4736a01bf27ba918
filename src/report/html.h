/* html.h - writing HTML text safely (the report module's own helpers).
 *
 * Everything that came from the journal passes through html_text() or one
 * of the helpers built on it: & < > " ' become entities, and bytes that
 * are not valid in an HTML document (C0 controls other than tab, newline
 * and carriage return; DEL) become U+FFFD, so no journal content (code,
 * plans, errors, names) can open a tag, close one, or end an attribute.
 *
 * Pure functions over a struct buf; thread-safe. */
#ifndef MLESTAR_REPORT_HTML_H
#define MLESTAR_REPORT_HTML_H

#include <stddef.h>

#include "util/buf.h"

/* Escaped text; NULL appends nothing. Safe in element content and in
 * quoted attribute values. */
void html_text(struct buf *b, const char *s);
/* The first n bytes of s, escaped. */
void html_text_n(struct buf *b, const char *s, size_t n);
/* The first line of s, escaped, cut to max bytes (at a UTF-8 boundary)
 * with an ellipsis. */
void html_line(struct buf *b, const char *s, size_t max);
/* <pre class="cls">escaped text</pre> */
void html_pre(struct buf *b, const char *cls, const char *text);
/* A unified diff as <pre class="diff">, each line in a span classed by its
 * first character: "add" (+), "del" (-), "hunk" (@@), "meta" (---/+++). */
void html_diff(struct buf *b, const char *diff);
/* Number of lines of s (a last line without '\n' counts). */
size_t html_count_lines(const char *s);

#endif
