/* config.c - see config.h. The settings table is the single place that lists
 * what can be configured; --help texts, `mlestar config` and the README's
 * settings list all come from it.
 *
 * Setting a value has two halves: set_value() parses the text into the
 * field (its `origin` argument only names the source in error messages,
 * e.g. "mlestar.ini:12"), and note_origin() records in cfg->origins where
 * the value came from (the loader knows: file, environment, flag). */
#include "util/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define OFF(field) offsetof(struct config, field)

const struct config_setting config_settings[] = {
    {"run.out", CONFIG_STR, "", "run folder (default: runs/<task>-<time>)", OFF(run.out)},
    {"run.time_limit", CONFIG_DURATION, "8h", "wall-clock budget of the whole run (0 = none)", OFF(run.time_limit)},
    {"run.seed", CONFIG_INT, "0", "random seed given to the planner and the scripts", OFF(run.seed)},
    {"run.quiet", CONFIG_BOOL, "false", "print only the final summary", OFF(run.quiet)},
    {"run.events", CONFIG_BOOL, "false", "print the JSON event stream on stdout", OFF(run.events)},
    {"run.force", CONFIG_BOOL, "false", "resume even when settings differ from the journal's", OFF(run.force)},

    {"pipeline.models", CONFIG_INT, "4", "M: models retrieved, one candidate script each", OFF(pipeline.models)},
    {"pipeline.outer_steps", CONFIG_INT, "4", "T: ablation/extraction steps per lane", OFF(pipeline.outer_steps)},
    {"pipeline.inner_steps", CONFIG_INT, "4", "K: refinement plans per extracted block", OFF(pipeline.inner_steps)},
    {"pipeline.lanes", CONFIG_INT, "2", "L: independent solution lanes run concurrently", OFF(pipeline.lanes)},
    {"pipeline.ensemble_rounds", CONFIG_INT, "5", "R: ensemble plans tried", OFF(pipeline.ensemble_rounds)},
    {"pipeline.subsample_rows", CONFIG_INT, "30000", "training rows used while searching (0 = all)", OFF(pipeline.subsample_rows)},
    {"pipeline.debug_rounds", CONFIG_INT, "3", "fix-from-traceback attempts per failing script", OFF(pipeline.debug_rounds)},
    {"pipeline.regenerations", CONFIG_INT, "1", "fresh rewrites after debugging fails", OFF(pipeline.regenerations)},
    {"pipeline.placement_retries", CONFIG_INT, "2", "re-asks when a code block cannot be placed", OFF(pipeline.placement_retries)},
    {"pipeline.leakage_check", CONFIG_BOOL, "true", "check every script for validation/test leakage", OFF(pipeline.leakage_check)},
    {"pipeline.usage_check", CONFIG_BOOL, "true", "check that the initial solution uses every data file", OFF(pipeline.usage_check)},

    {"task.metric", CONFIG_STR, "", "metric name (default: task.json, else from the description)", OFF(task.metric)},
    {"task.direction", CONFIG_STR, "", "higher or lower is better (default: with the metric)", OFF(task.direction)},
    {"task.data_dir", CONFIG_STR, "", "data folder, for a task given without a folder", OFF(task.data_dir)},
    {"task.goal", CONFIG_STR, "", "task statement, for a task given without a description", OFF(task.goal)},
    {"task.eval", CONFIG_STR, "", "evaluation statement to go with task.goal", OFF(task.eval)},

    {"llm.provider", CONFIG_STR, "builtin", "builtin, openai, gemini, anthropic or replay", OFF(llm.provider)},
    {"llm.model", CONFIG_STR, "", "model name (default: the provider's default)", OFF(llm.model)},
    {"llm.cheap_model", CONFIG_STR, "", "model for summaries and checks (default: llm.model)", OFF(llm.cheap_model)},
    {"llm.base_url", CONFIG_STR, "", "API base URL (default: the provider's, or OPENAI_BASE_URL)", OFF(llm.base_url)},
    {"llm.temperature", CONFIG_DOUBLE, "0.7", "temperature of plans and code (checks, summaries: 0)", OFF(llm.temperature)},
    {"llm.max_tokens", CONFIG_INT, "16384", "output token limit per call", OFF(llm.max_tokens)},
    {"llm.max_tries", CONFIG_INT, "6", "tries per call on 429, 5xx, timeouts and dropped connections", OFF(llm.max_tries)},
    {"llm.timeout", CONFIG_DURATION, "10m", "time limit of one HTTP request", OFF(llm.timeout)},
    {"llm.max_inflight", CONFIG_INT, "4", "LLM requests in flight at once", OFF(llm.max_inflight)},
    {"llm.token_limit", CONFIG_INT, "0", "total tokens for the run (0 = none)", OFF(llm.token_limit)},
    {"llm.cost_limit", CONFIG_DOUBLE, "0", "total cost in USD for the run (0 = none)", OFF(llm.cost_limit)},
    {"llm.record", CONFIG_STR, "", "record every call to this JSON-lines file", OFF(llm.record)},
    {"llm.replay", CONFIG_STR, "", "recording the replay provider answers from", OFF(llm.replay)},
    {"llm.prices", CONFIG_STR, "", "JSON price table overriding the built-in one", OFF(llm.prices)},

    {"exec.python", CONFIG_STR, "", "Python interpreter for solutions (default: discovered)", OFF(exec.python)},
    {"exec.timeout", CONFIG_DURATION, "1h", "wall-clock limit of one script", OFF(exec.timeout)},
    {"exec.memory", CONFIG_LLONG_SIZE, "0", "memory limit of one script (0 = RAM / slots)", OFF(exec.memory)},
    {"exec.max_procs", CONFIG_INT, "256", "processes and threads one script may have", OFF(exec.max_procs)},
    {"exec.max_file_size", CONFIG_LLONG_SIZE, "8G", "largest file a script may write", OFF(exec.max_file_size)},
    {"exec.output_cap", CONFIG_LLONG_SIZE, "64M", "stdout and stderr kept per script", OFF(exec.output_cap)},
    {"exec.network", CONFIG_BOOL, "false", "let scripts reach the network", OFF(exec.network)},
    {"exec.slots", CONFIG_INT, "0", "scripts run at once (0 = number of cores)", OFF(exec.slots)},
    {"exec.grace", CONFIG_DURATION, "5s", "time between SIGTERM and SIGKILL on timeout", OFF(exec.grace)},
    {"exec.backend", CONFIG_STR, "local", "where scripts run: local, or slurm (one job each)", OFF(exec.backend)},
    {"exec.slurm_partition", CONFIG_STR, "", "slurm: partition of the jobs (default: the cluster's)", OFF(exec.slurm_partition)},
    {"exec.slurm_account", CONFIG_STR, "", "slurm: account charged for the jobs (default: the user's)", OFF(exec.slurm_account)},
    {"exec.slurm_extra", CONFIG_STR, "", "slurm: more srun flags, e.g. --qos=short --gres=gpu:1", OFF(exec.slurm_extra)},

    {"search.backend", CONFIG_STR, "auto", "auto, provider, catalog or none", OFF(search.backend)},
    {"search.catalog_dir", CONFIG_STR, "", "folder of model cards (default: the embedded catalog)", OFF(search.catalog_dir)},

    {"prompts.dir", CONFIG_STR, "", "folder overriding the embedded prompt templates", OFF(prompts.dir)},
    {NULL, CONFIG_STR, NULL, NULL, 0},
};

