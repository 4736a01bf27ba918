/* cli.c - option parsing shared by all commands; see cli.h. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mlestar: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const struct cli_opt common_opts[] = {
    {"config", 0, "FILE", NULL, NULL, NULL, "read settings from FILE (INI format)"},
    {"set", 0, "KEY=VALUE", NULL, NULL, NULL, "set any setting, e.g. --set exec.timeout=20m"},
    {"quiet", 'q', NULL, NULL, NULL, NULL, "print less"},
    {"verbose", 'v', NULL, NULL, NULL, NULL, "print debugging detail"},
    {"help", 'h', NULL, NULL, NULL, NULL, "show this help"},
    {NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static void print_opts(const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o && o->long_name; o++) {
        char left[80];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->long_name,
                     o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->long_name, o->arg_name ? " " : "",
                     o->arg_name ? o->arg_name : "");
        printf("  %-30s %s", left, o->help);
        if (o->setting)
            printf(" [%s]", o->setting);
        printf("\n");
    }
}

void cli_print_help(const struct cli_spec *spec)
{
    printf("usage: mlestar %s %s\n\n", spec->command, spec->usage);
    if (spec->description)
        printf("%s\n\n", spec->description);
    if (spec->opts && spec->opts->long_name) {
        printf("options:\n");
        print_opts(spec->opts);
        printf("\n");
    }
    printf("common options:\n");
    print_opts(common_opts);
    printf("\nSettings in [brackets] can also be given in the config file or as\n"
           "MLESTAR_<SECTION>_<KEY> environment variables; `mlestar config --list` shows all.\n");
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *long_name, char short_name)
{
    for (const struct cli_opt *o = opts; o && o->long_name; o++) {
        if (long_name && strcmp(o->long_name, long_name) == 0)
            return o;
        if (!long_name && short_name && o->short_name == short_name)
            return o;
    }
    return NULL;
}

/* Finds --config before anything else, so the file loads before flags apply. */
static const char *scan_config_flag(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    return path;
}

static int apply_set(struct config *cfg, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        cli_error("--set expects KEY=VALUE, got '%s'", kv);
        return -1;
    }
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    struct err err = {{0}};
    if (config_set(cfg, key, eq + 1, "--set", &err) < 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

static int apply_opt(const struct cli_spec *spec, const struct cli_opt *o, const char *shown,
                     const char *value, struct cli_args *args)
{
    if (!strcmp(o->long_name, "help")) {
        cli_print_help(spec);
        args->help_shown = true;
        return 0;
    }
    if (!strcmp(o->long_name, "config"))
        return 0; /* handled by scan_config_flag */
    if (!strcmp(o->long_name, "set"))
        return apply_set(&args->cfg, value);
    if (!strcmp(o->long_name, "quiet")) {
        args->cfg.run.quiet = true;
        log_set_level(LOG_WARN);
        return 0;
    }
    if (!strcmp(o->long_name, "verbose")) {
        log_set_level(LOG_DEBUG);
        return 0;
    }
    if (o->setting) {
        struct err err = {{0}};
        if (config_set(&args->cfg, o->setting, value ? value : "true", shown, &err) < 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        return 0;
    }
    if (o->flag_out)
        *o->flag_out = true;
    if (o->str_out)
        *o->str_out = value;
    return 0;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli_args *args)
{
    memset(args, 0, sizeof *args);
    struct err err = {{0}};
    if (config_load(&args->cfg, scan_config_flag(argc, argv), &err) < 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    args->positional = calloc((size_t)argc + 1, sizeof *args->positional);
    if (!args->positional)
        abort();
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            args->positional[args->npositional++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = true;
            continue;
        }
        const struct cli_opt *o;
        const char *value = NULL;
        char name[128];
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2), a + 2);
            if (eq)
                value = eq + 1;
            o = find_opt(spec->opts, name, 0);
            if (!o)
                o = find_opt(common_opts, name, 0);
        } else {
            if (a[2] != '\0') {
                cli_error("%s: unknown option '%s' (options are given one at a time; see --help)",
                          spec->command, a);
                return -1;
            }
            o = find_opt(spec->opts, NULL, a[1]);
            if (!o)
                o = find_opt(common_opts, NULL, a[1]);
        }
        if (!o) {
            cli_error("%s: unknown option '%s' (see `mlestar %s --help`)", spec->command, a, spec->command);
            return -1;
        }
        if (o->arg_name && !value) {
            if (i + 1 >= argc) {
                cli_error("%s: option '%s' needs a value (%s)", spec->command, a, o->arg_name);
                return -1;
            }
            value = argv[++i];
        } else if (!o->arg_name && value) {
            cli_error("%s: option '--%s' takes no value", spec->command, o->long_name);
            return -1;
        }
        if (apply_opt(spec, o, a, value, args) < 0)
            return -1;
        if (args->help_shown)
            return 0;
    }
    if (args->npositional < spec->min_positional ||
        (spec->max_positional >= 0 && args->npositional > spec->max_positional)) {
        cli_error("%s: expected %s (see `mlestar %s --help`)", spec->command, spec->usage, spec->command);
        return -1;
    }
    return 0;
}

void cli_args_free(struct cli_args *args)
{
    config_free(&args->cfg);
    free(args->positional);
    args->positional = NULL;
}
