/* task_split_test.c - profiling a CSV file split between threads gives the
 * profile of one pass.
 *
 * Files of a few hundred kilobytes are split into ranges of a few
 * kilobytes (profile_csv_tune), so every mechanism of the split runs:
 * cuts chosen next to quoted fields with embedded newlines, CRLF lines,
 * blank lines, ragged rows and invalid UTF-8 whose issues must keep their
 * absolute line numbers, a column past the exact distinct bound, and a
 * file built so that a cut looks right but lies inside a quoted field (the
 * split must notice and redo the file in one pass). Also colstat_merge()
 * against one colstat fed everything, and the number parser's long digit
 * runs against strtod(). When ../shared/tasks exists beside the source
 * folder, its real CSV files are split too (skipped otherwise). */
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../common/profile_compare.h"
#include "task/colstat.h"
#include "task/profile.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static char *write_file(const struct buf *b)
{
    char *path = xstrdup("/tmp/mlestar-split-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf_str(b), b->len), (ssize_t)b->len);
    close(fd);
    return path;
}

static struct profile_file *profile_with(const char *path, size_t range, int threads)
{
    struct profile_file *f = NULL;
    struct err err = {{0}};
    profile_csv_tune(range, threads);
    int rc = profile_csv_file(path, &f, &err);
    profile_csv_tune(0, 0);
    if (rc < 0)
        fail_msg("%s", err.msg);
    return f;
}

/* Profiles path in one pass and split (ranges of `range` bytes, on 2 and
 * on 4 threads); the profiles must agree. Returns the one-pass profile. */
static struct profile_file *expect_same_split(const char *path, size_t range)
{
    struct profile_file *one = profile_with(path, range, 1);
    for (int threads = 2; threads <= 4; threads += 2) {
        struct profile_file *split = profile_with(path, range, threads);
        const char *diff = profile_diff(one, split);
        if (diff)
            fail_msg("split on %d threads: %s", threads, diff);
        profile_file_free(split);
    }
    return one;
}

static const struct profile_column *col(const struct profile_file *f, const char *name)
{
    const struct profile_column *c = profile_find_column(f, name);
    if (!c)
        fail_msg("no column %s", name);
    return c;
}

/* Everything a real file has, spread over ~400 KB. The lines of the
 * ragged rows are known, so the merged issues can be checked. */
static void test_split_equals_one_pass(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "id,n,x,cat,code,when,text,flag\n");
    long long line = 2, ragged_lines[3] = {0};
    int ragged = 0;
    srand(7);
    for (int i = 0; i < 4000; i++) {
        if (i % 997 == 500) {
            buf_puts(&b, "\n"); /* a blank line */
            line++;
        }
        if (i % 1300 == 1299 && ragged < 3) {
            ragged_lines[ragged++] = line;
            buf_printf(&b, "%d,1,2\n", i);
            line++;
            continue;
        }
        int newlines = i % 7 == 0 ? 2 : 0;
        buf_printf(&b, "%d,%d,%s,cat_%d,code%05d,2021-%02d-%02d 10:%02d:00,\"", i, rand() % 100,
                   i % 11 == 0 ? "" : i % 5 ? "3.25" : "-1234567.125", i % 9, rand() % 30000, 1 + i % 12,
                   1 + i % 28, i % 60);
        buf_puts(&b, i % 3 ? "some words, with a comma" : "he said \"\"hi\"\" twice");
        for (int k = 0; k < newlines; k++)
            buf_puts(&b, "\nmore text on another line");
        buf_printf(&b, "\",%s%s", i % 2 ? "true" : "false", i % 13 == 0 ? "\r\n" : "\n");
        line += 1 + newlines;
    }
    buf_puts(&b, "9999,1,1,cat_1,code1,2021-01-01 10:00:00,\"bad \xff byte\",true\n");
    char *path = write_file(&b);

    struct profile_file *one = expect_same_split(path, 4096);
    assert_int_equal(one->rows, 4001);
    assert_int_equal(one->issues_total, 4);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(one->issues[k].line, ragged_lines[k]);
        assert_non_null(strstr(one->issues[k].problem, "ragged row"));
    }
    assert_int_equal(one->issues[3].line, line);
    assert_string_equal(one->issues[3].problem, "invalid UTF-8");
    assert_true(col(one, "code")->distinct_exact);
    assert_true(col(one, "code")->distinct > 3000);
    assert_int_equal(col(one, "when")->kind, PROFILE_DATETIME);
    assert_int_equal(col(one, "flag")->kind, PROFILE_BOOLEAN);
    profile_file_free(one);
    unlink(path);
    free(path);
    buf_free(&b);
}

