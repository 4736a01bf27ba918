/* extract.c - the Python script inside an LLM reply (see extract.h).
 *
 * One pass over the reply's lines (CRLF folded to LF first) collects every
 * fenced block: its tag (first word of the info string), its content with
 * the fence's own indentation removed, and whether it was closed. The choice
 * between blocks is then a few ordered rules over that list, so each rule is
 * one small function and the fence scanner knows nothing about Python.
 *
 * Fences follow CommonMark where it matters for LLM output: ``` or ~~~ runs
 * of three or more, a closing run of the same character at least as long as
 * the opening one with nothing else on the line, and a backtick info string
 * without backticks (so "```python x```" on one line is not a fence). Unlike
 * CommonMark, a fence may be indented by any amount (replies nest code in
 * list items). */
#include "code/extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

struct block {
    char tag[32];       /* lower-cased first word of the info string; "" when none */
    struct buf content;
    bool closed;
};

struct block_list {
    struct block *items;
    size_t n, cap;
};

/* ---- lines --------------------------------------------------------------- */

/* Copy of the text with every CRLF (also CRCRLF, as doubly converted text
 * has) turned into LF, and CRs that end the text dropped. */
static char *fold_crlf(const char *text)
{
    size_t n = strlen(text);
    char *out = xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\r') {
            size_t run = strspn(text + i, "\r");
            bool line_end = text[i + run] == '\n' || text[i + run] == '\0';
            if (!line_end) {
                memcpy(out + j, text + i, run);
                j += run;
            }
            i += run - 1;
            continue;
        }
        out[j++] = text[i];
    }
    out[j] = '\0';
    return out;
}

static size_t line_len(const char *line)
{
    const char *nl = strchr(line, '\n');
    return nl ? (size_t)(nl - line) : strlen(line);
}

static size_t leading_blanks(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i;
}

static bool is_blank(const char *line, size_t len)
{
    return leading_blanks(line, len) == len;
}

/* ---- fences -------------------------------------------------------------- */

/* If the line opens a fence, fills the fence character, run length, indent
 * and tag, and returns true. */
static bool parse_opening(const char *line, size_t len, char *fence_char, size_t *run,
                          size_t *indent, char tag[32])
{
    size_t i = leading_blanks(line, len);
    if (i >= len || (line[i] != '`' && line[i] != '~'))
        return false;
    char c = line[i];
    size_t start = i;
    while (i < len && line[i] == c)
        i++;
    if (i - start < 3)
        return false;
    if (c == '`' && memchr(line + i, '`', len - i))
        return false;
    *fence_char = c;
    *run = i - start;
    *indent = start;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    size_t t = 0;
    while (i < len && t < 31 && !isspace((unsigned char)line[i]) && line[i] != '{' &&
           line[i] != '`')
        tag[t++] = (char)tolower((unsigned char)line[i++]);
    tag[t] = '\0';
    return true;
}

static bool is_closing(const char *line, size_t len, char fence_char, size_t run)
{
    size_t i = leading_blanks(line, len);
    size_t start = i;
    while (i < len && line[i] == fence_char)
        i++;
    if (i - start < run)
        return false;
    return is_blank(line + i, len - i);
}

static void append_content_line(struct block *b, const char *line, size_t len, size_t indent)
{
    size_t drop = leading_blanks(line, len);
    if (drop > indent)
        drop = indent;
    buf_append(&b->content, line + drop, len - drop);
    buf_putc(&b->content, '\n');
}

/* An unterminated block whose last line ends with the fence ("main()```"):
 * the model closed the fence on the code line. */
static void strip_glued_fence(struct block *b, char fence_char)
{
    size_t len = b->content.len;
    if (len && b->content.data[len - 1] == '\n')
        len--;
    size_t run = 0;
    while (run < len && b->content.data[len - 1 - run] == fence_char)
        run++;
    if (run >= 3) {
        len -= run;
        while (len > 0 && strchr(" \t\r", b->content.data[len - 1]))
            len--;
        buf_truncate(&b->content, len);
        buf_putc(&b->content, '\n');
    }
}

static struct block *block_add(struct block_list *list)
{
    if (list->n == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 4;
        list->items = xrealloc(list->items, list->cap * sizeof *list->items);
    }
    struct block *b = &list->items[list->n++];
    memset(b, 0, sizeof *b);
    return b;
}

