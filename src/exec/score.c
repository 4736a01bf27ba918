/* score.c - the validation score a solution prints.
 *
 * Every solution ends with `print(f"Final Validation Performance: {score}")`.
 * The last such line decides: when it holds NaN, an infinity or something
 * that is not a number, the run has no score (an earlier good line does not
 * count, since the script's final word was that its model is broken). The
 * marker may be preceded by other text on the line (a logger prefix); the
 * number must be the only thing after it, apart from spaces. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

static const char SCORE_MARKER[] = "Final Validation Performance:";

/* memmem for the marker within [line, line+len). */
static const char *find_marker(const char *line, size_t len)
{
    size_t mlen = sizeof SCORE_MARKER - 1;
    const char *found = NULL;
    for (size_t i = 0; i + mlen <= len; i++)
        if (line[i] == 'F' && memcmp(line + i, SCORE_MARKER, mlen) == 0)
            found = line + i;
    return found;
}

int exec_score_line(const char *line, size_t len, double *score)
{
    const char *m = find_marker(line, len);
    if (!m)
        return -1;
    const char *p = m + sizeof SCORE_MARKER - 1;
    const char *end = line + len;
    char num[64];
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof num)
        return 0;
    memcpy(num, p, n);
    num[n] = '\0';
    char *stop;
    errno = 0;
    double v = strtod(num, &stop);
    if (stop == num || *stop != '\0' || errno == ERANGE || !isfinite(v))
        return 0;
    *score = v;
    return 1;
}

bool exec_parse_score(const char *text, double *score)
{
    int state = -1;
    double last = 0;
    if (!text)
        return false;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        double v;
        int r = exec_score_line(p, len, &v);
        if (r >= 0) {
            state = r;
            if (r == 1)
                last = v;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (state == 1)
        *score = last;
    return state == 1;
}
