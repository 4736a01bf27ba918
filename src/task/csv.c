/* csv.c - the streaming RFC 4180 reader (see csv.h).
 *
 * Design. The input (a file descriptor or a memory block) is read in large
 * blocks into `raw`. A record is parsed from `raw` into `rec`, a second
 * buffer, with each field copied there unescaped and NUL-terminated; the raw
 * bytes are never modified. This makes the parser restartable: when a record
 * runs past the end of the block, the parse of that record is abandoned, the
 * unread tail is moved to the front of `raw`, more input is read behind it
 * (growing `raw` only when one record is larger than the whole block), and
 * the record is parsed again from its start. Restarts happen once per block,
 * so their cost is negligible.
 *
 * `rec` is sized before each record to hold twice the raw bytes available
 * (the unescaped content of a record is never longer than its raw bytes,
 * plus one NUL per field, and a record cannot have more fields than bytes
 * plus one), so the hot loop appends without bounds checks.
 *
 * The hot loops copy a field sixteen bytes at a time with SSE2 (every
 * x86-64 has it; elsewhere 64-bit words and memchr() do the same): an
 * unquoted field up to the first ',' or '\n', a quoted one up to the next
 * '"', finding the stop, the newlines inside quotes and any byte >= 0x80
 * in the same pass over the bytes. Anything malformed is accepted
 * leniently: text after a closing quote is appended to the field (and the
 * record flagged `lenient`), a quote in the middle of an unquoted field is
 * literal, and an unterminated quote runs to the end of the input (and is
 * flagged). A record holding a byte >= 0x80 is checked for invalid UTF-8;
 * pure ASCII costs nothing more.
 *
 * csv_open_range() reads the records that start in a byte range of a
 * file, for the profiler's threads (see profile_csv.c).
 *
 * The separator is one byte held by the reader (',' unless csv_open() saw a
 * .tsv name, or csv_set_separator() said otherwise); the SIMD loops compare
 * with it exactly as with the comma, so tab-separated files cost the same. */
#include "task/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/mem.h"

#define CSV_BLOCK (1u << 20)
#define REC_SLACK 16   /* word-wide stores may run this far past a record */

struct csv_reader {
    int fd;                    /* -1 when reading from memory */
    const char *mem;
    size_t mem_len, mem_pos;
    char *path;                /* for error messages; NULL for memory */

    char *raw;                 /* input block */
    size_t raw_cap;
    size_t start;              /* next record starts here */
    size_t end;                /* valid bytes in raw */
    bool eof;                  /* the source has no more bytes */
    bool started;              /* the first block was read (BOM check done) */
    unsigned long long consumed; /* source bytes before raw[0] */
    unsigned long long stop;   /* no record starting at or after this offset is read */

    char *rec;                 /* unescaped fields of the current record */
    size_t rec_cap;
    struct csv_field *fields;
    size_t fields_cap;

    size_t line;               /* physical line where the next record starts */
    struct csv_record_info info;

    size_t record_max;         /* raw bytes one record may take (csv_set_limits) */
    size_t fields_max;         /* fields one record may have */
    bool too_wide;             /* the record being parsed has more than fields_max fields */
    char sep;                  /* field separator: ',' (default), '\t' for .tsv files */
};

enum parse_result { PARSE_RECORD, PARSE_NEED_MORE, PARSE_END };

static struct csv_reader *reader_new(size_t block)
{
    struct csv_reader *r = xcalloc(1, sizeof *r);
    r->fd = -1;
    r->raw_cap = block;
    r->raw = xmalloc(r->raw_cap);
    r->line = 1;
    r->stop = ~0ULL;
    r->record_max = CSV_RECORD_MAX;
    r->fields_max = CSV_FIELDS_MAX;
    r->sep = ',';
    return r;
}

char csv_separator_for(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n >= 4 && strcasecmp(path + n - 4, ".tsv") == 0 ? '\t' : ',';
}

void csv_set_separator(struct csv_reader *r, char sep)
{
    if (sep != '"' && sep != '\n' && sep != '\r' && sep != '\0')
        r->sep = sep;
}

