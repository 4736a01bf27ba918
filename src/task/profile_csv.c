/* profile_csv.c - profiling a CSV file in one streaming pass, on a pool of
 * threads.
 *
 * The pass itself is simple: records come from the streaming reader and
 * each cell goes to its column's colstat. What makes it fast on big files
 * is that the file is cut into byte ranges (RANGES_PER_THREAD per thread,
 * each at least range_min bytes) that a pool of threads (one per core, at
 * most THREADS_MAX; the caller is one of them) takes in file order. Each
 * range is parsed and profiled with its own colstats, and whichever thread
 * finishes the range that is next in file order merges it into the file's
 * colstats (colstat_merge()) and gives its issues their absolute line
 * numbers. Many small ranges rather than one per thread keep all threads
 * busy to the end even when one core runs slower than the other.
 *
 * Cutting a CSV file is speculative: a newline may sit inside a quoted
 * field, and which one does is only known by parsing from the start. So
 * each cut is chosen by looking at a window of bytes after the target
 * offset: the first line start from which WINDOW_RECORDS records parse
 * cleanly (the header's field count, no quote inside an unquoted field,
 * nothing after a closing quote, no unterminated quote) is taken. Starting
 * inside a quoted field almost always fails that test at once, since the
 * field's closing quote then shows up in unquoted text. The guess is then
 * checked before a range is merged: the range before a cut must stop
 * exactly at the cut (its last record ends there). If a check fails, the
 * parallel results are thrown away and the file is profiled again in one
 * pass, so the result never depends on the guess being right; only the
 * time does.
 *
 * Memory: a range's colstats are freed when it is merged, and a thread
 * does not take a new range while too many are unmerged, so the file's
 * statistics and the ranges' together stay within TABS_BYTES even when
 * every exact table is full of 64-byte values (a wide file gets fewer
 * threads, or one pass), plus one reader's buffers (3 MB) per thread.
 *
 * The result is the same as one pass's except in what one pass does not
 * define exactly anyway: the order of floating-point additions, which top
 * values were counted once a column has more distinct values than the
 * exact bound, and which string cells the space sample saw. */
#include "task/profile.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "task/profile_tab.h"
#include "util/mem.h"

#define THREADS_MAX 4                /* threads per file at most */
#define RANGES_PER_THREAD 8          /* small ranges even out threads that run at different speeds */
#define RANGE_MIN_BYTES (16u << 20)  /* a range smaller than this is not worth its setup */
#define TABS_BYTES (48u << 20)       /* the most the file's and the ranges' statistics may hold */
#define WINDOW_BYTES (256u << 10)    /* bytes examined after a cut's target offset */
#define WINDOW_RECORDS 64            /* records that must parse cleanly after a cut */
#define CANDIDATES_MAX 64            /* line starts tried per cut */

static size_t range_min = RANGE_MIN_BYTES;
static int threads_forced;           /* 0: one thread per usable CPU */

void profile_csv_tune(size_t min_range_bytes, int threads)
{
    range_min = min_range_bytes ? min_range_bytes : RANGE_MIN_BYTES;
    threads_forced = threads < 0 ? 0 : threads > THREADS_MAX ? THREADS_MAX : threads;
}

/* ---- one pass over records ---- */

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

static bool is_blank(const struct csv_field *fields, size_t nf, size_t ncols)
{
    return nf == 1 && fields[0].len == 0 && !fields[0].quoted && ncols != 1;
}

/* Feeds every record left in r to t's columns. Cells past the header's
 * width are ignored; a short row leaves its missing columns untouched
 * (they count as missing). Returns 0 at the end, -1 on a read error. */
static int profile_records(struct csv_reader *r, struct tab *t, struct err *err)
{
    const struct csv_field *fields;
    size_t nf;
    int rc;
    while ((rc = csv_next(r, &fields, &nf, err)) == 1) {
        if (is_blank(fields, nf, t->ncols))
            continue;
        t->file->rows++;
        const struct csv_record_info *info = csv_info(r);
        if (__builtin_expect(nf != t->ncols || info->bad_utf8 || info->unterminated, 0))
            record_issues(t, info, nf);
        colstat_add_fields(t->cols, fields, nf < t->ncols ? nf : t->ncols);
    }
    return rc;
}

/* Reads the header record into t. Returns -1 (with err set) when there is
 * none. */
