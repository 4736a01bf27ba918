/* report_lineage.c - the lineage of solutions and the final code.
 *
 * Nesting follows how a person asks about a run: lane -> stage -> node.
 *   Lane L        retrieved models; Candidates; Merge (the merge table);
 *                 Data-usage check; Refinement: one block per outer step
 *                 with the ablation (its result table parsed from the
 *                 script's "Ablation result: <variant>: <score>" lines, and
 *                 the summary), the chosen block, the table of inner plans
 *                 with their scores, and each plan's node with the diff of
 *                 its block; Other (anything not recognised).
 *   Ensemble      the table of rounds (plan, score) and their nodes.
 *   Submission    the runs on the full data; which one was accepted.
 * Debug attempts and regenerations ("<key>/debug<n>", "<key>/regen<n>")
 * are not shown as nodes of their own: they nest under the node they try
 * to fix, in order, each with the error that made it necessary. A node's
 * outcome is its last attempt's: that is the script the pipeline kept.
 *
 * Every node appears exactly once, with the anchor id "n<id>"; nothing
 * journal-made reaches the page without html_text(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/report_internal.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define ERROR_TAIL 3000      /* bytes of stderr shown for a failed attempt */
#define OUTPUT_TAIL 4000     /* bytes of an ablation's stdout shown when unparsed */
#define LABEL_MAX 120
#define MAX_ABLATION_ROWS 64

struct lineage {
    const struct report *r;
    json_t *attempts;        /* owner key -> [attempt nodes] (borrowed) */
};

/* ---- node helpers ---------------------------------------------------------- */

static json_t *attempts_of(const struct lineage *L, json_t *node)
{
    return json_object_get(L->attempts, rp_str(node, "node_key"));
}

/* The script the pipeline kept from this node's chain: its last attempt. */
static json_t *outcome(const struct lineage *L, json_t *node)
{
    json_t *list = attempts_of(L, node);
    size_t n = json_array_size(list);
    return n ? json_array_get(list, n - 1) : node;
}

static bool is_top_level(const struct lineage *L, json_t *node)
{
    const char *key = rp_str(node, "node_key");
    size_t owner = rp_attempt_owner_len(key);
    if (!owner)
        return true;
    char *owner_key = xstrndup(key, owner);
    bool orphan = !json_object_get(L->r->by_key, owner_key);
    free(owner_key);
    return orphan;
}

static void status_badge(struct buf *b, const char *status)
{
    buf_puts(b, "<span class=\"badge st-");
    html_text(b, status);
    buf_puts(b, "\">");
    html_text(b, *status ? status : "?");
    buf_puts(b, "</span>");
}

static void node_link(struct buf *b, const struct report *r, long long id)
{
    json_t *n = rp_node_by_id(r, id);
    buf_printf(b, "<a href=\"#n%lld\"><code>", id);
    if (n)
        html_text(b, rp_str(n, "node_key"));
    else
        buf_printf(b, "#%lld", id);
    buf_puts(b, "</code></a>");
}

static void node_label(struct buf *b, json_t *node)
{
    const char *text = *rp_str(node, "model_name") ? rp_str(node, "model_name") : rp_str(node, "plan");
    if (*text) {
        buf_puts(b, " <span class=\"what\">");
        html_line(b, text, LABEL_MAX);
        buf_puts(b, "</span>");
    }
}

static void put_offset(struct buf *b, const struct report *r, json_t *node, const char *field)
{
    double t = json_number_value(json_object_get(node, field)) - r->t0;
    char text[32];
    format_duration(t > 0 ? t : 0, text, sizeof text);
    buf_printf(b, "+%s", text);
}

/* The node with its executions in full (tails included); new reference. */
static json_t *node_detail(const struct report *r, json_t *node)
{
    struct err err = {{0}};
    return store_node_json(r->store, rp_int(node, "id", 0), &err);
}

static json_t *last_execution(json_t *detail)
{
    json_t *execs = json_object_get(detail, "executions");
    size_t n = json_array_size(execs);
    return n ? json_array_get(execs, n - 1) : NULL;
}