char csv_separator(const struct csv_reader *r)
{
    return r->sep;
}

int csv_open(const char *path, struct csv_reader **out, struct err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(err, errno, "cannot open %s", path);
    struct csv_reader *r = reader_new(CSV_BLOCK);
    r->fd = fd;
    r->path = xstrdup(path);
    r->sep = csv_separator_for(path);
    *out = r;
    return 0;
}

int csv_open_range(const char *path, unsigned long long start, unsigned long long stop,
                   struct csv_reader **out, struct err *err)
{
    if (csv_open(path, out, err) < 0)
        return -1;
    struct csv_reader *r = *out;
    if (start > 0) {
        if (lseek(r->fd, (off_t)start, SEEK_SET) < 0) {
            err_sys(err, errno, "cannot seek in %s", path);
            csv_close(r);
            *out = NULL;
            return -1;
        }
        r->consumed = start;
        r->started = true; /* a byte-order mark can only be at offset 0 */
    }
    r->stop = stop;
    return 0;
}

void csv_set_stop(struct csv_reader *r, unsigned long long stop)
{
    r->stop = stop;
}

int csv_open_mem(const char *data, size_t len, struct csv_reader **out)
{
    /* small inputs get a small block (it grows when a record needs it) */
    struct csv_reader *r = reader_new(len < CSV_BLOCK ? (len < 60 ? 64 : len + 4) : CSV_BLOCK);
    r->mem = data;
    r->mem_len = len;
    *out = r;
    return 0;
}

void csv_set_block_size(struct csv_reader *r, size_t bytes)
{
    if (bytes < 4)
        bytes = 4; /* the first block must hold a whole byte-order mark */
    if (r->started || bytes == r->raw_cap)
        return;
    free(r->raw);
    r->raw_cap = bytes;
    r->raw = xmalloc(r->raw_cap);
}

static int record_too_long(const struct csv_reader *r, struct err *err)
{
    size_t mb = r->record_max >> 20;
    if (mb)
        return err_set(err, "%s: line %zu is longer than %zu MB, the CSV reader's limit for one "
                            "record (CSV_RECORD_MAX): not a table this reader takes",
                       r->path ? r->path : "CSV input", r->line, mb);
    return err_set(err, "%s: line %zu is longer than %zu bytes, the CSV reader's limit for one record",
                   r->path ? r->path : "CSV input", r->line, r->record_max);
}

/* Moves the unread tail to the front, grows the block if the tail fills it,
 * and reads as much as fits. Returns -1 on a read error. */
