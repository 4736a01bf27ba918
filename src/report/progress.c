/* progress.c - the live display of a run (see progress.h).
 *
 * Design: one lock guards a small picture of the run (struct view) that
 * progress_event() updates from the pipeline's events. Each event may also
 * yield one line of text; that line is logged (log_msg) after the lock is
 * released, so in LINES mode it is an ordinary timestamped log line, and in
 * TTY mode it reaches tty_sink(), the log sink installed here, which erases
 * the status block, writes the line, and draws the block again below it.
 * A display thread redraws the block a few times a second (TTY) or logs a
 * status line now and then (LINES); it asks the run for time, scripts and
 * tokens through the stats callback, with no lock of ours held, so the
 * callback may take the run's own locks.
 *
 * The block is plain ASCII cut to the terminal width, so its height in
 * rows is its number of lines, and erasing it is "cursor up N rows, clear
 * to the end of the screen". Lock order: the log sink's lock, then ours;
 * nothing here logs while holding our lock. */
#include "report/progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define TEXT_MAX 96           /* bytes of model-written text on one line */
#define DEFAULT_REFRESH_S 0.25
#define DEFAULT_HEARTBEAT_S 60.0

struct lane_view {
    bool started, finished, ok, debugging;
    char stage[24];
    int t, k;                 /* 0-based; -1 = not in a step */
    bool has_best;
    double best;
};

struct node_view {            /* what script_started said about a node id */
    char *key;
    int lane;
    bool ablation;            /* its score is not a solution's score */
};

struct view {
    char task[96];
    char metric[48];
    bool has_metric, lower_is_better;
    struct lane_view *lanes;
    size_t nlanes;
    char ens_phase[24];       /* "" = not started */
    int ens_round;
    bool ens_has_best;
    double ens_best;
    bool has_best;
    double best;
    int best_lane;
    struct node_view *nodes;  /* indexed by node id */
    size_t nnodes;
};

struct progress {
    struct progress_opts o;
    enum progress_mode mode;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool thread_on, stopping;
    struct view v;
    struct progress_stats stats;  /* latest, for redraws from the log sink */
    int drawn;                    /* rows of the block on screen */
    struct buf shown;             /* the block on screen, to skip redraws that change nothing */
};

/* ---- text helpers ------------------------------------------------------- */

/* The first line of s, control characters (and, when ascii, every
 * non-ASCII byte) replaced, cut to max bytes with "...". */
static void put_clean(struct buf *b, const char *s, size_t max, bool ascii)
{
    if (!s)
        return;
    size_t n = 0;
    for (; s[n] && s[n] != '\n' && s[n] != '\r'; n++)
        ;
    bool cut = n > max;
    if (cut)
        n = max;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (ascii && c >= 0x80))
            c = c == '\t' ? ' ' : '?';
        buf_putc(b, (char)c);
    }
    if (cut || s[n])
        buf_puts(b, "...");
}

static void put_tokens(struct buf *b, long long n)
{
    if (n >= 1000000)
        buf_printf(b, "%.2fM", (double)n / 1e6);
    else if (n >= 1000)
        buf_printf(b, "%.1fk", (double)n / 1e3);
    else
        buf_printf(b, "%lld", n);
}

static void put_duration(struct buf *b, double s)
{
    char text[32];
    format_duration(s < 0 ? 0 : s, text, sizeof text);
    buf_puts(b, text);
}

/* ---- the picture -------------------------------------------------------- */

static struct lane_view *lane_at(struct view *v, long lane)
{
    if (lane < 0 || lane > 1024)
        return NULL;
    if ((size_t)lane >= v->nlanes) {
        size_t n = (size_t)lane + 1;
        v->lanes = xrealloc(v->lanes, n * sizeof *v->lanes);
        for (size_t i = v->nlanes; i < n; i++) {
            memset(&v->lanes[i], 0, sizeof v->lanes[i]);
            v->lanes[i].t = v->lanes[i].k = -1;
        }
        v->nlanes = n;
    }
    return &v->lanes[lane];
}

static void set_stage(struct lane_view *l, const char *stage, int t, int k)
{
    if (!l)
        return;
    snprintf(l->stage, sizeof l->stage, "%s", stage);
    l->t = t;
    l->k = k;
    l->debugging = false;
}

