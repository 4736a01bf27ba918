/* report_plot.c - the score over time, as inline SVG drawn here.
 *
 * x is the time since the run started at which a node got its score (the
 * node's last update); y is the score. Each lane has one polyline: its
 * best score so far (under the metric's direction), drawn as a step line
 * from its first score to its last node, with every scored attempt of the
 * lane as a faint dot beneath it (a <title> names the node). Ablation
 * scripts do not count: their score is not a solution's. Each ensemble
 * round is a dashed vertical line labelled r<n>, with a diamond at its
 * score when it has one; the submission run is a square. The y axis runs
 * the ordinary way (larger values up) and its title says which way is
 * better. Ticks are "nice" numbers (1, 2, 5 times a power of ten); time is
 * shown in seconds, minutes or hours by the length of the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/report_internal.h"
#include "util/mem.h"

#define W 960.0
#define H 340.0
#define LEFT 70.0
#define RIGHT 190.0
#define TOP 18.0
#define BOTTOM 42.0

static const char *const lane_colors[] = {"#0969da", "#cf222e", "#1a7f37", "#bc4c00",
                                          "#8250df", "#0a7b83", "#bf3989", "#57606a"};
#define ENSEMBLE_COLOR "#8250df"
#define FINAL_COLOR "#0550ae"

struct point {
    double t, score;
    json_t *node;
};

struct series {
    int lane;
    struct point *pts;
    size_t n;
    double t_last;            /* the lane's last node, scored or not */
};

struct frame {
    double t_max;
    double y_min, y_max;
    double unit;              /* seconds per x unit */
    const char *unit_name;
};

static double node_time(const struct report *r, json_t *node)
{
    double t = json_number_value(json_object_get(node, "updated_at")) - r->t0;
    return t > 0 ? t : 0;
}

static int by_time(const void *x, const void *y)
{
    const struct point *a = x, *b = y;
    return (a->t > b->t) - (a->t < b->t);
}

/* ---- gathering ----------------------------------------------------------- */

static struct series *lane_series(const struct report *r, int lane, struct series *s)
{
    memset(s, 0, sizeof *s);
    s->lane = lane;
    size_t i;
    json_t *n;
    json_array_foreach(r->nodes, i, n) {
        if (rp_int(n, "lane", -1) != lane)
            continue;
        double t = node_time(r, n);
        if (t > s->t_last)
            s->t_last = t;
        if (rp_is_ablation(n) || !json_is_number(json_object_get(n, "score")))
            continue;
        s->pts = xrealloc(s->pts, (s->n + 1) * sizeof *s->pts);
        s->pts[s->n++] = (struct point){t, json_number_value(json_object_get(n, "score")), n};
    }
    qsort(s->pts, s->n, sizeof *s->pts, by_time);
    return s;
}

/* Ensemble rounds or submission runs: one point per top-level node with
 * the key prefix, at its last attempt, scored by its last scored attempt. */
static size_t marks(const struct report *r, const char *prefix, struct point **out)
{
    struct point *pts = NULL;
    size_t n = 0, i;
    json_t *node;
    size_t plen = strlen(prefix);
    json_array_foreach(r->nodes, i, node) {
        const char *key = rp_str(node, "node_key");
        if (strncmp(key, prefix, plen) != 0)
            continue;
        size_t owner = rp_attempt_owner_len(key);
        size_t own_len = owner ? owner : strlen(key);
        size_t j = 0;
        for (; j < n; j++) {
            const char *k = rp_str(pts[j].node, "node_key");
            size_t k_owner = rp_attempt_owner_len(k);
            if ((k_owner ? k_owner : strlen(k)) == own_len && !strncmp(k, key, own_len))
                break;
        }
        if (j == n) {
            pts = xrealloc(pts, (n + 1) * sizeof *pts);
            pts[n++] = (struct point){0, NAN, node};
        }
        double t = node_time(r, node);
        if (t > pts[j].t)
            pts[j].t = t;
        if (json_is_number(json_object_get(node, "score")))
            pts[j].score = json_number_value(json_object_get(node, "score"));
    }
    *out = pts;
    return n;
}

/* ---- scales -------------------------------------------------------------- */

static double nice_step(double range, int target)
{
    if (!(range > 0))
        return 1;
    double raw = range / target;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * mag;
}

static void widen(struct frame *f, double v)
{
    if (isnan(v))
        return;
    if (v < f->y_min)
        f->y_min = v;
    if (v > f->y_max)
        f->y_max = v;
}