static int refill(struct csv_reader *r, struct err *err)
{
    if (r->start > 0) {
        memmove(r->raw, r->raw + r->start, r->end - r->start);
        r->consumed += r->start;
        r->end -= r->start;
        r->start = 0;
    }
    if (r->started && r->end > r->record_max) /* all of it is one record, still not complete */
        return record_too_long(r, err);
    if (r->end == r->raw_cap) {
        r->raw_cap = r->raw_cap * 2 < r->record_max ? r->raw_cap * 2 : r->record_max + 1;
        r->raw = xrealloc(r->raw, r->raw_cap);
    }
    while (r->end < r->raw_cap && !r->eof) {
        size_t want = r->raw_cap - r->end;
        if (r->fd < 0) {
            size_t left = r->mem_len - r->mem_pos;
            size_t n = left < want ? left : want;
            memcpy(r->raw + r->end, r->mem + r->mem_pos, n);
            r->mem_pos += n;
            r->end += n;
            if (r->mem_pos == r->mem_len)
                r->eof = true;
            continue;
        }
        ssize_t n = read(r->fd, r->raw + r->end, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_sys(err, errno, "cannot read %s", r->path ? r->path : "CSV input");
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
    }
    if (!r->started) {
        r->started = true;
        if (r->end >= 3 && memcmp(r->raw, "\xEF\xBB\xBF", 3) == 0)
            r->start = 3;
    }
    return 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool csv_utf8_valid(const void *data, size_t n)
{
    const unsigned char *s = data;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (i + need >= n)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += need + 1;
    }
    return true;
}

size_t csv_utf8_clip(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static struct csv_field *add_field(struct csv_reader *r, size_t nf)
{
    if (nf >= r->fields_max) { /* parse on into one scratch slot; csv_next() refuses the record */
        r->too_wide = true;
        nf = r->fields_max;
    }
    if (nf >= r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 64;
        if (cap > r->fields_max + 1)
            cap = r->fields_max + 1;
        r->fields_cap = cap > nf ? cap : nf + 1;
        r->fields = xrealloc(r->fields, r->fields_cap * sizeof *r->fields);
    }
    return &r->fields[nf];
}

#define HIGHS 0x8080808080808080ULL

#ifdef __SSE2__
/* SSE2 (every x86-64 has it): sixteen bytes per step, compared with the
 * bytes looked for, the hits read as a bit mask. */
#include <emmintrin.h>

/* Newlines inside quoted fields are rare: a loop over the set bits beats
 * __builtin_popcount, which is a libgcc call without -mpopcnt. */
static inline size_t count_bits(unsigned m)
{
    size_t n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* Copies bytes from p to *wp up to the first ',' or '\n' (exclusive),
 * storing whole 16-byte blocks even past the separator (rec has REC_SLACK
 * bytes to spare). Sets HIGHS in *bits when a copied byte is >= 0x80 (for
 * the UTF-8 pre-check). Returns the separator's address, or end. */
static inline const char *copy_until_separator(const char *p, const char *end, char **wp, uint64_t *bits,
                                               char sep)
{
    char *w = *wp;
    const __m128i comma = _mm_set1_epi8(sep), newline = _mm_set1_epi8('\n');
    unsigned high = 0;
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        _mm_storeu_si128((__m128i *)w, x);
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, newline)));
        unsigned hi = (unsigned)_mm_movemask_epi8(x);
        if (hits) {
            /* bytes past the separator are counted too: a false alarm only
             * costs an exact UTF-8 check of the record */
            if (high | hi)
                *bits |= HIGHS;
            unsigned k = (unsigned)__builtin_ctz(hits);
            *wp = w + k;
            return p + k;
        }
        high |= hi;
        p += 16;
        w += 16;
    }
    unsigned char acc = 0;
    while (p < end && *p != sep && *p != '\n') {
        acc |= (unsigned char)*p;
        *w++ = *p++;
    }
    if (high || (acc & 0x80))
        *bits |= HIGHS;
    *wp = w;
    return p;
}

/* Copies bytes from p to *wp up to the first '"' (exclusive), like
 * copy_until_separator(), counting the newlines copied into *lines.
 * Returns the quote's address, or NULL when there is none before end (then
 * everything up to end was copied). */
static inline const char *copy_until_quote(const char *p, const char *end, char **wp, size_t *lines, uint64_t *bits)
{
    char *w = *wp;
    const __m128i quote = _mm_set1_epi8('"'), newline = _mm_set1_epi8('\n');
    unsigned high = 0;
    size_t nl = 0;
    const char *found = NULL;
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        _mm_storeu_si128((__m128i *)w, x);
        unsigned quotes = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
        unsigned newlines = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, newline));
        unsigned hi = (unsigned)_mm_movemask_epi8(x);
        if (quotes) {
            unsigned k = (unsigned)__builtin_ctz(quotes);
            unsigned before = (1u << k) - 1;
            high |= hi & before;
            nl += count_bits(newlines & before);
            w += k;
            found = p + k;
            goto done;
        }
        high |= hi;
        nl += count_bits(newlines);
        p += 16;
        w += 16;
    }
    for (; p < end; p++) {
        if (*p == '"') {
            found = p;
            break;
        }
        high |= (unsigned char)*p & 0x80;
        nl += *p == '\n';
        *w++ = *p;
    }
done:
    if (high)
        *bits |= HIGHS;
    *lines += nl;
    *wp = w;
    return found;
}

