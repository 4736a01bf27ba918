/* cmd_show.c - `mlestar show RUN [NODE]`: a run's lineage, or one node.
 *
 * Without NODE: a header (task, status, best, time, cost) and the tree of
 * nodes, each under its first parent (a merge's second parent is named on
 * its line): id, stage, lane, t/k, model or the plan's first line, score and
 * status; then every recovery the run made: debug fixes and regenerations
 * (from the nodes) and the "recovery" events of the agent (a reply parsed
 * after its error was sent back, a leak fixed, a fenced block unwrapped, a
 * fix rejected for dropping the subsample, ...). With NODE (an id or a node key): the node's code, plan, the block
 * before and after, diff, score, its executions (verdict, times, memory, the
 * end of its output) and its LLM calls (with the time each waited for an
 * in-flight slot, when it did). --json prints store_run_json() plus
 * store_nodes_json(), or store_node_json(), unchanged. Reads only the
 * journal (store/), opened read-only: showing a run never changes it. A
 * journal of an older schema is shown as it reads and left as it is, with a
 * line saying that `mlestar resume` upgrades it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "store/store.h"
#include "util/mem.h"
#include "util/termtext.h"
#include "util/timeutil.h"

#define TAIL_LINES 25

static const char *str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

static long long integer(json_t *obj, const char *key)
{
    return (long long)json_integer_value(json_object_get(obj, key));
}

static void format_score(json_t *value, char *out, size_t outsz)
{
    if (json_is_number(value))
        snprintf(out, outsz, "%.6g", json_number_value(value));
    else
        snprintf(out, outsz, "-");
}

/* ---- the lineage -------------------------------------------------------- */

static void print_header(json_t *run)
{
    char best[32], wall[32];
    format_score(json_object_get(run, "best_score"), best, sizeof best);
    format_duration(json_number_value(json_object_get(run, "wall_s")), wall, sizeof wall);
    json_t *totals = json_object_get(run, "totals");
    json_t *llm = json_object_get(totals, "llm");
    printf("task     %s (%s)\n", str(run, "task"), str(run, "task_dir"));
    printf("status   %s%s%s\n", str(run, "status"), *str(run, "message") ? ": " : "", str(run, "message"));
    printf("best     %s", best);
    if (json_is_integer(json_object_get(run, "best_node_id")))
        printf(" (node #%lld)", integer(run, "best_node_id"));
    printf("\ntime     %s, %lld resume(s)\n", wall, integer(run, "resumes"));
    printf("work     %lld nodes, %lld executions, %lld LLM calls (%lld failed), %lld+%lld tokens, $%.2f\n",
           integer(totals, "nodes"), integer(totals, "executions"), integer(llm, "calls"),
           integer(llm, "failed_calls"), integer(llm, "input_tokens"), integer(llm, "output_tokens"),
           json_number_value(json_object_get(llm, "cost_usd")));
}

/* The model name, else the first line of the plan, cut to width. */
static void node_summary(json_t *node, char *out, size_t width)
{
    const char *text = *str(node, "model_name") ? str(node, "model_name") : str(node, "plan");
    size_t n = strcspn(text, "\n");
    if (n >= width)
        n = width - 1;
    memcpy(out, text, n);
    out[n] = 0;
}

/* "t1 k2", "t1", "k2" or "-". */
static void format_step(json_t *node, char *out, size_t outsz)
{
    bool has_t = json_is_integer(json_object_get(node, "outer_step"));
    bool has_k = json_is_integer(json_object_get(node, "inner_step"));
    long long t = integer(node, "outer_step"), k = integer(node, "inner_step");
    if (has_t && has_k)
        snprintf(out, outsz, "t%lld k%lld", t, k);
    else if (has_t)
        snprintf(out, outsz, "t%lld", t);
    else if (has_k)
        snprintf(out, outsz, "k%lld", k);
    else
        snprintf(out, outsz, "-");
}

static void print_node_line(json_t *node, int depth, int label_width)
{
    char label[64];
    snprintf(label, sizeof label, "%*s#%lld", depth * 2, "", integer(node, "id"));
    char lane[24], step[48], summary[48], score[32];
    long long lane_no = integer(node, "lane");
    if (lane_no < 0)
        snprintf(lane, sizeof lane, "ens");
    else
        snprintf(lane, sizeof lane, "L%lld", lane_no);
    format_step(node, step, sizeof step);
    node_summary(node, summary, sizeof summary);
    format_score(json_object_get(node, "score"), score, sizeof score);
    char *safe_summary = term_safe(summary, true); /* a model name or plan line from the LLM */
    printf("%-*s %-10s %-4s %-7s %-40s %10s  %s", label_width, label, str(node, "stage"), lane, step,
           safe_summary, score, str(node, "status"));
    free(safe_summary);
    if (json_is_integer(json_object_get(node, "parent2_id")))
        printf("  (+#%lld)", integer(node, "parent2_id"));
    putchar('\n');
}

