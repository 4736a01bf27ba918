/* cmd_runs.c - `mlestar runs [DIR]`: one line per run found in DIR.
 *
 * A run is a folder holding run.db; DIR itself counts when it is one, else
 * its sub-folders are scanned (not deeper), in name order. Each journal is
 * opened read-only (listing never changes a journal, not even to upgrade an
 * older one), summarised from store_run_json() (task, status, best score,
 * wall time, LLM cost) and closed. A journal that cannot be read (corrupt, from a
 * newer mlestar, still empty) is listed with its error: one bad run never
 * hides the others. --json prints the same as an array of objects. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/timeutil.h"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run folders under dir (malloc'd paths, sorted), or dir itself. */
static char **find_runs(const char *dir, size_t *n)
{
    *n = 0;
    char **runs = NULL;
    char *own_db = fs_join(dir, STORE_DB_NAME);
    bool is_run = fs_exists(own_db);
    free(own_db);
    if (is_run) {
        runs = xmalloc(sizeof *runs);
        runs[(*n)++] = xstrdup(dir);
        return runs;
    }
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = fs_join(dir, e->d_name);
        char *db = fs_join(sub, STORE_DB_NAME);
        if (fs_is_dir(sub) && fs_exists(db)) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                runs = xrealloc(runs, cap * sizeof *runs);
            }
            runs[(*n)++] = sub;
            sub = NULL;
        }
        free(sub);
        free(db);
    }
    closedir(d);
    if (*n)
        qsort(runs, *n, sizeof *runs, compare_names);
    return runs;
}

/* {"run", "task", "status", "best_score", "wall_s", "cost_usd", "llm_calls",
 * "nodes", "resumes"} or {"run", "error"}. */
static json_t *summarise(const char *run_dir)
{
    struct err err = {{0}};
    struct store *s;
    json_t *row = json_object();
    json_t *path = json_string(run_dir); /* NULL when the name is not UTF-8 */
    json_object_set_new(row, "run", path ? path : json_string("(name not UTF-8)"));
    json_t *run = NULL;
    if (store_open_readonly(run_dir, &s, &err) == 0) {
        run = store_run_json(s, &err);
        store_close(s);
    }
    if (!run) {
        json_t *msg = json_string(err.msg);
        json_object_set_new(row, "error", msg ? msg : json_string("cannot read the journal"));
        return row;
    }
    json_t *llm = json_object_get(json_object_get(run, "totals"), "llm");
    json_object_set(row, "task", json_object_get(run, "task"));
    json_object_set(row, "status", json_object_get(run, "status"));
    json_object_set(row, "best_score", json_object_get(run, "best_score"));
    json_object_set(row, "wall_s", json_object_get(run, "wall_s"));
    json_object_set(row, "cost_usd", json_object_get(llm, "cost_usd"));
    json_object_set(row, "llm_calls", json_object_get(llm, "calls"));
    json_object_set(row, "nodes", json_object_get(json_object_get(run, "totals"), "nodes"));
    json_object_set(row, "resumes", json_object_get(run, "resumes"));
    json_decref(run);
    return row;
}

static void print_row(json_t *row)
{
    const char *name = fs_basename(json_string_value(json_object_get(row, "run")));
    const char *error = json_string_value(json_object_get(row, "error"));
    if (error) {
        printf("%-30s error: %s\n", name, error);
        return;
    }
    char best[32] = "-", wall[32], cost[32];
    json_t *score = json_object_get(row, "best_score");
    if (json_is_number(score))
        snprintf(best, sizeof best, "%.6g", json_number_value(score));
    format_duration(json_number_value(json_object_get(row, "wall_s")), wall, sizeof wall);
    snprintf(cost, sizeof cost, "$%.2f", json_number_value(json_object_get(row, "cost_usd")));
    const char *task = json_string_value(json_object_get(row, "task"));
    const char *status = json_string_value(json_object_get(row, "status"));
    printf("%-30s %-24s %-11s %12s %9s %9s\n", name, task ? task : "?", status ? status : "?", best, wall, cost);
}

int cmd_runs(int argc, char **argv)
{
    bool as_json = false;
    const struct cli_opt opts[] = {
        {"json", 0, NULL, NULL, &as_json, NULL, "print a JSON array instead of a table"},
        {0},
    };
    const struct cli_spec spec = {
        "runs", "[DIR] [--json]",
        "Lists the runs in DIR (default runs/): every folder holding a journal\n"
        "(run.db), with its task, status, best score, wall time and LLM cost.\n"
        "A journal that cannot be read is listed with the reason.",
        opts, 0, 1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    if (args.help_shown) {
        cli_args_free(&args);
        return CLI_OK;
    }
    const char *dir = args.npositional ? args.positional[0] : "runs";
    size_t n;
    char **runs = find_runs(dir, &n);
    if (!runs && !fs_is_dir(dir)) {
        cli_error("runs: %s is not a folder (give the folder holding the runs)", dir);
        cli_args_free(&args);
        return CLI_FAIL;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(rows, summarise(runs[i]));
        free(runs[i]);
    }
    free(runs);
    if (as_json) {
        json_dumpf(rows, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (n == 0) {
        printf("no runs in %s\n", dir);
    } else {
        printf("%-30s %-24s %-11s %12s %9s %9s\n", "RUN", "TASK", "STATUS", "BEST", "TIME", "COST");
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            print_row(row);
        }
    }
    json_decref(rows);
    cli_args_free(&args);
    return CLI_OK;
}