static void tail_pre(struct buf *b, const char *cls, const char *text, size_t max)
{
    size_t len = strlen(text);
    if (len > max) {
        text += len - max;
        while (((unsigned char)*text & 0xC0) == 0x80)
            text++;
    }
    buf_printf(b, "<pre class=\"%s\">", cls);
    if (len > max)
        buf_puts(b, "\xE2\x80\xA6");
    html_text(b, text);
    buf_puts(b, "</pre>\n");
}

static void node_error(struct buf *b, const struct report *r, json_t *node)
{
    json_t *detail = node_detail(r, node);
    json_t *ex = last_execution(detail);
    if (ex) {
        buf_puts(b, "<h4>Why it failed</h4>\n<p class=\"muted\">");
        html_text(b, rp_str(ex, "status"));
        if (rp_has(ex, "exit_code"))
            buf_printf(b, ", exit code %lld", rp_int(ex, "exit_code", 0));
        if (json_is_true(json_object_get(ex, "timed_out")))
            buf_puts(b, ", timed out");
        if (json_is_true(json_object_get(ex, "oom_killed")))
            buf_puts(b, ", out of memory");
        buf_puts(b, "</p>\n");
        const char *err = rp_str(ex, "stderr_tail");
        if (*err)
            tail_pre(b, "err", err, ERROR_TAIL);
    }
    json_decref(detail);
}

static void node_meta(struct buf *b, const struct report *r, json_t *node)
{
    buf_printf(b, "<p class=\"muted\">#%lld &middot; ", rp_int(node, "id", 0));
    html_text(b, rp_str(node, "stage"));
    if (rp_has(node, "parent_id")) {
        buf_puts(b, " &middot; from ");
        node_link(b, r, rp_int(node, "parent_id", 0));
    }
    if (rp_has(node, "parent2_id")) {
        buf_puts(b, " and ");
        node_link(b, r, rp_int(node, "parent2_id", 0));
    }
    buf_puts(b, " &middot; written ");
    put_offset(b, r, node, "created_at");
    json_t *execs = json_object_get(node, "executions");
    size_t n = json_array_size(execs);
    if (n) {
        json_t *ex = json_array_get(execs, n - 1);
        char took[32];
        format_duration(json_number_value(json_object_get(ex, "wall_s")), took, sizeof took);
        buf_puts(b, " &middot; ran ");
        html_text(b, took);
        buf_puts(b, " (");
        html_text(b, rp_str(ex, "status"));
        long long rss = rp_int(ex, "peak_rss_bytes", 0);
        if (rss > 0)
            buf_printf(b, ", %.0f MiB", (double)rss / (1024.0 * 1024.0));
        buf_puts(b, ")");
        if (n > 1)
            buf_printf(b, ", %zu executions", n);
    } else {
        buf_puts(b, " &middot; not run");
    }
    buf_puts(b, "</p>\n");
}

static void node_block(struct buf *b, const struct lineage *L, json_t *node, bool nested);

static void node_summary(struct buf *b, const struct lineage *L, json_t *node, bool nested)
{
    const struct report *r = L->r;
    json_t *out = nested ? node : outcome(L, node);
    long long id = rp_int(node, "id", 0);
    buf_puts(b, "<summary><span class=\"key\">");
    html_text(b, rp_str(node, "node_key"));
    buf_puts(b, "</span>");
    node_label(b, node);
    buf_puts(b, " <span class=\"score\">");
    rp_score(b, out);
    buf_puts(b, "</span> ");
    status_badge(b, rp_str(out, "status"));
    size_t tries = nested ? 0 : json_array_size(attempts_of(L, node));
    if (tries)
        buf_printf(b, " <span class=\"muted\">after %zu debug attempt%s</span>", tries, tries == 1 ? "" : "s");
    long long out_id = rp_int(out, "id", 0);
    if (r->best_id && (id == r->best_id || out_id == r->best_id))
        buf_puts(b, " <span class=\"badge best\">best</span>");
    if (r->submitted_id && (id == r->submitted_id || out_id == r->submitted_id))
        buf_puts(b, " <span class=\"badge final\">submitted</span>");
    buf_puts(b, "</summary>\n");
}