/* A high-cardinality column overflows the exact table in every range and
 * in the merge; the HyperLogLog estimate must still be the one-pass one. */
static void test_split_past_the_exact_bound(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "key,small\n");
    for (int i = 0; i < 60000; i++)
        buf_printf(&b, "k%d,%d\n", i * 31, i % 7);
    char *path = write_file(&b);
    struct profile_file *one = expect_same_split(path, 8192);
    const struct profile_column *key = col(one, "key");
    assert_false(key->distinct_exact);
    assert_true(fabs((double)key->distinct / 60000.0 - 1) < 0.03);
    assert_true(col(one, "small")->distinct_exact);
    assert_int_equal(col(one, "small")->distinct, 7);
    profile_file_free(one);
    unlink(path);
    free(path);
    buf_free(&b);
}

/* Every record holds a quoted field of ten lines, so most line starts near
 * a cut's target are inside quotes: the window test must skip them. */
static void test_cuts_next_to_multiline_fields(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "a,b,c\n");
    for (int i = 0; i < 3000; i++) {
        buf_printf(&b, "%d,\"", i);
        for (int k = 0; k < 10; k++)
            buf_printf(&b, "%sline %d of %d", k ? "\n" : "", k, i);
        buf_printf(&b, "\",%d\n", i * 2);
    }
    char *path = write_file(&b);
    unsigned long retries = profile_csv_split_retries();
    struct profile_file *one = expect_same_split(path, 4096);
    assert_int_equal(one->rows, 3000);
    assert_int_equal(one->issues_total, 0);
    assert_int_equal(profile_csv_split_retries(), retries); /* the cuts were right */
    profile_file_free(one);
    unlink(path);
    free(path);
    buf_free(&b);
}

/* One quoted field holds thousands of lines that look like clean records
 * of the header's width: a cut inside it passes the window test. The range
 * before the cut then runs past it, and the file is profiled again in one
 * pass: same result, one retry counted. */
static void test_wrong_cut_is_detected(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "a,b,c\n1,2,3\n4,\"");
    for (int i = 0; i < 20000; i++)
        buf_printf(&b, "%s%d,%d,%d", i ? "\n" : "", i, i + 1, i + 2);
    buf_puts(&b, "\",6\n7,8,9\n");
    char *path = write_file(&b);
    unsigned long retries = profile_csv_split_retries();
    struct profile_file *one = expect_same_split(path, 16384);
    assert_int_equal(one->rows, 3);
    assert_true(profile_csv_split_retries() >= retries + 2); /* once per split run */
    profile_file_free(one);
    unlink(path);
    free(path);
    buf_free(&b);
}

/* Frees columns made by colstat_finish() (through a profile_file). */
static void free_columns(struct profile_column *x, struct profile_column *y)
{
    struct profile_file *f = xcalloc(1, sizeof *f);
    f->columns = xcalloc(2, sizeof *f->columns);
    f->columns[0] = *x;
    f->columns[1] = *y;
    f->ncolumns = 2;
    profile_file_free(f);
}

/* The real competition files, when the workspace has them. */
static void test_split_on_real_tasks(void **state)
{
    (void)state;
    glob_t g;
    if (glob(MLESTAR_SOURCE_DIR "/../shared/tasks/*/public/*.csv", 0, NULL, &g) != 0) {
        skip();
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct profile_file *one = expect_same_split(g.gl_pathv[i], 32768);
        assert_true(one->rows > 0);
        profile_file_free(one);
    }
    globfree(&g);
}

