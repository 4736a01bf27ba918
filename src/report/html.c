/* html.c - see html.h. */
#include "report/html.h"

#include <stdbool.h>
#include <string.h>

void html_text_n(struct buf *b, const char *s, size_t n)
{
    if (!s)
        return;
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *entity = NULL;
        switch (c) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
                entity = "\xEF\xBF\xBD";
        }
        if (!entity) {
            run++;
            continue;
        }
        buf_append(b, s + i - run, run);
        run = 0;
        buf_puts(b, entity);
    }
    size_t len = strnlen(s, n);
    buf_append(b, s + len - run, run);
}

void html_text(struct buf *b, const char *s)
{
    if (s)
        html_text_n(b, s, strlen(s));
}

void html_line(struct buf *b, const char *s, size_t max)
{
    if (!s)
        return;
    size_t n = strcspn(s, "\r\n");
    bool more = s[n] && s[n + strspn(s + n, " \t\r\n")]; /* text on a later line */
    bool cut = n > max || more;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
            n--;
    }
    html_text_n(b, s, n);
    if (cut)
        buf_puts(b, "\xE2\x80\xA6");
}

void html_pre(struct buf *b, const char *cls, const char *text)
{
    buf_printf(b, "<pre class=\"%s\">", cls);
    html_text(b, text);
    buf_puts(b, "</pre>\n");
}

static const char *diff_class(const char *line, size_t n)
{
    if (n >= 3 && (!strncmp(line, "+++", 3) || !strncmp(line, "---", 3)))
        return "meta";
    if (n >= 2 && !strncmp(line, "@@", 2))
        return "hunk";
    if (n >= 1 && line[0] == '+')
        return "add";
    if (n >= 1 && line[0] == '-')
        return "del";
    return NULL;
}

void html_diff(struct buf *b, const char *diff)
{
    buf_puts(b, "<pre class=\"diff\">");
    for (const char *p = diff ? diff : ""; *p;) {
        size_t n = strcspn(p, "\n");
        const char *cls = diff_class(p, n);
        if (cls)
            buf_printf(b, "<span class=\"%s\">", cls);
        html_text_n(b, p, n);
        if (cls)
            buf_puts(b, "</span>");
        buf_putc(b, '\n');
        p += n;
        if (*p)
            p++;
    }
    buf_puts(b, "</pre>\n");
}

size_t html_count_lines(const char *s)
{
    size_t n = 0;
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++)
        n += *p == '\n';
    return n + (s[strlen(s) - 1] != '\n');
}
