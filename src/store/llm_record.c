/* llm_record.c - LLM calls: every request and reply, memoized by key.
 *
 * The journal plugs into the LLM client as a struct llm_recorder. The client
 * asks lookup() before sending a request (key = llm_request_key(), which
 * includes the call's logical position, so a resumed run finds its calls),
 * and hands every finished call to save(). Failed calls are recorded too,
 * for the report, but only successful ones are ever answered from the
 * journal. The request is stored as JSON (messages and sampling parameters;
 * the structured context is not: it is never sent). API keys never reach the
 * request, so they never reach the journal. Only the headers of llm/ are used
 * (for the structs): the journal does not link the client. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const char *finish_name(enum llm_finish f)
{
    switch (f) {
    case LLM_FINISH_STOP:
        return "stop";
    case LLM_FINISH_LENGTH:
        return "length";
    case LLM_FINISH_FILTER:
        return "filter";
    default:
        return "other";
    }
}

static enum llm_finish finish_from_name(const char *name)
{
    if (!name || strcmp(name, "stop") == 0)
        return LLM_FINISH_STOP;
    if (strcmp(name, "length") == 0)
        return LLM_FINISH_LENGTH;
    if (strcmp(name, "filter") == 0)
        return LLM_FINISH_FILTER;
    return LLM_FINISH_OTHER;
}

static const char *role_name(enum llm_role r)
{
    return r == LLM_SYSTEM ? "system" : r == LLM_ASSISTANT ? "assistant" : "user";
}

/* A JSON string of text (NULL -> null), invalid UTF-8 replaced. */
static json_t *text_json(const char *text)
{
    return text ? st_json_text(text, strlen(text)) : json_null();
}

static json_t *request_json(const struct llm_request *req)
{
    json_t *messages = json_array();
    for (size_t i = 0; i < req->nmessages; i++) {
        json_t *m = json_object();
        json_object_set_new(m, "role", json_string(role_name(req->messages[i].role)));
        json_object_set_new(m, "content", text_json(req->messages[i].content));
        json_array_append_new(messages, m);
    }
    json_t *r = json_object();
    json_object_set_new(r, "messages", messages);
    json_object_set_new(r, "temperature", json_real(req->temperature));
    json_object_set_new(r, "max_tokens", json_integer(req->max_tokens));
    json_object_set_new(r, "json_output", json_boolean(req->json_output));
    json_object_set_new(r, "web_search", json_boolean(req->web_search));
    json_object_set_new(r, "cheap", json_boolean(req->cheap));
    return r;
}

static json_t *sources_json(const struct llm_reply *reply)
{
    json_t *a = json_array();
    for (size_t i = 0; i < reply->nsources; i++) {
        json_t *src = json_object();
        json_object_set_new(src, "title", text_json(reply->sources[i].title));
        json_object_set_new(src, "url", text_json(reply->sources[i].url));
        json_array_append_new(a, src);
    }
    return a;
}

/* 1 when a successful call with this key is already recorded. */
static int has_success(struct store *s, const char *key, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s, "SELECT 1 FROM llm_calls WHERE call_key = ? AND error_code = 0 LIMIT 1", &st, err) < 0)
        return -1;
    st_bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        return st_error(s, err, "cannot look up an LLM call");
    return 0;
}

