/* config.h - every setting of mlestar, in one table.
 *
 * A setting has a dotted name ("pipeline.outer_steps"), a type, a default, a
 * one-line help text, and a field in struct config. Values come, in rising
 * precedence, from: the defaults below; an INI-style config file (sections
 * and keys: `[pipeline]` then `outer_steps = 4`); environment variables
 * (MLESTAR_<SECTION>_<KEY>, e.g. MLESTAR_PIPELINE_OUTER_STEPS); and
 * command-line flags (each command maps its flags onto config_set()).
 *
 * The config file is the first that exists of: the --config flag,
 * $MLESTAR_CONFIG, ./mlestar.ini, $XDG_CONFIG_HOME/mlestar/mlestar.ini
 * (~/.config/... when unset). A bad key or value is reported with the file
 * and line. API keys are never settings: providers read them from their own
 * environment variables, so a dumped config never holds a secret.
 *
 * Each setting also remembers where its value came from (struct
 * config_origin: default, config file, environment variable or flag), so
 * that what the user sees can say why a value is what it is (`mlestar
 * profile` prints "metric: auc (environment (MLESTAR_TASK_METRIC))"). The
 * origins live in an array parallel to config_settings[], owned by struct
 * config like its strings.
 *
 * Strings in struct config are owned by it; config_free() releases them.
 * Not thread-safe while being loaded; read-only (and so shareable) after. */
#ifndef MLESTAR_UTIL_CONFIG_H
#define MLESTAR_UTIL_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"

/* Where a setting's value came from. */
enum config_source { CONFIG_SOURCE_DEFAULT, CONFIG_SOURCE_FILE, CONFIG_SOURCE_ENV, CONFIG_SOURCE_FLAG };

struct config_origin {
    enum config_source source;
    char *where;          /* the file's path, the variable's name or the flag as given
                             ("--metric", "--set"); NULL for a default */
};

struct config {
    struct {
        char *out;            /* run folder; "" = runs/<task>-<time> */
        double time_limit;    /* seconds for the whole run; 0 = none */
        long seed;
        bool quiet;
        bool events;          /* print the JSON event stream on stdout */
        bool force;           /* resume despite differing settings */
    } run;
    struct {
        long models;          /* M: retrieved models / candidates */
        long outer_steps;     /* T */
        long inner_steps;     /* K */
        long lanes;           /* L */
        long ensemble_rounds; /* R */
        long subsample_rows;  /* training rows during search; 0 = all */
        long debug_rounds;    /* fix-from-traceback attempts per script */
        long regenerations;   /* fresh rewrites after debugging fails */
        long placement_retries; /* re-asks when a block cannot be placed */
        bool leakage_check;
        bool usage_check;
    } pipeline;
    struct {
        char *metric;         /* "" = from task.json or the description */
        char *direction;      /* "", "higher" or "lower" */
        char *data_dir;       /* data folder when the task has no folder */
        char *goal;           /* task statement when there is no description */
        char *eval;           /* evaluation statement to go with goal */
    } task;
    struct {
        char *provider;       /* builtin, openai, gemini, anthropic, replay */
        char *model;
        char *cheap_model;    /* for summaries and checks; "" = model */
        char *base_url;
        double temperature;
        long max_tokens;
        long max_tries;
        double timeout;       /* seconds per HTTP request */
        long max_inflight;
        long token_limit;     /* 0 = none */
        double cost_limit;    /* USD; 0 = none */
        char *record;         /* JSON-lines file to record calls to */
        char *replay;         /* recording to answer from (provider replay) */
        char *prices;         /* price table override (JSON) */
    } llm;
    struct {
        char *python;         /* "" = discover */
        double timeout;       /* seconds per script */
        long long memory;     /* bytes per script; 0 = auto */
        long max_procs;
        long long max_file_size;
        long long output_cap; /* bytes of stdout+stderr kept on disk */
        bool network;
        long slots;           /* concurrent scripts; 0 = cores */
        double grace;         /* seconds between SIGTERM and SIGKILL */
        char *backend;        /* "local" or "slurm" (src/exec/backend.h) */
        char *slurm_partition; /* "" = the cluster's default */
        char *slurm_account;  /* "" = the user's default */
        char *slurm_extra;    /* more srun flags, split into words (quotes group) */
    } exec;
    struct {
        char *backend;        /* auto, provider, catalog, none */
        char *catalog_dir;    /* "" = the embedded catalog */
    } search;
    struct {
        char *dir;            /* "" = embedded prompts */
    } prompts;
    struct config_origin *origins; /* one per config_settings[] entry; owned; NULL = all defaults */
};

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_LLONG_SIZE, CONFIG_DOUBLE, CONFIG_DURATION, CONFIG_BOOL };

struct config_setting {
    const char *name;      /* "section.key" */
    enum config_type type;
    const char *def;       /* default, as text */
    const char *help;
    size_t offset;         /* into struct config */
};

/* The table, terminated by a NULL name. */
extern const struct config_setting config_settings[];

/* Fills cfg with the defaults. */
void config_defaults(struct config *cfg);
/* Sets one setting from text, as a command-line flag does: the value's
 * origin becomes CONFIG_SOURCE_FLAG with `origin` as its `where`. `origin`
 * also names the flag in the error message ("--model", "--set"). On error
 * the setting and its origin keep their old values. */
int config_set(struct config *cfg, const char *name, const char *value, const char *origin,
               struct err *err);
/* Loads an INI file; a bad key or value fails with "<file>:<line>: ...".
 * The settings it sets get CONFIG_SOURCE_FILE with the path as `where`. */
int config_load_file(struct config *cfg, const char *path, struct err *err);
/* The same from text in memory; `name` stands for the file in messages and
 * origins. */
int config_load_text(struct config *cfg, const char *name, const char *text, struct err *err);
/* Finds the config file (see above); explicit may be NULL. Returns a malloc'd
 * path, or NULL when there is none. An explicit path that does not exist is
 * an error (returns NULL and sets err); check err->msg[0]. */
char *config_find_file(const char *explicit_path, struct err *err);
/* Applies MLESTAR_<SECTION>_<KEY> variables (origin CONFIG_SOURCE_ENV,
 * `where` the variable's name). */
int config_load_env(struct config *cfg, struct err *err);
/* defaults + file + env in one call. */
int config_load(struct config *cfg, const char *explicit_path, struct err *err);
/* The value of a setting as text (malloc'd). */
char *config_get_text(const struct config *cfg, const struct config_setting *s);
const struct config_setting *config_find(const char *name);
/* Where setting `name` got its value (borrowed from cfg; valid until the
 * setting is set again or cfg is freed), or NULL for an unknown name. */
const struct config_origin *config_origin(const struct config *cfg, const char *name);
/* The same as text for people (malloc'd): "default", "config file PATH",
 * "environment (MLESTAR_TASK_METRIC)" or "flag"; NULL for an unknown name. */
char *config_origin_text(const struct config *cfg, const char *name);
/* Writes every setting as INI (what `mlestar config` prints), a "# from
 * ORIGIN" comment line above each value that is not the default. */
void config_dump(const struct config *cfg, FILE *out);
void config_free(struct config *cfg);
/* Deep copy, origins included. */
void config_copy(struct config *dst, const struct config *src);

#endif
