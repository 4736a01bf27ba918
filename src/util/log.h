/* log.h - diagnostic lines on stderr.
 *
 * One process-wide level (set once by the CLI). Lines carry a UTC timestamp
 * and the level. Thread-safe: each line is written with one write(2).
 * Never pass secrets to these functions. */
#ifndef MLESTAR_UTIL_LOG_H
#define MLESTAR_UTIL_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_QUIET = 4 };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where lines go instead of stderr (report/progress.c keeps a live display
 * below them). The sink gets one whole line, newline included, and is
 * called under a lock, so lines never interleave; it must not log itself.
 * NULL restores stderr. The previous sink must not be freed until this
 * call returns. */
typedef void (*log_sink_fn)(void *ctx, const char *line, size_t len);
void log_set_sink(log_sink_fn sink, void *ctx);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
