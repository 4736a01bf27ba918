/* agent_llm.c - one LLM call of the pipeline: render the stage's prompt,
 * attach the structured context, send, parse.
 *
 * Every prompt gets the same task context (description, data profile,
 * metric and direction, task facts, installed packages and hardware, time
 * left) so that no model proposes a library that is not installed or
 * forgets the submission format; prompt size is bounded by trimming the
 * description and the profile.
 *
 * The call_id passed in is the logical position of the call in the run
 * (e.g. "lane0/t1/k2/implement"): the journal keys its record of the call
 * by it, so a resumed run gets the recorded reply instead of a new call
 * even though "time left" in the prompt has changed. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/prompt.h"
#include "code/extract.h"
#include "code/jsontext.h"
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
    json_object_set_new(vars, "environment", json_string(a->env_text));
    char left[64] = "no time limit";
    if (a->deadline > 0)
        format_duration(agent_time_left(a), left, sizeof left);
    json_object_set_new(vars, "time_left", json_string(left));
    json_object_set_new(vars, "subsample_rows", json_integer(a->cfg.pipeline.subsample_rows));
    char script_limit[64];
    format_duration(script_plan_s, script_limit, sizeof script_limit); /* this script's share (budget.h) */
    json_object_set_new(vars, "script_time_limit", json_string(script_limit));
    json_object_set_new(vars, "threads", json_integer(a->pyenv.cores > 0 ? a->pyenv.cores : 1));
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
    int threads = a->slots > 0 && a->pyenv.cores > a->slots ? a->pyenv.cores / a->slots : 1;
    json_object_set_new(ctx, "threads", json_integer(threads));
    json_object_set_new(ctx, "description", json_string(a->task->description));
}

char *agent_ask(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                bool cheap, struct err *err)
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
    struct llm_message msgs[2] = {{LLM_SYSTEM, system}, {LLM_USER, user}};
    struct llm_request req = {
        .stage = stage,
        .call_id = call_id,
        .messages = msgs,
        .nmessages = 2,
        .temperature = -1,
        .json_output = false,
        .web_search = false,
        .cheap = cheap,
        .context = ctx,
    };
    if (!strcmp(stage, "retrieve"))
        req.web_search = !strcmp(a->cfg.search.backend, "provider") ||
                         (!strcmp(a->cfg.search.backend, "auto") && llm_client_can_web_search(a->llm, cheap));
    struct llm_reply reply = {0};
    int rc = llm_chat(a->llm, &req, &reply, err);
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

char *agent_ask_code(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                     struct err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        char *id = attempt ? xasprintf("%s#again", call_id) : xstrdup(call_id);
        char *reply = agent_ask(a, stage, id, vars, context, false, err);
        free(id);
        if (!reply)
            return NULL;
        char *code = code_extract_python(reply, err);
        free(reply);
        if (code)
            return code;
        log_warn("%s: %s; asking again", call_id, err->msg);
    }
    return NULL;
}

json_t *agent_ask_json(struct agent *a, const char *stage, const char *call_id, json_t *vars, json_t *context,
                       bool cheap, struct err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        char *id = attempt ? xasprintf("%s#again", call_id) : xstrdup(call_id);
        char *reply = agent_ask(a, stage, id, vars, context, cheap, err);
        free(id);
        if (!reply)
            return NULL;
        json_t *list = code_extract_json_list(reply, err);
        free(reply);
        if (list)
            return list;
        log_warn("%s: %s; asking again", call_id, err->msg);
    }
    return NULL;
}

char *agent_history_text(json_t *history)
{
    struct buf b = {0};
    size_t i;
    json_t *h;
    json_array_foreach(history, i, h) {
        buf_printf(&b, "Plan %zu: %s\n", i + 1, json_str(h, "plan", ""));
        if (json_is_number(json_object_get(h, "score")))
            buf_printf(&b, "Score: %.6g\n\n", json_num(h, "score", 0));
        else
            buf_puts(&b, "Score: failed to run\n\n");
    }
    return buf_detach(&b);
}