static void settle_frame(const struct report *r, struct frame *f, const struct series *lanes, size_t nl,
                         const struct point *ens, size_t ne, const struct point *fin, size_t nf)
{
    f->y_min = INFINITY;
    f->y_max = -INFINITY;
    f->t_max = r->t_end - r->t0;
    for (size_t l = 0; l < nl; l++) {
        for (size_t i = 0; i < lanes[l].n; i++)
            widen(f, lanes[l].pts[i].score);
        if (lanes[l].t_last > f->t_max)
            f->t_max = lanes[l].t_last;
    }
    for (size_t i = 0; i < ne; i++) {
        widen(f, ens[i].score);
        if (ens[i].t > f->t_max)
            f->t_max = ens[i].t;
    }
    for (size_t i = 0; i < nf; i++) {
        widen(f, fin[i].score);
        if (fin[i].t > f->t_max)
            f->t_max = fin[i].t;
    }
    if (f->t_max < 1)
        f->t_max = 1;
    f->t_max *= 1.02; /* room for the marks at the very end */
    double span = f->y_max - f->y_min;
    double pad = span > 0 ? span * 0.08 : (fabs(f->y_max) > 0 ? fabs(f->y_max) * 0.01 : 0.5);
    f->y_min -= pad;
    f->y_max += pad;
    f->unit = f->t_max <= 180 ? 1 : f->t_max <= 3 * 3600 ? 60 : 3600;
    f->unit_name = f->unit == 1 ? "seconds" : f->unit == 60 ? "minutes" : "hours";
}

static double px(const struct frame *f, double t)
{
    return LEFT + (W - LEFT - RIGHT) * t / f->t_max;
}

static double py(const struct frame *f, double v)
{
    return TOP + (H - TOP - BOTTOM) * (f->y_max - v) / (f->y_max - f->y_min);
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_axes(struct buf *b, const struct report *r, const struct frame *f)
{
    double x0 = LEFT, x1 = W - RIGHT, y0 = TOP, y1 = H - BOTTOM;
    double ystep = nice_step(f->y_max - f->y_min, 6);
    int decimals = ystep >= 1 ? 0 : (int)ceil(-log10(ystep) - 1e-9);
    if (decimals > 8)
        decimals = 8;
    buf_puts(b, "<g class=\"axes\">\n");
    for (double v = ceil(f->y_min / ystep) * ystep; v <= f->y_max + ystep * 1e-9; v += ystep) {
        double y = py(f, v);
        buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eaeef2\"/>", x0, y, x1, y);
        buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n", x0 - 6, y + 4, decimals,
                   fabs(v) < ystep * 1e-9 ? 0.0 : v);
    }
    double span = f->t_max / f->unit;
    double xstep = nice_step(span, 8);
    for (double u = 0; u <= span + xstep * 1e-9; u += xstep) {
        double x = px(f, u * f->unit);
        buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eaeef2\"/>", x, y0, x, y1);
        buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, y1 + 16, u);
    }
    buf_printf(b, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#8c959f\"/>\n", x0, y0, y1, x1);
    buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s since the start</text>\n", (x0 + x1) / 2,
               H - 6, f->unit_name);
    buf_printf(b, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", (y0 + y1) / 2);
    html_text(b, *r->metric ? r->metric : "score");
    if (r->direction_known)
        buf_puts(b, r->lower_is_better ? " (lower is better)" : " (higher is better)");
    buf_puts(b, "</text>\n</g>\n");
}

static void point_title(struct buf *b, const struct point *p)
{
    buf_puts(b, "<title>");
    html_text(b, rp_str(p->node, "node_key"));
    if (!isnan(p->score))
        buf_printf(b, ": %.6g", p->score);
    buf_puts(b, "</title>");
}

static void draw_lane(struct buf *b, const struct report *r, const struct frame *f, const struct series *s,
                      const char *color)
{
    buf_printf(b, "<g class=\"lane\" data-lane=\"%d\">\n", s->lane);
    for (size_t i = 0; i < s->n; i++) {
        buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\" fill-opacity=\"0.35\">",
                   px(f, s->pts[i].t), py(f, s->pts[i].score), color);
        point_title(b, &s->pts[i]);
        buf_puts(b, "</circle>\n");
    }
    bool lower = r->direction_known && r->lower_is_better;
    double best = s->pts[0].score;
    buf_printf(b, "<polyline class=\"lane-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                  "stroke-linejoin=\"round\" points=\"%.1f,%.1f",
               color, px(f, s->pts[0].t), py(f, best));
    for (size_t i = 1; i < s->n; i++) {
        double v = s->pts[i].score;
        if (lower ? v < best : v > best) {
            double x = px(f, s->pts[i].t);
            buf_printf(b, " %.1f,%.1f %.1f,%.1f", x, py(f, best), x, py(f, v));
            best = v;
        }
    }
    double t_end = s->t_last > s->pts[s->n - 1].t ? s->t_last : s->pts[s->n - 1].t;
    buf_printf(b, " %.1f,%.1f\"/>\n", px(f, t_end), py(f, best));
    buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n</g>\n", px(f, t_end), py(f, best), color);
}

