/* fuzz_code_splice.c - block replacement and diffs on arbitrary input.
 *
 * The input is split into code / old_block / new_block at its first two NUL
 * bytes (or in thirds when it has fewer). Invariants:
 *  - blank blocks and ambiguous exact matches always fail, with a message;
 *  - on success the lines of new_block are in the result, the line range is
 *    inside the script, and for a plain exact match (not fuzzy, not
 *    re-indented) the result is code with that one occurrence replaced by
 *    new_block (its final newline agreeing with old_block's);
 *  - the recorded diff is code_unified_diff(code, result), and applying it
 *    to code (with the small applier below) gives the result back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/splice.h"
#include "util/buf.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static bool blank(const char *s)
{
    return strspn(s, " \t\r\n\f\v") == strlen(s);
}

static size_t count_occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* ---- a minimal unified-diff applier ---- */

struct cursor {
    const char *p;
};

static size_t next_line(struct cursor *c, const char **line)
{
    *line = c->p;
    const char *nl = strchr(c->p, '\n');
    size_t len = nl ? (size_t)(nl - c->p) + 1 : strlen(c->p);
    c->p += len;
    return len;
}

/* Applies diff to a; returns the malloc'd result. Aborts on a malformed diff. */
static char *apply_diff(const char *a, const char *diff)
{
    struct buf out = {0};
    struct cursor src = {a}, d = {diff};
    const char *line;
    size_t a_line = 0; /* lines of a consumed */
    if (*diff == '\0')
        return strdup(a);
    next_line(&d, &line);
    check(strncmp(line, "--- ", 4) == 0, "diff header ---");
    next_line(&d, &line);
    check(strncmp(line, "+++ ", 4) == 0, "diff header +++");
    while (*d.p) {
        size_t len = next_line(&d, &line);
        unsigned long s1, c1 = 1, s2, c2 = 1;
        check(strncmp(line, "@@ -", 4) == 0, "hunk header");
        check(sscanf(line, "@@ -%lu,%lu", &s1, &c1) >= 1, "hunk numbers");
        (void)s2;
        (void)c2;
        (void)len;
        size_t start = c1 == 0 ? s1 : s1 - 1; /* 0-based first line of the hunk */
        while (a_line < start) {
            const char *l;
            size_t n = next_line(&src, &l);
            check(n > 0, "hunk beyond a");
            buf_append(&out, l, n);
            a_line++;
        }
        while (*d.p && d.p[0] != '@') {
            size_t n = next_line(&d, &line);
            bool no_newline = strncmp(d.p, "\\ No newline", 12) == 0;
            check(n >= 2 && line[n - 1] == '\n', "diff lines end with a newline");
            size_t body = n - 2; /* without the mark and the '\n' */
            if (line[0] == ' ' || line[0] == '-') {
                const char *l;
                size_t m = next_line(&src, &l);
                check(m == body + (no_newline ? 0 : 1) && memcmp(l, line + 1, body) == 0,
                      "context or deleted line matches a");
                a_line++;
                if (line[0] == ' ')
                    buf_append(&out, l, m);
            } else {
                check(line[0] == '+', "line mark");
                buf_append(&out, line + 1, body);
                if (!no_newline)
                    buf_putc(&out, '\n');
            }
            if (no_newline)
                next_line(&d, &line);
        }
    }
    buf_puts(&out, src.p);
    return buf_detach(&out);
}

/* ---- the target ---- */

static char *adjusted_new(const char *old, const char *new_block)
{
    size_t o = strlen(old), n = strlen(new_block);
    bool old_nl = o > 0 && old[o - 1] == '\n', new_nl = n > 0 && new_block[n - 1] == '\n';
    struct buf b = {0};
    buf_append(&b, new_block, new_nl && !old_nl ? n - 1 : n);
    if (old_nl && !new_nl)
        buf_putc(&b, '\n');
    return buf_detach(&b);
}

static void check_new_lines_present(const char *result, const char *new_block)
{
    for (const char *p = new_block; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t s = 0;
        while (s < len && strchr(" \t\r\f\v", p[s]))
            s++;
        size_t e = len;
        while (e > s && strchr(" \t\r\f\v", p[e - 1]))
            e--;
        if (e > s) {
            char *piece = strndup(p + s, e - s);
            check(strstr(result, piece) != NULL, "every line of new_block is in the result");
            free(piece);
        }
        p += nl ? len + 1 : len;
    }
}

static int lines_in(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void run(const char *code, const char *old, const char *new_block)
{
    struct code_splice s;
    struct err err = {{0}};
    int rc = code_replace_block(code, old, new_block, &s, &err);
    if (blank(old) || blank(new_block) || count_occurrences(code, old) > 1)
        check(rc == -1, "blank or ambiguous blocks fail");
    if (rc != 0) {
        check(rc == -1 && err.msg[0] != '\0' && s.code == NULL && s.diff == NULL, "clean failure");
        return;
    }
    check(s.code != NULL && s.diff != NULL, "result present");
    check(s.start_line >= 1 && s.start_line <= s.end_line && s.end_line <= lines_in(code),
          "line range inside the script");
    check_new_lines_present(s.code, new_block);
    if (!s.fuzzy && !s.reindented) {
        const char *at = strstr(code, old);
        check(at != NULL, "exact match exists");
        char *adj = adjusted_new(old, new_block);
        struct buf want = {0};
        buf_append(&want, code, (size_t)(at - code));
        buf_puts(&want, adj);
        buf_puts(&want, at + strlen(old));
        check(strcmp(buf_str(&want), s.code) == 0, "exact splice = one occurrence replaced");
        buf_free(&want);
        free(adj);
    }
    char *diff = code_unified_diff(code, s.code, "a/solution.py", "b/solution.py");
    check(strcmp(diff, s.diff) == 0, "recorded diff");
    char *applied = apply_diff(code, diff);
    check(strcmp(applied, s.code) == 0, "diff applies");
    free(applied);
    free(diff);
    code_splice_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 3);
    memcpy(text, data, size);
    text[size] = text[size + 1] = text[size + 2] = '\0';
    const char *code = text, *old, *new_block;
    const char *first_nul = memchr(text, '\0', size);
    const char *second_nul = first_nul ? memchr(first_nul + 1, '\0', size - (size_t)(first_nul + 1 - text)) : NULL;
    char *copy = NULL;
    if (first_nul && second_nul) {
        old = first_nul + 1;
        new_block = second_nul + 1;
    } else {
        /* no separators: thirds of the input (copied so each part ends) */
        copy = malloc(size + 3);
        size_t t = size / 3;
        memcpy(copy, text, t);
        copy[t] = '\0';
        memcpy(copy + t + 1, text + t, t);
        copy[2 * t + 1] = '\0';
        memcpy(copy + 2 * t + 2, text + 2 * t, size - 2 * t);
        copy[size + 2] = '\0';
        code = copy;
        old = copy + t + 1;
        new_block = copy + 2 * t + 2;
    }
    run(code, old, new_block);
    /* the diff on its own, code against new_block */
    char *d = code_unified_diff(code, new_block, "a", "b");
    char *applied = apply_diff(code, d);
    check(strcmp(applied, new_block) == 0, "diff applies (direct)");
    free(applied);
    free(d);
    free(copy);
    free(text);
    return 0;
}
