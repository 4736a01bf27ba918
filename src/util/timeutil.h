/* timeutil.h - clocks and human-readable durations and sizes.
 *
 * Parsing is shared by the config file, the environment and the flags, so
 * "30m", "1h30m", "90s", "2.5h" and a bare number of seconds all mean the
 * same thing everywhere; sizes accept "512M", "4G", "100k" (bytes with a
 * suffix; a bare number is mebibytes, documented in the README). */
#ifndef MLESTAR_UTIL_TIMEUTIL_H
#define MLESTAR_UTIL_TIMEUTIL_H

#include <stddef.h>

/* Seconds since an arbitrary point; monotonic. */
double time_mono(void);
/* Seconds since the epoch. */
double time_wall(void);
/* "2026-11-26T13:27:20Z" into out (at least 21 bytes). */
void time_iso8601(double epoch_seconds, char *out, size_t outsz);
/* Parses a duration into seconds ("90", "1h30m", "2d", "250ms"); returns 0,
 * or -1 on bad syntax or a duration beyond 1e15 seconds. */
int parse_duration(const char *text, double *seconds);
/* Parses a size into bytes; a bare number is MiB. Returns 0, or -1 on bad
 * syntax or a size that does not fit a long long. */
int parse_size(const char *text, long long *bytes);
/* "1h02m", "3m05s", "12.3s" into out. */
void format_duration(double seconds, char *out, size_t outsz);

#endif
