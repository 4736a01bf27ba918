/* stage_usage.c - step 4, once per lane on s0: does the solution use every
 * data source the task provides? The deterministic half lists the provided
 * files s0 never opened (the sandbox records every file a script opens);
 * the LLM half reads the script and the file list and either answers
 * "All the provided information is used." or returns a rewritten script.
 * Which of the two it did is read from the reply's structure, not from a
 * phrase (a rewrite may well say "all the information is used now" in a
 * comment): a reply holding a script that differs from s0 is a rewrite;
 * anything else (the phrase, prose, s0 unchanged) is "all used". The
 * rewrite replaces s0 only when it runs and does not score worse; when it
 * cannot be debugged into working it is asked for anew (regenerations). */
#include "agent/agent.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/extract.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

static bool was_read(const struct solution *s, const char *rel)
{
    for (size_t i = 0; i < s->nfiles_read; i++) {
        const char *r = s->files_read[i];
        size_t n = strlen(r), m = strlen(rel);
        if (n >= m && !strcmp(r + n - m, rel) && (n == m || r[n - m - 1] == '/'))
            return true;
    }
    return false;
}

/* Data files (not test or sample submission) the script never opened; of a
 * folder of per-sample files (train/<id>/geometry.xyz) only the first is
 * listed, which is enough to name the source. */
static json_t *unused_files(struct agent *a, const struct solution *s0)
{
    json_t *out = json_array();
    char last_dir[512] = "";
    for (size_t i = 0; i < a->task->nfiles; i++) {
        const struct task_file *f = &a->task->files[i];
        if (f->role == TASK_ROLE_TEST || f->role == TASK_ROLE_SAMPLE_SUBMISSION || was_read(s0, f->rel_path))
            continue;
        const char *slash = strchr(f->rel_path, '/');
        if (slash) {
            /* per-sample folders: report "train/ (2400 files)" once */
            size_t dl = (size_t)(slash - f->rel_path);
            if (strlen(last_dir) == dl && !strncmp(last_dir, f->rel_path, dl))
                continue;
            snprintf(last_dir, sizeof last_dir, "%.*s", (int)dl, f->rel_path);
        }
        json_array_append_new(out, json_string(f->rel_path));
    }
    return out;
}

static char *list_text(json_t *list)
{
    struct buf b = {0};
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        buf_printf(&b, "- %s\n", json_string_value(v));
    if (!b.len)
        buf_puts(&b, "(every provided data file was opened)\n");
    return buf_detach(&b);
}

/* Same code up to whitespace at line ends and blank lines. */
static bool same_code(const char *x, const char *y)
{
    for (;;) {
        while (*x == ' ' || *x == '\t' || *x == '\n' || *x == '\r')
            x++;
        while (*y == ' ' || *y == '\t' || *y == '\n' || *y == '\r')
            y++;
        if (!*x || !*y)
            return !*x && !*y;
        if (*x++ != *y++)
            return false;
    }
}

/* The rewritten script of a usage reply, or NULL when the reply says (in
 * whatever words) that nothing needs to change: no Python block, or s0
 * itself again. */
static char *rewrite_of(const char *reply, const char *s0_code)
{
    struct err err = {{0}};
    char *code = reply ? code_extract_python(reply, &err) : NULL;
    if (code && (same_code(code, s0_code) || !code_looks_like_python(code))) {
        free(code);
        code = NULL;
    }
    return code;
}

struct usage_ask {
    const char *node_key;
    json_t *vars, *ctx;
    const char *s0_code;
};

static char *ask_usage(struct agent *a, struct usage_ask *u, const char *call_id)
{
    struct err err = {{0}};
    char *reply = agent_ask(a, "usage", call_id, u->vars, u->ctx, false, &err);
    char *code = rewrite_of(reply, u->s0_code);
    free(reply);
    return code;
}

static char *regenerate(struct agent *a, void *ctx, int attempt)
{
    struct usage_ask *u = ctx;
    char call_id[128];
    snprintf(call_id, sizeof call_id, "%s/regen%d/usage", u->node_key, attempt);
    return ask_usage(a, u, call_id);
}

int stage_usage(struct agent *a, int lane, struct solution *s0)
{
    if (!a->cfg.pipeline.usage_check || !agent_search_time_ok(a))
        return 0;
    json_t *unused = unused_files(a, s0);
    char *text = list_text(unused);
    json_t *vars = json_pack("{s:s,s:s}", "code", s0->code, "unused_files", text);
    json_t *ctx = json_pack("{s:s,s:O,s:i}", "code", s0->code, "unused_files", unused, "lane", lane);
    free(text);
    char node_key[64], call_id[96], area[32];
    snprintf(node_key, sizeof node_key, "lane%d/usage", lane);
    snprintf(call_id, sizeof call_id, "%s/usage", node_key);
    snprintf(area, sizeof area, "lane%d", lane);
    char *s0_code = xstrdup(s0->code);
    struct usage_ask u = {node_key, vars, ctx, s0_code};
    char *code = ask_usage(a, &u, call_id);
    json_t *d = json_pack("{s:i,s:o}", "lane", lane, "unused_files", unused);
    json_object_set_new(d, "rewritten", json_boolean(code != NULL));
    if (code) {
        struct script_job job = {
            .stage = "usage", .call_id = node_key, .area = area, .lane = lane, .outer_step = -1,
            .inner_step = -1, .parent_id = s0->node_id, .plan = "use every provided data source",
            .need_score = true, .check_leakage = true, .regenerate = regenerate, .regenerate_ctx = &u,
        };
        struct solution s = {0};
        guard_run_script(a, &job, code, &s);
        free(code);
        bool keep = s.ok && s.has_score && !agent_better(a, s0->score, s.score);
        json_object_set_new(d, "kept", json_boolean(keep));
        if (s.has_score)
            json_object_set_new(d, "score", json_real(s.score));
        if (keep) {
            solution_clear(s0);
            *s0 = s;
            agent_note_score(a, lane, s0->node_id, s0->score);
        } else {
            solution_clear(&s);
        }
    }
    agent_event(a, "usage_check", d);
    json_decref(d);
    json_decref(vars);
    json_decref(ctx);
    free(s0_code);
    return 0;
}
