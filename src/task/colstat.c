/* colstat.c - per-column statistics (see colstat.h; kind rules in profile.h).
 *
 * The cell classifier looks at the first byte to pick the one test that can
 * apply: missing markers start with N/n or are empty, numbers start with a
 * digit, a sign or a dot, booleans with t/f/y/n, and a digit-led cell that
 * is not a number is tried as a date (the common ISO shapes first, position
 * by position). Numbers are parsed by hand into a 64-bit mantissa and a
 * power of ten, eight digits per step where the cell is at least eight
 * bytes long (one word load, a digit test on all eight bytes, and a
 * multiply-and-add reduction); strtod() is used only for mantissas longer
 * than 19 digits or exponents outside the exact table.
 *
 * colstat_add_fields() is the CSV profiler's per-record loop, kept here so
 * that the per-cell work is inlined into it: at several cells per record
 * the call overhead alone was a tenth of the profiler's instructions. */
#include "task/colstat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task/csv.h"
#include "util/mem.h"

#define TABLE_START 64

static const double pow10_table[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline bool is_missing(const char *s, size_t len)
{
    switch (len) {
    case 0:
        return true;
    case 2:
        return s[0] == 'N' && s[1] == 'A';
    case 3:
        return (s[0] == 'N' || s[0] == 'n') && (memcmp(s, "NaN", 3) == 0 || memcmp(s, "nan", 3) == 0 ||
                                                memcmp(s, "N/A", 3) == 0);
    case 4:
        return memcmp(s, "null", 4) == 0 || memcmp(s, "NULL", 4) == 0 || memcmp(s, "None", 4) == 0;
    default:
        return false;
    }
}

static const uint64_t pow10_u64[] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
};

/* The next eight bytes from p as a little-endian word, bytes at or past end
 * read as 0, without reading outside [s, end); false when that cannot be
 * done with one load (the cell is shorter than eight bytes). */
static inline bool load8(const char *s, const char *p, const char *end, uint64_t *word)
{
    if (end - p >= 8) {
        memcpy(word, p, 8);
        return true;
    }
    if (end - s < 8 || p == end)
        return false;
    uint64_t w;
    memcpy(&w, end - 8, 8);
    *word = w >> (8 * (8 - (end - p)));
    return true;
}

