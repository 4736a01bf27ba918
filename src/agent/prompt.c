/* prompt.c - see prompt.h. */
#include "agent/prompt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/assets.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

char *prompt_template(const char *dir, const char *name, struct err *err)
{
    char rel[256];
    snprintf(rel, sizeof rel, "prompts/%s.txt", name);
    if (dir && *dir) {
        char *path = xasprintf("%s/%s.txt", dir, name);
        if (fs_is_file(path)) {
            char *text = NULL;
            int rc = fs_read_file(path, 1 << 20, &text, NULL, err);
            free(path);
            return rc == 0 ? text : NULL;
        }
        free(path);
    }
    const struct asset *a = assets_get(rel);
    if (!a) {
        err_set(err, "no prompt template named '%s' (looked for %s)", name, rel);
        return NULL;
    }
    return xstrdup(a->data);
}

static void put_value(struct buf *out, json_t *v)
{
    if (json_is_string(v)) {
        buf_puts(out, json_string_value(v));
    } else if (json_is_integer(v)) {
        buf_printf(out, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(out, "%.6g", json_real_value(v));
    } else {
        char *s = json_dumps(v, JSON_INDENT(1) | JSON_ENSURE_ASCII);
        if (s)
            buf_puts(out, s);
        free(s);
    }
}

char *prompt_render_text(const char *tmpl_name, const char *text, json_t *vars, struct err *err)
{
    struct buf out = {0};
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            buf_puts(&out, p);
            break;
        }
        buf_append(&out, p, (size_t)(open - p));
        const char *close = strstr(open + 2, "}}");
        const char *name = open + 2;
        size_t nlen = close ? (size_t)(close - name) : 0;
        bool is_var = close && nlen > 0 && nlen < 64;
        for (size_t i = 0; is_var && i < nlen; i++)
            if (!isalnum((unsigned char)name[i]) && name[i] != '_')
                is_var = false;
        if (!is_var) {
            buf_puts(&out, "{{");
            p = open + 2;
            continue;
        }
        char key[64];
        memcpy(key, name, nlen);
        key[nlen] = '\0';
        json_t *v = json_object_get(vars, key);
        if (!v) {
            buf_free(&out);
            err_set(err, "prompt '%s' uses {{%s}}, which the pipeline does not provide", tmpl_name, key);
            return NULL;
        }
        put_value(&out, v);
        p = close + 2;
    }
    return buf_detach(&out);
}

char *prompt_render(const char *dir, const char *name, json_t *vars, struct err *err)
{
    char *text = prompt_template(dir, name, err);
    if (!text)
        return NULL;
    char *out = prompt_render_text(name, text, vars, err);
    free(text);
    return out;
}
