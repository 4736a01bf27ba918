/* report.c - the page: loading the journal, the summary, the skeleton.
 *
 * report_render() reads the journal once (the run row with its totals,
 * every node with its code, every event) into a struct report, then writes
 * the page top to bottom: the summary here, the plot (report_plot.c), the
 * lineage and the final code (report_lineage.c). The sections look things
 * up through the indexes built here (node by id, node by key, last event of
 * a type for a lane and step). Nothing is cached between calls: a page made
 * while the run goes on shows the journal as it was at that moment.
 *
 * The page is static HTML with inline CSS and inline SVG; it loads nothing
 * (the favicon is an empty data: URL so that a browser does not ask for
 * one). report_write() renders to memory and replaces RUN/report.html
 * atomically, so a reader never sees half a page. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/report_internal.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* ---- shared readers ------------------------------------------------------ */

const char *rp_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

long long rp_int(json_t *obj, const char *key, long long dflt)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return dflt;
}

bool rp_has(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v);
}

json_t *rp_node_by_id(const struct report *r, long long id)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", id);
    return json_object_get(r->by_id, key);
}

json_t *rp_event(const struct report *r, const char *type, int lane, int outer_step)
{
    for (size_t i = json_array_size(r->events); i-- > 0;) {
        json_t *e = json_array_get(r->events, i);
        if (strcmp(rp_str(e, "type"), type) != 0)
            continue;
        json_t *d = json_object_get(e, "data");
        if (lane != -2 && rp_int(d, "lane", -1) != lane)
            continue;
        if (outer_step != -2 && rp_int(d, "outer_step", -1) != outer_step)
            continue;
        return d;
    }
    return NULL;
}

/* True when the component at p ("debug3", "regen1") names an attempt. */
static bool attempt_component(const char *p)
{
    size_t n = !strncmp(p, "debug", 5) || !strncmp(p, "regen", 5) ? 5 : 0;
    if (!n || p[n] < '0' || p[n] > '9')
        return false;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return p[n] == '\0' || p[n] == '/';
}

size_t rp_attempt_owner_len(const char *key)
{
    for (const char *p = strchr(key, '/'); p; p = strchr(p + 1, '/'))
        if (attempt_component(p + 1))
            return (size_t)(p - key);
    return 0;
}

bool rp_is_ablation(json_t *node)
{
    return !strcmp(rp_str(node, "stage"), "ablation") || strstr(rp_str(node, "node_key"), "/ablation") != NULL;
}

void rp_score(struct buf *b, json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "score");
    if (json_is_number(v))
        buf_printf(b, "%.6g", json_number_value(v));
    else
        buf_puts(b, "-");
}

/* ---- loading ------------------------------------------------------------- */

static void settle_metric(struct report *r)
{
    json_t *m = rp_event(r, "metric", -2, -2);
    json_t *task = json_object_get(json_object_get(r->run, "settings"), "task");
    if (m && *rp_str(m, "metric")) {
        snprintf(r->metric, sizeof r->metric, "%s", rp_str(m, "metric"));
        r->lower_is_better = json_is_true(json_object_get(m, "lower_is_better"));
        r->direction_known = json_is_boolean(json_object_get(m, "lower_is_better"));
    } else {
        snprintf(r->metric, sizeof r->metric, "%s", rp_str(task, "metric"));
    }
    if (!r->direction_known && *rp_str(task, "direction")) {
        r->lower_is_better = !strcmp(rp_str(task, "direction"), "lower");
        r->direction_known = true;
    }
}

static int load(struct report *r, const char *run_dir, struct err *err)
{
    memset(r, 0, sizeof *r);
    if (store_open_readonly(run_dir, &r->store, err) < 0)
        return -1;
    r->run = store_run_json(r->store, err);
    r->nodes = r->run ? store_nodes_json(r->store, true, err) : NULL;
    r->events = r->nodes ? store_events_json(r->store, 0, err) : NULL;
    if (!r->events)
        return -1;
    r->by_key = json_object();
    r->by_id = json_object();
    size_t i;
    json_t *n;
    json_array_foreach(r->nodes, i, n) {
        char id[32];
        snprintf(id, sizeof id, "%lld", rp_int(n, "id", 0));
        json_object_set(r->by_id, id, n);
        json_object_set(r->by_key, rp_str(n, "node_key"), n);
    }
    r->t0 = json_number_value(json_object_get(r->run, "started_at"));
    r->t_end = r->t0 + json_number_value(json_object_get(r->run, "wall_s"));
    r->best_id = rp_int(r->run, "best_node_id", 0);
    json_t *sub = rp_event(r, "submitted", -2, -2);
    r->submitted_id = sub ? rp_int(sub, "node", 0) : 0;
    settle_metric(r);
    return 0;
}