static void node_block(struct buf *b, const struct lineage *L, json_t *node, bool nested)
{
    const struct report *r = L->r;
    buf_printf(b, "<details class=\"node\" id=\"n%lld\">", rp_int(node, "id", 0));
    node_summary(b, L, node, nested);
    buf_puts(b, "<div class=\"body\">\n");
    node_meta(b, r, node);
    if (*rp_str(node, "note")) {
        buf_puts(b, "<p class=\"note\">");
        html_text(b, rp_str(node, "note"));
        buf_puts(b, "</p>\n");
    }
    if (*rp_str(node, "plan") && !*rp_str(node, "model_name")) {
        buf_puts(b, "<h4>Plan</h4>\n");
        html_pre(b, "plan", rp_str(node, "plan"));
    }
    if (*rp_str(node, "diff")) {
        buf_puts(b, "<h4>Change to the block</h4>\n");
        html_diff(b, rp_str(node, "diff"));
    }
    if (!strcmp(rp_str(node, "status"), "failed"))
        node_error(b, r, node);
    if (*rp_str(node, "diff") && !strcmp(rp_str(node, "stage"), "refine")) {
        /* the diff is the whole change to its parent: the page stays small */
        buf_puts(b, "<p class=\"muted\">The whole script: <code>mlestar show RUN ");
        html_text(b, rp_str(node, "node_key"));
        buf_puts(b, "</code></p>\n");
    } else if (*rp_str(node, "code")) {
        size_t lines = html_count_lines(rp_str(node, "code"));
        buf_printf(b, "<details class=\"code\"><summary>Code (%zu line%s)</summary>\n", lines, lines == 1 ? "" : "s");
        html_pre(b, "code", rp_str(node, "code"));
        buf_puts(b, "</details>\n");
    }
    json_t *list = nested ? NULL : attempts_of(L, node);
    if (json_array_size(list)) {
        buf_puts(b, "<h4>Debug attempts</h4>\n");
        size_t i;
        json_t *a;
        json_array_foreach(list, i, a)
            node_block(b, L, a, true);
    }
    buf_puts(b, "</div></details>\n");
}

/* ---- groups ------------------------------------------------------------------ */

typedef bool (*node_filter)(json_t *node, long lane, const char *arg);

static bool in_stage(json_t *node, long lane, const char *stage)
{
    return rp_int(node, "lane", -1) == lane && !strcmp(rp_str(node, "stage"), stage);
}

/* Top-level nodes passing the filter, in id order (new array, borrowed items). */
static json_t *select_nodes(const struct lineage *L, node_filter keep, long lane, const char *arg)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(L->r->nodes, i, n)
        if (is_top_level(L, n) && keep(n, lane, arg))
            json_array_append(out, n);
    return out;
}

static void group_start(struct buf *b, const char *title, size_t count, bool open)
{
    buf_printf(b, "<details class=\"group\"%s><summary>%s <span class=\"muted\">(%zu)</span></summary>\n",
               open ? " open" : "", title, count);
}

static void nodes_of(struct buf *b, const struct lineage *L, json_t *list)
{
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
        node_block(b, L, n, false);
}

static void candidates_group(struct buf *b, const struct lineage *L, long lane)
{
    json_t *list = select_nodes(L, in_stage, lane, "candidate");
    if (json_array_size(list)) {
        group_start(b, "Candidates", json_array_size(list), false);
        json_t *done = rp_event(L->r, "candidates_done", (int)lane, -2);
        if (done)
            buf_printf(b, "<p class=\"muted\">%lld of %lld candidate scripts work.</p>\n", rp_int(done, "working", 0),
                       rp_int(done, "candidates", 0));
        nodes_of(b, L, list);
        buf_puts(b, "</details>\n");
    }
    json_decref(list);
}

/* True when a later merge event of the lane names the same model (a
 * resumed run replays its events): only the last one is shown. */
static bool merge_repeated_later(const struct report *r, size_t at, long lane, const char *added)
{
    for (size_t j = at + 1; j < json_array_size(r->events); j++) {
        json_t *e = json_array_get(r->events, j);
        json_t *d = json_object_get(e, "data");
        if (!strcmp(rp_str(e, "type"), "merge") && rp_int(d, "lane", -1) == lane && !strcmp(rp_str(d, "added"), added))
            return true;
    }
    return false;
}

