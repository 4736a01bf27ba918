/* splice.c - replacing one block of a script with another (see splice.h).
 *
 * Two matchers share one reporting style. The exact matcher counts every
 * occurrence of old_block (overlapping ones too: "a\na\n" occurs twice in
 * "a\na\na\n"). The whitespace-insensitive matcher works on "keys": each
 * non-blank line trimmed and with inner whitespace runs folded, hashed for
 * speed, and remembers which original line each key came from, so a match
 * maps back to whole original lines. When nothing matches, the reply names
 * the first line of old_block that breaks the longest partial match, which
 * is what the model needs to fix its copy. */
#include "code/splice.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define MAX_LISTED 5      /* occurrences named in an error */
#define EXCERPT_MAX 80    /* bytes of a line quoted in an error */

/* ---- lines and keys ------------------------------------------------------ */

struct key {
    size_t line;      /* 0-based original line */
    char *text;       /* normalized line (owned) */
    uint64_t hash;
};

struct keyed {
    struct key *v;
    size_t n;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static size_t line_end(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? (size_t)(nl - p) : strlen(p);
}

static bool blank_text(const char *s)
{
    for (; *s; s++)
        if (!is_ws(*s) && *s != '\n')
            return false;
    return true;
}

static char *normalize_line(const char *p, size_t len)
{
    struct buf b = {0};
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        if (is_ws(p[i])) {
            space = b.len > 0;
            continue;
        }
        if (space)
            buf_putc(&b, ' ');
        space = false;
        buf_putc(&b, p[i]);
    }
    return buf_detach(&b);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void keys_build(const char *text, struct keyed *out)
{
    size_t cap = 16, line = 0;
    out->v = xmalloc(cap * sizeof *out->v);
    out->n = 0;
    for (const char *p = text; *p; line++) {
        size_t len = line_end(p);
        char *norm = normalize_line(p, len);
        if (norm[0] == '\0') {
            free(norm);
        } else {
            if (out->n == cap) {
                cap *= 2;
                out->v = xrealloc(out->v, cap * sizeof *out->v);
            }
            out->v[out->n++] = (struct key){line, norm, hash_str(norm)};
        }
        p += len;
        if (*p == '\n')
            p++;
    }
}

static void keys_free(struct keyed *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i].text);
    free(k->v);
}

static bool key_eq(const struct key *a, const struct key *b)
{
    return a->hash == b->hash && strcmp(a->text, b->text) == 0;
}

/* Byte offset of the start of 0-based line `line`. */
static size_t line_offset(const char *text, size_t line)
{
    const char *p = text;
    for (size_t i = 0; i < line && *p; i++) {
        p += line_end(p);
        if (*p == '\n')
            p++;
    }
    return (size_t)(p - text);
}

static int line_of_offset(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && text[i]; i++)
        line += text[i] == '\n';
    return line;
}

/* ---- messages ------------------------------------------------------------ */

static void excerpt(char *dst, size_t cap, const char *p, size_t len)
{
    size_t n = len < cap - 4 ? len : cap - 4;
    if (n > EXCERPT_MAX)
        n = EXCERPT_MAX;
    memcpy(dst, p, n);
    dst[n] = '\0';
    if (n < len)
        strcat(dst, "...");
}

/* "lines 10 and 40", "lines 3, 9 and 12", "lines 1, 2, 3, 4, 5, ..." */
static void list_lines(struct buf *b, const int *lines, size_t shown, size_t total)
{
    buf_puts(b, "lines ");
    for (size_t i = 0; i < shown; i++) {
        if (i > 0)
            buf_puts(b, (i == shown - 1 && shown == total) ? " and " : ", ");
        buf_printf(b, "%d", lines[i]);
    }
    if (shown < total)
        buf_puts(b, ", ...");
}

static int report_ambiguous(struct err *err, const int *lines, size_t total, bool fuzzy)
{
    struct buf b = {0};
    size_t shown = total < MAX_LISTED ? total : MAX_LISTED;
    buf_printf(&b, "the block occurs %zu times%s (", total,
               fuzzy ? " when whitespace is ignored" : "");
    list_lines(&b, lines, shown, total);
    buf_puts(&b, "); include more lines to make it unique");
    err_set(err, "%s", buf_str(&b));
    buf_free(&b);
    return -1;
}

static const char *line_text(const char *text, size_t line, size_t *len)
{
    const char *p = text + line_offset(text, line);
    while (is_ws(*p))
        p++;
    *len = line_end(p);
    while (*len && is_ws(p[*len - 1]))
        (*len)--;
    return p;
}

/* Nothing matched: name the line of old_block that breaks the longest
 * partial match. */
