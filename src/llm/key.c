/* key.c - the stable key of a request, by which recordings and the journal
 * find a call again (replay, resume).
 *
 * The key is the SHA-256 of a canonical JSON rendering (sorted keys, compact)
 * of what decides the answer: stage, call_id, the role (`cheap`, which
 * stands in for the model: the request does not name one, and a recording
 * should replay under whatever llm.model the replaying run is configured
 * with), the messages, temperature, max_tokens, json_output and web_search.
 * The structured context is left out: the rendered messages already carry
 * what reaches a network model. A version number leads the text so a change
 * of this recipe cannot silently match old recordings. */
#include "llm/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define KEY_VERSION 1

char *llm_request_key(const struct llm_request *req)
{
    json_t *msgs = json_array();
    for (size_t i = 0; i < req->nmessages; i++) {
        json_t *m = json_array();
        json_array_append_new(m, json_string(llm_role_name(req->messages[i].role)));
        json_array_append_new(m, llm_json_str(req->messages[i].content));
        json_array_append_new(msgs, m);
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "v", json_integer(KEY_VERSION));
    json_object_set_new(obj, "stage", llm_json_str(req->stage));
    json_object_set_new(obj, "call_id", llm_json_str(req->call_id));
    json_object_set_new(obj, "cheap", json_boolean(req->cheap));
    json_object_set_new(obj, "messages", msgs);
    json_object_set_new(obj, "temperature", json_real(req->temperature));
    json_object_set_new(obj, "max_tokens", json_integer(req->max_tokens));
    json_object_set_new(obj, "json_output", json_boolean(req->json_output));
    json_object_set_new(obj, "web_search", json_boolean(req->web_search));
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    char hex[65];
    llm_sha256_hex(text, strlen(text), hex);
    free(text);
    return xstrdup(hex);
}