static struct node_view *node_at(struct view *v, long long id)
{
    if (id <= 0 || id > 10000000)
        return NULL;
    if ((size_t)id >= v->nnodes) {
        size_t n = v->nnodes ? v->nnodes : 64;
        while (n <= (size_t)id)
            n *= 2;
        v->nodes = xrealloc(v->nodes, n * sizeof *v->nodes);
        memset(v->nodes + v->nnodes, 0, (n - v->nnodes) * sizeof *v->nodes);
        v->nnodes = n;
    }
    return &v->nodes[id];
}

static bool better(const struct view *v, double x, double y)
{
    return v->lower_is_better ? x < y : x > y;
}

/* ---- events: the picture and the line ----------------------------------- */

static void on_script_started(struct view *v, json_t *d, struct buf *line)
{
    const char *stage = json_str(d, "stage", "");
    const char *key = json_str(d, "key", "");
    long lane = (long)json_int(d, "lane", -1);
    int t = (int)json_int(d, "outer_step", -1), k = (int)json_int(d, "inner_step", -1);
    struct node_view *n = node_at(v, json_int(d, "node", 0));
    if (n) {
        free(n->key);
        n->key = xstrdup(key);
        n->lane = (int)lane;
        n->ablation = !strcmp(stage, "ablation") || strstr(key, "/ablation") != NULL;
    }
    if (lane < 0) {
        if (!strcmp(stage, "ensemble")) {
            snprintf(v->ens_phase, sizeof v->ens_phase, "ensemble");
            v->ens_round = k;
        } else if (!strcmp(stage, "submission")) {
            snprintf(v->ens_phase, sizeof v->ens_phase, "submission");
        }
    } else if (!strcmp(stage, "debug")) {
        struct lane_view *l = lane_at(v, lane);
        if (l)
            l->debugging = true;
    } else {
        static const struct { const char *stage, *shown; } names[] = {
            {"candidate", "candidates"}, {"merge", "merge"}, {"usage", "usage check"},
            {"ablation", "ablation"},    {"refine", "refine"},
        };
        const char *shown = stage;
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (!strcmp(names[i].stage, stage))
                shown = names[i].shown;
        set_stage(lane_at(v, lane), shown, t, k);
    }
    (void)line; /* no line: script_finished says how it went */
}

static void on_script_finished(struct view *v, json_t *d, struct buf *line)
{
    struct node_view *n = node_at(v, json_int(d, "node", 0));
    json_t *score = json_object_get(d, "score");
    if (n && n->key && n->lane >= 0 && !n->ablation && json_is_number(score)) {
        struct lane_view *l = lane_at(v, n->lane);
        double s = json_number_value(score);
        if (l && (!l->has_best || better(v, s, l->best))) {
            l->has_best = true;
            l->best = s;
        }
    }
    if (n && n->key)
        put_clean(line, n->key, TEXT_MAX, false);
    else
        buf_printf(line, "%s/%s", json_str(d, "area", "?"), json_str(d, "label", "?"));
    buf_printf(line, ": %s", json_str(d, "status", "?"));
    if (json_is_number(score))
        buf_printf(line, ", score %.6g", json_number_value(score));
    buf_puts(line, " (");
    put_duration(line, json_num(d, "wall_s", 0));
    buf_puts(line, json_bool(d, "cached", false) ? ", from the journal)" : ")");
}

static void on_merge(json_t *d, struct buf *line)
{
    buf_printf(line, "lane %lld: merging in ", json_int(d, "lane", -1));
    put_clean(line, json_str(d, "added", "?"), TEXT_MAX, false);
    json_t *score = json_object_get(d, "score");
    if (json_is_number(score))
        buf_printf(line, ": %.6g", json_number_value(score));
    buf_puts(line, json_bool(d, "kept", false) ? ", kept" : ", not kept");
}

static void on_usage(json_t *d, struct buf *line)
{
    buf_printf(line, "lane %lld: data-usage check: ", json_int(d, "lane", -1));
    if (!json_bool(d, "rewritten", false)) {
        buf_puts(line, "no change");
        return;
    }
    buf_puts(line, "rewritten");
    json_t *score = json_object_get(d, "score");
    if (json_is_number(score))
        buf_printf(line, ", %.6g", json_number_value(score));
    buf_puts(line, json_bool(d, "kept", false) ? ", kept" : ", not kept");
}