static void scan_blocks(const char *text, struct block_list *list)
{
    struct block *open = NULL;
    char fence_char = 0;
    size_t run = 0, indent = 0;
    for (const char *line = text; *line;) {
        size_t len = line_len(line);
        if (open) {
            if (is_closing(line, len, fence_char, run)) {
                open->closed = true;
                open = NULL;
            } else {
                append_content_line(open, line, len, indent);
            }
        } else {
            char tag[32];
            if (parse_opening(line, len, &fence_char, &run, &indent, tag)) {
                open = block_add(list);
                memcpy(open->tag, tag, sizeof tag);
            }
        }
        line += len;
        if (*line == '\n')
            line++;
    }
    if (open)
        strip_glued_fence(open, fence_char);
}

static void blocks_free(struct block_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        buf_free(&list->items[i].content);
    free(list->items);
}

/* ---- does it look like Python? ------------------------------------------- */

static bool starts_with_word(const char *s, size_t len, const char *word)
{
    size_t w = strlen(word);
    if (len < w || memcmp(s, word, w) != 0)
        return false;
    return len == w || s[w] == ' ' || s[w] == ':' || s[w] == '(' || s[w] == '\t';
}

static bool is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

/* "x = ...", "self.a[i] = ...", "a, b = ...", "x += 1", "x: int = 3"; not
 * prose such as "set lr = 0.1" (two words side by side before the '='). */
static bool is_assignment(const char *s, size_t len)
{
    if (len == 0 || !is_ident_start(s[0]))
        return false;
    int depth = 0;
    char prev = 0;     /* last non-blank character outside brackets */
    bool gap = false;  /* a blank was seen since prev */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (depth > 0) {
            depth += (c == '[' || c == '(') - (c == ']' || c == ')');
            if (depth == 0) {
                prev = c;
                gap = false;
            }
            continue;
        }
        if (c == ' ' || c == '\t') {
            gap = true;
            continue;
        }
        if (c == '[' || c == '(') {
            depth = 1;
            continue;
        }
        if (c == '=')
            return i + 1 >= len || s[i + 1] != '=';
        if (strchr("+-*/%&|^", c) && i + 1 < len && s[i + 1] == '=')
            return true;
        bool word = isalnum((unsigned char)c) || c == '_';
        if (word && gap && (isalnum((unsigned char)prev) || prev == '_' || prev == ')' || prev == ']'))
            return false;
        if (!word && !strchr(".,:*/", c))
            return false;
        prev = c;
        gap = false;
    }
    return false;
}

/* "print(x)", "model.fit(X, y)", "main()" alone on a line. */
static bool is_call(const char *s, size_t len)
{
    if (len < 3 || !is_ident_start(s[0]))
        return false;
    size_t i = 0;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.'))
        i++;
    while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return i < len && s[i] == '(' && (s[len - 1] == ')' || s[len - 1] == '(' || s[len - 1] == ',');
}

static bool is_strong_line(const char *s, size_t len)
{
    if (starts_with_word(s, len, "import") || starts_with_word(s, len, "def") ||
        starts_with_word(s, len, "class") || starts_with_word(s, len, "async") ||
        (len > 1 && s[0] == '@' && is_ident_start(s[1])) ||
        (starts_with_word(s, len, "if") && len > 11 && memcmp(s, "if __name__", 11) == 0))
        return true;
    if (starts_with_word(s, len, "from")) {
        for (size_t i = 0; i + 8 <= len; i++)
            if (memcmp(s + i, " import ", 8) == 0)
                return true;
        return false;
    }
    return is_assignment(s, len) || is_call(s, len);
}

static bool is_code_line(const char *line, size_t len)
{
    static const char *const keywords[] = {
        "return", "if", "elif", "else", "for", "while", "try", "except", "finally", "with",
        "pass", "break", "continue", "raise", "assert", "yield", "lambda", "global",
        "nonlocal", "del", "print", NULL,
    };
    size_t ind = leading_blanks(line, len);
    const char *s = line + ind;
    size_t n = len - ind;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return true;
    if (ind > 0 || is_strong_line(s, n) || s[0] == '#' || strchr(")]}\"'", s[0]) ||
        strchr("([{,\\", s[n - 1]))
        return true;
    for (size_t k = 0; keywords[k]; k++)
        if (starts_with_word(s, n, keywords[k]))
            return true;
    return false;
}

/* Number of triple-quote delimiters on the line (parity tracks docstrings). */
static int triple_quotes(const char *line, size_t len)
{
    int count = 0;
    for (size_t i = 0; i + 3 <= len; i++) {
        if ((memcmp(line + i, "\"\"\"", 3) == 0 || memcmp(line + i, "'''", 3) == 0)) {
            count++;
            i += 2;
        }
    }
    return count;
}

