/* http.c - one JSON POST with libcurl, and what its outcome means.
 *
 * Every attempt uses its own easy handle: calls last seconds to minutes, so
 * a TLS handshake per call costs nothing that matters, and no handle is ever
 * shared between threads. curl_global_init runs once (pthread_once).
 *
 * Classification (llm_http_outcome), shared by the HTTP providers:
 *   - transport faults: timeout, refused/dropped connection, a body cut
 *     short of its Content-Length, nothing received -> retryable;
 *     a malformed URL or unsupported scheme -> LLM_ERR_CONFIG; other curl
 *     failures (certificate problems...) -> LLM_ERR_HTTP, not retried;
 *   - 408, 425, 429 and 5xx -> retryable, honouring Retry-After;
 *   - other non-2xx -> LLM_ERR_HTTP at once, with the provider's message;
 *   - 2xx whose body does not parse -> LLM_ERR_MALFORMED, retryable (the
 *     client bounds how often; see client.c).
 * API keys travel only in headers and are redacted from every message. */
#include "llm/internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/mem.h"
#include "util/timeutil.h"

#define MAX_BODY_BYTES (64u << 20)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static _Thread_local const atomic_bool *tl_cancel;

static void do_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void llm_http_global_init(void)
{
    pthread_once(&global_once, do_global_init);
}

void llm_http_set_cancel_flag(const atomic_bool *flag)
{
    tl_cancel = flag;
}

struct transfer {
    struct buf body;
    bool too_big;
    struct llm_http_response *resp;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    struct transfer *t = user;
    size_t n = size * nmemb;
    if (t->body.len + n > MAX_BODY_BYTES) {
        t->too_big = true;
        return 0;
    }
    buf_append(&t->body, data, n);
    return n;
}

static void set_str(char **field, const char *value, size_t len)
{
    free(*field);
    while (len && isspace((unsigned char)value[len - 1]))
        len--;
    while (len && isspace((unsigned char)*value)) {
        value++;
        len--;
    }
    *field = xstrndup(value, len);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    struct transfer *t = user;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        /* A new response (after a 100 Continue or a redirect): forget the old headers. */
        set_str(&t->resp->content_type, "", 0);
        set_str(&t->resp->request_id, "", 0);
        t->resp->retry_after_s = -1;
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t nlen = (size_t)(colon - data);
    const char *value = colon + 1;
    size_t vlen = n - nlen - 1;
    char tmp[128];
    if (nlen == 12 && !strncasecmp(data, "content-type", nlen)) {
        set_str(&t->resp->content_type, value, vlen);
    } else if ((nlen == 12 && !strncasecmp(data, "x-request-id", nlen)) ||
               (nlen == 10 && !strncasecmp(data, "request-id", nlen))) {
        set_str(&t->resp->request_id, value, vlen);
    } else if (nlen == 11 && !strncasecmp(data, "retry-after", nlen)) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)(vlen < 127 ? vlen : 127), value);
        double s = llm_parse_retry_after(tmp, time_wall());
        if (s >= 0 && t->resp->retry_after_s < 0)
            t->resp->retry_after_s = s;
    } else if (nlen == 14 && !strncasecmp(data, "retry-after-ms", nlen)) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)(vlen < 127 ? vlen : 127), value);
        double ms = atof(tmp);
        if (ms > 0)
            t->resp->retry_after_s = ms / 1000.0; /* more precise than Retry-After: wins */
    }
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct transfer *t = user;
    if (tl_cancel && atomic_load(tl_cancel)) {
        t->resp->cancelled = true;
        return 1;
    }
    return 0;
}

static struct curl_slist *build_headers(const struct llm_http_header *headers, size_t nheaders)
{
    struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json");
    list = curl_slist_append(list, "Accept: application/json");
    list = curl_slist_append(list, "Expect:"); /* no 100-continue round trip */
    for (size_t i = 0; i < nheaders; i++) {
        char *line = xasprintf("%s: %s", headers[i].name, headers[i].value);
        list = curl_slist_append(list, line);
        /* The line may hold a key: wipe it before freeing (curl keeps its own copy). */
        memset(line, 0, strlen(line));
        free(line);
    }
    return list;
}