static void on_refined(json_t *d, struct buf *line)
{
    buf_printf(line, "lane %lld t%lld: plans scored", json_int(d, "lane", -1), json_int(d, "outer_step", -1) + 1);
    size_t i;
    json_t *plan;
    json_array_foreach(json_object_get(d, "plans"), i, plan) {
        json_t *score = json_object_get(plan, "score");
        if (json_is_number(score))
            buf_printf(line, "%s %.6g", i ? "," : "", json_number_value(score));
        else
            buf_printf(line, "%s -", i ? "," : "");
    }
    buf_puts(line, json_bool(d, "improved", false) ? "; improved" : "; no improvement");
}

static void on_lane_finished(struct view *v, json_t *d, struct buf *line)
{
    long lane = (long)json_int(d, "lane", -1);
    struct lane_view *l = lane_at(v, lane);
    bool ok = json_bool(d, "ok", false);
    if (l) {
        l->finished = true;
        l->ok = ok;
        set_stage(l, ok ? "done" : "failed", -1, -1);
    }
    json_t *score = json_object_get(d, "score");
    if (ok && json_is_number(score))
        buf_printf(line, "lane %ld: finished, %.6g", lane, json_number_value(score));
    else
        buf_printf(line, "lane %ld: finished without a working solution", lane);
}

static void on_new_best(struct view *v, json_t *d, struct buf *line)
{
    long lane = (long)json_int(d, "lane", -1);
    double score = json_num(d, "score", 0);
    v->has_best = true;
    v->best = score;
    v->best_lane = (int)lane;
    if (lane < 0) {
        v->ens_has_best = true;
        v->ens_best = score;
        buf_printf(line, "new best: %.6g (ensemble)", score);
    } else {
        buf_printf(line, "new best: %.6g (lane %ld)", score, lane);
    }
}

static void on_ensemble_done(struct view *v, json_t *d, struct buf *line)
{
    snprintf(v->ens_phase, sizeof v->ens_phase, "done");
    json_t *best = json_object_get(d, "best");
    buf_printf(line, "ensemble: %zu round(s)", json_array_size(json_object_get(d, "rounds")));
    if (json_is_number(best))
        buf_printf(line, ", best %.6g", json_number_value(best));
    else
        buf_puts(line, ", no working ensemble");
}

/* Updates the picture from one event and writes its line (maybe none). */
static void apply_event(struct view *v, const char *type, json_t *d, struct buf *line, enum log_level *level)
{
    *level = LOG_INFO;
    long lane = (long)json_int(d, "lane", -1);
    if (!strcmp(type, "run_started")) {
        snprintf(v->task, sizeof v->task, "%s", json_str(d, "task", ""));
        buf_puts(line, "run started: ");
        put_clean(line, json_str(d, "task", "?"), TEXT_MAX, false);
        buf_puts(line, " in ");
        put_clean(line, json_str(d, "run_dir", "?"), 4 * TEXT_MAX, false);
    } else if (!strcmp(type, "metric")) {
        snprintf(v->metric, sizeof v->metric, "%s", json_str(d, "metric", "?"));
        v->has_metric = true;
        v->lower_is_better = json_bool(d, "lower_is_better", false);
        buf_puts(line, "metric: ");
        put_clean(line, v->metric, TEXT_MAX, false);
        buf_puts(line, v->lower_is_better ? " (lower is better)" : " (higher is better)");
    } else if (!strcmp(type, "lane_started")) {
        struct lane_view *l = lane_at(v, lane);
        if (l)
            l->started = true;
        set_stage(l, "retrieve", -1, -1);
    } else if (!strcmp(type, "retrieved")) {
        set_stage(lane_at(v, lane), "candidates", -1, -1);
        buf_printf(line, "lane %ld: models:", lane);
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(d, "models"), i, m) {
            buf_puts(line, i ? ", " : " ");
            put_clean(line, json_string_value(m), TEXT_MAX, false);
        }
        if (!json_array_size(json_object_get(d, "models")))
            buf_puts(line, " none");
    } else if (!strcmp(type, "script_started")) {
        on_script_started(v, d, line);
    } else if (!strcmp(type, "script_finished")) {
        on_script_finished(v, d, line);
    } else if (!strcmp(type, "candidates_done")) {
        set_stage(lane_at(v, lane), "merge", -1, -1);
        buf_printf(line, "lane %ld: %lld of %lld candidates work", lane, json_int(d, "working", 0),
                   json_int(d, "candidates", 0));
    } else if (!strcmp(type, "merge")) {
        on_merge(d, line);
    } else if (!strcmp(type, "usage_check")) {
        set_stage(lane_at(v, lane), "refine", -1, -1);
        on_usage(d, line);
    } else if (!strcmp(type, "extracted")) {
        int t = (int)json_int(d, "outer_step", -1);
        set_stage(lane_at(v, lane), "refine", t, -1);
        buf_printf(line, "lane %ld t%d: refining a block: ", lane, t + 1);
        put_clean(line, json_str(d, "plan", ""), TEXT_MAX, false);
    } else if (!strcmp(type, "refined")) {
        on_refined(d, line);
    } else if (!strcmp(type, "new_best")) {
        on_new_best(v, d, line);
    } else if (!strcmp(type, "lane_finished")) {
        on_lane_finished(v, d, line);
    } else if (!strcmp(type, "ensemble_done")) {
        on_ensemble_done(v, d, line);
    } else if (!strcmp(type, "submitted")) {
        snprintf(v->ens_phase, sizeof v->ens_phase, "submitted");
        buf_printf(line, "submission written (node %lld)", json_int(d, "node", 0));
    } else if (!strcmp(type, "leakage_found")) {
        buf_puts(line, "leakage found and fixed in ");
        put_clean(line, json_str(d, "call_id", json_str(d, "node", "?")), TEXT_MAX, false);
    } else if (!strcmp(type, "leak_flag")) {
        *level = LOG_WARN;
        buf_puts(line, "leak flag: ");
        put_clean(line, json_str(d, "call_id", "?"), TEXT_MAX, false);
        buf_puts(line, " opened the test file during a validation-only stage");
    } else if (!strcmp(type, "budget")) {
        *level = LOG_WARN;
        buf_puts(line, "budget: ");
        put_clean(line, json_str(d, "reason", "?"), 2 * TEXT_MAX, false);
    } else if (!strcmp(type, "run_finished")) {
        buf_printf(line, "run finished, status %s", json_str(d, "status", "?"));
        if (*json_str(d, "message", "")) {
            buf_puts(line, ": ");
            put_clean(line, json_str(d, "message", ""), 2 * TEXT_MAX, false);
        }
    }
}

