/* profile_csv.c - profiling a CSV file in one streaming pass, on two cores.
 *
 * The reader thread (the caller) parses records and copies their cells into
 * a batch: one byte arena plus, per column, the offset and length of each
 * row's cell (column-major, so a column's cells are walked in a row). Two
 * batches alternate. While the caller parses batch B, a worker thread runs
 * the column statistics of batch A; when B is full the caller joins in on
 * A's remaining columns, waits until A is done, and the two swap. Columns
 * of a batch are handed out one at a time through an atomic counter, and a
 * batch is finished before the next one starts, so every column sees its
 * rows in file order and the result is the same as a single-threaded pass.
 *
 * A file that fits in one batch is profiled inline, without a thread.
 * Memory is bounded by the batch limits (rows x columns index entries and
 * arena bytes), whatever the file size; only a single record larger than
 * the arena limit makes its batch bigger.
 *
 * Issues (ragged rows, invalid UTF-8, unterminated quotes) are recorded by
 * the caller while parsing; the worker only touches colstats. */
#include "task/profile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task/profile_tab.h"
#include "util/mem.h"

#define BATCH_ROWS 8192              /* rows per batch at most */
#define BATCH_CELLS (1u << 20)       /* rows x columns per batch at most */
#define BATCH_BYTES (4u << 20)       /* arena bytes after which a batch is closed */
#define ABSENT UINT32_MAX            /* a cell missing from a short (ragged) row */

struct batch {
    char *data;                      /* cells, each NUL-terminated */
    size_t len, cap;
    uint32_t *off, *clen;            /* [col * rows_cap + row] */
    size_t rows, rows_cap, rows_max, ncols;
};

struct engine {
    struct colstat *cols;
    size_t ncols;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct batch *job;         /* batch being profiled, or NULL */
    unsigned long generation;        /* bumped per job */
    atomic_size_t next_col;          /* next column of the job to take */
    size_t done_cols;                /* columns of the job finished (under mu) */
    bool worker_busy;                /* the worker is inside work_on() (under mu) */
    bool quit;
};

/* Batches start small and grow up to their limits, so small files (and
 * the fuzzer) do not pay for big allocations. */
static void batch_init(struct batch *b, size_t ncols)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols ? ncols : 1;
    b->rows_max = BATCH_CELLS / b->ncols;
    if (b->rows_max > BATCH_ROWS)
        b->rows_max = BATCH_ROWS;
    if (b->rows_max < 16)
        b->rows_max = 16;
    b->rows_cap = b->rows_max < 64 ? b->rows_max : 64;
    b->off = xmalloc(b->rows_cap * b->ncols * sizeof *b->off);
    b->clen = xmalloc(b->rows_cap * b->ncols * sizeof *b->clen);
    b->cap = 1u << 16;
    b->data = xmalloc(b->cap);
}

/* Doubles rows_cap, moving each column's cells to the new stride. */
static void batch_grow_rows(struct batch *b)
{
    size_t cap = b->rows_cap * 2 < b->rows_max ? b->rows_cap * 2 : b->rows_max;
    uint32_t *off = xmalloc(cap * b->ncols * sizeof *off);
    uint32_t *clen = xmalloc(cap * b->ncols * sizeof *clen);
    for (size_t c = 0; c < b->ncols; c++) {
        memcpy(off + c * cap, b->off + c * b->rows_cap, b->rows * sizeof *off);
        memcpy(clen + c * cap, b->clen + c * b->rows_cap, b->rows * sizeof *clen);
    }
    free(b->off);
    free(b->clen);
    b->off = off;
    b->clen = clen;
    b->rows_cap = cap;
}

static void batch_free(struct batch *b)
{
    free(b->data);
    free(b->off);
    free(b->clen);
}

static bool batch_full(const struct batch *b)
{
    return b->rows == b->rows_max || b->len >= BATCH_BYTES;
}

/* Adds one record. The reader keeps a record's fields back to back, each
 * followed by its NUL, so the first n fields are copied with one memcpy and
 * their offsets follow from their addresses. */
static void batch_add(struct batch *b, const struct csv_field *f, size_t nf)
{
    size_t n = nf < b->ncols ? nf : b->ncols;
    const char *first = f[0].ptr;
    size_t bytes = (size_t)(f[n - 1].ptr + f[n - 1].len + 1 - first);
    if (b->len + bytes > b->cap) {
        while (b->len + bytes > b->cap)
            b->cap *= 2;
        b->data = xrealloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, first, bytes);
    if (b->rows == b->rows_cap)
        batch_grow_rows(b);
    size_t row = b->rows++;
    for (size_t i = 0; i < b->ncols; i++) {
        size_t slot = i * b->rows_cap + row;
        if (i >= n) {
            b->off[slot] = ABSENT;
            continue;
        }
        b->off[slot] = (uint32_t)(b->len + (size_t)(f[i].ptr - first));
        b->clen[slot] = (uint32_t)f[i].len;
    }
    b->len += bytes;
}

static void profile_column(struct colstat *c, const struct batch *b, size_t col)
{
    const uint32_t *off = b->off + col * b->rows_cap;
    const uint32_t *len = b->clen + col * b->rows_cap;
    for (size_t r = 0; r < b->rows; r++)
        if (off[r] != ABSENT)
            colstat_add(c, b->data + off[r], len[r]);
}

/* Takes columns of the current job until none is left. */
static void work_on(struct engine *e, const struct batch *b)
{
    size_t col;
    while ((col = atomic_fetch_add(&e->next_col, 1)) < e->ncols) {
        profile_column(&e->cols[col], b, col);
        pthread_mutex_lock(&e->mu);
        if (++e->done_cols == e->ncols)
            pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
    }
}

