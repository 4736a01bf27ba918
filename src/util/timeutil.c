/* timeutil.c - see timeutil.h. */
#include "util/timeutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double time_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void time_iso8601(double epoch_seconds, char *out, size_t outsz)
{
    time_t t = (time_t)epoch_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Longer durations are refused: a duration may become milliseconds in a
 * long long (1e15 s is some 30 million years; 1e18 ms still fits). */
#define DURATION_MAX_S 1e15

int parse_duration(const char *text, double *seconds)
{
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (isspace((unsigned char)*p))
        p++;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return -1;
        p = end;
        double unit = 1;
        switch (*p) {
        case 'd': unit = 86400; p++; break;
        case 'h': unit = 3600; p++; break;
        case 'm':
            if (p[1] == 's') { unit = 0.001; p += 2; }
            else { unit = 60; p++; }
            break;
        case 's': unit = 1; p++; break;
        case '\0': break;
        default:
            if (!isspace((unsigned char)*p))
                return -1;
        }
        total += v * unit;
        parts++;
        while (isspace((unsigned char)*p))
            p++;
    }
    if (parts == 0 || !(total <= DURATION_MAX_S))
        return -1;
    *seconds = total;
    return 0;
}

int parse_size(const char *text, long long *bytes)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v) || v < 0)
        return -1;
    double mult = 1024.0 * 1024.0;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'B': mult = 1; end++; break;
    case 'K': mult = 1024.0; end++; break;
    case 'M': mult = 1024.0 * 1024.0; end++; break;
    case 'G': mult = 1024.0 * 1024.0 * 1024.0; end++; break;
    case 'T': mult = 1024.0 * 1024.0 * 1024.0 * 1024.0; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0')
        return -1;
    double b = v * mult;
    if (!(b < 9223372036854775807.0)) /* also refuses what does not fit a long long */
        return -1;
    *bytes = (long long)b;
    return 0;
}

void format_duration(double seconds, char *out, size_t outsz)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60) {
        snprintf(out, outsz, "%.1fs", seconds);
        return;
    }
    long s = lround(seconds);
    if (s < 3600)
        snprintf(out, outsz, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, outsz, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
}