/* A run of unquoted fields from p, the start of one: each 16-byte block is
 * copied once, and every ',' or '\n' in it closes a field (its NUL written
 * over the separator's copy; within unquoted text w and p move in step).
 * Returns where the general loop must go on: after the record's '\n'
 * (*done set), at a field that starts with a quote, or at the start of the
 * field that runs into the last 16 bytes of the block (that field is not
 * added: the general loop reads it again). Fields are added from *nf. */
static const char *unquoted_fields(struct csv_reader *r, size_t *nf, const char *p, const char *end, char **wp,
                                   uint64_t *bits, bool *done)
{
    const __m128i comma = _mm_set1_epi8(r->sep), newline = _mm_set1_epi8('\n');
    char *w = *wp;
    const char *field = p;     /* raw start of the field being copied */
    char *wfield = w;
    unsigned high = 0;
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        _mm_storeu_si128((__m128i *)w, x);
        high |= (unsigned)_mm_movemask_epi8(x);
        unsigned hits = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, newline)));
        while (hits) {
            unsigned k = (unsigned)__builtin_ctz(hits);
            struct csv_field *f = add_field(r, (*nf)++);
            f->ptr = wfield;
            f->quoted = false;
            f->len = (size_t)(w + k - wfield);
            if (p[k] == '\n') {
                if (f->len && wfield[f->len - 1] == '\r')
                    f->len--;
                wfield[f->len] = '\0';
                *done = true;
                *wp = wfield + f->len + 1;
                if (high)
                    *bits |= HIGHS; /* bytes past the record too: at worst an exact check too many */
                return p + k + 1;
            }
            w[k] = '\0';
            field = p + k + 1;
            wfield = w + k + 1;
            if (field < end && *field == '"')
                goto leave;
            hits &= hits - 1;
        }
        p += 16;
        w += 16;
    }
leave:
    if (high)
        *bits |= HIGHS;
    *wp = wfield;
    return field;
}

#else

#define ONES 0x0101010101010101ULL

/* High bit set in each byte of v that is zero; the lowest one is exact. */
static inline uint64_t zero_bytes(uint64_t v)
{
    return (v - ONES) & ~v & HIGHS;
}

static size_t count_newlines(const char *p, size_t n)
{
    size_t count = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        count++;
        p++;
    }
    return count;
}

static bool has_high_bit(const char *p, size_t n)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)p[i];
    return (acc & 0x8080808080808080ULL) != 0;
}

/* Copies bytes from p to *wp up to the first ',' or '\n' (exclusive), eight
 * at a time: whole words are stored even past the separator (rec has
 * REC_SLACK bytes to spare). ORs the copied bytes into *bits (for the
 * UTF-8 pre-check). Returns the separator's address, or end. */
static inline const char *copy_until_separator(const char *p, const char *end, char **wp, uint64_t *bits,
                                               char sep)
{
    char *w = *wp;
    uint64_t acc = 0;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        memcpy(w, &x, 8);
        uint64_t hits = zero_bytes(x ^ (ONES * (unsigned char)sep)) | zero_bytes(x ^ (ONES * '\n'));
        if (hits) {
            size_t k = (size_t)__builtin_ctzll(hits) >> 3;
            /* the bytes before the separator only */
            *bits |= k ? acc | (x & (~0ULL >> (64 - 8 * k))) : acc;
            *wp = w + k;
            return p + k;
        }
        acc |= x;
        p += 8;
        w += 8;
    }
    while (p < end && *p != sep && *p != '\n') {
        acc |= (unsigned char)*p;
        *w++ = *p++;
    }
    *bits |= acc;
    *wp = w;
    return p;
}

/* Copies bytes from p to *wp up to the first '"' (exclusive), counting the
 * newlines copied into *lines. Returns the quote's address, or NULL when
 * there is none before end (then everything up to end was copied). */