static int read_header(struct csv_reader *r, struct tab *t, const char *path, struct err *err)
{
    const struct csv_field *fields;
    size_t nf;
    int rc = csv_next(r, &fields, &nf, err);
    if (rc == 0)
        err_set(err, "%s is empty (no header row)", path);
    if (rc <= 0)
        return -1;
    csv_header(t, fields, nf);
    if (csv_info(r)->bad_utf8 || csv_info(r)->unterminated)
        record_issues(t, csv_info(r), nf);
    return 0;
}

int profile_csv_reader(struct csv_reader *r, const char *path, struct profile_file **out, struct err *err)
{
    *out = NULL;
    struct tab t = {.file = tab_file_new(path, csv_separator(r) == '\t' ? TASK_KIND_TSV : TASK_KIND_CSV)};
    if (read_header(r, &t, path, err) < 0 || profile_records(r, &t, err) < 0) {
        tab_abandon(&t);
        return -1;
    }
    t.file->bytes = (long long)csv_offset(r);
    tab_finish(&t);
    *out = t.file;
    return 0;
}

static int profile_serial(const char *path, struct profile_file **out, struct err *err)
{
    struct csv_reader *r;
    if (csv_open(path, &r, err) < 0)
        return -1;
    int rc = profile_csv_reader(r, path, out, err);
    csv_close(r);
    return rc;
}

/* ---- choosing the cuts ---- */

static bool unquoted_field_has_quote(const struct csv_field *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++)
        if (!fields[i].quoted && memchr(fields[i].ptr, '"', fields[i].len))
            return true;
    return false;
}

/* True when the records at the start of data parse cleanly with ncols
 * fields each; only records that end inside data are judged, and at least
 * one must. */
static bool parses_cleanly(const char *data, size_t len, size_t ncols, char sep)
{
    struct csv_reader *r;
    csv_open_mem(data, len, &r);
    csv_set_separator(r, sep);
    struct err err = {{0}};
    const struct csv_field *fields;
    size_t nf, judged = 0;
    bool clean = true;
    while (clean && judged < WINDOW_RECORDS && csv_next(r, &fields, &nf, &err) == 1) {
        if (csv_offset(r) >= len)
            break; /* may be cut short by the window's end */
        if (is_blank(fields, nf, ncols))
            continue;
        const struct csv_record_info *info = csv_info(r);
        clean = nf == ncols && !info->unterminated && !info->lenient && !unquoted_field_has_quote(fields, nf);
        judged++;
    }
    csv_close(r);
    return clean && judged > 0;
}

/* Finds a record start at or after target: *cut is set and true returned,
 * or false when no line start in the window passes the test. */
static bool choose_cut(int fd, unsigned long long target, unsigned long long size, size_t ncols, char sep,
                       unsigned long long *cut)
{
    size_t want = size - target < WINDOW_BYTES ? (size_t)(size - target) : WINDOW_BYTES;
    char *window = xmalloc(want ? want : 1);
    ssize_t got = pread(fd, window, want, (off_t)target);
    bool found = false;
    if (got > 0) {
        size_t len = (size_t)got, pos = 0;
        for (int tries = 0; tries < CANDIDATES_MAX && !found; tries++) {
            const char *nl = memchr(window + pos, '\n', len - pos);
            if (!nl)
                break;
            pos = (size_t)(nl - window) + 1;
            if (pos < len && parses_cleanly(window + pos, len - pos, ncols, sep)) {
                *cut = target + pos;
                found = true;
            }
        }
    }
    free(window);
    return found;
}

static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The most a tab can hold (see colstat.h and profile_tab.c): every column's
 * HyperLogLog plus the shared budget of exact entries, each at worst an
 * entry with its array doubled (2 x 16 bytes), slots at a quarter load just
 * after doubling (8 x 4 bytes) and a value of PROFILE_VALUE_MAX bytes in an
 * arena just doubled. */
static size_t tab_bytes_max(size_t ncols)
{
    size_t per_entry = 2 * sizeof(struct dentry) + 8 * sizeof(uint32_t) + 2 * (PROFILE_VALUE_MAX + 1);
    return ncols * sizeof(struct hll) + (size_t)TAB_EXACT_BUDGET * per_entry;
}

/* Threads and ranges for a file: *threads workers over *nranges ranges,
 * with at most *pending_max ranges taken and not yet merged, so that the
 * file's own statistics and the ranges' fit in TABS_BYTES even at their
 * worst. False when one pass is the better plan. */
