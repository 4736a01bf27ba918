/* buf.h - a growable byte buffer, always NUL-terminated.
 *
 * The one string builder of the project. A zeroed struct buf is an empty,
 * valid buffer. The buffer owns `data`; buf_free() releases it and
 * buf_detach() hands it to the caller (who then frees it with free()).
 * Allocation failure aborts the process (out of memory is not a condition
 * the orchestrator can act on). Not thread-safe; one owner at a time. */
#ifndef MLESTAR_UTIL_BUF_H
#define MLESTAR_UTIL_BUF_H

#include <stddef.h>

struct buf {
    char *data;   /* NUL-terminated once anything was added; may be NULL when empty */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t cap;   /* bytes allocated */
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reserve(struct buf *b, size_t extra);
void buf_truncate(struct buf *b, size_t len);
/* Returns the contents (never NULL: "" when empty). Valid until the next change. */
const char *buf_str(const struct buf *b);
/* Returns the malloc'd string (never NULL) and resets the buffer. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

#endif