/* ---- the status block ---------------------------------------------------- */

static void end_line(struct buf *out, size_t start, int width)
{
    if (width > 1 && out->len - start > (size_t)width - 1)
        buf_truncate(out, start + (size_t)width - 1);
    buf_putc(out, '\n');
}

static void render_step(struct buf *b, const char *name, int step, int total)
{
    if (step < 0)
        return;
    if (total > 0)
        buf_printf(b, "  %s %d/%d", name, step + 1, total);
    else
        buf_printf(b, "  %s %d", name, step + 1);
}

static void render_lane(const struct progress *p, const struct lane_view *l, size_t index, struct buf *out, int width)
{
    size_t start = out->len;
    buf_printf(out, "lane %-3zu  ", index);
    size_t stage_start = out->len;
    buf_puts(out, l->started ? l->stage : "waiting");
    render_step(out, "t", l->t, p->o.outer_steps);
    render_step(out, "k", l->k, p->o.inner_steps);
    if (l->debugging)
        buf_puts(out, "  (debugging)");
    while (out->len - stage_start < 30)
        buf_putc(out, ' ');
    if (l->has_best)
        buf_printf(out, "best %.6g", l->best);
    else
        buf_puts(out, "best -");
    end_line(out, start, width);
}

static void render_locked(const struct progress *p, const struct progress_stats *st, struct buf *out, int width)
{
    const struct view *v = &p->v;
    size_t start = out->len;
    buf_puts(out, "mlestar   ");
    put_clean(out, *v->task ? v->task : "(starting)", 40, true);
    if (v->has_metric) {
        buf_puts(out, "  ");
        put_clean(out, v->metric, 30, true);
        buf_puts(out, v->lower_is_better ? " (lower is better)" : " (higher is better)");
    }
    buf_puts(out, "  ");
    put_duration(out, st->elapsed_s);
    buf_puts(out, " elapsed");
    if (st->remaining_s >= 0) {
        buf_puts(out, ", ");
        put_duration(out, st->remaining_s);
        buf_puts(out, " left");
    }
    end_line(out, start, width);

    start = out->len;
    if (v->has_best)
        buf_printf(out, "best      %.6g (%s", v->best, v->best_lane < 0 ? "ensemble" : "lane ");
    else
        buf_puts(out, "best      -");
    if (v->has_best && v->best_lane >= 0)
        buf_printf(out, "%d", v->best_lane);
    if (v->has_best)
        buf_putc(out, ')');
    buf_printf(out, "   scripts %ld running, %ld run   llm ", st->scripts_running, st->scripts_run);
    put_tokens(out, st->input_tokens);
    buf_puts(out, " in + ");
    put_tokens(out, st->output_tokens);
    buf_printf(out, " out tokens, $%.4f", st->cost_usd);
    end_line(out, start, width);

    size_t nlanes = v->nlanes > (size_t)(p->o.lanes > 0 ? p->o.lanes : 0) ? v->nlanes : (size_t)p->o.lanes;
    for (size_t i = 0; i < nlanes; i++) {
        struct lane_view waiting = {.t = -1, .k = -1};
        render_lane(p, i < v->nlanes ? &v->lanes[i] : &waiting, i, out, width);
    }

    start = out->len;
    buf_puts(out, "ensemble  ");
    size_t phase_start = out->len;
    if (!*v->ens_phase) {
        buf_puts(out, "waiting for the lanes");
    } else if (!strcmp(v->ens_phase, "ensemble")) {
        if (v->ens_round >= 0 && p->o.ensemble_rounds > 0)
            buf_printf(out, "round %d/%d", v->ens_round + 1, p->o.ensemble_rounds);
        else
            buf_printf(out, "round %d", v->ens_round + 1);
    } else {
        buf_puts(out, v->ens_phase);
    }
    if (v->ens_has_best) {
        while (out->len - phase_start < 30)
            buf_putc(out, ' ');
        buf_printf(out, "best %.6g", v->ens_best);
    }
    end_line(out, start, width);
}