static void *worker_main(void *arg)
{
    struct engine *e = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->quit && e->generation == seen)
            pthread_cond_wait(&e->cv, &e->mu);
        if (e->quit)
            break;
        seen = e->generation;
        const struct batch *b = e->job;
        e->worker_busy = true;
        pthread_mutex_unlock(&e->mu);
        work_on(e, b);
        pthread_mutex_lock(&e->mu);
        e->worker_busy = false;
        pthread_cond_broadcast(&e->cv);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static void engine_publish(struct engine *e, const struct batch *b)
{
    pthread_mutex_lock(&e->mu);
    e->job = b;
    atomic_store(&e->next_col, 0);
    e->done_cols = 0;
    e->generation++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* The caller's share of the current job, then waits for the rest, and for
 * the worker to be out of work_on() (so that no late fetch_add on next_col
 * can land in the next job). */
static void engine_finish_job(struct engine *e, const struct batch *b)
{
    work_on(e, b);
    pthread_mutex_lock(&e->mu);
    while (e->done_cols < e->ncols || e->worker_busy)
        pthread_cond_wait(&e->cv, &e->mu);
    e->job = NULL;
    pthread_mutex_unlock(&e->mu);
}

static void engine_start(struct engine *e)
{
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->running = pthread_create(&e->thread, NULL, worker_main, e) == 0;
}

static void engine_stop(struct engine *e)
{
    if (!e->running)
        return;
    pthread_mutex_lock(&e->mu);
    e->quit = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    e->running = false;
}

/* Runs a whole job on the caller's thread (no worker). */
static void run_inline(struct engine *e, const struct batch *b)
{
    for (size_t c = 0; c < e->ncols; c++)
        profile_column(&e->cols[c], b, c);
}

/* ---- parsing ---- */

static void csv_header(struct tab *t, const struct csv_field *fields, size_t n)
{
    t->bound = tab_exact_bound(n);
    for (size_t i = 0; i < n; i++) {
        if (fields[i].len == 0) {
            char name[32];
            snprintf(name, sizeof name, "Unnamed: %zu", i);
            tab_add_column(t, name);
        } else {
            tab_add_column(t, fields[i].ptr);
        }
    }
}

static void record_issues(struct tab *t, const struct csv_record_info *info, size_t nf)
{
    if (nf != t->ncols)
        file_issue(t->file, (long long)info->line, "ragged row: %zu fields, header has %zu", nf, t->ncols);
    if (info->bad_utf8)
        file_issue(t->file, (long long)info->line, "invalid UTF-8");
    if (info->unterminated)
        file_issue(t->file, (long long)info->line, "unterminated quoted field (runs to the end of the file)");
}

/* Parses records into b until it is full or the input ends. Returns 1 when
 * the batch is full (more may follow), 0 at the end, -1 on a read error. */
static int fill(struct csv_reader *r, struct tab *t, struct batch *b, struct err *err)
{
    b->rows = 0;
    b->len = 0;
    const struct csv_field *fields;
    size_t nf;
    int rc;
    while (!batch_full(b)) {
        rc = csv_next(r, &fields, &nf, err);
        if (rc <= 0)
            return rc;
        if (nf == 1 && fields[0].len == 0 && !fields[0].quoted && t->ncols != 1)
            continue; /* blank line */
        t->file->rows++;
        const struct csv_record_info *info = csv_info(r);
        if (__builtin_expect(nf != t->ncols || info->bad_utf8 || info->unterminated, 0))
            record_issues(t, info, nf);
        batch_add(b, fields, nf);
    }
    return 1;
}

static int run_batches(struct csv_reader *r, struct tab *t, struct err *err)
{
    struct engine e = {.cols = t->cols, .ncols = t->ncols};
    struct batch b[2];
    batch_init(&b[0], t->ncols);
    batch_init(&b[1], t->ncols);
    int rc = fill(r, t, &b[0], err);
    if (rc == 0) {
        run_inline(&e, &b[0]);
    } else if (rc > 0) {
        engine_start(&e);
        int cur = 0;
        for (;;) {
            if (e.running)
                engine_publish(&e, &b[cur]);
            rc = fill(r, t, &b[cur ^ 1], err);
            if (e.running)
                engine_finish_job(&e, &b[cur]);
            else
                run_inline(&e, &b[cur]);
            cur ^= 1;
            if (rc <= 0)
                break;
        }
        if (rc == 0)
            run_inline(&e, &b[cur]);
        engine_stop(&e);
    }
    batch_free(&b[0]);
    batch_free(&b[1]);
    return rc < 0 ? -1 : 0;
}

int profile_csv_reader(struct csv_reader *r, const char *path, struct profile_file **out, struct err *err)
{
    *out = NULL;
    struct tab t = {.file = tab_file_new(path, TASK_KIND_CSV)};
    const struct csv_field *fields;
    size_t nf;
    int rc = csv_next(r, &fields, &nf, err);
    if (rc == 0)
        err_set(err, "%s is empty (no header row)", path);
    if (rc <= 0) {
        tab_abandon(&t);
        return -1;
    }
    csv_header(&t, fields, nf);
    if (csv_info(r)->bad_utf8 || csv_info(r)->unterminated)
        record_issues(&t, csv_info(r), nf);
    if (run_batches(r, &t, err) < 0) {
        tab_abandon(&t);
        return -1;
    }
    t.file->bytes = (long long)csv_offset(r);
    tab_finish(&t);
    *out = t.file;
    return 0;
}

int profile_csv_file(const char *path, struct profile_file **out, struct err *err)
{
    *out = NULL;
    struct csv_reader *r;
    if (csv_open(path, &r, err) < 0)
        return -1;
    int rc = profile_csv_reader(r, path, out, err);
    csv_close(r);
    return rc;
}