/* A column without a single value: no table, no top values, still merged
 * and finished (an empty exact table must not be copied from NULL). */
static void test_column_without_values(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "id,empty\n");
    for (int i = 0; i < 20000; i++)
        buf_printf(&b, "%d,%s\n", i, i % 2 ? "" : "NA");
    char *path = write_file(&b);
    struct profile_file *one = expect_same_split(path, 8192);
    const struct profile_column *c = col(one, "empty");
    assert_int_equal(c->present, 0);
    assert_int_equal(c->missing_count, 20000);
    assert_int_equal(c->ntop, 0);
    assert_int_equal(c->nexamples, 0);
    profile_file_free(one);
    unlink(path);
    free(path);
    buf_free(&b);
}

static void feed(struct colstat *c, const char *const *cells, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        colstat_add(c, cells[i], strlen(cells[i]));
}

/* colstat_merge() of two halves against one colstat fed everything: with
 * a small exact bound (16) so that one half overflows on its own. */
static void test_colstat_merge(void **state)
{
    (void)state;
    static char storage[200][24];
    const char *cells[200];
    for (int i = 0; i < 200; i++) {
        if (i < 100)
            snprintf(storage[i], sizeof storage[i], "%d", 1000000000 + i % 9); /* big shift */
        else
            snprintf(storage[i], sizeof storage[i], "%.2f", -0.5 * i);        /* many values */
        cells[i] = storage[i];
    }
    for (size_t cut = 0; cut <= 200; cut += 50) {
        struct colstat all, a, b;
        colstat_init(&all, "v", 16);
        colstat_init(&a, "v", 16);
        colstat_init(&b, "v", 16);
        feed(&all, cells, 0, 200);
        feed(&a, cells, 0, cut);
        feed(&b, cells, cut, 200);
        colstat_merge(&a, &b);
        struct profile_column x, y;
        colstat_finish(&all, 200, &x);
        colstat_finish(&a, 200, &y);
        assert_int_equal(x.present, y.present);
        assert_int_equal(x.kind, y.kind);
        assert_int_equal(x.distinct, y.distinct);
        assert_int_equal(x.distinct_exact, y.distinct_exact);
        assert_true(x.min == y.min && x.max == y.max);
        assert_true(fabs(x.mean - y.mean) < 1e-6 && fabs(x.std - y.std) < 1e-6);
        assert_int_equal(x.nexamples, y.nexamples);
        for (size_t i = 0; i < x.nexamples; i++)
            assert_string_equal(x.examples[i], y.examples[i]);
        free_columns(&x, &y);
        colstat_free(&all);
        colstat_free(&a);
        colstat_free(&b);
    }
}

/* A number too large for a double is an infinity: counted, not summed,
 * so the mean is that infinity (as in pandas) whatever the order of the
 * cells or the split (found by the split fuzzer: "-3e2234"). */
static void test_infinite_numbers(void **state)
{
    (void)state;
    const char *cells[] = {"1.5", "-3e2234", "2", "4", "-3e2234", "8"};
    for (size_t cut = 0; cut <= 6; cut++) {
        struct colstat a, b, c;
        colstat_init(&a, "v", 64);
        colstat_init(&b, "v", 64);
        colstat_init(&c, "w", 64);
        feed(&a, cells, 0, cut);
        feed(&b, cells, cut, 6);
        colstat_merge(&a, &b);
        const char *both[] = {"1e999", "-1e999", "3"}; /* both signs: no mean */
        feed(&c, both, 0, 3);
        struct profile_column x, y;
        colstat_finish(&a, 6, &x);
        colstat_finish(&c, 3, &y);
        assert_true(x.has_numbers && isinf(x.mean) && x.mean < 0 && isnan(x.std));
        assert_true(isinf(x.min) && x.max == 8);
        assert_true(isnan(y.mean) && isinf(y.max) && isinf(y.min));
        free_columns(&x, &y);
        colstat_free(&a);
        colstat_free(&b);
        colstat_free(&c);
    }
}

