/* jsontext.c - a JSON list or object inside an LLM reply (see jsontext.h).
 *
 * The scanner is a recursive-descent reader of the tolerant grammar that
 * writes strict JSON into a buffer as it goes: every string comes out
 * double-quoted with JSON escapes, every literal in JSON spelling, trailing
 * commas dropped. It validates structure (so a '[' in prose fails fast at the
 * first word) but leaves UTF-8 and \u escapes to jansson, which parses the
 * rewrite. Nesting is limited to MAX_DEPTH so hostile input cannot exhaust
 * the stack.
 *
 * The candidate loop is bounded twice: at most MAX_CANDIDATES starting
 * brackets, and a budget of scanned bytes proportional to the reply. */
#include "code/jsontext.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/mem.h"

#define MAX_DEPTH 64
#define MAX_CANDIDATES 256

struct scanner {
    const char *s;
    size_t pos;
    int depth;
    struct buf out;
    const char *problem;   /* static description of the first syntax error */
    size_t problem_pos;
};

static int fail(struct scanner *sc, const char *problem)
{
    if (!sc->problem) {
        sc->problem = problem;
        sc->problem_pos = sc->pos;
    }
    return -1;
}

static void skip_ws(struct scanner *sc)
{
    while (sc->s[sc->pos] && isspace((unsigned char)sc->s[sc->pos]))
        sc->pos++;
}

static int scan_value(struct scanner *sc);

/* ---- strings ------------------------------------------------------------- */

static bool is_hex4(const char *p)
{
    for (int i = 0; i < 4; i++)
        if (!isxdigit((unsigned char)p[i]))
            return false;
    return true;
}

static void emit_control(struct scanner *sc, unsigned char c)
{
    switch (c) {
    case '\n': buf_puts(&sc->out, "\\n"); break;
    case '\t': buf_puts(&sc->out, "\\t"); break;
    case '\r': buf_puts(&sc->out, "\\r"); break;
    case '\b': buf_puts(&sc->out, "\\b"); break;
    case '\f': buf_puts(&sc->out, "\\f"); break;
    default: buf_printf(&sc->out, "\\u%04x", c); break;
    }
}

/* The escape after a backslash; pos is on the character after it. */
static void scan_escape(struct scanner *sc)
{
    const char *p = sc->s + sc->pos;
    char e = *p;
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
        e == 't') {
        buf_putc(&sc->out, '\\');
        buf_putc(&sc->out, e);
        sc->pos++;
    } else if (e == '\'') {
        buf_putc(&sc->out, '\'');
        sc->pos++;
    } else if (e == 'u' && is_hex4(p + 1)) {
        buf_append(&sc->out, p - 1, 6);
        sc->pos += 5;
    } else if (e == 'x' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
        buf_printf(&sc->out, "\\u00%c%c", p[1], p[2]);
        sc->pos += 3;
    } else if (e == '\n') {
        sc->pos++; /* a line continuation */
    } else {
        buf_puts(&sc->out, "\\\\"); /* unknown escape: keep the backslash literally */
    }
}

static int scan_string(struct scanner *sc)
{
    char quote = sc->s[sc->pos++];
    buf_putc(&sc->out, '"');
    for (;;) {
        unsigned char c = (unsigned char)sc->s[sc->pos];
        if (c == '\0')
            return fail(sc, "a string is not closed");
        sc->pos++;
        if (c == (unsigned char)quote)
            break;
        if (c == '\\' && sc->s[sc->pos] != '\0')
            scan_escape(sc);
        else if (c == '\\')
            return fail(sc, "a string is not closed");
        else if (c == '"')
            buf_puts(&sc->out, "\\\"");
        else if (c < 0x20)
            emit_control(sc, c);
        else
            buf_putc(&sc->out, (char)c);
    }
    buf_putc(&sc->out, '"');
    return 0;
}

/* ---- numbers and words --------------------------------------------------- */

static size_t digits_at(const char *p)
{
    size_t n = 0;
    while (isdigit((unsigned char)p[n]))
        n++;
    return n;
}

static size_t word_at(const char *p)
{
    size_t n = 0;
    if (isalpha((unsigned char)p[0]) || p[0] == '_')
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
    return n;
}

static bool word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(p, w, n) == 0;
}

