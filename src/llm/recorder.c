/* recorder.c - the record of a call, and the JSON-lines file recorder that
 * llm.record turns on.
 *
 * One line per call, appended with a single write(2) under a mutex so lines
 * from concurrent lanes never interleave:
 *   {"key", "time", "provider", "model", "stage", "call_id",
 *    "request": {"messages": [{"role", "content"}], "temperature",
 *                "max_tokens", "json_output", "web_search", "cheap"},
 *    "reply": {"text", "finish", "request_id", "sources": [{"title","url"}]}
 *             or null,
 *    "usage": {"input_tokens", "output_tokens", "cached_tokens"},
 *    "latency_s", "queued_s", "cost_usd", "tries", "from_record",
 *    "error": null or {"code": "truncated", "message": "..."}}
 * The request is recorded as the caller gave it (temperature < 0 and
 * max_tokens 0 meaning "the config's"), the same fields the key is computed
 * from. No API key is ever part of a request or a reply, so none can reach
 * the file; error messages were redacted where they were made (http.c).
 * The file is created with mode 0600: it holds the prompts. */
#include "llm/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"
#include "util/log.h"
#include "util/timeutil.h"

static json_t *request_json(const struct llm_request *req)
{
    json_t *msgs = json_array();
    for (size_t i = 0; i < req->nmessages; i++)
        json_array_append_new(msgs, json_pack("{s:s, s:o}", "role", llm_role_name(req->messages[i].role),
                                              "content", llm_json_str(req->messages[i].content)));
    json_t *r = json_object();
    json_object_set_new(r, "messages", msgs);
    json_object_set_new(r, "temperature", json_real(req->temperature));
    json_object_set_new(r, "max_tokens", json_integer(req->max_tokens));
    json_object_set_new(r, "json_output", json_boolean(req->json_output));
    json_object_set_new(r, "web_search", json_boolean(req->web_search));
    json_object_set_new(r, "cheap", json_boolean(req->cheap));
    return r;
}

static json_t *reply_json(const struct llm_reply *reply)
{
    if (!reply->text)
        return json_null();
    json_t *sources = json_array();
    for (size_t i = 0; i < reply->nsources; i++)
        json_array_append_new(sources, json_pack("{s:o, s:o}", "title", llm_json_str(reply->sources[i].title),
                                                 "url", llm_json_str(reply->sources[i].url)));
    json_t *r = json_object();
    json_object_set_new(r, "text", llm_json_str(reply->text));
    json_object_set_new(r, "finish", json_string(llm_finish_name(reply->finish)));
    json_object_set_new(r, "request_id", llm_json_str(reply->request_id));
    json_object_set_new(r, "sources", sources);
    return r;
}

json_t *llm_record_json(const char *key, const char *provider, const struct llm_request *req,
                        const struct llm_reply *reply, int error_code, const char *error_text)
{
    char when[32];
    time_iso8601(time_wall(), when, sizeof when);
    json_t *rec = json_object();
    json_object_set_new(rec, "key", json_string(key));
    json_object_set_new(rec, "time", json_string(when));
    json_object_set_new(rec, "provider", llm_json_str(provider));
    json_object_set_new(rec, "model", llm_json_str(reply->model));
    json_object_set_new(rec, "stage", llm_json_str(req->stage));
    json_object_set_new(rec, "call_id", llm_json_str(req->call_id));
    json_object_set_new(rec, "request", request_json(req));
    json_object_set_new(rec, "reply", reply_json(reply));
    json_object_set_new(rec, "usage", json_pack("{s:I, s:I, s:I}", "input_tokens",
                                                (json_int_t)reply->usage.input_tokens, "output_tokens",
                                                (json_int_t)reply->usage.output_tokens, "cached_tokens",
                                                (json_int_t)reply->usage.cached_tokens));
    json_object_set_new(rec, "latency_s", json_real(reply->latency_s));
    json_object_set_new(rec, "queued_s", json_real(reply->queued_s));
    json_object_set_new(rec, "cost_usd", json_real(reply->cost_usd));
    json_object_set_new(rec, "tries", json_integer(reply->tries));
    json_object_set_new(rec, "from_record", json_boolean(reply->from_record));
    if (error_code == LLM_OK)
        json_object_set_new(rec, "error", json_null());
    else
        json_object_set_new(rec, "error", json_pack("{s:s, s:o}", "code", llm_error_name(error_code), "message",
                                                    llm_json_str(error_text)));
    return rec;
}

