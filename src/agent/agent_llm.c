/* agent_llm.c - one LLM call of the pipeline: render the stage's prompt,
 * attach the structured context, send, parse.
 *
 * Every prompt gets the same task context (description, data profile,
 * metric and direction, task facts, installed packages, the limits each
 * script runs under, time left) so that no model proposes a library that is
 * not installed or forgets the submission format; prompt size is bounded by
 * trimming the description and the profile. The resources shown are the
 * sandbox's per-script limits (threads and memory of one exec slot, see
 * exec_limits_from_config), never the machine's totals: a script told "8
 * cores, 32 GiB" while it gets 2 threads and 8 GiB oversubscribes or is
 * killed for memory.
 *
 * Temperature is chosen per stage: 0 for what must be decided, not invented
 * (checks, extraction, summaries, the metric); llm.temperature for plans and
 * code (see stage_temperature).
 *
 * The call_id passed in is the logical position of the call in the run
 * (e.g. "lane0/t1/k2/implement"): the journal keys its record of the call
 * by it, so a resumed run gets the recorded reply instead of a new call
 * even though "time left" in the prompt has changed. The flip side: two
 * different requests under one call_id would get one reply. Every call of a
 * process is therefore registered (stage, call_id, role -> a hash of its
 * user-side messages), and a second, different request under a key already
 * asked is refused as the bug it is, loudly (see check_unique_call).
 *
 * A reply the parser cannot use (agent_ask_code, agent_ask_json) is not
 * simply asked for again: the next turn carries the bad reply and the
 * parser's message (prompts/retry.txt), as code/extract.h intends. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/callkey.h"
#include "agent/prompt.h"
#include "code/extract.h"
#include "code/jsontext.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define DESCRIPTION_MAX 12000

static char *bounded(const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n <= max)
        return xstrdup(text);
    return xasprintf("%.*s\n[... %zu more characters of the description cut ...]", (int)max, text, n - max);
}

/* Python, packages and GPUs; the CPU and memory a script gets are stated
 * separately (script_resources), as the sandbox's limits. */
static char *environment_text(const struct agent *a)
{
    const struct pyenv *env = &a->pyenv;
    struct buf b = {0};
    buf_printf(&b, "Python %s\n", env->version ? env->version : "?");
    buf_puts(&b, "Importable packages (nothing else can be installed): ");
    for (size_t i = 0; i < env->npackages; i++)
        buf_printf(&b, "%s%s %s", i ? ", " : "", env->packages[i].name, env->packages[i].version);
    if (!env->npackages)
        buf_puts(&b, "none");
    if (env->gpus)
        buf_printf(&b, "\nGPU: %d (%s)\n", env->gpus, env->gpu_names ? env->gpu_names : "?");
    else
        buf_puts(&b, "\nGPU: none\n");
    return buf_detach(&b);
}

static void memory_text(long long bytes, char *out, size_t outsz)
{
    if (bytes <= 0)
        snprintf(out, outsz, "no fixed limit of memory");
    else if (bytes >= 1LL << 30)
        snprintf(out, outsz, "%.1f GiB of memory", (double)bytes / (double)(1LL << 30));
    else
        snprintf(out, outsz, "%lld MiB of memory", bytes >> 20);
}

/* The subsampling rule of the search, as a sentence (0 = all rows). */
static char *subsample_text(long rows)
{
    if (rows <= 0)
        return xstrdup("Use all the training rows (no subsampling).");
    return xasprintf("If the training data has more than %ld rows, use a random subsample of %ld rows (fixed "
                     "seed) for the whole search.", rows, rows);
}