static bool plan_work(unsigned long long data, size_t ncols, int *threads, int *nranges, int *pending_max)
{
    int n = threads_forced ? threads_forced : usable_cpus();
    if (n > THREADS_MAX)
        n = THREADS_MAX;
    size_t tabs = TABS_BYTES / tab_bytes_max(ncols);
    size_t slots = tabs > 0 ? tabs - 1 : 0; /* one is the file's */
    if (slots > (size_t)n + 1)
        slots = (size_t)n + 1;
    if ((size_t)n > slots)
        n = (int)slots;
    unsigned long long ranges = data / range_min;
    if (ranges > (unsigned long long)n * RANGES_PER_THREAD)
        ranges = (unsigned long long)n * RANGES_PER_THREAD;
    if (n < 2 || ranges < 2)
        return false;
    *threads = n;
    *nranges = (int)ranges;
    *pending_max = (int)slots;
    return true;
}

/* Fills cuts[0..n] (cuts[0] = data_start, cuts[n] = size) for up to
 * `want` ranges and returns n; fewer when cuts could not be found. */
static int plan_cuts(const char *path, unsigned long long data_start, unsigned long long size, size_t ncols,
                     int want, unsigned long long *cuts)
{
    unsigned long long data = size - data_start;
    cuts[0] = data_start;
    int got = 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char sep = csv_separator_for(path);
    for (int k = 1; fd >= 0 && k < want; k++) {
        unsigned long long cut;
        unsigned long long target = data_start + data * (unsigned long long)k / (unsigned long long)want;
        if (choose_cut(fd, target, size, ncols, sep, &cut) && cut > cuts[got - 1] && cut < size)
            cuts[got++] = cut;
    }
    if (fd >= 0)
        close(fd);
    cuts[got] = size;
    return got;
}

/* ---- ranges on a pool of threads ---- */

/* A scratch tab with the same columns as the file's, for one of n ranges:
 * each samples its share of the string cells whose spaces are counted, and
 * a column whose merged statistics already overflowed the exact table
 * only estimates its distinct values (see colstat_start_estimating()). */
static void tab_like(struct tab *t, const struct tab *model, int n)
{
    memset(t, 0, sizeof *t);
    t->file = xcalloc(1, sizeof *t->file);
    t->bound = model->bound;
    for (size_t i = 0; i < model->ncols; i++) {
        tab_add_column(t, model->cols[i].name);
        t->cols[i].space_limit = COLSTAT_SPACE_SAMPLE / n + 1;
        if (model->cols[i].overflow)
            colstat_start_estimating(&t->cols[i]);
    }
}

/* Appends src's rows, issues (lines moved down by line_offset) and column
 * statistics to dst. */
static void tab_merge(struct tab *dst, const struct tab *src, long long line_offset)
{
    struct profile_file *f = dst->file, *s = src->file;
    f->rows += s->rows;
    for (size_t i = 0; i < s->nissues; i++)
        file_issue(f, s->issues[i].line + line_offset, "%s", s->issues[i].problem);
    f->issues_total += s->issues_total - (long long)s->nissues;
    for (size_t c = 0; c < dst->ncols; c++)
        colstat_merge(&dst->cols[c], &src->cols[c]);
}

struct range {
    struct tab tab;             /* the range's own columns; file NULL once merged */
    unsigned long long end;     /* where its reader stopped */
    size_t lines;               /* its reader's csv_next_line() at the end */
    int rc;
    struct err err;
    bool done;
};

struct pool {
    const char *path;
    const unsigned long long *cuts;
    int n;                      /* ranges */
    int pending_max;            /* ranges taken but not merged, at most */
    struct tab *file_tab;       /* where the ranges are merged, in file order */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int next_take, next_merge;
    long long line_offset;      /* physical lines before range next_merge */
    struct range *ranges;
    int status;                 /* 0 fine, 1 a cut was inside a record, -1 read error */
    struct err err;
};

/* Runs without p->mu; g->tab was set up under it. */
static void profile_range(struct pool *p, int k, struct range *g)
{
    struct csv_reader *r;
    if (csv_open_range(p->path, p->cuts[k], p->cuts[k + 1], &r, &g->err) < 0) {
        g->rc = -1;
        return;
    }
    g->rc = profile_records(r, &g->tab, &g->err);
    g->end = csv_offset(r);
    g->lines = csv_next_line(r);
    csv_close(r);
}

/* Merges finished ranges that are next in file order (under p->mu). A
 * range is checked first: it must have stopped exactly at the next cut. */