bool code_looks_like_python(const char *text)
{
    size_t nonblank = 0, code = 0, strong = 0;
    bool in_string = false;
    for (const char *line = text; *line;) {
        size_t len = line_len(line);
        if (!is_blank(line, len)) {
            nonblank++;
            size_t ind = leading_blanks(line, len);
            if (in_string || is_code_line(line, len))
                code++;
            if (!in_string && is_strong_line(line + ind, len - ind))
                strong++;
            if (triple_quotes(line, len) % 2)
                in_string = !in_string;
        }
        line += len;
        if (*line == '\n')
            line++;
    }
    return strong > 0 && code * 10 >= nonblank * 7;
}

/* ---- choosing ------------------------------------------------------------ */

static bool tag_is_python(const char *tag)
{
    return strcmp(tag, "python") == 0 || strcmp(tag, "py") == 0 ||
           strcmp(tag, "python3") == 0 || strcmp(tag, "py3") == 0;
}

static bool block_empty(const struct block *b)
{
    return strspn(buf_str(&b->content), " \t\r\n") == b->content.len;
}

static const struct block *pick_block(const struct block_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        if (tag_is_python(list->items[i].tag) && !block_empty(&list->items[i]))
            return &list->items[i];
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].tag[0] == '\0' && !block_empty(&list->items[i]))
            return &list->items[i];
    for (size_t i = 0; i < list->n; i++)
        if (!block_empty(&list->items[i]) && code_looks_like_python(buf_str(&list->items[i].content)))
            return &list->items[i];
    return NULL;
}

/* The reply without fences: drop prose lines before the first code line and
 * after the last one, then keep the rest if it reads like Python. */
static char *unfenced_code(const char *text)
{
    const char *start = NULL, *end = NULL;
    for (const char *line = text; *line;) {
        size_t len = line_len(line);
        size_t ind = leading_blanks(line, len);
        bool blank = ind == len;
        if (!start && !blank && ind == 0 && is_strong_line(line, len))
            start = line;
        if (start && !blank && is_code_line(line, len))
            end = line + len;
        line += len;
        if (*line == '\n')
            line++;
    }
    if (!start)
        return NULL;
    char *code = xstrndup(start, (size_t)(end - start));
    if (!code_looks_like_python(code)) {
        free(code);
        return NULL;
    }
    struct buf b = {0};
    buf_puts(&b, code);
    buf_putc(&b, '\n');
    free(code);
    return buf_detach(&b);
}

char *code_extract_python(const char *reply, struct err *err)
{
    if (!reply || !*reply) {
        err_set(err, "the reply is empty: answer with the whole script in one ```python block");
        return NULL;
    }
    char *text = fold_crlf(reply);
    struct block_list list = {0};
    scan_blocks(text, &list);
    char *code = NULL;
    if (list.n > 0) {
        const struct block *b = pick_block(&list);
        if (b)
            code = xstrdup(buf_str(&b->content));
        else
            err_set(err, "the reply holds %zu fenced block%s but none with Python code: answer with "
                    "the whole script in one ```python block", list.n, list.n == 1 ? "" : "s");
    } else {
        code = unfenced_code(text);
        if (!code)
            err_set(err, "the reply holds no code block: answer with the whole script in one "
                    "```python block");
    }
    blocks_free(&list);
    free(text);
    return code;
}

/* ---- a block that arrived fenced ------------------------------------------ */

/* The content of text when text is one fenced block and nothing else (blank
 * lines around it allowed); NULL otherwise. */
static char *sole_fence_content(const char *text)
{
    const char *line = text;
    while (*line) {
        size_t len = line_len(line);
        if (!is_blank(line, len))
            break;
        line += len + (line[len] == '\n');
    }
    char fence_char, tag[32];
    size_t run, indent, len = line_len(line);
    if (!*line || !parse_opening(line, len, &fence_char, &run, &indent, tag))
        return NULL;
    struct block b = {0};
    bool closed = false;
    for (line += len + (line[len] == '\n'); *line; line += len + (line[len] == '\n')) {
        len = line_len(line);
        if (closed) {
            if (!is_blank(line, len)) {
                buf_free(&b.content);
                return NULL; /* prose after the fence: not a bare block */
            }
        } else if (is_closing(line, len, fence_char, run)) {
            closed = true;
        } else {
            append_content_line(&b, line, len, indent);
        }
    }
    if (!closed)
        strip_glued_fence(&b, fence_char);
    /* the content without the newline each content line was given */
    if (b.content.len && b.content.data[b.content.len - 1] == '\n')
        buf_truncate(&b.content, b.content.len - 1);
    return buf_detach(&b.content);
}

char *code_strip_fence(const char *text)
{
    if (!text)
        return xstrdup("");
    char *folded = fold_crlf(text);
    char *inner = sole_fence_content(folded);
    if (inner) {
        free(folded);
        return inner;
    }
    return folded;
}