const struct config_setting *config_find(const char *name)
{
    for (const struct config_setting *s = config_settings; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void *field(struct config *cfg, const struct config_setting *s)
{
    return (char *)cfg + s->offset;
}

static const void *cfield(const struct config *cfg, const struct config_setting *s)
{
    return (const char *)cfg + s->offset;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end || errno)
        return -1;
    *out = n;
    return 0;
}

static int parse_double(const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static const char *type_hint(enum config_type t)
{
    switch (t) {
    case CONFIG_INT: return "an integer";
    case CONFIG_LLONG_SIZE: return "a size such as 512M or 4G";
    case CONFIG_DOUBLE: return "a number";
    case CONFIG_DURATION: return "a duration such as 90s, 30m or 2h";
    case CONFIG_BOOL: return "true or false";
    default: return "text";
    }
}

/* The smallest value an integer setting takes: 0, but 1 where nothing
 * would run with 0 (a run with no lanes has no solution to submit). */
static long int_minimum(const struct config_setting *s)
{
    static const char *const at_least_one[] = {"pipeline.lanes", NULL};
    for (const char *const *n = at_least_one; *n; n++)
        if (!strcmp(s->name, *n))
            return 1;
    return 0;
}

static size_t settings_count(void)
{
    size_t n = 0;
    while (config_settings[n].name)
        n++;
    return n;
}

static void note_origin(struct config *cfg, const struct config_setting *s, enum config_source source,
                        const char *where)
{
    if (!cfg->origins)
        cfg->origins = xcalloc(settings_count(), sizeof *cfg->origins);
    struct config_origin *o = &cfg->origins[s - config_settings];
    free(o->where);
    o->source = source;
    o->where = where ? xstrdup(where) : NULL;
}

/* Parses value into the field of s; `origin` names the source in errors. */
static int set_value(struct config *cfg, const struct config_setting *s, const char *value, const char *origin,
                     struct err *err)
{
    if (!strcmp(s->name, "task.direction") && *value && strcmp(value, "higher") && strcmp(value, "lower"))
        return err_set(err, "%s: bad value '%s' for task.direction: expected higher or lower", origin, value);
    if (!strcmp(s->name, "exec.backend") && strcmp(value, "local") && strcmp(value, "slurm"))
        return err_set(err, "%s: bad value '%s' for exec.backend: expected local or slurm", origin, value);
    if (!strncmp(s->name, "exec.slurm_", 11) && strpbrk(value, "\n\r"))
        return err_set(err, "%s: bad value for %s: it must be one line", origin, s->name);
    void *f = field(cfg, s);
    int rc = 0;
    switch (s->type) {
    case CONFIG_STR:
        free(*(char **)f);
        *(char **)f = xstrdup(value);
        break;
    case CONFIG_INT: {
        long n;
        rc = parse_long(value, &n);
        if (rc == 0 && n < int_minimum(s))
            return err_set(err, "%s: bad value '%s' for %s: expected an integer of at least %ld",
                           origin, value, s->name, int_minimum(s));
        if (rc == 0)
            *(long *)f = n;
        break;
    }
    case CONFIG_LLONG_SIZE: {
        long long n;
        rc = parse_size(value, &n);
        if (rc == 0)
            *(long long *)f = n;
        break;
    }
    case CONFIG_DOUBLE: {
        double d;
        rc = parse_double(value, &d);
        if (rc == 0)
            *(double *)f = d;
        break;
    }
    case CONFIG_DURATION: {
        double d;
        rc = parse_duration(value, &d);
        if (rc == 0)
            *(double *)f = d;
        break;
    }
    case CONFIG_BOOL: {
        bool b;
        rc = parse_bool(value, &b);
        if (rc == 0)
            *(bool *)f = b;
        break;
    }
    }
    if (rc < 0)
        return err_set(err, "%s: bad value '%s' for %s: expected %s", origin, value, s->name,
                       type_hint(s->type));
    return 0;
}

/* Finds and sets one setting, and records where its value came from. */
static int set_from(struct config *cfg, const char *name, const char *value, enum config_source source,
                    const char *where, const char *origin, struct err *err)
{
    const struct config_setting *s = config_find(name);
    if (!s)
        return err_set(err, "%s: unknown setting '%s' (see `mlestar config --list`)", origin, name);
    if (set_value(cfg, s, value, origin, err) < 0)
        return -1;
    note_origin(cfg, s, source, where);
    return 0;
}

int config_set(struct config *cfg, const char *name, const char *value, const char *origin,
               struct err *err)
{
    return set_from(cfg, name, value, CONFIG_SOURCE_FLAG, origin, origin, err);
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->origins = xcalloc(settings_count(), sizeof *cfg->origins); /* all CONFIG_SOURCE_DEFAULT */
    for (const struct config_setting *s = config_settings; s->name; s++) {
        int rc = set_value(cfg, s, s->def, "default", NULL);
        (void)rc; /* the table's defaults are checked by tests/unit/util_config_test.c */
    }
}

/* Debian's inih is built without line numbers in the handler, so the line is
 * counted by our own reader callback (inih reads one line per call). */
struct ini_ctx {
    struct config *cfg;
    const char *path;
    struct err *err;
    FILE *file;
    int lineno;
    int failed;
};

static char *ini_read_line(char *str, int num, void *stream)
{
    struct ini_ctx *ctx = stream;
    char *line = fgets(str, num, ctx->file);
    if (line)
        ctx->lineno++;
    return line;
}

static int on_ini_setting(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;
    int lineno = ctx->lineno;
    if (ctx->failed)
        return 0;
    char origin[1200];
    snprintf(origin, sizeof origin, "%s:%d", ctx->path, lineno);
    if (!*section) {
        err_set(ctx->err, "%s: setting '%s' is outside any [section]", origin, name);
        ctx->failed = 1;
        return 0;
    }
    char key[256];
    snprintf(key, sizeof key, "%s.%s", section, name);
    /* Allow quoted strings, as in TOML: key = "value". */
    size_t vl = strlen(value);
    char *v = xstrdup(value);
    if (vl >= 2 && ((value[0] == '"' && value[vl - 1] == '"') || (value[0] == '\'' && value[vl - 1] == '\''))) {
        memmove(v, v + 1, vl - 2);
        v[vl - 2] = '\0';
    }
    int rc = set_from(ctx->cfg, key, v, CONFIG_SOURCE_FILE, ctx->path, origin, ctx->err);
    free(v);
    if (rc < 0) {
        ctx->failed = 1;
        return 0;
    }
    return 1;
}

static int load_stream(struct config *cfg, const char *path, FILE *f, struct err *err)
{
    struct ini_ctx ctx = {cfg, path, err, f, 0, 0};
    int rc = ini_parse_stream(ini_read_line, &ctx, on_ini_setting, &ctx);
    if (ctx.failed)
        return -1;
    if (rc > 0)
        return err_set(err, "%s:%d: syntax error (expected `key = value` or `[section]`)", path, rc);
    if (rc < 0)
        return err_set(err, "cannot read config file %s", path);
    return 0;
}

int config_load_file(struct config *cfg, const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_sys(err, errno, "cannot open config file %s", path);
    int rc = load_stream(cfg, path, f, err);
    fclose(f);
    return rc;
}

int config_load_text(struct config *cfg, const char *name, const char *text, struct err *err)
{
    size_t len = strlen(text);
    FILE *f = fmemopen((void *)text, len ? len : 1, "r");
    if (!f)
        return err_sys(err, errno, "cannot read settings from %s", name);
    int rc = len ? load_stream(cfg, name, f, err) : 0;
    fclose(f);
    return rc;
}

char *config_find_file(const char *explicit_path, struct err *err)
{
    err_clear(err);
    if (explicit_path && *explicit_path) {
        if (!fs_is_file(explicit_path)) {
            err_set(err, "config file %s does not exist", explicit_path);
            return NULL;
        }
        return xstrdup(explicit_path);
    }
    const char *env = getenv("MLESTAR_CONFIG");
    if (env && *env) {
        if (!fs_is_file(env)) {
            err_set(err, "config file %s (from MLESTAR_CONFIG) does not exist", env);
            return NULL;
        }
        return xstrdup(env);
    }
    if (fs_is_file("mlestar.ini"))
        return xstrdup("mlestar.ini");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    char *path;
    if (xdg && *xdg) {
        path = xasprintf("%s/mlestar/mlestar.ini", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home)
            return NULL;
        path = xasprintf("%s/.config/mlestar/mlestar.ini", home);
    }
    if (fs_is_file(path))
        return path;
    free(path);
    return NULL;
}

int config_load_env(struct config *cfg, struct err *err)
{
    for (const struct config_setting *s = config_settings; s->name; s++) {
        char var[128] = "MLESTAR_";
        size_t n = strlen(var);
        for (const char *p = s->name; *p && n < sizeof var - 1; p++)
            var[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (v && set_from(cfg, s->name, v, CONFIG_SOURCE_ENV, var, var, err) < 0)
            return -1;
    }
    return 0;
}

int config_load(struct config *cfg, const char *explicit_path, struct err *err)
{
    config_defaults(cfg);
    char *path = config_find_file(explicit_path, err);
    if (!path && err && err->msg[0])
        return -1;
    if (path) {
        int rc = config_load_file(cfg, path, err);
        free(path);
        if (rc < 0)
            return -1;
    }
    return config_load_env(cfg, err);
}

char *config_get_text(const struct config *cfg, const struct config_setting *s)
{
    const void *f = cfield(cfg, s);
    switch (s->type) {
    case CONFIG_STR: return xstrdup(*(char *const *)f ? *(char *const *)f : "");
    case CONFIG_INT: return xasprintf("%ld", *(const long *)f);
    case CONFIG_LLONG_SIZE: return xasprintf("%lldB", *(const long long *)f);
    case CONFIG_DOUBLE: return xasprintf("%g", *(const double *)f);
    case CONFIG_DURATION: return xasprintf("%gs", *(const double *)f);
    case CONFIG_BOOL: return xstrdup(*(const bool *)f ? "true" : "false");
    }
    return xstrdup("");
}

void config_dump(const struct config *cfg, FILE *out)
{
    char section[64] = "";
    for (const struct config_setting *s = config_settings; s->name; s++) {
        const char *dot = strchr(s->name, '.');
        size_t sl = (size_t)(dot - s->name);
        if (strlen(section) != sl || strncmp(section, s->name, sl) != 0) {
            snprintf(section, sizeof section, "%.*s", (int)sl, s->name);
            fprintf(out, "%s[%s]\n", s == config_settings ? "" : "\n", section);
        }
        const struct config_origin *o = config_origin(cfg, s->name);
        if (o->source != CONFIG_SOURCE_DEFAULT) { /* say why the value is not the default */
            char *from = config_origin_text(cfg, s->name);
            fprintf(out, "# from %s\n", from);
            free(from);
        }
        char *v = config_get_text(cfg, s);
        fprintf(out, "%s = %s%s%s\n", dot + 1, s->type == CONFIG_STR ? "\"" : "", v,
                s->type == CONFIG_STR ? "\"" : "");
        free(v);
    }
}

const struct config_origin *config_origin(const struct config *cfg, const char *name)
{
    static const struct config_origin by_default = {CONFIG_SOURCE_DEFAULT, NULL};
    const struct config_setting *s = config_find(name);
    if (!s)
        return NULL;
    return cfg->origins ? &cfg->origins[s - config_settings] : &by_default;
}

char *config_origin_text(const struct config *cfg, const char *name)
{
    const struct config_origin *o = config_origin(cfg, name);
    if (!o)
        return NULL;
    const char *where = o->where ? o->where : "?";
    switch (o->source) {
    case CONFIG_SOURCE_FILE: return xasprintf("config file %s", where);
    case CONFIG_SOURCE_ENV: return xasprintf("environment (%s)", where);
    case CONFIG_SOURCE_FLAG: return xstrdup("flag");
    case CONFIG_SOURCE_DEFAULT: break;
    }
    return xstrdup("default");
}

void config_free(struct config *cfg)
{
    size_t i = 0;
    for (const struct config_setting *s = config_settings; s->name; s++, i++) {
        if (s->type == CONFIG_STR) {
            char **p = field(cfg, s);
            free(*p);
            *p = NULL;
        }
        if (cfg->origins)
            free(cfg->origins[i].where);
    }
    free(cfg->origins);
    cfg->origins = NULL;
}

void config_copy(struct config *dst, const struct config *src)
{
    memcpy(dst, src, sizeof *dst);
    size_t n = settings_count();
    if (src->origins) {
        dst->origins = xmalloc(n * sizeof *dst->origins);
        memcpy(dst->origins, src->origins, n * sizeof *dst->origins);
    }
    size_t i = 0;
    for (const struct config_setting *s = config_settings; s->name; s++, i++) {
        if (s->type == CONFIG_STR) {
            char **p = field(dst, s);
            *p = xstrdup(*p ? *p : "");
        }
        if (dst->origins && dst->origins[i].where)
            dst->origins[i].where = xstrdup(dst->origins[i].where);
    }
}