static void get_stats(struct progress *p, struct progress_stats *st)
{
    memset(st, 0, sizeof *st);
    st->remaining_s = -1;
    if (p->o.stats)
        p->o.stats(p->o.stats_ctx, st);
}

static int term_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        data += w;
        len -= (size_t)w;
    }
}

/* The escape sequence that removes the block from the screen. */
static void erase_block(struct progress *p, struct buf *frame)
{
    if (p->drawn > 0)
        buf_printf(frame, "\r\033[%dA\033[J", p->drawn);
    p->drawn = 0;
}

static void redraw_locked(struct progress *p, const char *above, size_t above_len)
{
    struct buf block = {0};
    render_locked(p, &p->stats, &block, term_width(p->o.fd));
    if (!above && p->drawn > 0 && block.len == p->shown.len && !memcmp(block.data, p->shown.data, block.len)) {
        buf_free(&block);
        return;
    }
    struct buf frame = {0};
    erase_block(p, &frame);
    if (above)
        buf_append(&frame, above, above_len);
    buf_append(&frame, block.data, block.len);
    int rows = 0;
    for (size_t i = 0; i < block.len; i++)
        rows += block.data[i] == '\n';
    p->drawn = rows;
    write_all(p->o.fd, frame.data, frame.len);
    buf_free(&frame);
    buf_free(&p->shown);
    p->shown = block;
}

static void tty_sink(void *ctx, const char *line, size_t len)
{
    struct progress *p = ctx;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        write_all(p->o.fd, line, len);
    } else {
        redraw_locked(p, line, len);
    }
    pthread_mutex_unlock(&p->lock);
}

static void log_status_line(struct progress *p)
{
    struct buf block = {0};
    pthread_mutex_lock(&p->lock);
    render_locked(p, &p->stats, &block, 0);
    pthread_mutex_unlock(&p->lock);
    /* one line: the block's lines joined with "; " */
    struct buf line = {0};
    buf_puts(&line, "status: ");
    const char *s = buf_str(&block);
    while (*s) {
        size_t n = strcspn(s, "\n");
        const char *text = s;
        while (n > 0 && text[n - 1] == ' ')
            n--;
        if (line.len > 8)
            buf_puts(&line, "; ");
        size_t skip = 0;
        while (skip < n && text[skip] == ' ')
            skip++;
        for (size_t i = skip; i < n; i++)   /* squeeze runs of spaces */
            if (text[i] != ' ' || (i > skip && text[i - 1] != ' '))
                buf_putc(&line, text[i]);
        s += strcspn(s, "\n");
        if (*s)
            s++;
    }
    log_info("%s", buf_str(&line));
    buf_free(&line);
    buf_free(&block);
}

static void deadline_after(double seconds, struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    long long ns = (long long)(seconds * 1e9) + ts->tv_nsec;
    ts->tv_sec += ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
}

