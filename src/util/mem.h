/* mem.h - allocation wrappers that abort on out-of-memory.
 *
 * The orchestrator cannot do anything useful when malloc fails, so these
 * print one line and abort instead of making every caller check. */
#ifndef MLESTAR_UTIL_MEM_H
#define MLESTAR_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* malloc'd printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