static void unload(struct report *r)
{
    json_decref(r->run);
    json_decref(r->nodes);
    json_decref(r->events);
    json_decref(r->by_key);
    json_decref(r->by_id);
    store_close(r->store);
}

/* ---- the summary --------------------------------------------------------- */

static void row_start(struct buf *b, const char *name)
{
    buf_printf(b, "<tr><th>%s</th><td>", name);
}

static void put_time(struct buf *b, double epoch)
{
    char iso[32];
    time_iso8601(epoch, iso, sizeof iso);
    html_text(b, iso);
}

static void put_duration(struct buf *b, double seconds)
{
    char text[32];
    format_duration(seconds, text, sizeof text);
    html_text(b, text);
}

static void summary_status(struct buf *b, const struct report *r)
{
    const char *status = rp_str(r->run, "status");
    row_start(b, "status");
    buf_puts(b, "<span class=\"badge st-");
    html_text(b, status);
    buf_puts(b, "\">");
    html_text(b, status);
    buf_puts(b, "</span>");
    if (*rp_str(r->run, "message")) {
        buf_puts(b, " ");
        html_text(b, rp_str(r->run, "message"));
    }
    buf_puts(b, "</td></tr>\n");
}

static void summary_scores(struct buf *b, const struct report *r)
{
    row_start(b, "metric");
    if (*r->metric) {
        buf_puts(b, "<b>");
        html_text(b, r->metric);
        buf_puts(b, "</b>");
    } else {
        buf_puts(b, "not known yet");
    }
    if (r->direction_known)
        buf_puts(b, r->lower_is_better ? " (lower is better)" : " (higher is better)");
    buf_puts(b, "</td></tr>\n");

    row_start(b, "best validation score");
    json_t *best = rp_node_by_id(r, r->best_id);
    if (rp_has(r->run, "best_score")) {
        buf_puts(b, "<span class=\"score big\">");
        rp_score(b, json_object_get(r->run, "best_score"));
        buf_puts(b, "</span>");
        if (best) {
            buf_printf(b, " from <a href=\"#n%lld\"><code>", r->best_id);
            html_text(b, rp_str(best, "node_key"));
            buf_puts(b, "</code></a>");
        }
    } else {
        buf_puts(b, "none yet");
    }
    buf_puts(b, "</td></tr>\n");

    row_start(b, "submission");
    json_t *sub = rp_event(r, "submitted", -2, -2);
    json_t *sub_node = rp_node_by_id(r, r->submitted_id);
    if (sub) {
        buf_puts(b, "<span class=\"badge st-ok\">valid</span> final/submission.csv");
        if (sub_node) {
            buf_printf(b, ", written by <a href=\"#n%lld\"><code>", r->submitted_id);
            html_text(b, rp_str(sub_node, "node_key"));
            buf_puts(b, "</code></a>");
        }
        if (json_is_number(json_object_get(sub, "score"))) {
            buf_puts(b, " (validation score ");
            rp_score(b, json_object_get(sub, "score"));
            buf_puts(b, ")");
        }
        if (!strcmp(rp_str(sub, "source"), "fallback")) {
            buf_puts(b, "; <b>the fallback</b>: that search script's own test predictions, because ");
            html_text(b, rp_str(sub, "why"));
        } else if (!strcmp(rp_str(sub, "source"), "full-data")) {
            buf_puts(b, "; the full-data final step");
        }
        if (json_is_true(json_object_get(sub, "prior_only")))
            buf_puts(b, "; <span class=\"badge st-failed\">prior only</span> nothing in the inputs was usable: "
                        "it predicts the training labels' class frequencies or mean for every row");
    } else if (!strcmp(rp_str(r->run, "status"), "running")) {
        buf_puts(b, "not yet (the run is still going)");
    } else {
        buf_puts(b, "<span class=\"badge st-failed\">none</span> no valid submission was written");
    }
    buf_puts(b, "</td></tr>\n");
}

static void summary_time(struct buf *b, const struct report *r)
{
    json_t *totals = json_object_get(r->run, "totals");
    row_start(b, "wall time");
    put_duration(b, json_number_value(json_object_get(r->run, "wall_s")));
    buf_puts(b, " <span class=\"muted\">(started ");
    put_time(b, r->t0);
    if (rp_has(r->run, "ended_at")) {
        buf_puts(b, ", ended ");
        put_time(b, json_number_value(json_object_get(r->run, "ended_at")));
    }
    long long resumes = rp_int(r->run, "resumes", 0);
    if (resumes > 0)
        buf_printf(b, ", resumed %lld time%s", resumes, resumes == 1 ? "" : "s");
    buf_puts(b, ")</span></td></tr>\n");
    row_start(b, "script time");
    put_duration(b, json_number_value(json_object_get(totals, "exec_wall_s")));
    buf_printf(b, " <span class=\"muted\">over %lld executions of %lld scripts</span></td></tr>\n",
               rp_int(totals, "executions", 0), rp_int(totals, "nodes", 0));
}