static void draw_marks(struct buf *b, const struct frame *f, const struct point *pts, size_t n, bool ensemble)
{
    buf_printf(b, "<g class=\"%s\">\n", ensemble ? "ensemble" : "submission");
    for (size_t i = 0; i < n; i++) {
        double x = px(f, pts[i].t);
        if (ensemble) {
            buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-opacity=\"0.5\" "
                          "stroke-dasharray=\"4 3\"/>",
                       x, TOP, x, H - BOTTOM, ENSEMBLE_COLOR);
            buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" style=\"fill:%s\">r%zu</text>\n", x,
                       TOP - 4, ENSEMBLE_COLOR, i);
        }
        if (isnan(pts[i].score))
            continue;
        double y = py(f, pts[i].score);
        if (ensemble)
            buf_printf(b, "<polygon class=\"ensemble-round\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" "
                          "fill=\"%s\">",
                       x, y - 6, x + 6, y, x, y + 6, x - 6, y, ENSEMBLE_COLOR);
        else
            buf_printf(b, "<rect class=\"final-run\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\">",
                       x - 5, y - 5, FINAL_COLOR);
        point_title(b, &pts[i]);
        buf_puts(b, ensemble ? "</polygon>\n" : "</rect>\n");
    }
    buf_puts(b, "</g>\n");
}

static void draw_legend(struct buf *b, const struct report *r, const struct series *lanes, size_t nl, size_t ne,
                        size_t nf)
{
    double x = W - RIGHT + 18, y = TOP + 10;
    bool lower = r->direction_known && r->lower_is_better;
    buf_puts(b, "<g class=\"legend\">\n");
    for (size_t l = 0; l < nl; l++, y += 20) {
        const char *color = lane_colors[(size_t)lanes[l].lane % (sizeof lane_colors / sizeof *lane_colors)];
        double best = lanes[l].pts[0].score;
        for (size_t i = 1; i < lanes[l].n; i++)
            if (lower ? lanes[l].pts[i].score < best : lanes[l].pts[i].score > best)
                best = lanes[l].pts[i].score;
        buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>", x,
                   y, x + 22, y, color);
        buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">lane %d: %.6g</text>\n", x + 28, y + 4, lanes[l].lane, best);
    }
    if (ne) {
        buf_printf(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>", x + 11, y - 6,
                   x + 17, y, x + 11, y + 6, x + 5, y, ENSEMBLE_COLOR);
        buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">ensemble round</text>\n", x + 28, y + 4);
        y += 20;
    }
    if (nf) {
        buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>", x + 6, y - 5,
                   FINAL_COLOR);
        buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">submission run</text>\n", x + 28, y + 4);
        y += 20;
    }
    buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">dots: every scored attempt</text>\n", x, y + 4);
    buf_puts(b, "</g>\n");
}

void report_plot(struct buf *b, const struct report *r)
{
    struct series *lanes = NULL;
    size_t nl = 0;
    long long max_lane = -1;
    size_t i;
    json_t *n;
    json_array_foreach(r->nodes, i, n)
        if (rp_int(n, "lane", -1) > max_lane)
            max_lane = rp_int(n, "lane", -1);
    for (int lane = 0; lane <= max_lane && lane < 1024; lane++) {
        struct series s;
        lane_series(r, lane, &s);
        if (s.n == 0) {
            free(s.pts);
            continue;
        }
        lanes = xrealloc(lanes, (nl + 1) * sizeof *lanes);
        lanes[nl++] = s;
    }
    struct point *ens = NULL, *fin = NULL;
    size_t ne = marks(r, "ensemble/", &ens);
    size_t nf = marks(r, "final/", &fin);
    buf_printf(b, "<svg id=\"score-plot\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"score over time, one "
                  "line per lane\">\n",
               W, H);
    bool any_score = nl > 0;
    for (i = 0; i < ne; i++)
        any_score = any_score || !isnan(ens[i].score);
    for (i = 0; i < nf; i++)
        any_score = any_score || !isnan(fin[i].score);
    if (!any_score) {
        buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">No script has been scored yet.</text>\n",
                   W / 2, H / 2);
    } else {
        struct frame f;
        settle_frame(r, &f, lanes, nl, ens, ne, fin, nf);
        draw_axes(b, r, &f);
        draw_marks(b, &f, ens, ne, true);
        for (size_t l = 0; l < nl; l++)
            draw_lane(b, r, &f, &lanes[l],
                      lane_colors[(size_t)lanes[l].lane % (sizeof lane_colors / sizeof *lane_colors)]);
        draw_marks(b, &f, fin, nf, false);
        draw_legend(b, r, lanes, nl, ne, nf);
    }
    buf_puts(b, "</svg>\n");
    for (size_t l = 0; l < nl; l++)
        free(lanes[l].pts);
    free(lanes);
    free(ens);
    free(fin);
}
