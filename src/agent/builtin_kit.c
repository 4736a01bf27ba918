/* builtin_kit.c - see builtin_kit.h. */
#include "agent/builtin_kit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/assets.h"
#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/mem.h"

#define KIT_DIR "templates/builtin/"
#define COMPOSE_TAG "# [compose] "
#define CONFIG_OPEN "CONFIG = json.loads(r\"\"\""
#define CONFIG_CLOSE "\"\"\")"

const char *const kit_blocks[5] = {"load", "features", "model", "validation", "predict"};

static struct kit the_kit;
static char kit_error[512];
static pthread_once_t kit_once = PTHREAD_ONCE_INIT;

static void kit_load(void)
{
    const struct asset *cat = assets_get(KIT_DIR "catalog.json");
    const struct asset *hdr = assets_get(KIT_DIR "header.py");
    if (!cat || !hdr) {
        snprintf(kit_error, sizeof kit_error, "the builtin kit is missing from this build (%s)",
                 cat ? "header.py" : "catalog.json");
        return;
    }
    json_error_t jerr;
    the_kit.catalog = json_loads(cat->data, 0, &jerr);
    if (!the_kit.catalog) {
        snprintf(kit_error, sizeof kit_error, "templates/builtin/catalog.json:%d: %s", jerr.line, jerr.text);
        return;
    }
    the_kit.header = hdr->data;
}

const struct kit *kit_get(struct err *err)
{
    pthread_once(&kit_once, kit_load);
    if (!the_kit.catalog) {
        err_set(err, "%s", kit_error);
        return NULL;
    }
    return &the_kit;
}

/* The embedded kit file at `file` (relative to templates/builtin/), or NULL
 * + err naming it as `what` ("snippet file", "runner"). */
static const struct asset *kit_file(const char *file, const char *what, struct err *err)
{
    char *path = xasprintf(KIT_DIR "%s", file);
    const struct asset *a = assets_get(path);
    if (!a)
        err_set(err, "builtin kit: %s %s is missing", what, path);
    free(path);
    return a;
}

json_t *kit_snippet(const struct kit *k, const char *block, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(k->catalog, "snippets"), i, s)
        if (!strcmp(json_str(s, "block", ""), block) && !strcmp(json_str(s, "name", ""), name))
            return s;
    return NULL;
}

json_t *kit_default_params(const struct kit *k, const char *block, const char *name)
{
    json_t *s = kit_snippet(k, block, name);
    json_t *p = s ? json_object_get(s, "params") : NULL;
    return p ? json_deep_copy(p) : json_object();
}

/* ---- rendering ---- */

static void put_python_string(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_putc(b, '\\');
        if (*s == '\n' || *s == '\r') {
            buf_puts(b, *s == '\n' ? "\\n" : "\\r");
            continue;
        }
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static void put_literal(struct buf *b, json_t *v)
{
    if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        char num[64];
        snprintf(num, sizeof num, "%.10g", json_real_value(v));
        buf_puts(b, num);
        if (!strpbrk(num, ".eni"))
            buf_puts(b, ".0");
    } else if (json_is_true(v)) {
        buf_puts(b, "True");
    } else if (json_is_false(v)) {
        buf_puts(b, "False");
    } else if (json_is_string(v)) {
        put_python_string(b, json_string_value(v));
    } else if (json_is_array(v)) {
        buf_putc(b, '[');
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (i)
                buf_puts(b, ", ");
            put_literal(b, item);
        }
        buf_putc(b, ']');
    } else if (json_is_object(v)) {
        buf_putc(b, '{');
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach(v, key, item) {
            if (!first)
                buf_puts(b, ", ");
            first = false;
            put_python_string(b, key);
            buf_puts(b, ": ");
            put_literal(b, item);
        }
        buf_putc(b, '}');
    } else {
        buf_puts(b, "None");
    }
}

char *kit_python_literal(json_t *v)
{
    struct buf b = {0};
    put_literal(&b, v);
    return buf_detach(&b);
}

static int substitute(const char *file, const char *text, json_t *params, struct buf *out, struct err *err)
{
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            buf_puts(out, p);
            return 0;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close)
            return err_set(err, "%s: unterminated {{ placeholder", file);
        buf_append(out, p, (size_t)(open - p));
        char *name = xstrndup(open + 2, (size_t)(close - open - 2));
        json_t *v = json_object_get(params, name);
        if (!v) {
            err_set(err, "%s: placeholder {{%s}} has no value", file, name);
            free(name);
            return -1;
        }
        free(name);
        put_literal(out, v);
        p = close + 2;
    }
    return 0;
}