static inline const char *copy_until_quote(const char *p, const char *end, char **wp, size_t *lines, uint64_t *bits)
{
    const char *q = memchr(p, '"', (size_t)(end - p));
    size_t n = (size_t)((q ? q : end) - p);
    memcpy(*wp, p, n);
    *wp += n;
    *lines += count_newlines(p, n);
    if (has_high_bit(p, n))
        *bits |= HIGHS;
    return q;
}

#endif


/* Parses one record at r->start. On PARSE_RECORD, r->start moves past it and
 * *nfields_out is set; on PARSE_NEED_MORE nothing changes. */
static enum parse_result parse_record(struct csv_reader *r, size_t *nfields_out)
{
    const char *p = r->raw + r->start;
    const char *end = r->raw + r->end;
    if (p == end)
        return r->eof ? PARSE_END : PARSE_NEED_MORE;

    size_t need = 2 * (size_t)(end - p) + 2 + REC_SLACK;
    if (r->rec_cap < need) {
        r->rec_cap = need;
        free(r->rec);
        r->rec = xmalloc(r->rec_cap);
    }
    char *w = r->rec;
    size_t extra_lines = 0;     /* newlines inside quoted fields */
    bool unterminated = false;
    bool lenient = false;       /* text followed a closing quote */
    uint64_t bits = 0;          /* HIGHS bits set: some byte >= 0x80 (then UTF-8 is checked) */
    size_t nf = 0;

    for (;;) {
#ifdef __SSE2__
        if (p < end && *p != '"') {
            bool done = false;
            p = unquoted_fields(r, &nf, p, end, &w, &bits, &done);
            if (done)
                break;
        }
#endif
        struct csv_field *f = add_field(r, nf++);
        f->ptr = w;
        f->quoted = false;
        bool record_done = false;
        if (p < end && *p == '"') {
            f->quoted = true;
            p++;
            for (;;) {
                const char *q = copy_until_quote(p, end, &w, &extra_lines, &bits);
                if (!q) {
                    if (!r->eof)
                        return PARSE_NEED_MORE;
                    p = end;
                    unterminated = true;
                    record_done = true;
                    break;
                }
                if (q + 1 == end && !r->eof)
                    return PARSE_NEED_MORE;
                if (q + 1 < end && q[1] == '"') {
                    *w++ = '"';
                    p = q + 2;
                    continue;
                }
                p = q + 1;
                break;
            }
            if (!record_done) {
                if (p == end) {
                    if (!r->eof)
                        return PARSE_NEED_MORE;
                    record_done = true;
                } else if (*p == r->sep) {
                    p++;
                } else if (*p == '\n') {
                    p++;
                    record_done = true;
                } else if (*p == '\r' && p + 1 == end && !r->eof) {
                    return PARSE_NEED_MORE;
                } else if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
                    p += (p + 1 == end) ? 1 : 2;
                    record_done = true;
                } else {
                    lenient = true;
                    goto unquoted; /* text after the closing quote: keep it */
                }
            }
        } else {
        unquoted:;
            const char *stop = copy_until_separator(p, end, &w, &bits, r->sep);
            if (stop == end) {
                if (!r->eof)
                    return PARSE_NEED_MORE;
                if (w > f->ptr && w[-1] == '\r')
                    w--;
                p = end;
                record_done = true;
            } else if (*stop == r->sep) {
                p = stop + 1;
            } else {
                if (w > f->ptr && w[-1] == '\r')
                    w--;
                p = stop + 1;
                record_done = true;
            }
        }
        f->len = (size_t)(w - f->ptr);
        *w++ = '\0';
        if (record_done)
            break;
    }

    r->info.line = r->line;
    r->info.unterminated = unterminated;
    r->info.lenient = lenient;
    size_t used = (size_t)(w - r->rec);
    r->info.bad_utf8 = (bits & HIGHS) != 0 && !csv_utf8_valid(r->rec, used);
    r->line += 1 + extra_lines;
    r->start = (size_t)(p - r->raw);
    *nfields_out = nf;
    return PARSE_RECORD;
}