static int insert_call(struct store *s, const char *key, const struct llm_request *req,
                       const struct llm_reply *reply, int error_code, const char *error_text, struct err *err)
{
    static const struct llm_reply none;
    if (!reply)
        reply = &none;
    sqlite3_stmt *st;
    if (st_prepare(s,
                   "INSERT INTO llm_calls (call_key, stage, call_id, request, reply, finish, input_tokens,"
                   " output_tokens, cached_tokens, cost_usd, latency_s, queued_s, tries, model, request_id,"
                   " sources, error_code, error, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   &st, err) < 0)
        return -1;
    json_t *request = request_json(req);
    json_t *sources = sources_json(reply);
    int i = 1;
    st_bind_text(st, i++, key);
    st_bind_text(st, i++, req->stage);
    st_bind_text(st, i++, req->call_id);
    st_bind_json(st, i++, request);
    st_bind_text(st, i++, reply->text);
    st_bind_text(st, i++, reply->text ? finish_name(reply->finish) : NULL);
    sqlite3_bind_int64(st, i++, reply->usage.input_tokens);
    sqlite3_bind_int64(st, i++, reply->usage.output_tokens);
    sqlite3_bind_int64(st, i++, reply->usage.cached_tokens);
    sqlite3_bind_double(st, i++, reply->cost_usd);
    sqlite3_bind_double(st, i++, reply->latency_s);
    sqlite3_bind_double(st, i++, reply->queued_s);
    sqlite3_bind_int(st, i++, reply->tries);
    st_bind_text(st, i++, reply->model);
    st_bind_text(st, i++, reply->request_id);
    st_bind_json(st, i++, sources);
    sqlite3_bind_int(st, i++, error_code);
    st_bind_text(st, i++, error_code ? (error_text ? error_text : "") : NULL);
    sqlite3_bind_double(st, i++, time_wall());
    json_decref(request);
    json_decref(sources);
    return st_run(s, st, "cannot record an LLM call", err);
}

static void recorder_save(void *ctx, const char *key, const struct llm_request *req, const struct llm_reply *reply,
                          int error_code, const char *error_text)
{
    struct store *s = ctx;
    struct err err = {{0}};
    if (error_code == 0 && reply && reply->from_record)
        return;
    if (st_begin(s, true, &err) < 0) {
        log_error("LLM call %s not journaled: %s", req->call_id ? req->call_id : key, err.msg);
        return;
    }
    int known = error_code == 0 ? has_success(s, key, &err) : 0;
    if (known < 0 || (known == 0 && insert_call(s, key, req, reply, error_code, error_text, &err) < 0)) {
        st_rollback(s);
        log_error("LLM call %s not journaled (a resume would send it again): %s",
                  req->call_id ? req->call_id : key, err.msg);
        return;
    }
    if (st_commit(s, &err) < 0)
        log_error("LLM call %s not journaled: %s", req->call_id ? req->call_id : key, err.msg);
}

static struct llm_source *sources_from_json(sqlite3_stmt *st, int col, size_t *n)
{
    *n = 0;
    json_t *a = st_col_json_parsed(st, col);
    size_t count = json_is_array(a) ? json_array_size(a) : 0;
    struct llm_source *sources = NULL;
    if (count) {
        sources = xcalloc(count, sizeof *sources);
        for (size_t i = 0; i < count; i++) {
            json_t *item = json_array_get(a, i);
            const char *title = json_string_value(json_object_get(item, "title"));
            const char *url = json_string_value(json_object_get(item, "url"));
            sources[i].title = xstrdup(title ? title : "");
            sources[i].url = xstrdup(url ? url : "");
        }
        *n = count;
    }
    json_decref(a);
    return sources;
}

static void reply_from_row(sqlite3_stmt *st, struct llm_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->text = st_col_strdup(st, 0);
    if (!reply->text)
        reply->text = xstrdup("");
    reply->finish = finish_from_name((const char *)sqlite3_column_text(st, 1));
    reply->usage.input_tokens = (long)sqlite3_column_int64(st, 2);
    reply->usage.output_tokens = (long)sqlite3_column_int64(st, 3);
    reply->usage.cached_tokens = (long)sqlite3_column_int64(st, 4);
    reply->cost_usd = sqlite3_column_double(st, 5);
    reply->latency_s = sqlite3_column_double(st, 6);
    reply->tries = sqlite3_column_int(st, 7);
    reply->model = st_col_strdup(st, 8);
    if (!reply->model)
        reply->model = xstrdup("");
    reply->request_id = st_col_strdup(st, 9);
    if (!reply->request_id)
        reply->request_id = xstrdup("");
    reply->sources = sources_from_json(st, 10, &reply->nsources);
    reply->queued_s = sqlite3_column_double(st, 11); /* NULL (recorded before schema v2) reads as 0 */
    reply->from_record = true;
}

static int recorder_lookup(void *ctx, const char *key, const struct llm_request *req, struct llm_reply *reply)
{
    struct store *s = ctx;
    struct err err = {{0}};
    sqlite3_stmt *st;
    (void)req;
    if (st_begin(s, false, &err) < 0) {
        log_warn("cannot read recorded LLM calls: %s", err.msg);
        return 0;
    }
    if (st_prepare(s,
                   "SELECT reply, finish, input_tokens, output_tokens, cached_tokens, cost_usd, latency_s, tries,"
                   " model, request_id, sources, queued_s FROM llm_calls WHERE call_key = ? AND error_code = 0"
                   " ORDER BY id DESC LIMIT 1",
                   &st, &err) < 0) {
        st_rollback(s);
        log_warn("cannot read recorded LLM calls: %s", err.msg);
        return 0;
    }
    st_bind_text(st, 1, key);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        reply_from_row(st, reply);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        st_error(s, &err, "cannot look up an LLM call");
        log_warn("%s", err.msg);
    }
    sqlite3_finalize(st);
    st_commit(s, NULL);
    return found;
}

void store_llm_recorder(struct store *s, struct llm_recorder *out)
{
    out->ctx = s;
    out->lookup = recorder_lookup;
    out->save = recorder_save;
}