static void merge_table(struct buf *b, const struct report *r, long lane)
{
    bool any = false;
    size_t i;
    json_t *e;
    json_array_foreach(r->events, i, e) {
        json_t *d = json_object_get(e, "data");
        if (strcmp(rp_str(e, "type"), "merge") != 0 || rp_int(d, "lane", -1) != lane ||
            merge_repeated_later(r, i, lane, rp_str(d, "added")))
            continue;
        if (!any)
            buf_puts(b, "<table class=\"grid\"><tr><th>merged in</th><th class=\"num\">score</th><th>kept</th></tr>\n");
        any = true;
        buf_puts(b, "<tr><td>");
        html_text(b, rp_str(d, "added"));
        buf_puts(b, "</td><td class=\"num\">");
        rp_score(b, json_object_get(d, "score"));
        buf_printf(b, "</td><td>%s</td></tr>\n", json_is_true(json_object_get(d, "kept")) ? "yes" : "no");
    }
    if (any)
        buf_puts(b, "</table>\n");
}

static void merge_group(struct buf *b, const struct lineage *L, long lane)
{
    json_t *list = select_nodes(L, in_stage, lane, "merge");
    if (json_array_size(list)) {
        group_start(b, "Merge", json_array_size(list), false);
        merge_table(b, L->r, lane);
        nodes_of(b, L, list);
        buf_puts(b, "</details>\n");
    }
    json_decref(list);
}

static void usage_group(struct buf *b, const struct lineage *L, long lane)
{
    json_t *list = select_nodes(L, in_stage, lane, "usage");
    json_t *ev = rp_event(L->r, "usage_check", (int)lane, -2);
    if (json_array_size(list) || ev) {
        group_start(b, "Data-usage check", json_array_size(list), false);
        json_t *unused = json_object_get(ev, "unused_files");
        if (json_array_size(unused)) {
            buf_puts(b, "<p>Files the solution never opened:");
            size_t i;
            json_t *f;
            json_array_foreach(unused, i, f) {
                buf_puts(b, i ? ", <code>" : " <code>");
                html_text(b, json_string_value(f));
                buf_puts(b, "</code>");
            }
            buf_puts(b, "</p>\n");
        } else if (ev) {
            buf_puts(b, "<p>Every provided data file was opened.</p>\n");
        }
        if (ev)
            buf_printf(b, "<p class=\"muted\">%s</p>\n",
                       !json_is_true(json_object_get(ev, "rewritten"))  ? "The solution was left as it was."
                       : json_is_true(json_object_get(ev, "kept")) ? "The rewritten solution was kept."
                                                                    : "The rewritten solution was not kept.");
        nodes_of(b, L, list);
        buf_puts(b, "</details>\n");
    }
    json_decref(list);
}

/* ---- refinement ------------------------------------------------------------- */

struct ablation_row {
    char *name;
    double score;
    bool ok;
};

/* Parses "Ablation result: <name>: <score>" lines. Returns the count. */
static size_t parse_ablation(const char *out, struct ablation_row *rows, size_t max)
{
    static const char tag[] = "Ablation result: ";
    size_t n = 0;
    for (const char *p = out; p && n < max && (p = strstr(p, tag)) != NULL;) {
        p += sizeof tag - 1;
        size_t line = strcspn(p, "\r\n");
        const char *colon = NULL;
        for (size_t i = line; i-- > 0;) /* the last ": " separates the score */
            if (p[i] == ':' && p[i + 1] == ' ') {
                colon = p + i;
                break;
            }
        if (colon) {
            char *end;
            double v = strtod(colon + 2, &end);
            rows[n].name = xstrndup(p, (size_t)(colon - p));
            rows[n].ok = end != colon + 2 && isfinite(v);
            rows[n].score = v;
            n++;
        }
        p += line;
    }
    return n;
}

static bool names_reference(const char *name)
{
    static const char *const words[] = {"full", "baseline", "original", "base"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasestr(name, words[i]))
            return true;
    return false;
}

