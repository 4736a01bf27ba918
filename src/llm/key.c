/* key.c - the stable key of a request, by which recordings and the journal
 * find a call again (replay, resume).
 *
 * The key is the SHA-256 (OpenSSL's libcrypto) of a canonical JSON
 * rendering (sorted keys, compact) of what identifies the call:
 *  - with a call_id (every pipeline call has one): the stage, the call_id
 *    and the role (`cheap`). The call_id is the call's logical position in
 *    the run ("lane0/t1/k2/implement#0"), so a resumed run finds the answer
 *    it got before even though the prompt's "time left" has changed since;
 *  - without one (`mlestar llm`): the stage, the role, the messages,
 *    temperature, max_tokens, json_output and web_search.
 * The model is left out (the request does not name one, and a recording
 * should replay under whatever llm.model the replaying run is configured
 * with), and so is the structured context. A version number leads the text
 * so a change of this recipe cannot silently match old recordings. */
#include "llm/internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define KEY_VERSION 2

void llm_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        memset(out, '0', 64); /* libcrypto cannot fail on SHA-256 short of a broken install */
        out[64] = '\0';
        return;
    }
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static char *hex_key(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    char hex[65];
    llm_sha256_hex(text, strlen(text), hex);
    free(text);
    return xstrdup(hex);
}

char *llm_request_key(const struct llm_request *req)
{
    if (req->call_id && *req->call_id) {
        json_t *pos = json_pack("{s:i,s:o,s:s,s:b}", "v", KEY_VERSION, "stage", llm_json_str(req->stage), "call_id",
                                req->call_id, "cheap", req->cheap);
        char *key = hex_key(pos);
        json_decref(pos);
        return key;
    }
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
    char *key = hex_key(obj);
    json_decref(obj);
    return key;
}
