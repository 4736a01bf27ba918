/* termtext.c - control bytes written as \xNN (see termtext.h). */
#include "util/termtext.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static bool is_c1(const unsigned char *p, size_t left)
{
    return left >= 2 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f;
}

char *term_safe_n(const char *s, size_t n, bool one_line)
{
    struct buf b = {0};
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (!s)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (is_c1(p + i, n - i)) {
            buf_printf(&b, "\\x%02x\\x%02x", p[i], p[i + 1]);
            i++;
        } else if ((c < 0x20 && (one_line || (c != '\n' && c != '\t'))) || c == 0x7f) {
            buf_printf(&b, "\\x%02x", c);
        } else {
            buf_putc(&b, (char)c);
        }
    }
    return buf_detach(&b);
}

char *term_safe(const char *s, bool one_line)
{
    return term_safe_n(s, s ? strlen(s) : 0, one_line);
}

void term_put(FILE *f, const char *s, bool one_line)
{
    char *safe = term_safe(s, one_line);
    fputs(safe, f);
    free(safe);
}
