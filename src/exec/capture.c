/* capture.c - one output stream of a script: to a file, capped, with a tail.
 *
 * The runner reads the script's stdout and stderr pipes itself, so a script
 * printing gigabytes cannot fill the disk or the orchestrator's memory:
 * bytes go to the file until the budget shared by both streams
 * (exec.output_cap) is spent, and are then only drained. Whatever happens,
 * the last EXEC_TAIL_MAX bytes stay in a ring buffer (that is where the
 * traceback and the score are), and on stdout every line is checked for the
 * score as it passes, so a score printed after the cap still counts. When
 * the file was truncated, capture_finish() appends a marker and the tail,
 * so the file ends the way the output did. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "util/mem.h"

void capture_init(struct capture *c, int fd, bool scan_score)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->scan_score = scan_score;
    c->score_state = -1;
}

static void write_fully(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* disk full: the tail in memory still holds the end */
        data += w;
        n -= (size_t)w;
    }
}

static void ring_add(struct capture *c, const char *data, size_t n)
{
    if (n >= EXEC_TAIL_MAX) {
        memcpy(c->ring, data + n - EXEC_TAIL_MAX, EXEC_TAIL_MAX);
        c->ring_len = EXEC_TAIL_MAX;
        c->ring_pos = 0;
        return;
    }
    for (size_t done = 0; done < n;) {
        size_t at = c->ring_len < EXEC_TAIL_MAX ? c->ring_len : c->ring_pos;
        size_t room = EXEC_TAIL_MAX - at;
        size_t chunk = n - done < room ? n - done : room;
        memcpy(c->ring + at, data + done, chunk);
        done += chunk;
        if (c->ring_len < EXEC_TAIL_MAX) {
            c->ring_len += chunk;
            c->ring_pos = c->ring_len % EXEC_TAIL_MAX;
        } else {
            c->ring_pos = (at + chunk) % EXEC_TAIL_MAX;
        }
    }
}

static void end_line(struct capture *c)
{
    if (!c->line_overflow) {
        double v;
        int r = exec_score_line(c->line, c->line_len, &v);
        if (r >= 0) {
            c->score_state = r;
            if (r == 1)
                c->score = v;
        }
    }
    c->line_len = 0;
    c->line_overflow = false;
}

static void line_add(struct capture *c, const char *data, size_t n)
{
    if (c->line_overflow || c->line_len + n > CAPTURE_LINE_MAX) {
        c->line_overflow = true; /* too long to be a score line */
        return;
    }
    memcpy(c->line + c->line_len, data, n);
    c->line_len += n;
}

static void scan_lines(struct capture *c, const char *data, size_t n)
{
    const char *end = data + n;
    while (data < end) {
        const char *nl = memchr(data, '\n', (size_t)(end - data));
        line_add(c, data, (size_t)((nl ? nl : end) - data));
        if (!nl)
            break;
        end_line(c);
        data = nl + 1;
    }
}

void capture_feed(struct capture *c, struct capture_budget *budget, const char *data, size_t n)
{
    c->total += (long long)n;
    ring_add(c, data, n);
    if (c->scan_score)
        scan_lines(c, data, n);
    size_t keep = n;
    if (budget->cap > 0) {
        long long room = budget->cap - budget->used;
        if (room < 0)
            room = 0;
        if ((long long)keep > room) {
            keep = (size_t)room;
            c->truncated = true;
        }
    }
    if (keep > 0 && c->fd >= 0)
        write_fully(c->fd, data, keep);
    c->written += (long long)keep;
    budget->used += (long long)keep;
}

void capture_finish(struct capture *c)
{
    if (c->scan_score && c->line_len > 0)
        end_line(c);
    if (c->fd < 0)
        return;
    if (c->truncated) {
        char marker[160];
        int m = snprintf(marker, sizeof marker,
                         "\n[mlestar: output cap reached; %lld bytes not kept; the last %zu "
                         "bytes follow]\n",
                         c->total - c->written, c->ring_len);
        write_fully(c->fd, marker, (size_t)m);
        char *tail = capture_tail(c);
        write_fully(c->fd, tail, c->ring_len);
        free(tail);
    }
    close(c->fd);
    c->fd = -1;
}

char *capture_tail(const struct capture *c)
{
    char *out = xmalloc(c->ring_len + 1);
    if (c->ring_len < EXEC_TAIL_MAX) {
        memcpy(out, c->ring, c->ring_len);
    } else {
        size_t first = EXEC_TAIL_MAX - c->ring_pos;
        memcpy(out, c->ring + c->ring_pos, first);
        memcpy(out + first, c->ring, c->ring_pos);
    }
    out[c->ring_len] = '\0';
    return out;
}