static int report_missing(struct err *err, const char *code, const struct keyed *ck,
                          const char *old, const struct keyed *ok)
{
    size_t best_len = 0, best_at = 0;
    for (size_t i = 0; i < ck->n; i++) {
        size_t k = 0;
        while (k < ok->n && i + k < ck->n && key_eq(&ck->v[i + k], &ok->v[k]))
            k++;
        if (k > best_len) {
            best_len = k;
            best_at = i;
        }
    }
    char want[EXCERPT_MAX + 8], have[EXCERPT_MAX + 8];
    size_t len;
    const char *p;
    if (best_len == 0) {
        p = line_text(old, ok->v[0].line, &len);
        excerpt(want, sizeof want, p, len);
        return err_set(err, "the block was not found in the script: its first line `%s` does not "
                       "occur; copy the lines to replace exactly from the current script", want);
    }
    p = line_text(old, ok->v[best_len].line, &len);
    excerpt(want, sizeof want, p, len);
    int at = (int)ck->v[best_at].line + 1;
    if (best_at + best_len >= ck->n)
        return err_set(err, "the block was not found in the script: its first %zu line%s match "
                       "from line %d, but the script ends before its line `%s`", best_len,
                       best_len == 1 ? "" : "s", at, want);
    size_t script_line = ck->v[best_at + best_len].line;
    p = line_text(code, script_line, &len);
    excerpt(have, sizeof have, p, len);
    return err_set(err, "the block was not found in the script: its first %zu line%s match from "
                   "line %d, but its next line `%s` differs from the script's line %zu `%s`",
                   best_len, best_len == 1 ? "" : "s", at, want, script_line + 1, have);
}

/* ---- indentation --------------------------------------------------------- */

