/* progress.h - what a person watching `mlestar run` sees while it runs.
 *
 * The pipeline feeds every event it journals (agent_event) to
 * progress_event(); the display keeps a small picture of the run from them
 * (per lane: stage, outer step t/T, inner step k/K, best score; the
 * ensemble round; the best score overall) and pulls the rest (elapsed and
 * remaining time, scripts running, tokens, cost) from a stats callback.
 *
 * Modes:
 *   PROGRESS_TTY    a status block of a few lines at the bottom of the
 *                   terminal, redrawn in place with ANSI escapes by a
 *                   background thread (a few times a second); event lines
 *                   and every log line scroll above it (the progress
 *                   installs itself as the log sink, util/log.h)
 *   PROGRESS_LINES  one timestamped log line per meaningful event, plus a
 *                   status line every heartbeat_s seconds (CI, log files)
 *   PROGRESS_QUIET  nothing (the caller prints the final summary)
 * PROGRESS_AUTO picks TTY when the output fd is a terminal (and TERM is
 * not "dumb"), else LINES; QUIET when the log level is above info (-q).
 * Independently, `events` prints every event as one JSON object per line
 * on events_out (stdout for `mlestar run --events`), in every mode.
 *
 * Text that came from a model (plans, model names) is stripped of control
 * characters before it reaches the terminal.
 *
 * Thread-safety: progress_event() may be called from any thread; the
 * stats callback is called from the display thread with no progress lock
 * held. progress_new()/progress_free() by the owning thread only. */
#ifndef MLESTAR_REPORT_PROGRESS_H
#define MLESTAR_REPORT_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct buf;

enum progress_mode { PROGRESS_AUTO = 0, PROGRESS_TTY, PROGRESS_LINES, PROGRESS_QUIET };

/* What the display asks the run for at each redraw. */
struct progress_stats {
    double elapsed_s;
    double remaining_s;         /* < 0 = no time limit */
    long scripts_running;
    long scripts_run;
    long long input_tokens;
    long long output_tokens;
    double cost_usd;
};

struct progress_opts {
    enum progress_mode mode;
    int fd;                     /* where the TTY block is drawn; 0 = stderr */
    bool events;                /* print events as JSON lines on events_out */
    FILE *events_out;           /* NULL = stdout */
    int lanes, outer_steps, inner_steps, ensemble_rounds;   /* L, T, K, R for "t 2/4" */
    /* Fills *out; called from the display thread. NULL = no stats. */
    void (*stats)(void *ctx, struct progress_stats *out);
    void *stats_ctx;
    double refresh_s;           /* TTY redraw period; 0 = 0.25 s */
    double heartbeat_s;         /* LINES status line period; 0 = 60 s, < 0 = never */
};

/* A new display (never NULL); the mode is resolved here. In TTY mode it
 * starts its thread and becomes the log sink. Free with progress_free(). */
struct progress *progress_new(const struct progress_opts *opts);
/* Feeds one event: type as journaled, data its JSON object (borrowed; may
 * be NULL). Updates the picture, prints the event's line (LINES/TTY) and
 * its JSON (events). Thread-safe. */
void progress_event(struct progress *p, const char *type, json_t *data);
/* The mode in effect (never PROGRESS_AUTO). */
enum progress_mode progress_mode(const struct progress *p);
/* Appends the status block (lines ending in '\n', none wider than width
 * columns, ASCII) to out, with stats from the callback. Thread-safe. */
void progress_render(struct progress *p, struct buf *out, int width);
/* Stops the thread, erases the block, restores the log sink; frees p.
 * NULL is allowed. */
void progress_free(struct progress *p);

#endif