static json_t *find_in(json_t *snips, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(snips, i, s)
        if (!strcmp(json_str(s, "name", ""), name))
            return s;
    return NULL;
}

char *kit_render_block(const struct kit *k, const char *block, json_t *snippets, json_t *tried,
                       struct err *err)
{
    struct buf b = {0};
    json_t *record = json_pack("{s:s,s:O}", "block", block, "snippets", snippets);
    if (tried && json_array_size(tried))
        json_object_set(record, "tried", tried);
    char *rec = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(record);
    buf_printf(&b, "%s%s\n", COMPOSE_TAG, rec);
    free(rec);
    /* catalog order decides the order inside the block */
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(k->catalog, "snippets"), i, entry) {
        if (strcmp(json_str(entry, "block", ""), block) != 0)
            continue;
        json_t *chosen = find_in(snippets, json_str(entry, "name", ""));
        if (!chosen)
            continue;
        const struct asset *a = kit_file(json_str(entry, "file", ""), "snippet file", err);
        if (!a) {
            buf_free(&b);
            return NULL;
        }
        json_t *params = kit_default_params(k, block, json_str(entry, "name", ""));
        json_object_update(params, json_object_get(chosen, "params"));
        int rc = substitute(a->path, a->data, params, &b, err);
        json_decref(params);
        if (rc < 0) {
            buf_free(&b);
            return NULL;
        }
    }
    return buf_detach(&b);
}

char *kit_render_script(const struct kit *k, json_t *config, json_t *composition, struct err *err)
{
    struct buf b = {0};
    buf_puts(&b, k->header);
    char *cfg = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    buf_printf(&b, "%s%s%s\n", CONFIG_OPEN, cfg, CONFIG_CLOSE);
    free(cfg);
    for (size_t i = 0; i < 5; i++) {
        char *text = kit_render_block(k, kit_blocks[i], json_object_get(composition, kit_blocks[i]), NULL, err);
        if (!text) {
            buf_free(&b);
            return NULL;
        }
        buf_printf(&b, "# [block:%s]\n%s# [end:%s]\n", kit_blocks[i], text, kit_blocks[i]);
        free(text);
    }
    return buf_detach(&b);
}

char *kit_render_runner(const struct kit *k, const char *file, const char *placeholder, json_t *value,
                        struct err *err)
{
    (void)k;
    const struct asset *a = kit_file(file, "runner", err);
    if (!a)
        return NULL;
    char *tag = xasprintf("{{%s}}", placeholder);
    const char *at = strstr(a->data, tag);
    if (!at) {
        err_set(err, "builtin kit: runner %s has no %s", a->path, tag);
        free(tag);
        return NULL;
    }
    struct buf b = {0};
    buf_append(&b, a->data, (size_t)(at - a->data));
    put_literal(&b, value);
    buf_puts(&b, at + strlen(tag));
    free(tag);
    return buf_detach(&b);
}

/* The file of ensemble method `method` in the catalog's "ensembles", or NULL. */
static const char *ensemble_file(const struct kit *k, const char *method)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(k->catalog, "ensembles"), i, e)
        if (!strcmp(json_str(e, "name", ""), method))
            return json_str(e, "file", NULL);
    return NULL;
}

char *kit_render_ensemble(const struct kit *k, const char *method, json_t *solutions, struct err *err)
{
    const char *file = ensemble_file(k, method);
    if (!file) {
        err_set(err, "builtin kit: unknown ensemble method %s (not in the \"ensembles\" of catalog.json)", method);
        return NULL;
    }
    const char *common = json_str(k->catalog, "ensemble_common", NULL);
    if (!common) {
        err_set(err, "builtin kit: catalog.json names no \"ensemble_common\" runner part");
        return NULL;
    }
    const struct asset *part = kit_file(file, "ensemble method", err);
    if (!part)
        return NULL;
    char *shared = kit_render_runner(k, common, "SOLUTIONS", solutions, err);
    if (!shared)
        return NULL;
    struct buf b = {0};
    buf_puts(&b, shared);
    buf_puts(&b, part->data);
    free(shared);
    return buf_detach(&b);
}

/* ---- parsing ---- */