static void add_common_vars(struct agent *a, json_t *vars, double script_plan_s)
{
    char *desc = bounded(a->task->description, DESCRIPTION_MAX);
    json_object_set_new(vars, "task_description", json_string(desc));
    free(desc);
    json_object_set_new(vars, "data_profile", json_string(a->profile_md));
    json_object_set_new(vars, "metric", json_string(a->metric ? a->metric : "unknown"));
    json_object_set_new(vars, "direction", json_string(a->lower_is_better ? "lower is better" : "higher is better"));
    char *facts = json_dumps(a->task_facts, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_object_set_new(vars, "task_facts", json_string(facts ? facts : "{}"));
    free(facts);
    char *env = environment_text(a);
    json_object_set_new(vars, "environment", json_string(env));
    free(env);
    char left[64] = "no time limit";
    if (a->deadline > 0)
        format_duration(agent_time_left(a), left, sizeof left);
    json_object_set_new(vars, "time_left", json_string(left));
    json_object_set_new(vars, "subsample_rows", json_integer(a->cfg.pipeline.subsample_rows));
    char *rule = subsample_text(a->cfg.pipeline.subsample_rows);
    json_object_set_new(vars, "subsample_rule", json_string(rule));
    free(rule);
    char script_limit[64];
    format_duration(script_plan_s, script_limit, sizeof script_limit); /* this script's share (budget.h) */
    json_object_set_new(vars, "script_time_limit", json_string(script_limit));
    struct exec_limits lim = exec_limits_from_config(&a->cfg, a->slots);
    json_object_set_new(vars, "threads", json_integer(lim.threads > 0 ? lim.threads : 1));
    char mem[64];
    memory_text(lim.memory_bytes, mem, sizeof mem);
    json_object_set_new(vars, "script_memory", json_string(mem));
}

/* The structured context for the builtin planner. Its one clock-dependent
 * value is script_timeout_s (the planned time of the script, budget.h); the
 * journal records each reply, so a resumed run replays the same answers. */
static void add_common_context(struct agent *a, json_t *ctx, const char *stage, double script_plan_s)
{
    json_object_set_new(ctx, "stage", json_string(stage));
    json_object_set(ctx, "facts", a->task_facts);
    json_object_set(ctx, "profile", a->profile);
    json_t *pkgs = json_object();
    for (size_t i = 0; i < a->pyenv.npackages; i++)
        json_object_set_new(pkgs, a->pyenv.packages[i].name, json_string(a->pyenv.packages[i].version));
    json_object_set_new(ctx, "packages", pkgs);
    json_object_set_new(ctx, "seed", json_integer(a->cfg.run.seed));
    json_object_set_new(ctx, "subsample_rows", json_integer(a->cfg.pipeline.subsample_rows));
    json_object_set_new(ctx, "script_timeout_s", json_real(script_plan_s));
    struct exec_limits lim = exec_limits_from_config(&a->cfg, a->slots);
    json_object_set_new(ctx, "threads", json_integer(lim.threads > 0 ? lim.threads : 1));
    json_object_set_new(ctx, "description", json_string(a->task->description));
}

/* 0 for the stages that judge or condense (a check asked twice must not
 * change its mind); -1 (llm.temperature) for plans and code. */
static double stage_temperature(const char *stage)
{
    static const char *const decided[] = {"leakage_check", "usage", "summarize", "extract", "metric"};
    for (size_t i = 0; i < sizeof decided / sizeof *decided; i++)
        if (!strcmp(stage, decided[i]))
            return 0;
    return -1;
}

/* Registers the call; -1 + err when this process already asked a different
 * request under the same journal key (it would be answered with the other
 * request's reply). */
static int check_unique_call(struct agent *a, const struct llm_request *req, struct err *err)
{
    pthread_mutex_lock(&a->lock);
    if (!a->asked_calls)
        a->asked_calls = callkey_new();
    struct callkey_registry *reg = a->asked_calls;
    pthread_mutex_unlock(&a->lock);
    if (callkey_register(reg, req) == 0)
        return 0;
    log_error("internal error: two different prompts resolve to one journal key (stage %s, call %s); "
              "the second is refused",
              req->stage, req->call_id);
    json_t *d = json_pack("{s:s,s:s}", "stage", req->stage, "call_id", req->call_id);
    agent_event(a, "call_id_collision", d);
    json_decref(d);
    return err_set(err, "call id %s was already used for a different %s prompt", req->call_id, req->stage);
}

void agent_recovery(struct agent *a, const char *kind, const char *call_id, const char *detail)
{
    json_t *d = json_pack("{s:s,s:s,s:s}", "kind", kind, "call_id", call_id ? call_id : "", "detail",
                          detail ? detail : "");
    agent_event(a, "recovery", d);
    json_decref(d);
    log_info("%s: recovered (%s): %.200s", call_id ? call_id : "-", kind, detail ? detail : "");
}

/* One call: the stage's prompt, then (when earlier is given) the reply that
 * could not be used and the feedback turn. */
static char *ask_turns(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                       bool cheap, const char *earlier, const char *feedback, struct err *err)
{
    /* the time the script this call writes may take (a fix: the stage it fixes) */
    const char *for_stage = context ? json_string_value(json_object_get(context, "for_stage")) : NULL;
    double script_plan_s = budget_script_plan(a, for_stage ? for_stage : stage);
    json_t *all_vars = vars ? json_deep_copy(vars) : json_object();
    add_common_vars(a, all_vars, script_plan_s);
    char *system = prompt_render(a->cfg.prompts.dir, "system", all_vars, err);
    char *user = system ? prompt_render(a->cfg.prompts.dir, stage, all_vars, err) : NULL;
    json_decref(all_vars);
    if (!user) {
        free(system);
        return NULL;
    }
    json_t *ctx = context ? json_deep_copy(context) : json_object();
    add_common_context(a, ctx, stage, script_plan_s);
    if (feedback)
        json_object_set_new(ctx, "retry_feedback", json_string(feedback));
    struct llm_message msgs[4] = {{LLM_SYSTEM, system}, {LLM_USER, user}, {LLM_ASSISTANT, earlier},
                                  {LLM_USER, feedback}};
    struct llm_request req = {
        .stage = stage,
        .call_id = call_id,
        .messages = msgs,
        .nmessages = earlier && feedback ? 4 : 2,
        .temperature = stage_temperature(stage),
        .json_output = false,
        .web_search = false,
        .cheap = cheap,
        .context = ctx,
    };
    if (!strcmp(stage, "retrieve"))
        req.web_search = !strcmp(a->cfg.search.backend, "provider") ||
                         (!strcmp(a->cfg.search.backend, "auto") && llm_client_can_web_search(a->llm, cheap));
    struct llm_reply reply = {0};
    int rc = check_unique_call(a, &req, err) < 0 ? -LLM_ERR_CONFIG : llm_chat(a->llm, &req, &reply, err);
    free(system);
    free(user);
    json_decref(ctx);
    if (rc != 0) {
        if (-rc == LLM_ERR_BUDGET)
            agent_request_stop(a, err->msg);
        if (strstr(err->msg, "unsupported task: ")) {
            pthread_mutex_lock(&a->lock);
            if (!a->fatal[0])
                snprintf(a->fatal, sizeof a->fatal, "%s", strstr(err->msg, "unsupported task: "));
            pthread_mutex_unlock(&a->lock);
            agent_request_stop(a, "the task cannot be solved with what is installed");
        }
        log_warn("%s: %s", call_id, err->msg);
        llm_reply_free(&reply);
        return NULL;
    }
    char *text = reply.text ? xstrdup(reply.text) : xstrdup("");
    llm_reply_free(&reply);
    return text;
}

char *agent_ask(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                bool cheap, struct err *err)
{
    return ask_turns(a, stage, call_id, vars, context, cheap, NULL, NULL, err);
}

/* The feedback turn after a reply the parser refused. */
static char *retry_feedback(struct agent *a, const char *problem)
{
    json_t *vars = json_pack("{s:s}", "error", problem);
    struct err err = {{0}};
    char *text = prompt_render(a->cfg.prompts.dir, "retry", vars, &err);
    json_decref(vars);
    return text ? text : xasprintf("Your reply could not be used: %s", problem);
}

typedef void *(*reply_parser)(const char *reply, struct err *err);

static void *parse_code(const char *reply, struct err *err)
{
    return code_extract_python(reply, err);
}

static void *parse_json_list(const char *reply, struct err *err)
{
    return code_extract_json_list(reply, err);
}

/* Asks, parses; once more with the parse error sent back when it fails. */
static void *ask_parsed(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                        bool cheap, reply_parser parse, struct err *err)
{
    char *reply = agent_ask(a, stage, call_id, vars, context, cheap, err);
    if (!reply)
        return NULL;
    void *out = parse(reply, err);
    if (out) {
        free(reply);
        return out;
    }
    char problem[sizeof err->msg];
    snprintf(problem, sizeof problem, "%s", err->msg);
    log_warn("%s: %s; sending the error back", call_id, problem);
    char *feedback = retry_feedback(a, problem);
    char *id = xasprintf("%s#again", call_id);
    char *second = ask_turns(a, stage, id, vars, context, cheap, reply, feedback, err);
    free(feedback);
    free(reply);
    out = second ? parse(second, err) : NULL;
    free(second);
    if (out)
        agent_recovery(a, "reply_reparsed", id, problem);
    free(id);
    return out;
}

char *agent_ask_code(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                     struct err *err)
{
    return ask_parsed(a, stage, call_id, vars, context, false, parse_code, err);
}

json_t *agent_ask_json(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                       bool cheap, struct err *err)
{
    return ask_parsed(a, stage, call_id, vars, context, cheap, parse_json_list, err);
}

/* ---- plan history ------------------------------------------------------- */

struct ranked_plan {
    size_t index;       /* 0-based order in which it was tried */
    json_t *entry;
};

static const struct agent *rank_agent; /* qsort has no context; guarded by rank_lock */
static pthread_mutex_t rank_lock = PTHREAD_MUTEX_INITIALIZER;

/* Scored plans best first, then failed ones, each group in the order tried. */
static int by_result(const void *x, const void *y)
{
    const struct ranked_plan *p = x, *q = y;
    json_t *sp = json_object_get(p->entry, "score"), *sq = json_object_get(q->entry, "score");
    bool hp = json_is_number(sp), hq = json_is_number(sq);
    if (hp != hq)
        return hp ? -1 : 1;
    if (hp) {
        double a = json_number_value(sp), b = json_number_value(sq);
        if (agent_better(rank_agent, a, b))
            return -1;
        if (agent_better(rank_agent, b, a))
            return 1;
    }
    return p->index < q->index ? -1 : p->index > q->index;
}

char *agent_history_text(const struct agent *a, json_t *history, bool has_base, double base_score)
{
    size_t n = json_array_size(history);
    struct buf b = {0};
    if (has_base)
        buf_printf(&b, "Base solution: score %.6g. Earlier plans, best first:\n\n", base_score);
    if (!n) {
        buf_puts(&b, "(none yet)\n");
        return buf_detach(&b);
    }
    struct ranked_plan *order = xcalloc(n, sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (struct ranked_plan){i, json_array_get(history, i)};
    pthread_mutex_lock(&rank_lock);
    rank_agent = a;
    qsort(order, n, sizeof *order, by_result);
    pthread_mutex_unlock(&rank_lock);
    for (size_t i = 0; i < n; i++) {
        json_t *h = order[i].entry;
        buf_printf(&b, "Plan %zu (tried %zu of %zu): %s\n", i + 1, order[i].index + 1, n, json_str(h, "plan", ""));
        if (json_is_number(json_object_get(h, "score"))) {
            double s = json_num(h, "score", 0);
            buf_printf(&b, "Score: %.6g", s);
            if (has_base) {
                double delta = s - base_score;
                bool better = agent_better(a, s, base_score), worse = agent_better(a, base_score, s);
                buf_printf(&b, " (%+.6g against the base: %s)", delta,
                           better ? "better" : worse ? "worse" : "no change");
            }
            buf_putc(&b, '\n');
        } else {
            buf_printf(&b, "Score: failed to run%s%s\n", *json_str(h, "error", "") ? ": " : "",
                       json_str(h, "error", ""));
        }
        if (json_is_number(json_object_get(h, "wall_s"))) {
            char wall[32];
            format_duration(json_num(h, "wall_s", 0), wall, sizeof wall);
            buf_printf(&b, "Run time: %s\n", wall);
        }
        buf_putc(&b, '\n');
    }
    free(order);
    return buf_detach(&b);
}

double agent_node_wall_s(struct agent *a, int64_t node_id)
{
    struct err err = {{0}};
    json_t *node = node_id > 0 ? store_node_json(a->store, node_id, &err) : NULL;
    double wall = -1;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(node, "executions"), i, e)
        if (json_is_number(json_object_get(e, "wall_s")))
            wall = json_number_value(json_object_get(e, "wall_s"));
    json_decref(node);
    return wall;
}

char *agent_sections_text(json_t *items, const char *title, bool as_code)
{
    struct buf b = {0};
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) {
        const char *text = json_string_value(v) ? json_string_value(v) : "";
        size_t len = strlen(text);
        bool nl = len && text[len - 1] == '\n';
        if (as_code)
            buf_printf(&b, "## %s %zu\n```python\n%s%s```\n\n", title, i + 1, text, nl ? "" : "\n");
        else
            buf_printf(&b, "## %s %zu\n%s%s\n", title, i + 1, text, nl ? "" : "\n");
    }
    if (!b.len)
        buf_puts(&b, "(none)\n");
    return buf_detach(&b);
}