static void ablation_table(struct buf *b, const struct report *r, const char *output)
{
    struct ablation_row rows[MAX_ABLATION_ROWS];
    size_t n = parse_ablation(output, rows, MAX_ABLATION_ROWS);
    if (!n) {
        if (*output) {
            buf_puts(b, "<p class=\"muted\">The output has no <code>Ablation result:</code> lines; its end:</p>\n");
            tail_pre(b, "text", output, OUTPUT_TAIL);
        }
        return;
    }
    const struct ablation_row *ref = NULL;
    for (size_t i = 0; i < n && !ref; i++)
        if (rows[i].ok && names_reference(rows[i].name))
            ref = &rows[i];
    buf_puts(b, "<table class=\"grid ablation\"><tr><th>variant</th><th class=\"num\">score</th>");
    if (ref)
        buf_puts(b, "<th class=\"num\">change</th><th>effect of the change</th>");
    buf_puts(b, "</tr>\n");
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, "<tr><td>");
        html_text(b, rows[i].name);
        buf_puts(b, "</td><td class=\"num\">");
        if (rows[i].ok)
            buf_printf(b, "%.6g", rows[i].score);
        else
            buf_puts(b, "failed");
        buf_puts(b, "</td>");
        if (ref) {
            if (rows[i].ok && &rows[i] != ref) {
                double d = rows[i].score - ref->score;
                bool worse = r->direction_known && r->lower_is_better ? d > 0 : d < 0;
                const char *effect = d == 0 ? "none" : worse ? "worse" : "better";
                buf_printf(b, "<td class=\"num\">%+.6g</td><td>%s</td>", d, effect);
            } else {
                buf_puts(b, "<td></td><td></td>");
            }
        }
        buf_puts(b, "</tr>\n");
        free(rows[i].name);
    }
    buf_puts(b, "</table>\n");
}

static void ablation_part(struct buf *b, const struct lineage *L, json_t *ablation, json_t *extracted)
{
    buf_puts(b, "<h4>Ablation</h4>\n");
    if (ablation) {
        json_t *detail = node_detail(L->r, outcome(L, ablation));
        json_t *ex = last_execution(detail);
        ablation_table(b, L->r, ex ? rp_str(ex, "stdout_tail") : "");
        json_decref(detail);
    }
    if (extracted && *rp_str(extracted, "summary")) {
        buf_puts(b, "<p class=\"muted\">Summary of the ablation:</p>\n");
        html_pre(b, "text", rp_str(extracted, "summary"));
    }
    if (ablation)
        node_block(b, L, ablation, false);
    else
        buf_puts(b, "<p class=\"muted\">No ablation script was run.</p>\n");
}