void llm_http_post(const char *url, const struct llm_http_header *headers, size_t nheaders,
                   const char *body, double timeout_s, struct llm_http_response *resp)
{
    llm_http_global_init();
    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    resp->content_type = xstrdup("");
    resp->request_id = xstrdup("");
    struct transfer t = {.resp = resp};
    CURL *h = curl_easy_init();
    if (!h) {
        resp->curl_code = CURLE_FAILED_INIT;
        snprintf(resp->curl_error, sizeof resp->curl_error, "cannot create a curl handle");
        resp->body = xstrdup("");
        return;
    }
    struct curl_slist *list = build_headers(headers, nheaders);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mlestar");
    long timeout_ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 && timeout_ms < 30000 ? timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    CURLcode rc = curl_easy_perform(h);
    resp->curl_code = (int)rc;
    if (rc != CURLE_OK) {
        if (t.too_big)
            snprintf(resp->curl_error, sizeof resp->curl_error, "reply larger than %u MiB",
                     MAX_BODY_BYTES >> 20);
        else
            snprintf(resp->curl_error, sizeof resp->curl_error, "%s",
                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    resp->body_len = t.body.len;
    resp->body = buf_detach(&t.body);
}

void llm_http_response_free(struct llm_http_response *resp)
{
    free(resp->body);
    free(resp->content_type);
    free(resp->request_id);
    memset(resp, 0, sizeof *resp);
}

/* ---- outcome ---- */

static bool transport_retryable(int code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return true;
    default:
        return false;
    }
}

static bool status_retryable(long status)
{
    return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

static int transport_fault(const char *provider, const char *url, const struct llm_http_response *resp,
                           bool *retryable, struct err *err)
{
    if (resp->cancelled) {
        err_set(err, "%s: call cancelled", provider);
        return LLM_ERR_CANCELLED;
    }
    int code = resp->curl_code;
    if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
        err_set(err, "%s: bad URL %s (check llm.base_url): %s", provider, url, resp->curl_error);
        return LLM_ERR_CONFIG;
    }
    if (code == CURLE_WRITE_ERROR) { /* the body exceeded the size cap */
        err_set(err, "%s: %s from %s", provider, resp->curl_error, url);
        return LLM_ERR_MALFORMED;
    }
    const char *what = code == CURLE_OPERATION_TIMEDOUT ? "timed out (llm.timeout)"
                       : code == CURLE_PARTIAL_FILE     ? "connection dropped before the whole reply arrived"
                       : code == CURLE_GOT_NOTHING      ? "connection closed without a reply"
                                                        : "transfer failed";
    err_set(err, "%s: %s: %s (%s)", provider, url, what, resp->curl_error);
    *retryable = transport_retryable(code);
    return *retryable ? LLM_ERR_EXHAUSTED : LLM_ERR_HTTP;
}

int llm_http_outcome(const char *provider, const char *url, const struct llm_http_response *resp,
                     llm_body_parser parse, const char *secret, struct llm_reply *reply,
                     bool *retryable, double *retry_after_s, struct err *err)
{
    *retryable = false;
    *retry_after_s = -1;
    int rc;
    if (resp->curl_code != 0) {
        rc = transport_fault(provider, url, resp, retryable, err);
    } else if (resp->status < 200 || resp->status > 299) {
        char msg[600];
        llm_parse_error_body(resp->body, resp->body_len, msg, sizeof msg);
        err_set(err, "%s: HTTP %ld from %s: %s%s%s%s", provider, resp->status, url, msg,
                *resp->request_id ? " (request id " : "", resp->request_id,
                *resp->request_id ? ")" : "");
        *retryable = status_retryable(resp->status);
        *retry_after_s = resp->retry_after_s;
        rc = *retryable ? LLM_ERR_EXHAUSTED : LLM_ERR_HTTP;
    } else {
        struct err perr = {{0}};
        rc = parse(resp->body, resp->body_len, reply, &perr);
        if (rc == LLM_OK) {
            if (*resp->request_id) {
                free(reply->request_id);
                reply->request_id = xstrdup(resp->request_id);
            }
        } else {
            err_set(err, "%s: unexpected reply from %s (HTTP %ld, content type '%s'): %s", provider, url,
                    resp->status, resp->content_type, perr.msg);
            *retryable = true;
        }
    }
    if (rc != LLM_OK && err)
        llm_redact(err->msg, sizeof err->msg, secret);
    return rc;
}

/* ---- base URLs, keys, redaction ---- */

static bool has_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *slash = strchr(p, '/');
    return slash && slash[1];
}

char *llm_base_url(const char *cfg_value, const char *env_var, const char *fallback, const char *default_path)
{
    const char *v = cfg_value && *cfg_value ? cfg_value : NULL;
    if (!v && env_var) {
        const char *e = getenv(env_var);
        if (e && *e)
            v = e;
    }
    if (!v)
        v = fallback;
    char *url = xstrdup(v);
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    if (!has_path(url) && default_path) {
        char *with = xasprintf("%s%s", url, default_path);
        free(url);
        url = with;
    }
    return url;
}

char *llm_env_key(const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            return xstrdup(v);
    }
    return NULL;
}

void llm_redact(char *text, size_t textsz, const char *secret)
{
    if (!text || !secret || strlen(secret) < 4)
        return;
    static const char mark[] = "[redacted]";
    size_t slen = strlen(secret), mlen = strlen(mark);
    char *hit;
    while ((hit = strstr(text, secret)) != NULL) {
        if (slen >= mlen) {
            memcpy(hit, mark, mlen);
            memmove(hit + mlen, hit + slen, strlen(hit + slen) + 1);
        } else {
            memset(hit, '*', slen);
        }
    }
    (void)textsz;
}
