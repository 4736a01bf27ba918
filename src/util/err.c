/* err.c - see err.h. */
#include "util/err.h"

#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int err_sys(struct err *err, int errno_value, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(err->msg);
    const char *reason = strerror(errno_value);
    if (n + 2 + strlen(reason) < sizeof err->msg) {
        memcpy(err->msg + n, ": ", 2);
        memcpy(err->msg + n + 2, reason, strlen(reason) + 1);
    }
    return -1;
}

int err_prefix(struct err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[ERR_MSG_MAX];
    char old[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    struct buf joined = {0};
    buf_printf(&joined, "%s: %s", prefix, old);
    size_t n = joined.len < sizeof err->msg - 1 ? joined.len : sizeof err->msg - 1;
    memcpy(err->msg, joined.data, n);
    err->msg[n] = '\0';
    buf_free(&joined);
    return -1;
}

void err_clear(struct err *err)
{
    if (err)
        err->msg[0] = '\0';
}