static void plans_table(struct buf *b, const struct lineage *L, json_t *plans)
{
    buf_puts(b, "<table class=\"grid plans\"><tr><th>k</th><th>plan</th><th class=\"num\">score</th><th>status</th>"
                "</tr>\n");
    size_t i;
    json_t *n;
    json_array_foreach(plans, i, n) {
        json_t *out = outcome(L, n);
        buf_printf(b, "<tr><td><a href=\"#n%lld\">k%lld</a></td><td>", rp_int(n, "id", 0),
                   rp_int(n, "inner_step", 0) + 1);
        html_line(b, rp_str(n, "plan"), LABEL_MAX);
        buf_puts(b, "</td><td class=\"num\">");
        rp_score(b, out);
        buf_puts(b, "</td><td>");
        status_badge(b, rp_str(out, "status"));
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n");
}

static bool refine_of_step(json_t *node, long lane, const char *step)
{
    return rp_int(node, "lane", -1) == lane && !strcmp(rp_str(node, "stage"), "refine") &&
           rp_int(node, "outer_step", -1) == atol(step);
}

static bool ablation_of_step(json_t *node, long lane, const char *step)
{
    return rp_int(node, "lane", -1) == lane && !strcmp(rp_str(node, "stage"), "ablation") &&
           rp_int(node, "outer_step", -1) == atol(step);
}

static void step_summary(struct buf *b, const struct lineage *L, int t, const char *block, json_t *plans,
                         json_t *refined)
{
    buf_printf(b, "<summary>Outer step t%d", t + 1);
    /* a block of the builtin planner starts with its compose record (JSON);
     * the snippet's own comment on the next line says more to a reader */
    if (!strncmp(block, "# [compose] ", 12) && strchr(block, '\n'))
        block = strchr(block, '\n') + 1;
    if (*block) {
        buf_puts(b, ": <code>");
        html_line(b, block, 70);
        buf_puts(b, "</code>");
    }
    bool lower = L->r->direction_known && L->r->lower_is_better;
    bool has = false;
    double best = 0;
    size_t i;
    json_t *n;
    json_array_foreach(plans, i, n) {
        json_t *s = json_object_get(outcome(L, n), "score");
        if (json_is_number(s) && (!has || (lower ? json_number_value(s) < best : json_number_value(s) > best))) {
            best = json_number_value(s);
            has = true;
        }
    }
    if (has)
        buf_printf(b, " &middot; best plan <span class=\"score\">%.6g</span>", best);
    if (refined && json_is_true(json_object_get(refined, "improved")))
        buf_puts(b, " <span class=\"badge st-ok\">improved</span>");
    else if (refined)
        buf_puts(b, " <span class=\"badge\">no improvement</span>");
    buf_puts(b, "</summary>\n");
}

static void step_block(struct buf *b, const struct lineage *L, long lane, int t)
{
    char step[16];
    snprintf(step, sizeof step, "%d", t);
    json_t *abl = select_nodes(L, ablation_of_step, lane, step);
    json_t *plans = select_nodes(L, refine_of_step, lane, step);
    json_t *extracted = rp_event(L->r, "extracted", (int)lane, t);
    json_t *refined = rp_event(L->r, "refined", (int)lane, t);
    const char *block = extracted ? rp_str(extracted, "block") : "";
    if (!*block && json_array_size(plans))
        block = rp_str(json_array_get(plans, 0), "block_before");
    buf_printf(b, "<details class=\"step\" open id=\"lane%ld-t%d\">", lane, t + 1);
    step_summary(b, L, t, block, plans, refined);
    buf_puts(b, "<div class=\"body\">\n");
    ablation_part(b, L, json_array_get(abl, 0), extracted);
    for (size_t i = 1; i < json_array_size(abl); i++)
        node_block(b, L, json_array_get(abl, i), false);
    if (*block) {
        buf_puts(b, "<h4>Chosen block</h4>\n");
        html_pre(b, "code", block);
    }
    if (json_array_size(plans)) {
        buf_puts(b, "<h4>Inner plans</h4>\n");
        plans_table(b, L, plans);
        nodes_of(b, L, plans);
    } else {
        buf_puts(b, "<p class=\"muted\">No plan was tried in this step.</p>\n");
    }
    buf_puts(b, "</div></details>\n");
    json_decref(abl);
    json_decref(plans);
}

static void refinement_group(struct buf *b, const struct lineage *L, long lane)
{
    long long max_t = -1;
    size_t i, count = 0;
    json_t *n;
    json_array_foreach(L->r->nodes, i, n) {
        const char *stage = rp_str(n, "stage");
        if (rp_int(n, "lane", -1) != lane || (strcmp(stage, "refine") && strcmp(stage, "ablation")))
            continue;
        count += is_top_level(L, n);
        if (rp_int(n, "outer_step", -1) > max_t)
            max_t = rp_int(n, "outer_step", -1);
    }
    json_t *e;
    json_array_foreach(L->r->events, i, e) {
        json_t *d = json_object_get(e, "data");
        if (!strcmp(rp_str(e, "type"), "extracted") && rp_int(d, "lane", -1) == lane &&
            rp_int(d, "outer_step", -1) > max_t)
            max_t = rp_int(d, "outer_step", -1);
    }
    if (max_t < 0)
        return;
    group_start(b, "Refinement", count, true);
    for (int t = 0; t <= max_t; t++)
        step_block(b, L, lane, t);
    buf_puts(b, "</details>\n");
}

/* ---- lanes, ensemble, submission ------------------------------------------------ */

static bool known_lane_stage(const char *stage)
{
    static const char *const known[] = {"candidate", "merge", "usage", "ablation", "refine"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(stage, known[i]))
            return true;
    return false;
}

static bool other_in_lane(json_t *node, long lane, const char *unused)
{
    (void)unused;
    return rp_int(node, "lane", -1) == lane && !known_lane_stage(rp_str(node, "stage"));
}

static void lane_summary(struct buf *b, const struct lineage *L, long lane)
{
    const struct report *r = L->r;
    bool lower = r->direction_known && r->lower_is_better;
    bool has = false;
    double best = 0;
    size_t i, count = 0;
    json_t *n;
    json_array_foreach(r->nodes, i, n) {
        if (rp_int(n, "lane", -1) != lane)
            continue;
        count++;
        json_t *s = json_object_get(n, "score");
        if (!rp_is_ablation(n) && json_is_number(s) &&
            (!has || (lower ? json_number_value(s) < best : json_number_value(s) > best))) {
            best = json_number_value(s);
            has = true;
        }
    }
    buf_printf(b, "<summary>Lane %ld", lane);
    if (has)
        buf_printf(b, " &middot; best <span class=\"score\">%.6g</span>", best);
    buf_printf(b, " <span class=\"muted\">&middot; %zu scripts</span>", count);
    json_t *fin = rp_event(r, "lane_finished", (int)lane, -2);
    if (fin && !json_is_true(json_object_get(fin, "ok")))
        buf_puts(b, " <span class=\"badge st-failed\">no working solution</span>");
    else if (!fin)
        buf_puts(b, " <span class=\"badge st-running\">in progress</span>");
    buf_puts(b, "</summary>\n");
}

static void lane_block(struct buf *b, const struct lineage *L, long lane)
{
    buf_printf(b, "<details class=\"lane\" open id=\"lane%ld\">", lane);
    lane_summary(b, L, lane);
    json_t *ret = rp_event(L->r, "retrieved", (int)lane, -2);
    if (ret) {
        buf_puts(b, "<p>Models retrieved:");
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(ret, "models"), i, m) {
            buf_puts(b, i ? ", " : " ");
            html_text(b, json_string_value(m));
        }
        if (!json_array_size(json_object_get(ret, "models")))
            buf_puts(b, " none");
        buf_puts(b, "</p>\n");
    }
    candidates_group(b, L, lane);
    merge_group(b, L, lane);
    usage_group(b, L, lane);
    refinement_group(b, L, lane);
    json_t *other = select_nodes(L, other_in_lane, lane, NULL);
    if (json_array_size(other)) {
        group_start(b, "Other", json_array_size(other), false);
        nodes_of(b, L, other);
        buf_puts(b, "</details>\n");
    }
    json_decref(other);
    buf_puts(b, "</details>\n");
}