/* Eight digits (bytes 0..9, the first in the low byte) to their value. */
static inline uint64_t eight_digits(uint64_t t)
{
    t = t * 10 + (t >> 8);
    return (((t & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
            (((t >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
}

/* Appends the run of digits at *pp to *mant (eight at a time when the
 * cell is long enough, see load8()), moving *pp past it. Like the digit by
 * digit loop, mant wraps beyond 19 digits (the caller then uses strtod). */
static inline void take_mantissa_digits(const char *s, const char **pp, const char *end, uint64_t *mant)
{
    const char *p = *pp;
    uint64_t m = *mant, x;
    while (load8(s, p, end, &x)) {
        uint64_t t = x - 0x3030303030303030ULL;
        uint64_t nondigit = ((x + 0x4646464646464646ULL) | t) & 0x8080808080808080ULL;
        unsigned k = nondigit ? (unsigned)__builtin_ctzll(nondigit) >> 3 : 8;
        if (k == 0)
            break;
        m = m * pow10_u64[k] + eight_digits(t << (8 * (8 - k)));
        p += k;
        if (k < 8) {
            *pp = p;
            *mant = m;
            return;
        }
    }
    while (p < end && is_digit(*p))
        m = m * 10 + (uint64_t)(*p++ - '0');
    *pp = p;
    *mant = m;
}

/* Parses [+-]digits[.digits][(e|E)[+-]digits]. Returns CELL_INT, CELL_FLOAT
 * or CELL_STRING (not a number). Up to 19 significant digits are read into
 * one integer; longer numbers go to strtod(). */
static inline __attribute__((always_inline)) enum cell_kind parse_number(const char *s, size_t len, double *value)
{
    const char *p = s, *end = s + len;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    const char *digits_start = p;
    uint64_t mant = 0;
    take_mantissa_digits(s, &p, end, &mant);
    size_t ndigits = (size_t)(p - digits_start);
    long exp10 = 0;
    bool is_float = false;
    if (p < end && *p == '.') {
        is_float = true;
        const char *frac = ++p;
        take_mantissa_digits(s, &p, end, &mant);
        exp10 = -(long)(p - frac);
        ndigits += (size_t)(p - frac);
    }
    if (ndigits == 0)
        return CELL_STRING;
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_float = true;
        p++;
        bool eneg = false;
        if (p < end && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        if (p == end || !is_digit(*p))
            return CELL_STRING;
        long e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    if (p != end)
        return CELL_STRING;
    double v;
    if (ndigits > 19 || exp10 < -22 || exp10 > 22) {
        char tmp[512];
        size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        v = strtod(tmp, NULL);
    } else {
        v = (double)mant;
        v = exp10 >= 0 ? v * pow10_table[exp10] : v / pow10_table[-exp10];
        if (neg)
            v = -v;
    }
    *value = v;
    return is_float ? CELL_FLOAT : CELL_INT;
}

/* Case-insensitive equality with a lowercase ASCII word of the same length. */
static bool equals_lower(const char *s, const char *word, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((s[i] | 0x20) != word[i])
            return false;
    return true;
}

static inline bool is_bool_word(const char *s, size_t len)
{
    switch (len) {
    case 2:
        return equals_lower(s, "no", 2);
    case 3:
        return equals_lower(s, "yes", 3);
    case 4:
        return equals_lower(s, "true", 4);
    case 5:
        return equals_lower(s, "false", 5);
    default:
        return false;
    }
}

/* Counts digits at *p (at most max), advancing *p. */
static int take_digits(const char **p, const char *end, int max)
{
    int n = 0;
    while (*p < end && n < max && is_digit(**p)) {
        (*p)++;
        n++;
    }
    return n;
}

/* HH:MM[:SS[.fff]] then an optional zone (Z, +hh:mm, +hhmm). */
static bool take_time(const char **pp, const char *end)
{
    const char *p = *pp;
    int h = take_digits(&p, end, 2);
    if (h < 1 || p == end || *p != ':')
        return false;
    p++;
    if (take_digits(&p, end, 2) != 2)
        return false;
    if (p < end && *p == ':') {
        p++;
        if (take_digits(&p, end, 2) != 2)
            return false;
        if (p < end && *p == '.') {
            p++;
            if (take_digits(&p, end, 9) < 1)
                return false;
        }
    }
    if (p < end && *p == 'Z') {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        p++;
        if (take_digits(&p, end, 2) != 2)
            return false;
        if (p < end && *p == ':')
            p++;
        if (take_digits(&p, end, 2) != 2)
            return false;
    }
    *pp = p;
    return true;
}

/* YYYY-MM-DD, YYYY/MM/DD, DD/MM/YYYY, MM-DD-YYYY (optionally with a time
 * after 'T' or ' '), HH:MM[:SS], or compact YYYYMMDDHHMMSS[Z]. */
/* The commonest shapes, checked position by position: YYYY-MM-DD and
 * YYYY-MM-DD HH:MM:SS (or with 'T'). A subset of what is_datetime() takes. */
static inline bool is_iso_datetime(const char *s, size_t len)
{
    if ((len != 10 && len != 19) || s[4] != '-' || s[7] != '-')
        return false;
    if (!(is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && is_digit(s[5]) &&
          is_digit(s[6]) && is_digit(s[8]) && is_digit(s[9])))
        return false;
    if (len == 10)
        return true;
    return (s[10] == ' ' || s[10] == 'T') && s[13] == ':' && s[16] == ':' && is_digit(s[11]) &&
           is_digit(s[12]) && is_digit(s[14]) && is_digit(s[15]) && is_digit(s[17]) && is_digit(s[18]);
}

static bool is_datetime(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    if (len < 5 || !is_digit(s[0]))
        return false;
    if (is_iso_datetime(s, len))
        return true;
    int first = take_digits(&p, end, 14);
    if (first == 14)
        return p == end || (p + 1 == end && *p == 'Z');
    if (p == end)
        return false;
    if (*p == ':') {
        p = s;
        return take_time(&p, end) && p == end;
    }
    char sep = *p;
    if (sep != '-' && sep != '/' && sep != '.')
        return false;
    p++;
    if (first == 4) {
        if (take_digits(&p, end, 2) < 1 || p == end || *p != sep)
            return false;
        p++;
        if (take_digits(&p, end, 2) < 1)
            return false;
    } else if (first == 1 || first == 2) {
        if (take_digits(&p, end, 2) < 1 || p == end || *p != sep)
            return false;
        p++;
        if (take_digits(&p, end, 4) != 4)
            return false;
    } else {
        return false;
    }
    if (p == end)
        return true;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    return take_time(&p, end) && p == end;
}

static inline __attribute__((always_inline)) enum cell_kind cell_kind(const char *s, size_t len, double *value)
{
    if (is_missing(s, len))
        return CELL_MISSING;
    char c = s[0];
    if (is_digit(c) || c == '-' || c == '+' || c == '.') {
        enum cell_kind k = parse_number(s, len, value);
        if (k != CELL_STRING)
            return k;
        if (is_digit(c) && is_datetime(s, len))
            return CELL_DATE;
        return CELL_STRING;
    }
    if (is_bool_word(s, len))
        return CELL_BOOL;
    return CELL_STRING;
}

enum cell_kind colstat_cell_kind(const char *s, size_t len, double *value)
{
    return cell_kind(s, len, value);
}

bool colstat_is_missing(const char *s, size_t len)
{
    return is_missing(s, len);
}

bool colstat_id_name(const char *name)
{
    size_t n = strlen(name);
    if (strcasecmp(name, "id") == 0)
        return true;
    if (n > 3 && strcasecmp(name + n - 3, "_id") == 0)
        return true;
    if (n > 2 && (strcmp(name + n - 2, "Id") == 0 || strcmp(name + n - 2, "ID") == 0))
        return true;
    return false;
}

void colstat_init(struct colstat *c, const char *name, size_t exact_bound)
{
    memset(c, 0, sizeof *c);
    c->name = xstrdup(name);
    c->exact_bound = exact_bound < 16 ? 16 : exact_bound;
    c->slots_cap = TABLE_START;
    c->slots = xcalloc(c->slots_cap, sizeof *c->slots);
    c->len_min = (size_t)-1;
    c->space_limit = COLSTAT_SPACE_SAMPLE;
}

/* Doubles the slot array and re-slots every entry (entries do not move). */
static void slots_grow(struct colstat *c)
{
    size_t cap = c->slots_cap * 2, mask = cap - 1;
    uint32_t *slots = xcalloc(cap, sizeof *slots);
    for (size_t e = 0; e < c->table_used; e++) {
        size_t j = c->table[e].hash & mask;
        while (slots[j])
            j = (j + 1) & mask;
        slots[j] = (uint32_t)e + 1;
    }
    free(c->slots);
    c->slots = slots;
    c->slots_cap = cap;
}

static uint32_t arena_put(struct colstat *c, const char *s, size_t len)
{
    len = csv_utf8_clip(s, len, PROFILE_VALUE_MAX);
    if (c->arena_len + len + 1 > c->arena_cap) {
        c->arena_cap = c->arena_cap ? c->arena_cap * 2 : 1024;
        while (c->arena_len + len + 1 > c->arena_cap)
            c->arena_cap *= 2;
        c->arena = xrealloc(c->arena, c->arena_cap);
    }
    uint32_t off = (uint32_t)c->arena_len;
    c->arena[c->arena_len++] = (char)len;
    memcpy(c->arena + c->arena_len, s, len);
    c->arena_len += len;
    return off;
}

/* Called when the exact table is full: from now on only the HyperLogLog
 * counts, seeded with every hash the table holds. */
static void start_estimating(struct colstat *c)
{
    c->overflow = true;
    c->hll = xmalloc(sizeof *c->hll);
    hll_init(c->hll);
    for (size_t e = 0; e < c->table_used; e++)
        hll_add_hash(c->hll, c->table[e].hash);
}

void colstat_start_estimating(struct colstat *c)
{
    if (!c->overflow)
        start_estimating(c);
}

/* The entry holding hash h, or NULL; then *slot is the free slot where it
 * would go. */
static inline struct dentry *table_find(struct colstat *c, uint64_t h, size_t *slot)
{
    size_t mask = c->slots_cap - 1;
    size_t i = h & mask;
    while (c->slots[i]) {
        struct dentry *e = &c->table[c->slots[i] - 1];
        if (e->hash == h)
            return e;
        i = (i + 1) & mask;
    }
    *slot = i;
    return NULL;
}

/* Adds a new entry in the free slot found by table_find(). The caller has
 * checked that the table is below its bound. */
static void table_insert(struct colstat *c, size_t slot, uint64_t h, uint32_t count, const char *s, size_t len)
{
    if (c->table_used == c->table_cap) {
        c->table_cap = c->table_cap ? c->table_cap * 2 : TABLE_START / 2;
        c->table = xrealloc(c->table, c->table_cap * sizeof *c->table);
    }
    struct dentry *e = &c->table[c->table_used];
    e->hash = h;
    e->count = count;
    e->str = arena_put(c, s, len);
    c->slots[slot] = (uint32_t)++c->table_used;
    if (c->table_used * 4 > c->slots_cap)
        slots_grow(c);
}

/* Counts one value; true when it is new to the exact table. */
static inline bool count_distinct(struct colstat *c, const char *s, size_t len, uint64_t h)
{
    if (c->overflow) {
        hll_add_hash(c->hll, h);
        return false;
    }
    size_t slot;
    struct dentry *e = table_find(c, h, &slot);
    if (e) {
        if (e->count != UINT32_MAX)
            e->count++;
        return false;
    }
    if (c->table_used == c->exact_bound) {
        start_estimating(c);
        hll_add_hash(c->hll, h);
        return false;
    }
    table_insert(c, slot, h, 1, s, len);
    return true;
}

/* Examples are C strings: a value is cut at an embedded NUL as well as at
 * PROFILE_VALUE_MAX bytes, and compared as cut. */
static void add_example(struct colstat *c, const char *s, size_t len)
{
    size_t n = strnlen(s, csv_utf8_clip(s, len, PROFILE_VALUE_MAX));
    for (size_t i = 0; i < c->nexamples; i++)
        if (strlen(c->examples[i]) == n && memcmp(c->examples[i], s, n) == 0)
            return;
    c->examples[c->nexamples++] = xstrndup(s, n);
}

/* Called after n_int or n_float was counted for this value. Infinities (a
 * number too large for a double, "1e999") are counted, not summed: one
 * would turn every later sum into inf or NaN, and which one would depend
 * on the order of the cells. */
static inline void add_number(struct colstat *c, double v)
{
    if (c->n_int + c->n_float == 1) {
        c->min = c->max = v;
    } else {
        if (v < c->min)
            c->min = v;
        if (v > c->max)
            c->max = v;
    }
    if (__builtin_expect(!isfinite(v), 0)) {
        if (v > 0)
            c->n_inf_pos++;
        else
            c->n_inf_neg++;
        return;
    }
    if (c->n_finite++ == 0)
        c->shift = v;
    double d = v - c->shift;
    c->sum += d;
    c->sumsq += d * d;
}

/* Numbers are told apart by value ("1.0" and "1" are one value, as in
 * pandas), except long ones, whose text is hashed so that big integer ids
 * beyond double precision stay distinct. */
static inline uint64_t hash_cell(enum cell_kind k, const char *s, size_t len, double v)
{
    if ((k == CELL_INT || k == CELL_FLOAT) && len <= 15) {
        if (v == 0)
            v = 0; /* -0.0 is 0 */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        return hash_u64(bits);
    }
    return hash64(s, len);
}

static size_t count_spaces(const char *s, size_t len)
{
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w ^= 0x2020202020202020ULL;   /* spaces become zero bytes */
        /* exact zero-byte test (no borrow between bytes), then a popcount */
        uint64_t z = ~(((w & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | w | 0x7F7F7F7F7F7F7F7FULL);
        n += (size_t)(((z >> 7) * 0x0101010101010101ULL) >> 56);
    }
    for (; i < len; i++)
        n += s[i] == ' ';
    return n;
}

static inline __attribute__((always_inline)) void add_cell(struct colstat *c, const char *s, size_t len)
{
    double v = 0;
    enum cell_kind k = cell_kind(s, len, &v);
    if (k == CELL_MISSING)
        return;
    c->present++;
    switch (k) {
    case CELL_INT:
        c->n_int++;
        add_number(c, v);
        break;
    case CELL_FLOAT:
        c->n_float++;
        add_number(c, v);
        break;
    case CELL_BOOL:
        c->n_bool++;
        break;
    case CELL_DATE:
        c->n_date++;
        break;
    default:
        if (c->space_sampled < c->space_limit) {
            c->space_sampled++;
            c->spaces += count_spaces(s, len);
        }
        break;
    }
    c->len_sum += len;
    if (len < c->len_min)
        c->len_min = len;
    if (len > c->len_max)
        c->len_max = len;
    /* examples are the first distinct values: only a new value can be one */
    if (count_distinct(c, s, len, hash_cell(k, s, len, v)) && c->nexamples < PROFILE_EXAMPLES)
        add_example(c, s, len);
}

void colstat_add(struct colstat *c, const char *s, size_t len)
{
    add_cell(c, s, len);
}

void colstat_add_fields(struct colstat *cols, const struct csv_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add_cell(&cols[i], fields[i].ptr, fields[i].len);
}

/* ---- merging (the profiler splits big files between threads) ---- */

/* Adds one entry of another column's exact table (its value is in
 * src_arena) to c's table, as count_distinct() would have for `count`
 * cells of that value. */
static void merge_entry(struct colstat *c, const struct dentry *src_e, const char *src_arena)
{
    if (c->overflow) {
        hll_add_hash(c->hll, src_e->hash);
        return;
    }
    size_t slot;
    struct dentry *e = table_find(c, src_e->hash, &slot);
    if (e) {
        uint64_t sum = (uint64_t)e->count + src_e->count;
        e->count = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
        return;
    }
    if (c->table_used == c->exact_bound) {
        start_estimating(c);
        hll_add_hash(c->hll, src_e->hash);
        return;
    }
    const char *v = src_arena + src_e->str;
    table_insert(c, slot, src_e->hash, src_e->count, v + 1, (unsigned char)v[0]);
    /* a value new to c: one pass would have taken it as an example here */
    if (c->nexamples < PROFILE_EXAMPLES)
        add_example(c, v + 1, (unsigned char)v[0]);
}

/* Src's entries are visited in the order they were first seen, so ties
 * among top values still go to the value seen first. */
static void merge_distinct(struct colstat *c, const struct colstat *src)
{
    for (size_t e = 0; e < src->table_used; e++)
        merge_entry(c, &src->table[e], src->arena);
    if (src->overflow) {
        if (!c->overflow)
            start_estimating(c);
        hll_merge(c->hll, src->hll);
    }
}

static long long numbers(const struct colstat *c)
{
    return c->n_int + c->n_float;
}

/* Sums are kept relative to the first finite value (c->shift); src's are
 * moved to c's shift: sum(v - a) = sum(v - b) + n(b - a), and the same
 * expansion for the squares. Called before the counts are added. */
static void merge_numbers(struct colstat *c, const struct colstat *src)
{
    if (numbers(src) == 0)
        return;
    if (numbers(c) == 0) {
        c->min = src->min;
        c->max = src->max;
    } else {
        if (src->min < c->min)
            c->min = src->min;
        if (src->max > c->max)
            c->max = src->max;
    }
    c->n_inf_pos += src->n_inf_pos;
    c->n_inf_neg += src->n_inf_neg;
    if (src->n_finite == 0)
        return;
    if (c->n_finite == 0) {
        c->shift = src->shift;
        c->sum = src->sum;
        c->sumsq = src->sumsq;
    } else {
        double d = src->shift - c->shift;
        double n = (double)src->n_finite;
        c->sum += src->sum + n * d;
        c->sumsq += src->sumsq + 2.0 * d * src->sum + n * d * d;
    }
    c->n_finite += src->n_finite;
}

void colstat_merge(struct colstat *c, const struct colstat *src)
{
    merge_numbers(c, src);
    c->present += src->present;
    c->n_int += src->n_int;
    c->n_float += src->n_float;
    c->n_bool += src->n_bool;
    c->n_date += src->n_date;
    c->len_sum += src->len_sum;
    c->spaces += src->spaces;
    c->space_sampled += src->space_sampled;
    if (src->present > 0) {
        if (src->len_min < c->len_min)
            c->len_min = src->len_min;
        if (src->len_max > c->len_max)
            c->len_max = src->len_max;
    }
    merge_distinct(c, src);
}

/* ---- finishing ---- */

static int cmp_entry(const void *a, const void *b)
{
    const struct dentry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->str < y->str ? -1 : x->str > y->str;  /* first seen first */
}

static void extract_top(struct colstat *c, struct profile_column *out)
{
    size_t n = c->table_used;
    struct dentry *all = xmalloc((n ? n : 1) * sizeof *all);
    if (n)
        memcpy(all, c->table, n * sizeof *all);
    qsort(all, n, sizeof *all, cmp_entry);
    size_t ntop = n < PROFILE_TOP_MAX ? n : PROFILE_TOP_MAX;
    out->top = ntop ? xcalloc(ntop, sizeof *out->top) : NULL;
    for (size_t i = 0; i < ntop; i++) {
        const char *s = c->arena + all[i].str;
        out->top[i].value = xstrndup(s + 1, (unsigned char)s[0]);
        out->top[i].count = all[i].count;
    }
    out->ntop = ntop;
    free(all);
}

static enum profile_kind decide_kind(const struct colstat *c, const struct profile_column *col)
{
    long long n = c->present;
    if (n == 0)
        return PROFILE_CATEGORICAL;
    bool unique = col->distinct_exact ? col->distinct == n : col->distinct >= 0.97 * (double)n;
    if (c->n_bool == n)
        return PROFILE_BOOLEAN;
    if (c->n_int == n) {
        if (col->distinct == 2 && c->min == 0 && c->max == 1)
            return PROFILE_BOOLEAN;
        if (unique && colstat_id_name(col->name))
            return PROFILE_ID;
        return PROFILE_INTEGER;
    }
    if (c->n_int + c->n_float == n)
        return PROFILE_FLOAT;
    if (c->n_date == n)
        return PROFILE_DATETIME;
    if (unique && colstat_id_name(col->name))
        return PROFILE_ID;
    double mean_len = (double)c->len_sum / (double)n;
    double mean_spaces = c->space_sampled ? (double)c->spaces / (double)c->space_sampled : 0.0;
    if (mean_len > 30.0 || mean_spaces >= 2.0)
        return PROFILE_TEXT;
    if (n >= 10 && (double)col->distinct >= 0.95 * (double)n)
        return PROFILE_ID; /* strings with little repetition */
    return PROFILE_CATEGORICAL;
}

/* Mean and standard deviation; with infinities among the numbers, as pandas
 * has them: the mean is that infinity (NaN when both signs occur) and the
 * deviation is NaN. */
static void finish_numbers(const struct colstat *c, struct profile_column *out)
{
    out->has_numbers = true;
    out->min = c->min;
    out->max = c->max;
    if (c->n_inf_pos || c->n_inf_neg) {
        out->mean = c->n_inf_pos && c->n_inf_neg ? NAN : c->n_inf_pos ? INFINITY : -INFINITY;
        out->std = NAN;
        return;
    }
    double nn = (double)c->n_finite;
    double mean_shifted = c->sum / nn;
    double var = c->sumsq / nn - mean_shifted * mean_shifted;
    out->mean = c->shift + mean_shifted;
    out->std = c->n_finite > 1 && var > 0 ? sqrt(var * nn / (nn - 1)) : 0.0;
}

void colstat_finish(struct colstat *c, long long rows, struct profile_column *out)
{
    memset(out, 0, sizeof *out);
    out->name = c->name;
    c->name = NULL;
    out->present = c->present;
    out->missing_count = rows > c->present ? rows - c->present : 0;
    out->missing = rows > 0 ? (double)out->missing_count / (double)rows : 0.0;
    out->distinct_exact = !c->overflow;
    if (c->overflow)
        out->distinct = llround(hll_estimate(c->hll));
    else
        out->distinct = (long long)c->table_used;
    if (out->distinct > c->present)
        out->distinct = c->present;
    extract_top(c, out);
    out->kind = decide_kind(c, out);
    long long nnum = numbers(c);
    if (nnum > 0 && nnum == c->present)
        finish_numbers(c, out);
    if (c->present > 0) {
        out->len_min = c->len_min;
        out->len_max = c->len_max;
        out->len_mean = (double)c->len_sum / (double)c->present;
    }
    for (size_t i = 0; i < c->nexamples; i++) {
        out->examples[i] = c->examples[i];
        c->examples[i] = NULL;
    }
    out->nexamples = c->nexamples;
    c->nexamples = 0;
}

void colstat_free(struct colstat *c)
{
    free(c->name);
    free(c->table);
    free(c->slots);
    free(c->arena);
    free(c->hll);
    for (size_t i = 0; i < c->nexamples; i++)
        free(c->examples[i]);
    memset(c, 0, sizeof *c);
}
