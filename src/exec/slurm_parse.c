/* slurm_parse.c - reading what Slurm's tools print. See slurm.h.
 *
 * Everything here is outside input: bounded by the length given (no
 * reliance on a terminating NUL), tolerant of any bytes, and fuzzed. The
 * formats are the stable, scriptable ones: srun's own messages on stderr,
 * `scontrol show job -o` (one line of KEY=VALUE words per job) and
 * `sacct --parsable2` (fields separated by '|'). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/slurm.h"
#include "util/buf.h"
#include "util/mem.h"

/* Finds needle in [s, s+len); returns its offset or -1. */
static long find(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; nl <= len && i + nl <= len; i++)
        if (!memcmp(s + i, needle, nl))
            return (long)i;
    return -1;
}

/* Reads a positive decimal at s[*i]; 0 when none or too large. */
static long read_id(const char *s, size_t len, size_t *i)
{
    long v = 0;
    size_t start = *i;
    while (*i < len && isdigit((unsigned char)s[*i])) {
        if (v > 100000000000L)
            return 0;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    return *i > start ? v : 0;
}

long slurm_srun_job_id(const char *line, size_t len)
{
    static const char *const prefixes[] = {"srun: jobid ", "srun: job ", NULL};
    for (const char *const *p = prefixes; *p; p++) {
        long at = find(line, len, *p);
        if (at < 0)
            continue;
        size_t i = (size_t)at + strlen(*p);
        long id = read_id(line, len, &i);
        if (id <= 0 || i >= len)
            continue;
        /* "jobid 12: nodes", "job 12 queued", "job 12 has been allocated" */
        if (line[i] == ':' || line[i] == ' ')
            return id;
    }
    return 0;
}

enum slurm_fate slurm_state_fate(const char *state)
{
    static const struct {
        const char *name;
        enum slurm_fate fate;
    } table[] = {
        {"PENDING", SLURM_FATE_ACTIVE}, {"RUNNING", SLURM_FATE_ACTIVE},
        {"CONFIGURING", SLURM_FATE_ACTIVE}, {"COMPLETING", SLURM_FATE_ACTIVE},
        {"SUSPENDED", SLURM_FATE_ACTIVE}, {"REQUEUED", SLURM_FATE_ACTIVE},
        {"REQUEUE_HOLD", SLURM_FATE_ACTIVE}, {"REQUEUE_FED", SLURM_FATE_ACTIVE},
        {"RESIZING", SLURM_FATE_ACTIVE}, {"SIGNALING", SLURM_FATE_ACTIVE},
        {"STAGE_OUT", SLURM_FATE_ACTIVE}, {"STOPPED", SLURM_FATE_ACTIVE},
        {"RESV_DEL_HOLD", SLURM_FATE_ACTIVE},
        {"COMPLETED", SLURM_FATE_DONE}, {"FAILED", SLURM_FATE_DONE},
        {"CANCELLED", SLURM_FATE_CANCELLED}, {"REVOKED", SLURM_FATE_CANCELLED},
        {"TIMEOUT", SLURM_FATE_TIMEOUT}, {"DEADLINE", SLURM_FATE_TIMEOUT},
        {"OUT_OF_MEMORY", SLURM_FATE_OOM},
        {"NODE_FAIL", SLURM_FATE_LOST}, {"PREEMPTED", SLURM_FATE_LOST},
        {"BOOT_FAIL", SLURM_FATE_LOST},
    };
    if (!state)
        return SLURM_FATE_UNKNOWN;
    /* squeue's short forms (-o %t) */
    static const struct {
        const char *name;
        enum slurm_fate fate;
    } shorts[] = {
        {"PD", SLURM_FATE_ACTIVE}, {"R", SLURM_FATE_ACTIVE}, {"CF", SLURM_FATE_ACTIVE},
        {"CG", SLURM_FATE_ACTIVE}, {"S", SLURM_FATE_ACTIVE}, {"CD", SLURM_FATE_DONE},
        {"F", SLURM_FATE_DONE}, {"CA", SLURM_FATE_CANCELLED}, {"TO", SLURM_FATE_TIMEOUT},
        {"OOM", SLURM_FATE_OOM}, {"NF", SLURM_FATE_LOST}, {"PR", SLURM_FATE_LOST},
        {"BF", SLURM_FATE_LOST},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(state, table[i].name))
            return table[i].fate;
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
        if (!strcmp(state, shorts[i].name))
            return shorts[i].fate;
    return SLURM_FATE_UNKNOWN;
}

const char *slurm_fate_name(enum slurm_fate fate)
{
    switch (fate) {
    case SLURM_FATE_ACTIVE: return "active";
    case SLURM_FATE_DONE: return "done";
    case SLURM_FATE_CANCELLED: return "cancelled";
    case SLURM_FATE_TIMEOUT: return "timeout";
    case SLURM_FATE_OOM: return "out of memory";
    case SLURM_FATE_LOST: return "lost (node failure or preemption)";
    case SLURM_FATE_UNKNOWN: break;
    }
    return "unknown";
}

/* Copies [s, s+n) into dst (size), NUL-terminated, cut at size-1. */
static void copy_field(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* "a:b" -> exit code a, signal b. */
static void parse_exit(const char *s, size_t n, struct slurm_job_info *info)
{
    size_t i = 0;
    long code = -1, sig = 0;
    if (i < n && isdigit((unsigned char)s[i])) {
        code = 0;
        while (i < n && isdigit((unsigned char)s[i]) && code < 1000000)
            code = code * 10 + (s[i++] - '0');
    }
    if (i < n && s[i] == ':') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]) && sig < 1000000)
            sig = sig * 10 + (s[i++] - '0');
    }
    info->exit_code = (int)code;
    info->exit_signal = (int)sig;
}