static bool with_prefix(json_t *node, long lane, const char *prefix)
{
    (void)lane;
    return !strncmp(rp_str(node, "node_key"), prefix, strlen(prefix));
}

static bool other_unlaned(json_t *node, long lane, const char *unused)
{
    (void)lane;
    (void)unused;
    const char *key = rp_str(node, "node_key");
    return rp_int(node, "lane", -1) < 0 && strncmp(key, "ensemble/", 9) != 0 && strncmp(key, "final/", 6) != 0;
}

static void ensemble_block(struct buf *b, const struct lineage *L)
{
    json_t *rounds = select_nodes(L, with_prefix, -1, "ensemble/");
    json_t *done = rp_event(L->r, "ensemble_done", -2, -2);
    if (json_array_size(rounds) || done) {
        buf_puts(b, "<details class=\"lane\" open id=\"ensemble\"><summary>Ensemble");
        if (done && json_is_number(json_object_get(done, "best")))
            buf_printf(b, " &middot; best <span class=\"score\">%.6g</span>",
                       json_number_value(json_object_get(done, "best")));
        buf_printf(b, " <span class=\"muted\">&middot; %zu round%s</span></summary>\n", json_array_size(rounds),
                   json_array_size(rounds) == 1 ? "" : "s");
        if (json_array_size(rounds)) {
            buf_puts(b, "<table class=\"grid plans\"><tr><th>round</th><th>plan</th><th class=\"num\">score</th>"
                        "<th>status</th></tr>\n");
            size_t i;
            json_t *n;
            json_array_foreach(rounds, i, n) {
                json_t *out = outcome(L, n);
                buf_printf(b, "<tr><td><a href=\"#n%lld\">r%zu</a></td><td>", rp_int(n, "id", 0), i);
                html_line(b, rp_str(n, "plan"), LABEL_MAX);
                buf_puts(b, "</td><td class=\"num\">");
                rp_score(b, out);
                buf_puts(b, "</td><td>");
                status_badge(b, rp_str(out, "status"));
                buf_puts(b, "</td></tr>\n");
            }
            buf_puts(b, "</table>\n");
        } else {
            buf_puts(b, "<p class=\"muted\">No ensemble was tried (it needs at least two working lanes).</p>\n");
        }
        nodes_of(b, L, rounds);
        buf_puts(b, "</details>\n");
    }
    json_decref(rounds);
}

