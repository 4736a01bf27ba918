/* builtin.c - the `builtin` LLM provider: the offline planner behind the
 * same struct llm_provider_ops as the network providers. It reads the
 * request's structured context instead of its text, answers from
 * builtin_plan.c, reports no token use and costs nothing. A stage it
 * declines (no move left, a script it did not compose) is a non-retryable
 * error, which the pipeline handles like any model's unusable answer. */
#include "agent/agent.h"
#include "agent/builtin.h"

#include <pthread.h>
#include <string.h>

#include "util/mem.h"
#include "util/timeutil.h"

static void *builtin_create(const struct config *cfg, struct err *err)
{
    (void)cfg;
    (void)err;
    static int state;
    return &state;
}

static int builtin_chat(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                        bool *retryable, double *retry_after_s, struct err *err)
{
    (void)state;
    (void)model;
    *retryable = false;
    *retry_after_s = -1;
    if (!req->context) {
        err_set(err, "builtin: the offline planner answers only the stages of mlestar's pipeline (use `mlestar "
                     "run`); it has no free-form chat (stage '%s')", req->stage ? req->stage : "?");
        return LLM_ERR_CONFIG;
    }
    double t0 = time_mono();
    char *text = builtin_answer(req->stage ? req->stage : "", req->context, err);
    if (!text)
        return LLM_ERR_EMPTY;
    reply->text = text;
    reply->finish = LLM_FINISH_STOP;
    reply->model = xstrdup("builtin");
    reply->request_id = xstrdup("");
    reply->latency_s = time_mono() - t0;
    return LLM_OK;
}

static void builtin_destroy(void *state)
{
    (void)state;
}

static const struct llm_provider_ops builtin_ops = {
    .name = "builtin",
    .create = builtin_create,
    .chat = builtin_chat,
    .destroy = builtin_destroy,
    .default_model = "builtin",
};

static void register_once(void)
{
    llm_register_provider(&builtin_ops);
}

void agent_register_builtin(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
}