static size_t indent_of(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

/* Smallest indentation over non-blank lines of text[0..len); *where gets the
 * start of such a line. SIZE_MAX when all lines are blank. */
static size_t min_indent(const char *text, size_t len, const char **where)
{
    size_t best = SIZE_MAX;
    for (size_t off = 0; off < len;) {
        size_t n = line_end(text + off);
        if (off + n > len)
            n = len - off;
        size_t ind = indent_of(text + off, n);
        bool blank = true;
        for (size_t i = ind; i < n; i++)
            if (!is_ws(text[off + i]))
                blank = false;
        if (!blank && ind < best) {
            best = ind;
            if (where)
                *where = text + off;
        }
        off += n + 1;
    }
    return best;
}

/* Shifts every non-blank line of text from `first_line` on: adds prefix
 * (when add > 0, the first `add` bytes of `prefix`) or removes up to
 * `remove` leading blanks. */
static char *shift_lines(const char *text, size_t first_line, const char *prefix, size_t add,
                         size_t remove)
{
    struct buf b = {0};
    size_t line = 0;
    for (const char *p = text; *p; line++) {
        size_t n = line_end(p);
        bool blank = true;
        for (size_t i = 0; i < n; i++)
            if (!is_ws(p[i]))
                blank = false;
        size_t skip = 0;
        if (!blank && line >= first_line) {
            buf_append(&b, prefix, add);
            skip = indent_of(p, n);
            if (skip > remove)
                skip = remove;
        }
        buf_append(&b, p + skip, n - skip);
        p += n;
        if (*p == '\n') {
            buf_putc(&b, '\n');
            p++;
        }
    }
    return buf_detach(&b);
}

/* ---- the splice ---------------------------------------------------------- */

static char *with_final_newline(const char *text, bool want_newline)
{
    size_t len = strlen(text);
    bool has = len > 0 && text[len - 1] == '\n';
    if (has && !want_newline)
        return xstrndup(text, len - 1);
    if (!has && want_newline)
        return xasprintf("%s\n", text);
    return xstrdup(text);
}

static void finish(struct code_splice *out, const char *code, size_t from, size_t to,
                   const char *replacement)
{
    struct buf b = {0};
    buf_append(&b, code, from);
    buf_puts(&b, replacement);
    buf_puts(&b, code + to);
    out->code = buf_detach(&b);
    out->diff = code_unified_diff(code, out->code, "a/solution.py", "b/solution.py");
}

/* Exact match at [at, at + len(old)): the replacement, fixing the indent of
 * new_block's later lines when old_block started after a line's indent. */
static char *exact_replacement(const char *code, size_t at, const char *old, const char *new_block,
                               bool *reindented)
{
    size_t old_len = strlen(old);
    char *text = with_final_newline(new_block, old_len > 0 && old[old_len - 1] == '\n');
    size_t line_start = at;
    while (line_start > 0 && code[line_start - 1] != '\n')
        line_start--;
    size_t width = at - line_start;
    if (width == 0 || indent_of(code + line_start, width) != width)
        return text;
    /* old_block began after `width` blanks; its own later lines show whether
     * the model wrote them with full indentation. */
    size_t first_len = line_end(text);
    if (text[first_len] == '\0')
        return text;
    const char *old_rest = old + line_end(old);
    size_t old_rest_min = *old_rest ? min_indent(old_rest + 1, strlen(old_rest + 1), NULL) : SIZE_MAX;
    size_t new_rest_min = min_indent(text + first_len + 1, strlen(text + first_len + 1), NULL);
    if (new_rest_min == SIZE_MAX || new_rest_min >= width ||
        (old_rest_min != SIZE_MAX && old_rest_min < width))
        return text;
    char *shifted = shift_lines(text, 1, code + line_start, width, 0);
    free(text);
    *reindented = true;
    return shifted;
}

static int replace_exact(const char *code, const char *old, const char *new_block,
                         struct code_splice *out, struct err *err)
{
    int lines[MAX_LISTED];
    size_t count = 0, at = 0;
    for (const char *p = code; (p = strstr(p, old)) != NULL; p++) {
        if (count == 0)
            at = (size_t)(p - code);
        if (count < MAX_LISTED)
            lines[count] = line_of_offset(code, (size_t)(p - code));
        count++;
    }
    if (count == 0)
        return 1; /* not an error yet: try the whitespace-insensitive match */
    if (count > 1)
        return report_ambiguous(err, lines, count, false);
    size_t old_len = strlen(old);
    size_t last = at + old_len - 1;
    if (old[old_len - 1] == '\n' && old_len > 1)
        last--;
    out->start_line = line_of_offset(code, at);
    out->end_line = line_of_offset(code, last);
    char *replacement = exact_replacement(code, at, old, new_block, &out->reindented);
    finish(out, code, at, at + old_len, replacement);
    free(replacement);
    return 0;
}

/* Replacement for the whole lines [from, to) of code matched by old. */
static char *fuzzy_replacement(const char *code, size_t from, size_t to, const char *old,
                               const char *new_block, bool *reindented)
{
    bool newline = to > from && code[to - 1] == '\n';
    char *text = with_final_newline(new_block, newline);
    const char *region_line = NULL;
    size_t region_min = min_indent(code + from, to - from, &region_line);
    size_t old_min = min_indent(old, strlen(old), NULL);
    if (region_min == old_min || region_min == SIZE_MAX || old_min == SIZE_MAX)
        return text;
    char *shifted = region_min > old_min
                        ? shift_lines(text, 0, region_line, region_min - old_min, 0)
                        : shift_lines(text, 0, "", 0, old_min - region_min);
    free(text);
    *reindented = true;
    return shifted;
}

static int replace_fuzzy(const char *code, const char *old, const char *new_block,
                         struct code_splice *out, struct err *err)
{
    struct keyed ck, ok;
    keys_build(code, &ck);
    keys_build(old, &ok);
    int lines[MAX_LISTED];
    size_t count = 0, at = 0;
    for (size_t i = 0; ok.n > 0 && i + ok.n <= ck.n; i++) {
        size_t k = 0;
        while (k < ok.n && key_eq(&ck.v[i + k], &ok.v[k]))
            k++;
        if (k < ok.n)
            continue;
        if (count == 0)
            at = i;
        if (count < MAX_LISTED)
            lines[count] = (int)ck.v[i].line + 1;
        count++;
    }
    int rc = 0;
    if (count == 0) {
        rc = report_missing(err, code, &ck, old, &ok);
    } else if (count > 1) {
        rc = report_ambiguous(err, lines, count, true);
    } else {
        size_t first = ck.v[at].line, last = ck.v[at + ok.n - 1].line;
        size_t from = line_offset(code, first);
        size_t to = line_offset(code, last);
        to += line_end(code + to);
        if (code[to] == '\n')
            to++;
        out->start_line = (int)first + 1;
        out->end_line = (int)last + 1;
        out->fuzzy = true;
        char *replacement = fuzzy_replacement(code, from, to, old, new_block, &out->reindented);
        finish(out, code, from, to, replacement);
        free(replacement);
    }
    keys_free(&ck);
    keys_free(&ok);
    return rc;
}

int code_replace_block(const char *code, const char *old_block, const char *new_block,
                       struct code_splice *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    if (!old_block || blank_text(old_block))
        return err_set(err, "empty block: the block to replace is empty; copy the lines to change "
                       "exactly from the current script");
    if (!new_block || blank_text(new_block))
        return err_set(err, "empty block: the replacement block is empty; give the new code (a "
                       "comment such as `# removed` when the lines should go)");
    if (!code)
        code = "";
    int rc = replace_exact(code, old_block, new_block, out, err);
    if (rc == 1)
        rc = replace_fuzzy(code, old_block, new_block, out, err);
    if (rc < 0)
        code_splice_free(out);
    return rc;
}

void code_splice_free(struct code_splice *s)
{
    if (!s)
        return;
    free(s->code);
    free(s->diff);
    memset(s, 0, sizeof *s);
}

/* ---- a "block" that is the whole script --------------------------------- */

static size_t nonblank_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        size_t len = line_end(p);
        bool blank = true;
        for (size_t i = 0; i < len; i++)
            if (!is_ws(p[i]))
                blank = false;
        n += !blank;
        p += len + (p[len] == '\n');
    }
    return n;
}

bool code_block_is_whole_script(const char *code, const char *block)
{
    size_t in_code = nonblank_lines(code), in_block = nonblank_lines(block);
    if (in_code < 4)
        return false; /* too short a script to hold a smaller block */
    return in_block * 10 >= in_code * 9;
}