static void merge_ready(struct pool *p)
{
    while (p->status == 0 && p->next_merge < p->n && p->ranges[p->next_merge].done) {
        int k = p->next_merge;
        struct range *g = &p->ranges[k];
        if (g->rc < 0) {
            p->status = -1;
            p->err = g->err;
            break;
        }
        if (g->end != p->cuts[k + 1]) {
            p->status = 1;
            break;
        }
        tab_merge(p->file_tab, &g->tab, p->line_offset);
        p->line_offset += (long long)g->lines - 1;
        tab_abandon(&g->tab);
        g->tab.file = NULL;
        p->next_merge++;
    }
    pthread_cond_broadcast(&p->cv);
}

/* Takes the next range, waiting while too many are unmerged. Returns -1
 * when there is nothing left to do. */
static int take_range(struct pool *p)
{
    while (p->status == 0 && p->next_take < p->n && p->next_take - p->next_merge >= p->pending_max)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->status != 0 || p->next_take == p->n)
        return -1;
    return p->next_take++;
}

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->mu);
    int k;
    while ((k = take_range(p)) >= 0) {
        struct range *g = &p->ranges[k];
        tab_like(&g->tab, p->file_tab, p->n); /* reads the merged columns: under p->mu */
        pthread_mutex_unlock(&p->mu);
        profile_range(p, k, g);
        pthread_mutex_lock(&p->mu);
        g->done = true;
        merge_ready(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Profiles the ranges between cuts on `threads` threads (the caller is
 * one of them) and merges them into t. Returns 0, 1 when a cut turned out
 * to be inside a record (t is spoiled: start over), or -1 on a read error. */
static int run_pool(struct tab *t, const char *path, const unsigned long long *cuts, int n, int threads,
                    int pending_max, long long line_offset, struct err *err)
{
    struct pool p = {.path = path, .cuts = cuts, .n = n, .pending_max = pending_max, .file_tab = t,
                     .line_offset = line_offset};
    p.ranges = xcalloc((size_t)n, sizeof *p.ranges);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t tid[THREADS_MAX];
    int started = 0;
    for (int i = 1; i < threads; i++)
        if (pthread_create(&tid[started], NULL, pool_worker, &p) == 0)
            started++;
    pool_worker(&p);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    for (int k = 0; k < n; k++)
        if (p.ranges[k].tab.file)
            tab_abandon(&p.ranges[k].tab);
    free(p.ranges);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    if (p.status < 0)
        *err = p.err;
    if (p.status == 0)
        t->file->bytes = (long long)cuts[n];
    return p.status;
}

/* The parallel path: header, plan, cuts, pool. Returns 0 (done), -1 (a
 * read error), 1 when the file is not worth splitting, 2 when a cut turned
 * out to be inside a record: both mean "profile it in one pass". */
static int profile_parallel(const char *path, struct profile_file **out, struct err *err)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size < 2 * (unsigned long long)range_min)
        return 1;
    unsigned long long size = (unsigned long long)st.st_size;
    struct csv_reader *r;
    if (csv_open(path, &r, err) < 0)
        return -1;
    struct tab t = {.file = tab_file_new(path, csv_separator(r) == '\t' ? TASK_KIND_TSV : TASK_KIND_CSV)};
    int rc = read_header(r, &t, path, err);
    unsigned long long data_start = csv_offset(r);
    long long header_lines = (long long)csv_next_line(r) - 1;
    csv_close(r);
    int threads = 1, nranges = 1, pending_max = 1;
    if (rc == 0 && !plan_work(size - data_start, t.ncols, &threads, &nranges, &pending_max))
        rc = 1;
    unsigned long long *cuts = NULL;
    if (rc == 0) {
        cuts = xmalloc(((size_t)nranges + 1) * sizeof *cuts);
        nranges = plan_cuts(path, data_start, size, t.ncols, nranges, cuts);
        if (nranges < 2)
            rc = 1;
        else if ((rc = run_pool(&t, path, cuts, nranges, threads, pending_max, header_lines, err)) == 1)
            rc = 2;
    }
    free(cuts);
    if (rc != 0) {
        tab_abandon(&t);
        return rc;
    }
    tab_finish(&t);
    *out = t.file;
    return 0;
}

static atomic_ulong split_retries;

unsigned long profile_csv_split_retries(void)
{
    return atomic_load(&split_retries);
}

int profile_csv_file(const char *path, struct profile_file **out, struct err *err)
{
    *out = NULL;
    int rc = profile_parallel(path, out, err);
    if (rc == 2)
        atomic_fetch_add(&split_retries, 1);
    if (rc > 0)
        return profile_serial(path, out, err);
    return rc;
}
