/* colstat.c - per-column statistics (see colstat.h; kind rules in profile.h).
 *
 * The cell classifier looks at the first byte to pick the one test that can
 * apply: missing markers start with N/n or are empty, numbers start with a
 * digit, a sign or a dot, booleans with t/f/y/n, and a digit-led cell that
 * is not a number is tried as a date. Numbers are parsed by hand into a
 * 64-bit mantissa and a power of ten; strtod() is used only for mantissas
 * longer than 19 digits or exponents outside the exact table. */
#include "task/colstat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task/csv.h"
#include "util/mem.h"

#define TABLE_START 64
#define SPACE_SAMPLE 100000 /* string cells whose spaces are counted */

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

/* Parses [+-]digits[.digits][(e|E)[+-]digits]. Returns CELL_INT, CELL_FLOAT
 * or CELL_STRING (not a number). Up to 19 significant digits are read into
 * one integer; longer numbers go to strtod(). */
static inline enum cell_kind parse_number(const char *s, size_t len, double *value)
{
    const char *p = s, *end = s + len;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    const char *digits_start = p;
    uint64_t mant = 0;
    while (p < end && is_digit(*p))
        mant = mant * 10 + (uint64_t)(*p++ - '0');
    size_t ndigits = (size_t)(p - digits_start);
    long exp10 = 0;
    bool is_float = false;
    if (p < end && *p == '.') {
        is_float = true;
        const char *frac = ++p;
        while (p < end && is_digit(*p))
            mant = mant * 10 + (uint64_t)(*p++ - '0');
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

static bool is_bool_word(const char *s, size_t len)
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
static bool is_datetime(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    if (len < 5 || !is_digit(s[0]))
        return false;
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

static inline enum cell_kind cell_kind(const char *s, size_t len, double *value)
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
    c->table_cap = TABLE_START;
    c->table = xcalloc(c->table_cap, sizeof *c->table);
    c->len_min = (size_t)-1;
}

static void table_grow(struct colstat *c)
{
    size_t cap = c->table_cap * 2;
    struct dentry *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < c->table_cap; i++) {
        if (!c->table[i].hash)
            continue;
        size_t j = c->table[i].hash & (cap - 1);
        while (t[j].hash)
            j = (j + 1) & (cap - 1);
        t[j] = c->table[i];
    }
    free(c->table);
    c->table = t;
    c->table_cap = cap;
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
    for (size_t i = 0; i < c->table_cap; i++)
        if (c->table[i].hash)
            hll_add_hash(c->hll, c->table[i].hash);
}

static void count_distinct(struct colstat *c, const char *s, size_t len, uint64_t h)
{
    if (c->overflow) {
        hll_add_hash(c->hll, h);
        return;
    }
    if (!h)
        h = 1;
    size_t mask = c->table_cap - 1;
    size_t i = h & mask;
    while (c->table[i].hash) {
        if (c->table[i].hash == h) {
            if (c->table[i].count != UINT32_MAX)
                c->table[i].count++;
            return;
        }
        i = (i + 1) & mask;
    }
    if (c->table_used == c->exact_bound) {
        start_estimating(c);
        hll_add_hash(c->hll, h);
        return;
    }
    c->table[i].hash = h;
    c->table[i].count = 1;
    c->table[i].str = arena_put(c, s, len);
    c->table_used++;
    if (c->table_used * 2 > c->table_cap)
        table_grow(c);
}

static void add_example(struct colstat *c, const char *s, size_t len)
{
    size_t n = csv_utf8_clip(s, len, PROFILE_VALUE_MAX);
    for (size_t i = 0; i < c->nexamples; i++)
        if (strlen(c->examples[i]) == n && memcmp(c->examples[i], s, n) == 0)
            return;
    c->examples[c->nexamples++] = xstrndup(s, n);
}

static void add_number(struct colstat *c, double v)
{
    if (c->n_num == 0) {
        c->shift = v;
        c->min = c->max = v;
    }
    c->n_num++;
    double d = v - c->shift;
    c->sum += d;
    c->sumsq += d * d;
    if (v < c->min)
        c->min = v;
    if (v > c->max)
        c->max = v;
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
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == ' ';
    return n;
}

void colstat_add(struct colstat *c, const char *s, size_t len)
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
        if (c->space_sampled < SPACE_SAMPLE) {
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
    count_distinct(c, s, len, hash_cell(k, s, len, v));
    if (c->nexamples < PROFILE_EXAMPLES)
        add_example(c, s, len);
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
    struct dentry *all = xmalloc((c->table_used ? c->table_used : 1) * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < c->table_cap; i++)
        if (c->table[i].hash)
            all[n++] = c->table[i];
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
    if (c->n_num > 0 && c->n_num == c->present) {
        double nn = (double)c->n_num;
        double mean_shifted = c->sum / nn;
        double var = c->sumsq / nn - mean_shifted * mean_shifted;
        out->has_numbers = true;
        out->min = c->min;
        out->max = c->max;
        out->mean = c->shift + mean_shifted;
        out->std = c->n_num > 1 && var > 0 ? sqrt(var * nn / (nn - 1)) : 0.0;
    }
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
    free(c->arena);
    free(c->hll);
    for (size_t i = 0; i < c->nexamples; i++)
        free(c->examples[i]);
    memset(c, 0, sizeof *c);
}
