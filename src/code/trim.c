/* trim.c - shortening a script's output for a prompt (see trim.h).
 *
 * Lines are chosen greedily in priority order against a byte budget. The
 * budget is exact, not estimated: keeping a line costs its bytes plus its
 * newline, and the change in the number of "[... N lines cut ...]" markers
 * it causes (a kept line can split a dropped run in two, or join two kept
 * runs), each marker priced at its longest possible spelling. So the final
 * text can never exceed max_bytes, and no second pass is needed. */
#include "code/trim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define TRACEBACK "Traceback (most recent call last):"

struct tline {
    const char *p;
    size_t len;      /* without the '\n' */
    char *shown;     /* shortened text when the line is too long (owned), else NULL */
    size_t cost;     /* bytes of the line when kept, newline included */
    bool kept;
};

struct trim {
    struct tline *v;
    size_t n;
    size_t budget;
    size_t used;
    size_t marker_cost;
};

static bool utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

/* A long line shortened in its middle to about `cap` bytes. */
static char *shorten_line(const char *p, size_t len, size_t cap)
{
    size_t keep = cap > 40 ? (cap - 40) / 2 : 1;
    size_t head = keep, tail_start = len - keep;
    while (head > 0 && utf8_continuation(p[head]))
        head--;
    while (tail_start < len && utf8_continuation(p[tail_start]))
        tail_start++;
    return xasprintf("%.*s [... %zu bytes cut ...] %.*s", (int)head, p, tail_start - head,
                     (int)(len - tail_start), p + tail_start);
}

static void split(struct trim *t, const char *text, size_t line_cap)
{
    size_t cap = 64;
    t->v = xmalloc(cap * sizeof *t->v);
    t->n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (t->n == cap) {
            cap *= 2;
            t->v = xrealloc(t->v, cap * sizeof *t->v);
        }
        struct tline *l = &t->v[t->n++];
        *l = (struct tline){p, len, NULL, len + 1, false};
        if (len > line_cap) {
            l->shown = shorten_line(p, len, line_cap);
            l->cost = strlen(l->shown) + 1;
        }
        p += nl ? len + 1 : len;
    }
}

/* Keeps line i when it fits in `limit` bytes of used budget. */
static bool keep(struct trim *t, size_t i, size_t limit)
{
    if (t->v[i].kept)
        return true;
    bool left_dropped = i > 0 && !t->v[i - 1].kept;
    bool right_dropped = i + 1 < t->n && !t->v[i + 1].kept;
    size_t cost = t->v[i].cost;
    size_t saved = 0;
    if (left_dropped && right_dropped)
        cost += t->marker_cost;      /* one dropped run becomes two */
    else if (!left_dropped && !right_dropped)
        saved = t->marker_cost;      /* the run of just this line disappears */
    if (t->used + cost > limit + saved)
        return false;
    t->used = t->used + cost - saved;
    t->v[i].kept = true;
    return true;
}

static bool mentions_error(const struct tline *l)
{
    return memmem(l->p, l->len, "Error", 5) || memmem(l->p, l->len, "Exception", 9);
}

static size_t last_traceback(const struct trim *t)
{
    for (size_t i = t->n; i-- > 0;)
        if (memmem(t->v[i].p, t->v[i].len, TRACEBACK, strlen(TRACEBACK)))
            return i;
    return t->n;
}

static void choose_lines(struct trim *t)
{
    size_t tb = last_traceback(t);
    if (tb < t->n && keep(t, tb, t->budget))
        for (size_t i = t->n; i-- > tb + 1;)
            if (!keep(t, i, t->budget))
                break;
    size_t error_limit = t->used + (t->budget - t->used) / 2;
    for (size_t i = tb; i-- > 0;)
        if (mentions_error(&t->v[i]))
            keep(t, i, error_limit);
    size_t head = 0, tail = tb; /* tail: one past the next tail line */
    bool head_on = true, tail_on = true;
    while ((head_on || tail_on) && head < tail) {
        if (head_on && !keep(t, head++, t->budget))
            head_on = false;
        if (tail_on && head < tail && !keep(t, --tail, t->budget))
            tail_on = false;
    }
}

static char *render(const struct trim *t, bool final_newline)
{
    struct buf out = {0};
    for (size_t i = 0; i < t->n;) {
        if (!t->v[i].kept) {
            size_t run = 0;
            while (i + run < t->n && !t->v[i + run].kept)
                run++;
            buf_printf(&out, "[... %zu line%s cut ...]\n", run, run == 1 ? "" : "s");
            i += run;
            continue;
        }
        const struct tline *l = &t->v[i];
        if (l->shown)
            buf_puts(&out, l->shown);
        else
            buf_append(&out, l->p, l->len);
        if (i + 1 < t->n || final_newline)
            buf_putc(&out, '\n');
        i++;
    }
    return buf_detach(&out);
}

/* For budgets too small for any marker: the text's last bytes. */
static char *tail_bytes(const char *text, size_t len, size_t max_bytes)
{
    const char *p = text + len - max_bytes;
    while (*p && utf8_continuation(*p))
        p++;
    return xstrdup(p);
}

char *code_trim_output(const char *text, size_t max_bytes)
{
    if (!text)
        text = "";
    size_t len = strlen(text);
    if (len <= max_bytes)
        return xstrdup(text);
    struct trim t = {.budget = max_bytes};
    size_t line_cap = max_bytes / 8 > 64 ? max_bytes / 8 : 64;
    split(&t, text, line_cap);
    char marker[64];
    t.marker_cost = (size_t)snprintf(marker, sizeof marker, "[... %zu lines cut ...]\n", t.n);
    char *result;
    if (max_bytes < t.marker_cost + 16) {
        result = tail_bytes(text, len, max_bytes);
    } else {
        t.used = t.marker_cost; /* everything dropped: one marker */
        choose_lines(&t);
        result = render(&t, text[len - 1] == '\n');
    }
    for (size_t i = 0; i < t.n; i++)
        free(t.v[i].shown);
    free(t.v);
    return result;
}