static void summary_settings(struct buf *b, const struct report *r)
{
    json_t *settings = json_object_get(r->run, "settings");
    json_t *pipe = json_object_get(settings, "pipeline");
    json_t *llm = json_object_get(settings, "llm");
    row_start(b, "settings");
    buf_printf(b, "M=%lld models, T=%lld outer steps, K=%lld inner steps, L=%lld lanes, R=%lld ensemble rounds",
               rp_int(pipe, "models", 0), rp_int(pipe, "outer_steps", 0), rp_int(pipe, "inner_steps", 0),
               rp_int(pipe, "lanes", 0), rp_int(pipe, "ensemble_rounds", 0));
    buf_puts(b, "; LLM ");
    html_text(b, *rp_str(llm, "provider") ? rp_str(llm, "provider") : "?");
    if (*rp_str(llm, "model")) {
        buf_puts(b, " ");
        html_text(b, rp_str(llm, "model"));
    }
    buf_puts(b, "</td></tr>\n");
}

static void llm_row(struct buf *b, const char *name, json_t *t, bool total)
{
    buf_printf(b, "<tr%s><td>", total ? " class=\"total\"" : "");
    html_text(b, name);
    buf_printf(b, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
                  "<td class=\"num\">%lld</td><td class=\"num\">$%.4f</td><td class=\"num\">",
               rp_int(t, "calls", 0), rp_int(t, "failed_calls", 0), rp_int(t, "input_tokens", 0),
               rp_int(t, "output_tokens", 0), json_number_value(json_object_get(t, "cost_usd")));
    put_duration(b, json_number_value(json_object_get(t, "latency_s")));
    double queued = json_number_value(json_object_get(t, "queued_s"));
    if (queued >= 0.05) { /* waiting for a free slot (llm.max_inflight), part of the latency */
        buf_puts(b, " <span class=\"muted\">(");
        put_duration(b, queued);
        buf_puts(b, " queued)</span>");
    }
    buf_puts(b, "</td></tr>\n");
}

static void summary_llm(struct buf *b, const struct report *r)
{
    json_t *llm = json_object_get(json_object_get(r->run, "totals"), "llm");
    buf_puts(b, "<div><h3>LLM use per stage</h3>\n<table class=\"grid\" id=\"llm\"><tr><th>stage</th><th class=\"num\">"
                "calls</th><th class=\"num\">failed</th><th class=\"num\">input tokens</th><th class=\"num\">output "
                "tokens</th><th class=\"num\">cost</th><th class=\"num\">latency</th></tr>\n");
    const char *stage;
    json_t *t;
    json_object_foreach(json_object_get(llm, "stages"), stage, t)
        llm_row(b, *stage ? stage : "(none)", t, false);
    llm_row(b, "all stages", llm, true);
    buf_puts(b, "</table></div>\n");
}

static void summary(struct buf *b, const struct report *r)
{
    buf_puts(b, "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cols\">\n<table class=\"kv\">\n");
    row_start(b, "task");
    html_text(b, rp_str(r->run, "task"));
    if (*rp_str(r->run, "task_dir")) {
        buf_puts(b, " <span class=\"muted\">");
        html_text(b, rp_str(r->run, "task_dir"));
        buf_puts(b, "</span>");
    }
    buf_puts(b, "</td></tr>\n");
    summary_status(b, r);
    summary_scores(b, r);
    summary_time(b, r);
    summary_settings(b, r);
    buf_puts(b, "</table>\n");
    summary_llm(b, r);
    buf_puts(b, "</div>\n</section>\n");
}

/* ---- the page ------------------------------------------------------------ */