static int scan_number(struct scanner *sc)
{
    const char *p = sc->s + sc->pos;
    size_t i = 0;
    if (p[i] == '+' || p[i] == '-') {
        if (p[i] == '-')
            buf_putc(&sc->out, '-');
        i++;
    }
    if (word_is(p + i, word_at(p + i), "Infinity")) {
        if (p[0] == '-')
            buf_truncate(&sc->out, sc->out.len - 1);
        buf_puts(&sc->out, "null");
        sc->pos += i + 8;
        return 0;
    }
    size_t int_digits = digits_at(p + i);
    size_t frac_digits = 0;
    bool dot = p[i + int_digits] == '.';
    if (dot)
        frac_digits = digits_at(p + i + int_digits + 1);
    if (int_digits == 0 && frac_digits == 0)
        return fail(sc, "a number has no digits");
    size_t lead = 0;
    while (lead + 1 < int_digits && p[i + lead] == '0')
        lead++; /* "007" -> "7" */
    if (int_digits == 0)
        buf_putc(&sc->out, '0');
    else
        buf_append(&sc->out, p + i + lead, int_digits - lead);
    i += int_digits;
    if (dot) {
        buf_putc(&sc->out, '.');
        if (frac_digits == 0)
            buf_putc(&sc->out, '0');
        else
            buf_append(&sc->out, p + i + 1, frac_digits);
        i += 1 + frac_digits;
    }
    if (p[i] == 'e' || p[i] == 'E') {
        size_t j = i + 1;
        if (p[j] == '+' || p[j] == '-')
            j++;
        size_t exp_digits = digits_at(p + j);
        if (exp_digits == 0)
            return fail(sc, "a number's exponent has no digits");
        buf_append(&sc->out, p + i, j + exp_digits - i);
        i = j + exp_digits;
    }
    sc->pos += i;
    return 0;
}

static int scan_word(struct scanner *sc)
{
    const char *p = sc->s + sc->pos;
    size_t n = word_at(p);
    if (word_is(p, n, "true") || word_is(p, n, "True"))
        buf_puts(&sc->out, "true");
    else if (word_is(p, n, "false") || word_is(p, n, "False"))
        buf_puts(&sc->out, "false");
    else if (word_is(p, n, "null") || word_is(p, n, "None") || word_is(p, n, "NaN") ||
             word_is(p, n, "Infinity"))
        buf_puts(&sc->out, "null");
    else
        return fail(sc, n ? "a bare word is not a JSON value (quote strings)"
                          : "expected a value");
    sc->pos += n;
    return 0;
}

/* ---- containers ---------------------------------------------------------- */

static int scan_key(struct scanner *sc)
{
    char c = sc->s[sc->pos];
    if (c == '"' || c == '\'')
        return scan_string(sc);
    size_t n = word_at(sc->s + sc->pos);
    if (n == 0)
        return fail(sc, "expected a key (a quoted string)");
    buf_putc(&sc->out, '"');
    buf_append(&sc->out, sc->s + sc->pos, n);
    buf_putc(&sc->out, '"');
    sc->pos += n;
    return 0;
}

/* Items of an array (is_object false) or members of an object, after the
 * opening bracket; consumes the closing one. */