static const char *jstr(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s ? s : "";
}

static long jlong(const json_t *obj, const char *name)
{
    json_int_t n = json_integer_value(json_object_get(obj, name));
    return n > 0 ? (long)n : 0;
}

int llm_record_reply(json_t *rec, struct llm_reply *reply, const char **error_text)
{
    const json_t *r = json_object_get(rec, "reply");
    if (json_is_object(r)) {
        reply->text = xstrdup(jstr(r, "text"));
        reply->finish = llm_finish_parse(jstr(r, "finish"));
        reply->request_id = xstrdup(jstr(r, "request_id"));
        const json_t *sources = json_object_get(r, "sources");
        size_t n = json_array_size(sources);
        if (n) {
            reply->sources = xcalloc(n, sizeof *reply->sources);
            for (size_t i = 0; i < n; i++) {
                const json_t *s = json_array_get(sources, i);
                reply->sources[i].title = xstrdup(jstr(s, "title"));
                reply->sources[i].url = xstrdup(jstr(s, "url"));
            }
            reply->nsources = n;
        }
    } else {
        reply->request_id = xstrdup("");
    }
    reply->model = xstrdup(jstr(rec, "model"));
    const json_t *usage = json_object_get(rec, "usage");
    reply->usage.input_tokens = jlong(usage, "input_tokens");
    reply->usage.output_tokens = jlong(usage, "output_tokens");
    reply->usage.cached_tokens = jlong(usage, "cached_tokens");
    reply->latency_s = json_number_value(json_object_get(rec, "latency_s"));
    reply->queued_s = json_number_value(json_object_get(rec, "queued_s")); /* 0 in older recordings */
    reply->cost_usd = json_number_value(json_object_get(rec, "cost_usd"));
    reply->tries = (int)jlong(rec, "tries");
    const json_t *e = json_object_get(rec, "error");
    *error_text = "";
    if (!json_is_object(e))
        return LLM_OK;
    *error_text = jstr(e, "message");
    int code = llm_error_parse(jstr(e, "code"));
    return code == LLM_OK ? LLM_ERR_HTTP : code;
}

/* ---- the file recorder ---- */

struct llm_file_recorder {
    pthread_mutex_t lock;
    int fd;
    char *path;
    char *provider;
    bool failed;      /* a write failed: warned once, keeps trying */
};

struct llm_file_recorder *llm_file_recorder_open(const char *path, const char *provider, struct err *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_sys(err, errno, "llm.record: cannot open %s for appending", path);
        return NULL;
    }
    struct llm_file_recorder *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->fd = fd;
    r->path = xstrdup(path);
    r->provider = xstrdup(provider);
    return r;
}

void llm_file_recorder_close(struct llm_file_recorder *r)
{
    if (!r)
        return;
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
    free(r->path);
    free(r->provider);
    free(r);
}

static void write_line(struct llm_file_recorder *r, const char *line, size_t len)
{
    pthread_mutex_lock(&r->lock);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(r->fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!r->failed)
                log_msg(LOG_WARN, "llm.record: cannot write to %s: %s", r->path, strerror(errno));
            r->failed = true;
            break;
        }
        done += (size_t)n;
    }
    pthread_mutex_unlock(&r->lock);
}

static void file_save(void *ctx, const char *key, const struct llm_request *req, const struct llm_reply *reply,
                      int error_code, const char *error_text)
{
    struct llm_file_recorder *r = ctx;
    json_t *rec = llm_record_json(key, r->provider, req, reply, error_code, error_text);
    char *line = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    if (!line)
        return;
    size_t len = strlen(line);
    line = xrealloc(line, len + 2);
    line[len] = '\n';
    line[len + 1] = '\0';
    write_line(r, line, len + 1);
    free(line);
}

void llm_file_recorder_bind(struct llm_file_recorder *r, struct llm_recorder *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->ctx = r;
    rec->save = file_save;
}
