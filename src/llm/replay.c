/* replay.c - the `replay` provider: answers from a recording (llm.replay,
 * a JSON-lines file written by llm.record; format in recorder.c).
 *
 * The whole file is read at create() into one JSON object keyed by the
 * request key (llm_request_key); when a key was recorded more than once the
 * last line wins. A call is answered with exactly what was recorded: the
 * text, finish, usage, cost, latency, queue wait, tries and sources, and
 * also a recorded failure (a truncated reply comes back truncated, a call
 * that gave up comes back with the same error), so a replayed run takes the
 * same path as the recorded one. A request the recording does not hold fails
 * with LLM_ERR_REPLAY_MISS naming its stage and call_id. Nothing is retried
 * and no network is used. The state is read-only after create(): thread-safe. */
#include "llm/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct replay {
    char *path;
    json_t *calls;   /* key -> record */
    bool web_search; /* some recorded request asked for web search */
};

static int load_line(struct replay *r, const char *line, size_t len, long lineno, struct err *err)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return 0;
    json_error_t jerr;
    json_t *rec = json_loadb(line, len, 0, &jerr);
    const char *key = json_string_value(json_object_get(rec, "key"));
    if (!rec || !key) {
        json_decref(rec);
        return err_set(err, "replay: %s:%ld: not a call record (%s)", r->path, lineno,
                       rec ? "no \"key\"" : jerr.text);
    }
    if (json_is_true(json_object_get(json_object_get(rec, "request"), "web_search")))
        r->web_search = true;
    json_object_set(r->calls, key, rec);
    json_decref(rec);
    return 0;
}

static void replay_destroy(void *state)
{
    struct replay *r = state;
    if (!r)
        return;
    json_decref(r->calls);
    free(r->path);
    free(r);
}

static void *replay_create(const struct config *cfg, struct err *err)
{
    if (!cfg->llm.replay || !*cfg->llm.replay) {
        err_set(err, "replay: set llm.replay to the recording to answer from "
                     "(a JSON-lines file written by a run with llm.record)");
        return NULL;
    }
    FILE *f = fopen(cfg->llm.replay, "r");
    if (!f) {
        err_sys(err, errno, "replay: cannot open the recording %s (llm.replay)", cfg->llm.replay);
        return NULL;
    }
    struct replay *r = xcalloc(1, sizeof *r);
    r->path = xstrdup(cfg->llm.replay);
    r->calls = json_object();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0)
        rc = load_line(r, line, (size_t)n, ++lineno, err);
    free(line);
    fclose(f);
    if (rc < 0) {
        replay_destroy(r);
        return NULL;
    }
    return r;
}

static int replay_chat(void *state, const struct llm_request *req, const char *model, struct llm_reply *reply,
                       bool *retryable, double *retry_after_s, struct err *err)
{
    (void)model;
    struct replay *r = state;
    *retryable = false;
    *retry_after_s = -1;
    char *key = llm_request_key(req);
    json_t *rec = json_object_get(r->calls, key);
    if (!rec) {
        err_set(err, "replay: no recorded call for stage '%s', call_id '%s' (key %.16s) in %s: "
                     "this run asks what the recorded one did not (other prompts, settings or version)",
                req->stage ? req->stage : "", req->call_id ? req->call_id : "", key, r->path);
        free(key);
        return LLM_ERR_REPLAY_MISS;
    }
    free(key);
    const char *error_text;
    int rc = llm_record_reply(rec, reply, &error_text);
    reply->from_record = true;
    if (rc != LLM_OK)
        err_set(err, "%s", error_text[0] ? error_text : "replay: the recorded call failed");
    return rc;
}

/* The recorded run used provider search if any of its requests asked for it. */
static bool replay_can_web_search(void *state, const char *model)
{
    (void)model;
    return ((struct replay *)state)->web_search;
}

const struct llm_provider_ops llm_replay_ops = {
    .name = "replay",
    .create = replay_create,
    .chat = replay_chat,
    .destroy = replay_destroy,
    .default_model = "replay",
    .can_web_search = replay_can_web_search,
};