static void info_clear(struct slurm_job_info *info)
{
    memset(info, 0, sizeof *info);
    info->exit_code = -1;
}

int slurm_parse_scontrol(const char *text, size_t len, struct slurm_job_info *info)
{
    info_clear(info);
    size_t i = 0;
    bool in_job = false;
    while (i < len) {
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i < len && text[i] == '\n') {
            if (info->state[0])
                break; /* the first job only */
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n')
            i++;
        const char *word = text + start;
        size_t wl = i - start;
        const char *eq = memchr(word, '=', wl);
        if (!eq)
            continue;
        size_t kl = (size_t)(eq - word);
        const char *v = eq + 1;
        size_t vl = wl - kl - 1;
        if (kl == 5 && !memcmp(word, "JobId", 5)) {
            if (in_job && info->state[0])
                break;
            in_job = true;
        } else if (kl == 8 && !memcmp(word, "JobState", 8)) {
            copy_field(info->state, sizeof info->state, v, vl);
        } else if (kl == 6 && !memcmp(word, "Reason", 6)) {
            copy_field(info->reason, sizeof info->reason, v, vl);
        } else if (kl == 8 && !memcmp(word, "NodeList", 8)) {
            copy_field(info->nodes, sizeof info->nodes, v, vl);
        } else if (kl == 8 && !memcmp(word, "ExitCode", 8)) {
            parse_exit(v, vl, info);
        }
    }
    return info->state[0] ? 0 : -1;
}

int slurm_parse_sacct(const char *text, size_t len, struct slurm_job_info *info)
{
    info_clear(info);
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        const char *line = text + start;
        size_t ll = i - start;
        if (i < len)
            i++;
        /* State|ExitCode|NodeList */
        const char *bar = memchr(line, '|', ll);
        size_t sl = bar ? (size_t)(bar - line) : ll;
        const char *space = memchr(line, ' ', sl); /* "CANCELLED by 0" */
        if (space)
            sl = (size_t)(space - line);
        if (sl == 0)
            continue;
        copy_field(info->state, sizeof info->state, line, sl);
        if (bar) {
            const char *rest = bar + 1;
            size_t rl = ll - (size_t)(rest - line);
            const char *bar2 = memchr(rest, '|', rl);
            size_t el = bar2 ? (size_t)(bar2 - rest) : rl;
            parse_exit(rest, el, info);
            if (bar2)
                copy_field(info->nodes, sizeof info->nodes, bar2 + 1, rl - el - 1);
        }
        return 0;
    }
    return -1;
}

void slurm_format_minutes(double seconds, char *buf, size_t size)
{
    if (!(seconds > 0))
        seconds = 60;
    if (seconds > 365.0 * 86400)
        seconds = 365.0 * 86400;
    long minutes = (long)((seconds + 59.999) / 60);
    if (minutes < 1)
        minutes = 1;
    long days = minutes / 1440, hours = minutes % 1440 / 60, mins = minutes % 60;
    if (days)
        snprintf(buf, size, "%ld-%02ld:%02ld:00", days, hours, mins);
    else
        snprintf(buf, size, "%ld:%02ld:00", hours, mins);
}

void slurm_words_free(char **words)
{
    for (size_t i = 0; words && words[i]; i++)
        free(words[i]);
    free(words);
}

char **slurm_split_words(const char *text, struct err *err)
{
    char **words = xcalloc(1, sizeof *words);
    size_t n = 0;
    const char *p = text ? text : "";
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        struct buf word = {0};
        buf_puts(&word, "");
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *close = strchr(p, q);
                if (!close) {
                    buf_free(&word);
                    slurm_words_free(words);
                    err_set(err, "exec.slurm_extra: unterminated %c quote in '%s'", q, text);
                    return NULL;
                }
                buf_append(&word, p, (size_t)(close - p));
                p = close + 1;
            } else {
                buf_putc(&word, *p++);
            }
        }
        words = xrealloc(words, (n + 2) * sizeof *words);
        words[n++] = buf_detach(&word);
        words[n] = NULL;
    }
    return words;
}