/* Index of the node with this id in the id-ordered array, or -1. */
static long find_index(json_t *nodes, long long id)
{
    long lo = 0, hi = (long)json_array_size(nodes) - 1;
    while (lo <= hi) {
        long mid = lo + (hi - lo) / 2;
        long long v = integer(json_array_get(nodes, (size_t)mid), "id");
        if (v == id)
            return mid;
        if (v < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

struct tree {
    json_t *nodes;
    long *first_child;
    long *next_sibling;
    int label_width;   /* of the indented "#id" column */
};

static void print_subtree(const struct tree *t, long i, int depth)
{
    for (; i >= 0; i = t->next_sibling[i]) {
        print_node_line(json_array_get(t->nodes, (size_t)i), depth, t->label_width);
        print_subtree(t, t->first_child[i], depth + 1);
    }
}

/* Width of the widest indented "#id", from each node's depth (a parent
 * always has a smaller id, so one pass in id order finds every depth). */
static int label_width(json_t *nodes, const long *parent_index)
{
    size_t n = json_array_size(nodes);
    int *depth = xcalloc(n, sizeof *depth);
    int width = 4;
    for (size_t j = 0; j < n; j++) {
        depth[j] = parent_index[j] >= 0 ? depth[parent_index[j]] + 1 : 0;
        char label[32];
        int len = snprintf(label, sizeof label, "#%lld", integer(json_array_get(nodes, j), "id"));
        if (depth[j] * 2 + len > width)
            width = depth[j] * 2 + len;
    }
    free(depth);
    return width < 60 ? width : 60;
}

static void print_lineage(json_t *nodes)
{
    size_t n = json_array_size(nodes);
    if (!n) {
        printf("\nno nodes yet\n");
        return;
    }
    struct tree t = {nodes, xmalloc(n * sizeof(long)), xmalloc(n * sizeof(long)), 0};
    long *parent_index = xmalloc(n * sizeof(long));
    long first_root = -1;
    for (size_t j = 0; j < n; j++) {
        t.first_child[j] = t.next_sibling[j] = -1;
        json_t *parent = json_object_get(json_array_get(nodes, j), "parent_id");
        long p = json_is_integer(parent) ? find_index(nodes, json_integer_value(parent)) : -1;
        parent_index[j] = p >= 0 && (size_t)p < j ? p : -1; /* else shown as a root */
    }
    /* Prepending in reverse id order leaves every list in id order. */
    for (size_t j = n; j-- > 0;) {
        long p = parent_index[j];
        long *head = p >= 0 ? &t.first_child[p] : &first_root;
        t.next_sibling[j] = *head;
        *head = (long)j;
    }
    t.label_width = label_width(nodes, parent_index);
    printf("\n%-*s %-10s %-4s %-7s %-40s %10s  %s\n", t.label_width, "NODE", "STAGE", "LANE", "STEP",
           "MODEL / PLAN", "SCORE", "STATUS");
    print_subtree(&t, first_root, 0);
    free(parent_index);
    free(t.first_child);
    free(t.next_sibling);
}

/* Debug fixes and regenerations (nodes), then the agent's recovery events. */
static void print_recoveries(struct store *s, json_t *nodes)
{
    struct err err = {{0}};
    json_t *events = store_events_json(s, 0, &err);
    size_t count = 0, i;
    json_t *item;
    json_array_foreach(nodes, i, item) {
        count += !strcmp(str(item, "stage"), "debug") || strstr(str(item, "node_key"), "/regen") != NULL;
    }
    json_array_foreach(events, i, item) {
        count += !strcmp(str(item, "type"), "recovery");
    }
    printf("\nrecoveries (%zu)\n", count);
    json_array_foreach(nodes, i, item) {
        const char *key = str(item, "node_key");
        if (!strcmp(str(item, "stage"), "debug"))
            printf("  %-28s #%lld fixes #%lld (%s): %s\n", "debug fix", integer(item, "id"),
                   integer(item, "parent_id"), key, str(item, "status"));
        else if (strstr(key, "/regen"))
            printf("  %-28s #%lld %s written anew (%s): %s\n", "regenerated", integer(item, "id"),
                   str(item, "stage"), key, str(item, "status"));
    }
    json_array_foreach(events, i, item) {
        if (strcmp(str(item, "type"), "recovery") != 0)
            continue;
        json_t *d = json_object_get(item, "data");
        printf("  %-28s %s: %s\n", str(d, "kind"), str(d, "call_id"), str(d, "detail"));
    }
    json_decref(events);
}

static void print_old_schema_note(const struct store *s)
{
    int version = store_file_schema_version(s);
    if (version < STORE_SCHEMA_VERSION)
        printf("journal  schema v%d, older than this mlestar's v%d: shown as read, file left unchanged "
               "(`mlestar resume %s` upgrades it)\n",
               version, STORE_SCHEMA_VERSION, store_run_dir(s));
}

static int show_run(struct store *s, bool as_json)
{
    struct err err = {{0}};
    json_t *run = store_run_json(s, &err);
    json_t *nodes = run ? store_nodes_json(s, false, &err) : NULL;
    if (!nodes) {
        cli_error("show: %s", err.msg);
        json_decref(run);
        return CLI_FAIL;
    }
    if (as_json) {
        json_t *out = json_pack("{s:O, s:O}", "run", run, "nodes", nodes);
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
    } else {
        print_header(run);
        print_old_schema_note(s);
        print_lineage(nodes);
        print_recoveries(s, nodes);
    }
    json_decref(run);
    json_decref(nodes);
    return CLI_OK;
}

/* ---- one node ----------------------------------------------------------- */

static void print_section(const char *title, const char *text)
{
    if (!text || !*text)
        return;
    printf("\n--- %s ---\n", title);
    term_put(stdout, text, false); /* code and plans written by an LLM */
    if (text[strlen(text) - 1] != '\n')
        putchar('\n');
}

/* Prints the last `lines` lines of text, indented. */
static void print_tail(const char *label, const char *text, int lines)
{
    if (!text || !*text)
        return;
    const char *end = text + strlen(text);
    const char *p = end;
    if (p > text && p[-1] == '\n')
        p--;
    int seen = 0;
    while (p > text && seen < lines) {
        p--;
        if (*p == '\n')
            seen++;
    }
    if (*p == '\n')
        p++;
    printf("    %s%s:\n", label, p > text ? " (end)" : "");
    while (p < end) {
        size_t n = strcspn(p, "\n");
        char *line = term_safe_n(p, n, true);
        printf("      %s\n", line);
        free(line);
        p += n + (p[n] == '\n');
    }
}

static void print_list(const char *label, json_t *items)
{
    if (!json_array_size(items))
        return;
    printf("    %s:", label);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        printf("%s ", i ? "," : "");
        term_put(stdout, json_string_value(item) ? json_string_value(item) : "?", true);
    }
    putchar('\n');
}

static void print_execution(json_t *e)
{
    char wall[32], cpu[32], score[32];
    format_duration(json_number_value(json_object_get(e, "wall_s")), wall, sizeof wall);
    format_duration(json_number_value(json_object_get(e, "cpu_s")), cpu, sizeof cpu);
    format_score(json_object_get(e, "score"), score, sizeof score);
    printf("  #%lld %s exit %lld", integer(e, "id"), str(e, "status"), integer(e, "exit_code"));
    if (integer(e, "signal"))
        printf(" signal %lld", integer(e, "signal"));
    printf(", wall %s, cpu %s, peak memory %.1f MiB, score %s, submission %s%s\n", wall, cpu,
           (double)integer(e, "peak_rss_bytes") / (1024.0 * 1024.0), score,
           json_is_true(json_object_get(e, "has_submission")) ? "yes" : "no",
           json_is_true(json_object_get(e, "output_truncated")) ? ", output truncated" : "");
    printf("    key %s, attempt %s\n", str(e, "exec_key"), str(e, "attempt_dir"));
    if (*str(e, "confinement"))
        printf("    sandbox: %s\n", str(e, "confinement"));
    print_list("files read", json_object_get(e, "files_read"));
    print_list("files blocked", json_object_get(e, "files_blocked"));
    print_tail("stdout", str(e, "stdout_tail"), TAIL_LINES);
    print_tail("stderr", str(e, "stderr_tail"), TAIL_LINES);
}

static void print_llm_call(json_t *c)
{
    char queued[48] = "";
    double queued_s = json_number_value(json_object_get(c, "queued_s")); /* 0 when null (old journals) */
    if (queued_s >= 0.05)
        snprintf(queued, sizeof queued, " (%.1fs queued)", queued_s);
    printf("  #%lld %s %s, %s, %lld+%lld tokens, $%.4f, %.1fs%s, %lld tr%s", integer(c, "id"), str(c, "stage"),
           str(c, "call_id"), *str(c, "model") ? str(c, "model") : "?", integer(c, "input_tokens"),
           integer(c, "output_tokens"), json_number_value(json_object_get(c, "cost_usd")),
           json_number_value(json_object_get(c, "latency_s")), queued, integer(c, "tries"),
           integer(c, "tries") == 1 ? "y" : "ies");
    if (integer(c, "error_code"))
        printf(", error %lld: %s", integer(c, "error_code"), str(c, "error"));
    putchar('\n');
}

static void print_node(json_t *node)
{
    char score[32];
    format_score(json_object_get(node, "score"), score, sizeof score);
    printf("node     #%lld %s\n", integer(node, "id"), str(node, "node_key"));
    printf("stage    %s, lane %lld", str(node, "stage"), integer(node, "lane"));
    if (json_is_integer(json_object_get(node, "outer_step")))
        printf(", t %lld", integer(node, "outer_step"));
    if (json_is_integer(json_object_get(node, "inner_step")))
        printf(", k %lld", integer(node, "inner_step"));
    printf("\nstatus   %s, score %s\n", str(node, "status"), score);
    if (json_is_integer(json_object_get(node, "parent_id")))
        printf("parents  #%lld", integer(node, "parent_id"));
    if (json_is_integer(json_object_get(node, "parent2_id")))
        printf(" #%lld", integer(node, "parent2_id"));
    if (json_is_integer(json_object_get(node, "parent_id")))
        putchar('\n');
    size_t i;
    json_t *item;
    json_t *children = json_object_get(node, "children");
    if (json_array_size(children)) {
        printf("children");
        json_array_foreach(children, i, item) {
            printf(" #%lld", (long long)json_integer_value(item));
        }
        putchar('\n');
    }
    if (*str(node, "model_name")) {
        printf("model    ");
        term_put(stdout, str(node, "model_name"), true);
        putchar('\n');
    }
    if (*str(node, "note")) {
        printf("note     ");
        term_put(stdout, str(node, "note"), true);
        putchar('\n');
    }
    print_section("plan", str(node, "plan"));
    print_section("block before", str(node, "block_before"));
    print_section("block after", str(node, "block_after"));
    print_section("diff", str(node, "diff"));
    print_section("code", str(node, "code"));
    json_t *execs = json_object_get(node, "executions");
    printf("\n--- executions (%zu) ---\n", json_array_size(execs));
    json_array_foreach(execs, i, item) {
        print_execution(item);
    }
    json_t *calls = json_object_get(node, "llm_calls");
    printf("\n--- LLM calls (%zu) ---\n", json_array_size(calls));
    json_array_foreach(calls, i, item) {
        print_llm_call(item);
    }
}

static int show_node(struct store *s, const char *which, bool as_json)
{
    struct err err = {{0}};
    int64_t id;
    json_t *node = NULL;
    if (store_node_find(s, which, &id, &err) == 0)
        node = store_node_json(s, id, &err);
    if (!node) {
        cli_error("show: %s", err.msg);
        return CLI_FAIL;
    }
    if (as_json) {
        json_dumpf(node, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_node(node);
    }
    json_decref(node);
    return CLI_OK;
}

int cmd_show(int argc, char **argv)
{
    bool as_json = false;
    const struct cli_opt opts[] = {
        {"json", 0, NULL, NULL, &as_json, NULL, "print JSON instead of text"},
        {0},
    };
    const struct cli_spec spec = {
        "show", "RUN [NODE] [--json]",
        "Without NODE, prints the run's summary and its lineage: the tree of every\n"
        "solution version (node) with its stage, lane, step, score and status.\n"
        "With NODE (a node id or node key), prints that node's plan, code, the block\n"
        "it replaced, its executions and its LLM calls.",
        opts, 1, 2,
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
    struct err err = {{0}};
    struct store *s;
    int rc;
    if (store_open_readonly(args.positional[0], &s, &err) < 0) {
        cli_error("show: %s", err.msg);
        rc = CLI_FAIL;
    } else {
        rc = args.npositional > 1 ? show_node(s, args.positional[1], as_json) : show_run(s, as_json);
        store_close(s);
    }
    cli_args_free(&args);
    return rc;
}