static void *display_main(void *arg)
{
    struct progress *p = arg;
    double period = p->mode == PROGRESS_TTY ? p->o.refresh_s : p->o.heartbeat_s;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec until;
        deadline_after(period, &until);
        while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
            ;
        if (p->stopping)
            break;
        pthread_mutex_unlock(&p->lock);
        struct progress_stats st;
        get_stats(p, &st);
        pthread_mutex_lock(&p->lock);
        if (p->stopping) /* erased meanwhile by progress_free */
            break;
        p->stats = st;
        if (p->mode == PROGRESS_TTY) {
            redraw_locked(p, NULL, 0);
        } else {
            pthread_mutex_unlock(&p->lock);
            log_status_line(p);
            pthread_mutex_lock(&p->lock);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* ---- public ------------------------------------------------------------- */

static enum progress_mode resolve_mode(const struct progress_opts *o)
{
    if (o->mode != PROGRESS_AUTO)
        return o->mode;
    if (log_get_level() > LOG_INFO)
        return PROGRESS_QUIET;
    const char *term = getenv("TERM");
    if (isatty(o->fd) && !(term && !strcmp(term, "dumb")))
        return PROGRESS_TTY;
    return PROGRESS_LINES;
}

struct progress *progress_new(const struct progress_opts *opts)
{
    struct progress *p = xcalloc(1, sizeof *p);
    p->o = *opts;
    if (p->o.fd <= 0)
        p->o.fd = STDERR_FILENO;
    if (!p->o.events_out)
        p->o.events_out = stdout;
    if (p->o.refresh_s <= 0)
        p->o.refresh_s = DEFAULT_REFRESH_S;
    if (p->o.heartbeat_s == 0)
        p->o.heartbeat_s = DEFAULT_HEARTBEAT_S;
    p->mode = resolve_mode(&p->o);
    p->v.best_lane = -1;
    p->stats.remaining_s = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (p->mode == PROGRESS_TTY) {
        get_stats(p, &p->stats);
        redraw_locked(p, NULL, 0);
        log_set_sink(tty_sink, p);
    }
    bool wants_thread = p->mode == PROGRESS_TTY || (p->mode == PROGRESS_LINES && p->o.heartbeat_s > 0);
    if (wants_thread)
        p->thread_on = pthread_create(&p->thread, NULL, display_main, p) == 0;
    return p;
}

enum progress_mode progress_mode(const struct progress *p)
{
    return p->mode;
}

static void print_json(struct progress *p, const char *type, json_t *data)
{
    json_t *line = json_object();
    if (json_is_object(data))
        json_object_update(line, data);
    char when[32];
    time_iso8601(time_wall(), when, sizeof when);
    json_object_set_new(line, "t", json_string(when));
    json_object_set_new(line, "type", json_string(type));
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&p->lock);
    fputs(text, p->o.events_out);
    fputc('\n', p->o.events_out);
    fflush(p->o.events_out);
    pthread_mutex_unlock(&p->lock);
    free(text);
}

void progress_event(struct progress *p, const char *type, json_t *data)
{
    if (!p || !type)
        return;
    if (p->o.events)
        print_json(p, type, data);
    struct buf line = {0};
    enum log_level level;
    pthread_mutex_lock(&p->lock);
    apply_event(&p->v, type, json_is_object(data) ? data : NULL, &line, &level);
    pthread_mutex_unlock(&p->lock);
    if (line.len && p->mode != PROGRESS_QUIET)
        log_msg(level, "%s", buf_str(&line));
    buf_free(&line);
}

void progress_render(struct progress *p, struct buf *out, int width)
{
    struct progress_stats st;
    get_stats(p, &st);
    pthread_mutex_lock(&p->lock);
    p->stats = st;
    render_locked(p, &st, out, width);
    pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    /* Erase the block and stop drawing under one lock: a log line that
     * reaches tty_sink from now on is written as it is. */
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    if (p->mode == PROGRESS_TTY) {
        struct buf frame = {0};
        erase_block(p, &frame);
        write_all(p->o.fd, buf_str(&frame), frame.len);
        buf_free(&frame);
    }
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->mode == PROGRESS_TTY)
        log_set_sink(NULL, NULL);
    if (p->thread_on)
        pthread_join(p->thread, NULL);
    for (size_t i = 0; i < p->v.nnodes; i++)
        free(p->v.nodes[i].key);
    free(p->v.nodes);
    free(p->v.lanes);
    buf_free(&p->shown);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
