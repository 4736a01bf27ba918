/* diff.c - unified diffs (see diff.h).
 *
 * Texts are cut into lines that keep their '\n' (so "x" at the end of a file
 * and "x\n" differ, and the diff shows the missing newline). The edit script
 * is a list of ops (keep / delete / insert); hunks are built from it the way
 * GNU diff does: changes closer than 2 x CONTEXT lines share a hunk, and a
 * side with no lines in a hunk is numbered by the line before it. */
#include "code/diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define CONTEXT 3

struct line {
    const char *p;
    size_t len;     /* including the '\n' when there is one */
    uint64_t hash;
};

struct lines {
    struct line *v;
    size_t n;
};

enum op_kind { OP_KEEP, OP_DEL, OP_INS };

struct op {
    enum op_kind kind;
    size_t a, b;    /* index in a (KEEP, DEL) and in b (KEEP, INS) */
};

struct ops {
    struct op *v;
    size_t n, cap;
};

static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void split_lines(const char *text, struct lines *out)
{
    size_t cap = 16;
    out->v = xmalloc(cap * sizeof *out->v);
    out->n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (out->n == cap) {
            cap *= 2;
            out->v = xrealloc(out->v, cap * sizeof *out->v);
        }
        out->v[out->n++] = (struct line){p, len, hash_bytes(p, len)};
        p += len;
    }
}

static bool same_line(const struct line *x, const struct line *y)
{
    return x->hash == y->hash && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void ops_add(struct ops *ops, enum op_kind kind, size_t a, size_t b)
{
    if (ops->n == ops->cap) {
        ops->cap = ops->cap ? ops->cap * 2 : 64;
        ops->v = xrealloc(ops->v, ops->cap * sizeof *ops->v);
    }
    ops->v[ops->n++] = (struct op){kind, a, b};
}

/* Edit script for a[a0..a1) against b[b0..b1) via an LCS table. */
static void lcs_ops(const struct lines *a, size_t a0, size_t a1, const struct lines *b, size_t b0,
                    size_t b1, struct ops *ops)
{
    size_t n = a1 - a0, m = b1 - b0;
    size_t w = m + 1;
    uint32_t *len = xcalloc((n + 1) * w, sizeof *len); /* len[i][j]: LCS of a[i..], b[j..] */
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            len[i * w + j] = same_line(&a->v[a0 + i], &b->v[b0 + j])
                                 ? len[(i + 1) * w + j + 1] + 1
                                 : (len[(i + 1) * w + j] >= len[i * w + j + 1] ? len[(i + 1) * w + j]
                                                                             : len[i * w + j + 1]);
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && same_line(&a->v[a0 + i], &b->v[b0 + j])) {
            ops_add(ops, OP_KEEP, a0 + i++, b0 + j++);
        } else if (i < n && (j == m || len[(i + 1) * w + j] >= len[i * w + j + 1])) {
            ops_add(ops, OP_DEL, a0 + i++, b0 + j);
        } else {
            ops_add(ops, OP_INS, a0 + i, b0 + j++);
        }
    }
    free(len);
}

static void edit_script(const struct lines *a, const struct lines *b, struct ops *ops)
{
    size_t head = 0;
    while (head < a->n && head < b->n && same_line(&a->v[head], &b->v[head]))
        head++;
    size_t tail = 0;
    while (tail < a->n - head && tail < b->n - head &&
           same_line(&a->v[a->n - 1 - tail], &b->v[b->n - 1 - tail]))
        tail++;
    for (size_t i = 0; i < head; i++)
        ops_add(ops, OP_KEEP, i, i);
    size_t a1 = a->n - tail, b1 = b->n - tail;
    size_t rows = a1 - head, cols = b1 - head;
    if (rows > 0 && cols > 0 && (double)(rows + 1) * (double)(cols + 1) <= DIFF_MAX_CELLS) {
        lcs_ops(a, head, a1, b, head, b1, ops);
    } else {
        for (size_t i = head; i < a1; i++)
            ops_add(ops, OP_DEL, i, head);
        for (size_t j = head; j < b1; j++)
            ops_add(ops, OP_INS, a1, j);
    }
    for (size_t k = 0; k < tail; k++)
        ops_add(ops, OP_KEEP, a1 + k, b1 + k);
}

static void put_line(struct buf *out, char mark, const struct line *l)
{
    buf_putc(out, mark);
    if (l->len && l->p[l->len - 1] == '\n') {
        buf_append(out, l->p, l->len);
    } else {
        buf_append(out, l->p, l->len);
        buf_puts(out, "\n\\ No newline at end of file\n");
    }
}

static void put_range(struct buf *out, char side, size_t start, size_t count)
{
    /* GNU numbering: an empty side names the line before the hunk. */
    size_t first = count == 0 ? start : start + 1;
    if (count == 1)
        buf_printf(out, "%c%zu", side, first);
    else
        buf_printf(out, "%c%zu,%zu", side, first, count);
}

/* Writes the hunk covering ops[from..to). */
static void put_hunk(struct buf *out, const struct ops *ops, size_t from, size_t to,
                     const struct lines *a, const struct lines *b)
{
    size_t na = 0, nb = 0;
    for (size_t k = from; k < to; k++) {
        na += ops->v[k].kind != OP_INS;
        nb += ops->v[k].kind != OP_DEL;
    }
    buf_puts(out, "@@ ");
    put_range(out, '-', ops->v[from].a, na);
    buf_putc(out, ' ');
    put_range(out, '+', ops->v[from].b, nb);
    buf_puts(out, " @@\n");
    for (size_t k = from; k < to; k++) {
        const struct op *o = &ops->v[k];
        if (o->kind == OP_KEEP)
            put_line(out, ' ', &a->v[o->a]);
        else if (o->kind == OP_DEL)
            put_line(out, '-', &a->v[o->a]);
        else
            put_line(out, '+', &b->v[o->b]);
    }
}

char *code_unified_diff(const char *a_text, const char *b_text, const char *name_a,
                        const char *name_b)
{
    struct lines a, b;
    split_lines(a_text ? a_text : "", &a);
    split_lines(b_text ? b_text : "", &b);
    struct ops ops = {0};
    edit_script(&a, &b, &ops);
    struct buf out = {0};
    size_t k = 0;
    while (k < ops.n) {
        while (k < ops.n && ops.v[k].kind == OP_KEEP)
            k++;
        if (k == ops.n)
            break;
        if (out.len == 0)
            buf_printf(&out, "--- %s\n+++ %s\n", name_a, name_b);
        size_t from = k > CONTEXT ? k - CONTEXT : 0;
        /* extend while the next change is within 2 x CONTEXT keeps */
        size_t last_change = k;
        size_t j = k;
        while (j < ops.n) {
            if (ops.v[j].kind != OP_KEEP) {
                last_change = j;
                j++;
                continue;
            }
            size_t run = 0;
            while (j + run < ops.n && ops.v[j + run].kind == OP_KEEP)
                run++;
            if (j + run == ops.n || run > 2 * CONTEXT)
                break;
            j += run;
        }
        size_t to = last_change + 1 + CONTEXT;
        if (to > ops.n)
            to = ops.n;
        put_hunk(&out, &ops, from, to, &a, &b);
        k = to;
    }
    free(ops.v);
    free(a.v);
    free(b.v);
    return buf_detach(&out);
}
