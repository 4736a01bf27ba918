/* callkey.c - see callkey.h. A JSON object maps "stage|call_id|cheap" to
 * the hex FNV-1a hash of the request's non-system messages. */
#include "agent/callkey.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct callkey_registry {
    pthread_mutex_t lock;
    json_t *seen;
};

struct callkey_registry *callkey_new(void)
{
    struct callkey_registry *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->seen = json_object();
    return r;
}

void callkey_free(struct callkey_registry *r)
{
    if (!r)
        return;
    json_decref(r->seen);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static unsigned long long fnv1a(unsigned long long h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int callkey_register(struct callkey_registry *r, const struct llm_request *req)
{
    if (!req->call_id || !*req->call_id)
        return 0;
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < req->nmessages; i++) {
        if (req->messages[i].role == LLM_SYSTEM)
            continue;
        h = fnv1a(h, req->messages[i].role == LLM_USER ? "\x01" : "\x02");
        h = fnv1a(h, req->messages[i].content);
    }
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", h);
    char *key = xasprintf("%s|%s|%d", req->stage ? req->stage : "", req->call_id, req->cheap);
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    const char *known = json_string_value(json_object_get(r->seen, key));
    if (!known)
        json_object_set_new(r->seen, key, json_string(hash));
    else if (strcmp(known, hash) != 0)
        rc = -1;
    pthread_mutex_unlock(&r->lock);
    free(key);
    return rc;
}