static void submission_block(struct buf *b, const struct lineage *L)
{
    json_t *runs = select_nodes(L, with_prefix, -1, "final/");
    if (json_array_size(runs)) {
        buf_puts(b, "<details class=\"lane\" open id=\"submission\"><summary>Submission");
        buf_puts(b, L->r->submitted_id ? " <span class=\"badge st-ok\">valid</span>"
                                       : " <span class=\"badge st-failed\">none accepted</span>");
        buf_puts(b, "</summary>\n<p class=\"muted\">The best solutions, best first, rewritten to train on all the "
                    "data and predict the test set; the first whose submission is valid is kept.</p>\n");
        nodes_of(b, L, runs);
        buf_puts(b, "</details>\n");
    }
    json_decref(runs);
    json_t *other = select_nodes(L, other_unlaned, -1, NULL);
    if (json_array_size(other)) {
        buf_puts(b, "<details class=\"lane\" id=\"other\"><summary>Other</summary>\n");
        nodes_of(b, L, other);
        buf_puts(b, "</details>\n");
    }
    json_decref(other);
}

static json_t *index_attempts(const struct report *r)
{
    json_t *map = json_object();
    size_t i;
    json_t *n;
    json_array_foreach(r->nodes, i, n) {
        const char *key = rp_str(n, "node_key");
        size_t owner = rp_attempt_owner_len(key);
        if (!owner)
            continue;
        char *owner_key = xstrndup(key, owner);
        if (json_object_get(r->by_key, owner_key)) {
            json_t *list = json_object_get(map, owner_key);
            if (!list) {
                list = json_array();
                json_object_set_new(map, owner_key, list);
            }
            json_array_append(list, n);
        }
        free(owner_key);
    }
    return map;
}

void report_lineage(struct buf *b, const struct report *r)
{
    struct lineage L = {r, index_attempts(r)};
    buf_puts(b, "<section id=\"lineage\">\n<h2>Lineage of solutions</h2>\n");
    if (!json_array_size(r->nodes))
        buf_puts(b, "<p class=\"muted\">No script has been written yet.</p>\n");
    long long max_lane = -1;
    size_t i;
    json_t *n;
    json_array_foreach(r->nodes, i, n)
        if (rp_int(n, "lane", -1) > max_lane)
            max_lane = rp_int(n, "lane", -1);
    json_array_foreach(r->events, i, n)
        if (!strcmp(rp_str(n, "type"), "lane_started") && rp_int(json_object_get(n, "data"), "lane", -1) > max_lane)
            max_lane = rp_int(json_object_get(n, "data"), "lane", -1);
    for (long lane = 0; lane <= max_lane && lane < 1024; lane++)
        lane_block(b, &L, lane);
    ensemble_block(b, &L);
    submission_block(b, &L);
    buf_puts(b, "</section>\n");
    json_decref(L.attempts);
}

void report_final_code(struct buf *b, const struct report *r)
{
    buf_puts(b, "<section id=\"final\">\n<h2>Final solution</h2>\n");
    long long id = r->submitted_id ? r->submitted_id : r->best_id;
    json_t *node = rp_node_by_id(r, id);
    if (!node || !*rp_str(node, "code")) {
        buf_puts(b, "<p class=\"muted\">There is no solution yet.</p>\n</section>\n");
        return;
    }
    buf_puts(b, r->submitted_id ? "<p><code>final/solution.py</code>, the script that wrote the submission ("
                                : "<p>No submission yet; the best solution so far (");
    node_link(b, r, id);
    buf_puts(b, ", validation score <span class=\"score\">");
    rp_score(b, node);
    buf_puts(b, "</span>):</p>\n");
    html_pre(b, "code final-code", rp_str(node, "code"));
    buf_puts(b, "</section>\n");
}
