/* err.h - the error value every fallible function fills.
 *
 * Convention (see ARCHITECTURE.md): a function that can fail returns 0 on
 * success and -1 on failure, and writes a message a user can act on into the
 * `struct err` it was given (which may be NULL when the caller does not care).
 * Messages name the thing that failed (a path, a provider, a setting) and
 * what was wrong with it. Nothing below src/cli calls exit().
 *
 * err_set() replaces the message; err_prefix() prepends context, so callers
 * can add "while loading config: " without losing the cause. */
#ifndef MLESTAR_UTIL_ERR_H
#define MLESTAR_UTIL_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

struct err {
    char msg[ERR_MSG_MAX];
};

/* Sets the message; always returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like err_set, appending ": <strerror(errno_value)>". Returns -1. */
int err_sys(struct err *err, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "<formatted>: " to the current message. Returns -1. */
int err_prefix(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empties the message. */
void err_clear(struct err *err);

#endif
