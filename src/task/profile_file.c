/* profile_file.c - profiling one tabular file: JSON or JSON lines (CSV: profile_csv.c).
 *
 * Each file is read once, as a stream: CSV through the csv reader, JSON
 * lines one line at a time, and a JSON array of records by a small scanner
 * that cuts the array into its elements (tracking strings and nesting) so
 * only one record is in memory at a time. Every cell goes to its column's
 * colstat. Problems inside a file (ragged rows, invalid UTF-8, unterminated
 * quotes, records that are not JSON objects) become issues with their line
 * numbers, capped at PROFILE_ISSUES_MAX with a total count; they never stop
 * the pass. Only an unreadable or empty file fails.
 *
 * This file holds the JSON readers; CSV goes through profile_csv.c. */
#include "task/profile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "task/colstat.h"
#include "task/profile_tab.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#define JSON_OBJECT_MAX (16u << 20) /* a top-level JSON object is loaded whole up to this */
#define JSON_FLATTEN_DEPTH 4

/* ---- JSON records ---- */

static size_t tab_column(struct tab *t, const char *key, size_t hint)
{
    if (hint < t->ncols && strcmp(t->cols[hint].name, key) == 0)
        return hint;
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, key) == 0)
            return i;
    tab_add_column(t, key);
    return t->ncols - 1;
}

static void json_cell(struct colstat *c, json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        colstat_add(c, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        colstat_add(c, num, strlen(num));
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        colstat_add(c, num, strlen(num));
        break;
    case JSON_TRUE:
        colstat_add(c, "true", 4);
        break;
    case JSON_FALSE:
        colstat_add(c, "false", 5);
        break;
    case JSON_NULL:
        break;
    default: {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) {
            colstat_add(c, s, strlen(s));
            free(s);
        }
        break;
    }
    }
}

/* The fields of a record; nested objects are flattened as pandas'
 * json_normalize(sep=".") names them ("user.name"), up to JSON_FLATTEN_DEPTH
 * levels (deeper objects stay one cell, as JSON text). */
static void json_fields(struct tab *t, json_t *obj, const char *prefix, int depth, size_t *hint)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char *name = prefix ? xasprintf("%s.%s", prefix, key) : NULL;
        const char *col = name ? name : key;
        if (json_is_object(v) && json_object_size(v) > 0 && depth < JSON_FLATTEN_DEPTH) {
            json_fields(t, v, col, depth + 1, hint);
        } else {
            size_t i = tab_column(t, col, *hint);
            json_cell(&t->cols[i], v);
            *hint = i + 1;
        }
        free(name);
    }
}

static void json_record(struct tab *t, json_t *rec, long long line)
{
    if (!json_is_object(rec)) {
        file_issue(t->file, line, "not a JSON object (a record must be {\"column\": value, ...})");
        return;
    }
    t->file->rows++;
    size_t hint = 0;
    json_fields(t, rec, NULL, 0, &hint);
}

static void json_text(struct tab *t, const char *text, size_t len, long long line)
{
    json_error_t jerr;
    json_t *rec = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!rec) {
        file_issue(t->file, line + jerr.line - 1, "invalid JSON: %s", jerr.text);
        return;
    }
    json_record(t, rec, line);
    json_decref(rec);
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int jsonl_read(struct tab *t, FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long long lineno = 0;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (is_blank(line, (size_t)n))
            continue;
        json_text(t, line, (size_t)n, lineno);
    }
    free(line);
    return ferror(fp) ? -1 : 0;
}

/* Splits a top-level JSON array into elements without holding the array. */
struct splitter {
    struct buf elem;
    int depth;             /* nesting inside the current element */
    bool in_string, escape, started, done;
    long long line, elem_line;
};

static void split_flush(struct tab *t, struct splitter *s)
{
    if (!is_blank(buf_str(&s->elem), s->elem.len))
        json_text(t, s->elem.data, s->elem.len, s->elem_line);
    buf_truncate(&s->elem, 0);
}

static void split_bytes(struct tab *t, struct splitter *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->done; i++) {
        char c = p[i];
        if (c == '\n')
            s->line++;
        if (!s->started) {
            if (c == '[')
                s->started = true;
            continue;
        }
        if (s->in_string) {
            if (s->escape)
                s->escape = false;
            else if (c == '\\')
                s->escape = true;
            else if (c == '"')
                s->in_string = false;
        } else if (c == '"') {
            s->in_string = true;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            if (s->depth == 0) { /* the closing bracket of the array */
                split_flush(t, s);
                s->done = true;
                continue;
            }
            s->depth--;
        } else if (c == ',' && s->depth == 0) {
            split_flush(t, s);
            continue;
        }
        if (s->elem.len == 0 && (c == ' ' || c == '\n' || c == '\r' || c == '\t'))
            continue;
        if (s->elem.len == 0)
            s->elem_line = s->line;
        buf_putc(&s->elem, c);
    }
}

/* A top-level object: loaded whole (bounded); its first member that is an
 * array of objects is taken as the records, else the object is one record. */
static int json_object_read(struct tab *t, const char *path, struct err *err)
{
    char *text;
    size_t len;
    if (fs_read_file(path, JSON_OBJECT_MAX, &text, &len, err) < 0)
        return -1;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root) {
        file_issue(t->file, jerr.line, "invalid JSON: %s", jerr.text);
        return 0;
    }
    const char *key;
    json_t *v;
    json_t *records = NULL;
    json_object_foreach(root, key, v) {
        if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
            records = v;
            break;
        }
    }
    if (records) {
        size_t i;
        json_t *rec;
        json_array_foreach(records, i, rec)
            json_record(t, rec, 0);
    } else {
        json_record(t, root, 1);
    }
    json_decref(root);
    return 0;
}

static int first_char(FILE *fp)
{
    int c;
    while ((c = fgetc(fp)) != EOF && (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0xEF ||
                                      c == 0xBB || c == 0xBF))
        ;
    return c;
}

int profile_json_file(const char *path, bool json_lines, struct profile_file **out, struct err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return err_sys(err, errno, "cannot open %s", path);
    struct tab t = {.file = tab_file_new(path, json_lines ? TASK_KIND_JSONL : TASK_KIND_JSON),
                    .bound = tab_exact_bound(16)};
    int rc = 0;
    int c = first_char(fp);
    if (c == EOF) {
        rc = err_set(err, "%s is empty", path);
    } else if (json_lines) {
        rewind(fp);
        if (jsonl_read(&t, fp) < 0)
            rc = err_sys(err, errno, "cannot read %s", path);
    } else if (c == '[') {
        struct splitter s = {.started = true, .line = 1};
        char block[65536];
        size_t n;
        while ((n = fread(block, 1, sizeof block, fp)) > 0 && !s.done)
            split_bytes(&t, &s, block, n);
        if (!s.done) {
            split_flush(&t, &s);
            file_issue(t.file, s.line, "the JSON array is not closed");
        }
        buf_free(&s.elem);
        if (ferror(fp))
            rc = err_sys(err, errno, "cannot read %s", path);
    } else if (c == '{') {
        rc = json_object_read(&t, path, err);
    } else {
        file_issue(t.file, 1, "not a JSON array or object of records");
    }
    fclose(fp);
    if (rc < 0) {
        tab_abandon(&t);
        return -1;
    }
    tab_finish(&t);
    *out = t.file;
    return 0;
}