static const char *line_starting(const char *code, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = code; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, n))
            return p;
    return NULL;
}

json_t *kit_parse_config(const char *code)
{
    const char *p = line_starting(code, CONFIG_OPEN);
    if (!p)
        return NULL;
    p += strlen(CONFIG_OPEN);
    const char *end = strstr(p, CONFIG_CLOSE);
    if (!end)
        return NULL;
    char *text = xstrndup(p, (size_t)(end - p));
    json_t *cfg = json_loads(text, 0, NULL);
    free(text);
    return cfg;
}

char *kit_replace_config(const char *code, json_t *config)
{
    const char *p = line_starting(code, CONFIG_OPEN);
    const char *end = p ? strstr(p, CONFIG_CLOSE) : NULL;
    if (!end)
        return xstrdup(code);
    struct buf b = {0};
    buf_append(&b, code, (size_t)(p - code));
    char *cfg = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    buf_printf(&b, "%s%s", CONFIG_OPEN, cfg);
    free(cfg);
    buf_puts(&b, end);
    return buf_detach(&b);
}

char *kit_block_text(const char *code, const char *block)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "# [block:%s]\n", block);
    snprintf(close, sizeof close, "# [end:%s]", block);
    const char *s = strstr(code, open);
    if (!s)
        return NULL;
    s += strlen(open);
    const char *e = strstr(s, close);
    if (!e)
        return NULL;
    return xstrndup(s, (size_t)(e - s));
}

json_t *kit_parse_block_record(const char *block_text)
{
    if (!block_text || strncmp(block_text, COMPOSE_TAG, strlen(COMPOSE_TAG)) != 0)
        return NULL;
    const char *rec = block_text + strlen(COMPOSE_TAG);
    const char *eol = strchr(rec, '\n');
    char *line = xstrndup(rec, eol ? (size_t)(eol - rec) : strlen(rec));
    json_t *r = json_loads(line, 0, NULL);
    free(line);
    if (r && !json_is_array(json_object_get(r, "snippets"))) {
        json_decref(r);
        return NULL;
    }
    return r;
}

json_t *kit_parse_composition(const char *code)
{
    json_t *comp = json_object();
    for (size_t i = 0; i < 5; i++) {
        char *text = kit_block_text(code, kit_blocks[i]);
        json_t *r = kit_parse_block_record(text);
        free(text);
        json_t *snips = json_object_get(r, "snippets");
        if (!json_is_array(snips)) {
            json_decref(r);
            json_decref(comp);
            return NULL;
        }
        json_object_set(comp, kit_blocks[i], snips);
        json_decref(r);
    }
    return comp;
}

const char *kit_block_at_line(const char *code, long line)
{
    const char *current = NULL;
    long n = 1;
    for (const char *p = code; p && *p; n++) {
        if (!strncmp(p, "# [block:", 9)) {
            for (size_t i = 0; i < 5; i++)
                if (!strncmp(p + 9, kit_blocks[i], strlen(kit_blocks[i])) && p[9 + strlen(kit_blocks[i])] == ']')
                    current = kit_blocks[i];
        } else if (!strncmp(p, "# [end:", 7)) {
            if (n == line)
                return current;
            current = NULL;
        }
        if (n == line)
            return current;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* ---- param changes ---- */

static json_t *changed_value(json_t *old, json_t *change)
{
    if (!json_is_string(change))
        return json_deep_copy(change);
    const char *c = json_string_value(change);
    if (c[0] != 'x' && c[0] != '+' && c[0] != '-')
        return json_deep_copy(change);
    if (!json_is_number(old))
        return NULL;
    char *end;
    double f = strtod(c + (c[0] == 'x'), &end);
    if (*end || !isfinite(f))
        return json_deep_copy(change);
    double v = json_number_value(old);
    double r = c[0] == 'x' ? v * f : v + f;
    if (json_is_integer(old)) {
        long long n = llround(r);
        return json_integer(n < 1 ? 1 : n);
    }
    return json_real(r);
}

int kit_apply_param_changes(json_t *params, json_t *changes)
{
    int changed = 0;
    const char *key;
    json_t *change;
    json_object_foreach(changes, key, change) {
        json_t *old = json_object_get(params, key);
        if (!old)
            continue;
        json_t *nv = changed_value(old, change);
        if (!nv)
            continue;
        if (!json_equal(nv, old))
            changed++;
        json_object_set_new(params, key, nv);
    }
    return changed;
}