/* Digit runs of every length, read eight at a time where the cell allows,
 * against strtod(): exact while the digits fit in 2^53, within two
 * roundings beyond. */
static void test_long_numbers_match_strtod(void **state)
{
    (void)state;
    const char *fixed[] = {"12345678", "123456789", "-12345678.5", "0.12345678", "95.618765",
                           "1234567890123456789", "9007199254740993", "12345678e-3", "1.2345678901234",
                           "00000000000000000001", "12345678901234567890", "+87654321.87654321"};
    char text[64];
    srand(11);
    for (int i = 0; i < 20000 + (int)(sizeof fixed / sizeof *fixed); i++) {
        if (i < (int)(sizeof fixed / sizeof *fixed)) {
            snprintf(text, sizeof text, "%s", fixed[i]);
        } else {
            int ilen = 1 + rand() % 12, flen = rand() % 9;
            char *p = text;
            if (rand() % 4 == 0)
                *p++ = '-';
            for (int k = 0; k < ilen; k++)
                *p++ = (char)('0' + rand() % 10);
            if (flen) {
                *p++ = '.';
                for (int k = 0; k < flen; k++)
                    *p++ = (char)('0' + rand() % 10);
            }
            *p = '\0';
        }
        double v = 0, want = strtod(text, NULL);
        enum cell_kind k = colstat_cell_kind(text, strlen(text), &v);
        assert_true(k == CELL_INT || k == CELL_FLOAT);
        size_t digits = 0;
        for (const char *c = text; *c && *c != 'e'; c++)
            digits += *c >= '0' && *c <= '9';
        if (digits <= 15 && v != want) /* the mantissa is below 2^53: one rounding */
            fail_msg("%s: %.17g, strtod %.17g", text, v, want);
        assert_true(fabs(v - want) <= fabs(want) * 4e-16);
    }
    /* a digit run cut short by other text is not a number */
    double v;
    assert_int_equal(colstat_cell_kind("12345678x", 9, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("1234567.8.9", 11, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("2021-03-04 10:11:12", 19, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2021-03-04T10:11:12", 19, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2021-03-04 10:11:1x", 19, &v), CELL_STRING);
}

/* The space count behind the text rule, on cells longer than a word:
 * two spaces per cell on average is text, one is not. */
static void test_space_counting(void **state)
{
    (void)state;
    struct colstat two, one;
    colstat_init(&two, "t", 1000);
    colstat_init(&one, "o", 1000);
    char cell[64];
    for (int i = 0; i < 50; i++) {
        snprintf(cell, sizeof cell, "abcdefg hij%d klm", i);     /* spaces at 7 and across the word */
        colstat_add(&two, cell, strlen(cell));
        snprintf(cell, sizeof cell, "abcdefghijklmno%d pq", i);
        colstat_add(&one, cell, strlen(cell));
    }
    struct profile_column x, y;
    colstat_finish(&two, 50, &x);
    colstat_finish(&one, 50, &y);
    assert_int_equal(x.kind, PROFILE_TEXT);
    assert_int_not_equal(y.kind, PROFILE_TEXT);
    free_columns(&x, &y);
    colstat_free(&two);
    colstat_free(&one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_equals_one_pass),
        cmocka_unit_test(test_split_past_the_exact_bound),
        cmocka_unit_test(test_cuts_next_to_multiline_fields),
        cmocka_unit_test(test_wrong_cut_is_detected),
        cmocka_unit_test(test_split_on_real_tasks),
        cmocka_unit_test(test_column_without_values),
        cmocka_unit_test(test_colstat_merge),
        cmocka_unit_test(test_infinite_numbers),
        cmocka_unit_test(test_long_numbers_match_strtod),
        cmocka_unit_test(test_space_counting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