int csv_next(struct csv_reader *r, const struct csv_field **fields, size_t *nfields, struct err *err)
{
    *fields = NULL;
    *nfields = 0;
    if (!r->started && refill(r, err) < 0)
        return -1;
    if (r->consumed + r->start >= r->stop)
        return 0;
    for (;;) {
        size_t nf = 0;
        r->too_wide = false;
        unsigned long long begin = r->consumed + r->start;
        enum parse_result res = parse_record(r, &nf);
        if (res == PARSE_RECORD && r->consumed + r->start - begin > r->record_max) {
            r->line = r->info.line;
            return record_too_long(r, err);
        }
        if (res == PARSE_RECORD && r->too_wide)
            return err_set(err, "%s: line %zu has more than %zu fields, the CSV reader's limit "
                                "(CSV_FIELDS_MAX)", r->path ? r->path : "CSV input", r->info.line,
                           r->fields_max);
        if (res == PARSE_RECORD) {
            *fields = r->fields;
            *nfields = nf;
            return 1;
        }
        if (res == PARSE_END)
            return 0;
        if (refill(r, err) < 0)
            return -1;
    }
}

void csv_set_limits(struct csv_reader *r, size_t record_bytes, size_t fields)
{
    if (record_bytes >= 4)
        r->record_max = record_bytes;
    if (fields >= 1)
        r->fields_max = fields;
}

size_t csv_memory(const struct csv_reader *r)
{
    return r->raw_cap + r->rec_cap + r->fields_cap * sizeof *r->fields;
}

const struct csv_record_info *csv_info(const struct csv_reader *r)
{
    return &r->info;
}

size_t csv_next_line(const struct csv_reader *r)
{
    return r->line;
}

unsigned long long csv_offset(const struct csv_reader *r)
{
    return r->consumed + r->start;
}

void csv_close(struct csv_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->raw);
    free(r->rec);
    free(r->fields);
    free(r);
}

/* ---- whole tables ---- */

static bool is_blank_record(const struct csv_field *fields, size_t n)
{
    return n == 1 && fields[0].len == 0 && !fields[0].quoted;
}

int csv_table_load(const char *path, struct csv_table **out, struct err *err)
{
    *out = NULL;
    struct csv_reader *r;
    if (csv_open(path, &r, err) < 0)
        return -1;
    struct csv_table *t = xcalloc(1, sizeof *t);
    size_t cells_cap = 0;
    const struct csv_field *f;
    size_t nf;
    int rc;
    while ((rc = csv_next(r, &f, &nf, err)) == 1) {
        if (t->header == NULL) {
            t->ncols = nf;
            t->header = xcalloc(nf, sizeof *t->header);
            for (size_t i = 0; i < nf; i++)
                t->header[i] = xstrndup(f[i].ptr, f[i].len);
            continue;
        }
        if (is_blank_record(f, nf))
            continue;
        if (nf != t->ncols) {
            err_set(err, "%s:%zu: ragged row: %zu fields, header has %zu", path,
                    csv_info(r)->line, nf, t->ncols);
            rc = -1;
            break;
        }
        if ((t->nrows + 1) * t->ncols > cells_cap) {
            cells_cap = cells_cap ? cells_cap * 2 : 64 * t->ncols;
            t->cells = xrealloc(t->cells, cells_cap * sizeof *t->cells);
        }
        for (size_t i = 0; i < nf; i++)
            t->cells[t->nrows * t->ncols + i] = xstrndup(f[i].ptr, f[i].len);
        t->nrows++;
    }
    csv_close(r);
    if (rc == 0 && t->header == NULL) {
        err_set(err, "%s is empty (no header row)", path);
        rc = -1;
    }
    if (rc < 0) {
        csv_table_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

int csv_table_col(const struct csv_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->header[i], name) == 0)
            return (int)i;
    return -1;
}

const char *csv_table_cell(const struct csv_table *t, size_t row, size_t col)
{
    if (row >= t->nrows || col >= t->ncols)
        return NULL;
    return t->cells[row * t->ncols + col];
}

void csv_table_free(struct csv_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->header[i]);
    free(t->header);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