static const char page_css[] =
    ":root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;"
    "--warn:#9a6700;--accent:#0969da}\n"
    "*{box-sizing:border-box}\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:#fff;"
    "max-width:1120px;margin:0 auto;padding:12px 24px 40px}\n"
    "h1{font-size:22px;margin:10px 0 2px}h2{font-size:17px;border-bottom:1px solid var(--line);"
    "padding-bottom:4px;margin:26px 0 10px}h3{font-size:14px;margin:16px 0 6px}h4{font-size:13px;margin:10px 0 4px}\n"
    "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
    "code,.key{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}\n"
    "table{border-collapse:collapse}td,th{padding:2px 14px 2px 0;text-align:left;vertical-align:top}\n"
    "table.kv th{color:var(--muted);font-weight:500;white-space:nowrap}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:10px 32px;align-items:flex-start}.cols h3{margin-top:0}"
    "table.kv{flex:1 1 460px}.cols>div{flex:0 0 auto}#llm{font-size:12.5px}\n"
    "#llm td,#llm th{padding:2px 7px}\n"
    "table.grid{margin:4px 0 8px}table.grid td,table.grid th{border-bottom:1px solid var(--line);padding:3px 10px}\n"
    "table.grid th{background:var(--soft);font-weight:600}tr.total td{font-weight:600}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:4px 0 8px;"
    "overflow:auto;max-height:34em;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\n"
    "pre.text,pre.plan{white-space:pre-wrap;max-height:20em}pre.err{background:#fff5f5;border-color:#f5c2c7}\n"
    ".diff .add{background:#dafbe1;color:#116329}.diff .del{background:#ffebe9;color:#82071e}"
    ".diff .hunk{color:#8250df}.diff .meta{color:var(--muted)}\n"
    "details{margin:3px 0}summary{cursor:pointer;padding:2px 4px;border-radius:4px}"
    "summary:hover{background:var(--soft)}\n"
    "details.lane{border:1px solid var(--line);border-radius:8px;padding:6px 10px;margin:10px 0}\n"
    "details.lane>summary{font-weight:600;font-size:15px}details.group>summary{font-weight:600}\n"
    "details.group,details.step,details.node{margin-left:16px}\n"
    ".body{margin:2px 0 8px 22px;padding:2px 0 4px 12px;border-left:2px solid var(--line)}\n"
    ".badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:11.5px;line-height:18px;"
    "border:1px solid var(--line);color:var(--muted);background:#fff}\n"
    ".st-ok,.st-finished{color:var(--ok);border-color:#8fd19e}"
    ".st-failed,.st-rejected,.st-interrupted{color:var(--bad);border-color:#f5a3ab}"
    ".st-running,.st-pending,.st-budget{color:var(--warn);border-color:#e7c66b}\n"
    ".badge.best{background:#fff8c5;color:#7d4e00;border-color:#e7c66b}"
    ".badge.final{background:#ddf4ff;color:#0550ae;border-color:#80ccff}\n"
    ".score{font-variant-numeric:tabular-nums;font-weight:600}.score.big{font-size:16px}\n"
    ".muted{color:var(--muted)}.what{color:var(--fg)}.note{color:var(--warn)}\n"
    ".banner{background:#fff8c5;border:1px solid #e7c66b;border-radius:6px;padding:6px 10px;margin:8px 0}\n"
    "#plot svg{width:100%;height:auto;border:1px solid var(--line);border-radius:8px;background:#fff}\n"
    "svg text{font:11px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#57606a}\n"
    "footer{margin-top:30px;color:var(--muted);font-size:12px}\n";

static void page_head(struct buf *b, const struct report *r)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<link rel=\"icon\" href=\"data:,\">\n<title>mlestar: ");
    html_text(b, rp_str(r->run, "task"));
    buf_puts(b, "</title>\n<style>\n");
    buf_puts(b, page_css);
    buf_puts(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
    html_text(b, rp_str(r->run, "task"));
    buf_puts(b, " <span class=\"muted\">&middot; mlestar run</span></h1>\n");
    if (!strcmp(rp_str(r->run, "status"), "running")) {
        buf_puts(b, "<p class=\"banner\">This run is still going: this page shows the journal as of ");
        put_time(b, r->t_end);
        buf_puts(b, ". Run <code>mlestar report</code> again for a newer one; it is written again when the run "
                    "ends.</p>\n");
    }
    buf_puts(b, "</header>\n");
}

static void page_plot(struct buf *b, const struct report *r)
{
    buf_puts(b, "<section id=\"plot\">\n<h2>Score over time</h2>\n");
    report_plot(b, r);
    buf_puts(b, "</section>\n");
}

static void page_foot(struct buf *b, const struct report *r)
{
    buf_puts(b, "<footer>Written by mlestar at ");
    put_time(b, time_wall());
    buf_puts(b, " from the run journal ");
    html_text(b, store_db_path(r->store));
    buf_puts(b, ".</footer>\n</body>\n</html>\n");
}

int report_render(const char *run_dir, struct buf *out, struct err *err)
{
    struct report r;
    if (load(&r, run_dir, err) < 0) {
        unload(&r);
        return -1;
    }
    page_head(out, &r);
    summary(out, &r);
    page_plot(out, &r);
    report_lineage(out, &r);
    report_final_code(out, &r);
    page_foot(out, &r);
    unload(&r);
    return 0;
}

int report_write_file(const char *run_dir, const char *out_path, struct err *err)
{
    struct buf page = {0};
    if (report_render(run_dir, &page, err) < 0) {
        buf_free(&page);
        return -1;
    }
    char *path = out_path && *out_path ? xstrdup(out_path) : fs_join(run_dir, REPORT_FILE_NAME);
    int rc = fs_write_atomic(path, buf_str(&page), page.len, err);
    free(path);
    buf_free(&page);
    return rc;
}

int report_write(const char *run_dir, struct err *err)
{
    return report_write_file(run_dir, NULL, err);
}