static int scan_items(struct scanner *sc, bool is_object)
{
    char close = is_object ? '}' : ']';
    bool first = true;
    for (;;) {
        skip_ws(sc);
        if (sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        if (!first) {
            if (sc->s[sc->pos] != ',')
                return fail(sc, is_object ? "expected ',' or '}' after an object member"
                                          : "expected ',' or ']' after a list item");
            sc->pos++;
            skip_ws(sc);
            if (sc->s[sc->pos] == close) { /* trailing comma */
                sc->pos++;
                return 0;
            }
            buf_putc(&sc->out, ',');
        }
        first = false;
        if (is_object) {
            if (scan_key(sc) < 0)
                return -1;
            skip_ws(sc);
            if (sc->s[sc->pos] != ':')
                return fail(sc, "expected ':' after an object key");
            sc->pos++;
            buf_putc(&sc->out, ':');
        }
        if (scan_value(sc) < 0)
            return -1;
    }
}

static int scan_container(struct scanner *sc)
{
    if (++sc->depth > MAX_DEPTH)
        return fail(sc, "the value is nested too deeply");
    char open = sc->s[sc->pos++];
    buf_putc(&sc->out, open);
    int rc = scan_items(sc, open == '{');
    if (rc == 0)
        buf_putc(&sc->out, open == '{' ? '}' : ']');
    sc->depth--;
    return rc;
}

static int scan_value(struct scanner *sc)
{
    skip_ws(sc);
    char c = sc->s[sc->pos];
    if (c == '{' || c == '[')
        return scan_container(sc);
    if (c == '"' || c == '\'')
        return scan_string(sc);
    if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.')
        return scan_number(sc);
    if (c == '\0')
        return fail(sc, "the text ends inside the value");
    return scan_word(sc);
}

/* ---- public -------------------------------------------------------------- */

static void describe_problem(const struct scanner *sc, struct err *err)
{
    size_t from = sc->problem_pos > 20 ? sc->problem_pos - 20 : 0;
    char excerpt[48];
    size_t n = 0;
    for (size_t i = from; sc->s[i] && i < sc->problem_pos + 20 && n < sizeof excerpt - 1; i++)
        excerpt[n++] = (sc->s[i] == '\n' || sc->s[i] == '\r') ? ' ' : sc->s[i];
    excerpt[n] = '\0';
    err_set(err, "%s, near `%s`", sc->problem, excerpt);
}

char *code_json_normalize(const char *text, size_t *consumed, struct err *err)
{
    struct scanner sc = {.s = text};
    if (text[0] != '[' && text[0] != '{') {
        err_set(err, "a JSON list or object starts with '[' or '{'");
        return NULL;
    }
    if (scan_container(&sc) < 0) {
        describe_problem(&sc, err);
        if (consumed)
            *consumed = sc.problem_pos;
        buf_free(&sc.out);
        return NULL;
    }
    if (consumed)
        *consumed = sc.pos;
    return buf_detach(&sc.out);
}

/* One past the bracket that closes the group opened at p (brackets counted,
 * double-quoted strings skipped), or NULL when the group never closes. */
static const char *group_end(const char *p)
{
    size_t depth = 0;
    for (; *p; p++) {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                return NULL;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == '}') {
            if (--depth == 0)
                return p + 1;
        }
    }
    return NULL;
}

/* Tries each '[' / '{' from `from` on; returns the first value that parses.
 * A candidate that fails hides the brackets inside its group (so a broken
 * list is reported, not silently replaced by its first item). *budget is
 * the number of bytes the scanner may still read. */
static json_t *first_value_from(const char *from, size_t *budget, int *attempts,
                                struct err *first_err)
{
    const char *p = from;
    while (*p && *attempts < MAX_CANDIDATES && *budget > 0) {
        if (*p != '[' && *p != '{') {
            p++;
            continue;
        }
        (*attempts)++;
        struct err err = {{0}};
        size_t used = 0;
        char *strict = code_json_normalize(p, &used, &err);
        *budget = *budget > used ? *budget - used - 1 : 0;
        if (strict) {
            json_error_t jerr;
            json_t *value = json_loads(strict, 0, &jerr);
            free(strict);
            if (value)
                return value;
            err_set(&err, "%s", jerr.text);
        }
        if (!first_err->msg[0])
            *first_err = err;
        const char *end = group_end(p);
        size_t scanned = end ? (size_t)(end - p) : strlen(p);
        *budget = *budget > scanned ? *budget - scanned : 0;
        p = end ? end : p + 1;
    }
    return NULL;
}

static const char *json_fence(const char *reply)
{
    for (const char *p = reply; (p = strpbrk(p, "`~")) != NULL; p++) {
        if ((strncmp(p, "```", 3) == 0 || strncmp(p, "~~~", 3) == 0) &&
            strncasecmp(p + 3, "json", 4) == 0)
            return p + 7;
    }
    return NULL;
}

json_t *code_extract_json(const char *reply, struct err *err)
{
    if (!reply)
        reply = "";
    size_t len = strlen(reply);
    size_t budget = 16 * len + 65536;
    int attempts = 0;
    struct err first_err = {{0}};
    json_t *value = NULL;
    const char *fence = json_fence(reply);
    if (fence)
        value = first_value_from(fence, &budget, &attempts, &first_err);
    if (!value)
        value = first_value_from(reply, &budget, &attempts, &first_err);
    if (value)
        return value;
    if (first_err.msg[0])
        err_set(err, "the reply holds no valid JSON list or object: %s", first_err.msg);
    else
        err_set(err, "the reply holds no JSON list or object: answer with a JSON list in a "
                "```json block");
    return NULL;
}

json_t *code_extract_json_list(const char *reply, struct err *err)
{
    json_t *value = code_extract_json(reply, err);
    if (!value || json_is_array(value))
        return value;
    json_t *list = json_array();
    json_array_append_new(list, value);
    return list;
}
