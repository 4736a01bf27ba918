/* task_csv_test.c - the streaming CSV reader: RFC 4180 quoting, embedded
 * newlines and quotes, CRLF, BOM, missing final newline, ragged rows,
 * invalid UTF-8 and unterminated quotes with line numbers, records that
 * straddle input blocks (every block size from 1 byte up gives the same
 * records), reading a byte range of a file (what the split profiler does),
 * the lenient flag, whole-table loading and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "task/csv.h"
#include "util/buf.h"

/* The records of `text` rendered as "line:f1|f2|...\n" with flags, read
 * with the given block size (0 = default). */
static char *render(const char *text, size_t len, size_t block)
{
    struct csv_reader *r;
    assert_int_equal(csv_open_mem(text, len, &r), 0);
    if (block)
        csv_set_block_size(r, block);
    struct buf out = {0};
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    int rc;
    while ((rc = csv_next(r, &f, &n, &err)) == 1) {
        const struct csv_record_info *info = csv_info(r);
        buf_printf(&out, "%zu:", info->line);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(f[i].ptr[f[i].len], '\0');
            if (i + 1 < n) /* fields are stored back to back */
                assert_ptr_equal(f[i + 1].ptr, f[i].ptr + f[i].len + 1);
            buf_printf(&out, "%s%s%s", i ? "|" : "", f[i].quoted ? "q" : "", f[i].ptr);
        }
        if (info->bad_utf8)
            buf_puts(&out, " BADUTF8");
        if (info->unterminated)
            buf_puts(&out, " UNTERMINATED");
        buf_putc(&out, '\n');
    }
    assert_int_equal(rc, 0);
    csv_close(r);
    return buf_detach(&out);
}

static void expect(const char *text, const char *want)
{
    char *got = render(text, strlen(text), 0);
    assert_string_equal(got, want);
    free(got);
}

static void test_plain_records(void **state)
{
    (void)state;
    expect("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    expect("a,b\n1,2", "1:a|b\n2:1|2\n");              /* no final newline */
    expect("a,,c\n,,\n", "1:a||c\n2:||\n");            /* empty fields */
    expect("x\n\ny\n", "1:x\n2:\n3:y\n");                /* a blank line is a record of one empty field */
    expect("", "");
}

static void test_quotes(void **state)
{
    (void)state;
    expect("\"a,b\",c\n", "1:qa,b|c\n");
    expect("\"he said \"\"hi\"\"\",x\n", "1:qhe said \"hi\"|x\n");
    expect("\"\",\"\"\n", "1:q|q\n");
    /* an embedded newline: the next record starts two lines later */
    expect("\"line1\nline2\",b\nc,d\n", "1:qline1\nline2|b\n3:c|d\n");
    expect("\"a\r\nb\",c\r\nd,e\r\n", "1:qa\r\nb|c\n3:d|e\n");
    /* a quote inside an unquoted field is literal; text after a closing quote is kept */
    expect("ab\"c,d\n", "1:ab\"c|d\n");
    expect("\"ab\"cd,e\n", "1:qabcd|e\n");
    expect("\"ab\"\n", "1:qab\n");
    expect("\"ab\"", "1:qab\n");
}

static void test_crlf_and_bom(void **state)
{
    (void)state;
    expect("a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n");
    expect("\xEF\xBB\xBFid,x\n1,2\n", "1:id|x\n2:1|2\n");
    expect("\xEF\xBB\xBF\"id\",x\r\n", "1:qid|x\n");
    expect("a,b\r", "1:a|b\n");
    /* a lone CR inside a field is data */
    expect("a\rb,c\n", "1:a\rb|c\n");
}

static void test_ragged_utf8_unterminated(void **state)
{
    (void)state;
    expect("a,b,c\n1,2\n1,2,3,4\n", "1:a|b|c\n2:1|2\n3:1|2|3|4\n");
    expect("a\n\xC3\xA9t\xC3\xA9\n\xFF\xFE\n", "1:a\n2:\xC3\xA9t\xC3\xA9\n3:\xFF\xFE BADUTF8\n");
    expect("a,b\n1,\"open\nstill open\n", "1:a|b\n2:1|qopen\nstill open\n UNTERMINATED\n");
}

static void test_utf8_validation(void **state)
{
    (void)state;
    assert_true(csv_utf8_valid("plain", 5));
    assert_true(csv_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
    assert_false(csv_utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(csv_utf8_valid("\xE0\x80\xAF", 3));     /* overlong */
    assert_false(csv_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(csv_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(csv_utf8_valid("\xE2\x82", 2));         /* truncated */
    assert_false(csv_utf8_valid("\x80", 1));
    /* clipping never cuts a sequence */
    assert_int_equal(csv_utf8_clip("ab\xC3\xA9", 4, 3), 2);
    assert_int_equal(csv_utf8_clip("ab\xC3\xA9", 4, 4), 4);
    assert_int_equal(csv_utf8_clip("abcdef", 6, 3), 3);
}

/* Every block size gives the same records as one big block. */
static void test_block_boundaries(void **state)
{
    (void)state;
    const char *inputs[] = {
        "id,text,n\r\n1,\"a, \"\"quoted\"\"\nvalue\",3.5\r\n2,plain,\r\n3,\"\",7\r\n",
        "\xEF\xBB\xBFh1,h2\n\"x\ny\nz\",\"\"\"\"\nlast,row",
        "a,b,c\n1,2\n\"unterminated,\n\xFF\n",
        "long_field_header_name_here,b\nsome longer unquoted value here,\"and a quoted one, with commas\"\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        size_t len = strlen(inputs[i]);
        char *want = render(inputs[i], len, 0);
        for (size_t block = 1; block <= len + 2; block++) {
            char *got = render(inputs[i], len, block);
            assert_string_equal(got, want);
            free(got);
        }
        free(want);
    }
}

static void test_embedded_nul_and_offset(void **state)
{
    (void)state;
    const char text[] = "a,b\nx\0y,z\n";
    struct csv_reader *r;
    assert_int_equal(csv_open_mem(text, sizeof text - 1, &r), 0);
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_int_equal(csv_offset(r), 4);
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].len, 3);
    assert_memory_equal(f[0].ptr, "x\0y", 3);
    assert_int_equal(csv_next(r, &f, &n, &err), 0);
    assert_int_equal(csv_offset(r), sizeof text - 1);
    csv_close(r);
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/mlestar-csv-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_file_reading_large_records(void **state)
{
    (void)state;
    /* records larger than the default block, through a real file */
    struct buf b = {0};
    buf_puts(&b, "k,v\n");
    for (int i = 0; i < 3; i++) {
        buf_printf(&b, "%d,\"", i);
        for (int k = 0; k < 700000; k++)
            buf_putc(&b, k % 1000 == 999 ? '\n' : 'a' + (k % 26));
        buf_puts(&b, "\"\n");
    }
    char *path = write_tmp(buf_str(&b));
    struct csv_reader *r;
    struct err err = {{0}};
    assert_int_equal(csv_open(path, &r, &err), 0);
    const struct csv_field *f;
    size_t n, records = 0, expected_line = 2;
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    while (csv_next(r, &f, &n, &err) == 1) {
        assert_int_equal(n, 2);
        assert_int_equal(f[1].len, 700000);
        assert_int_equal(csv_info(r)->line, expected_line);
        expected_line += 701; /* 700 embedded newlines */
        records++;
    }
    assert_int_equal(records, 3);
    csv_close(r);
    unlink(path);
    free(path);
    buf_free(&b);
}

/* A range reader starts at a record boundary, counts lines from there,
 * reads the record that straddles its stop whole, and stops before the
 * next one; csv_offset() is the file offset throughout. */
static void test_range_reading(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFh1,h2\n1,\"a\nb\"\n2,c\n3,\"d\n\ne\"\n4,f\n";
    char *path = write_tmp(text);
    size_t start = strlen("\xEF\xBB\xBFh1,h2\n1,\"a\nb\"\n");  /* where record "2,c" starts */
    size_t stop = start + 5;                                     /* inside record "3,..." */
    struct csv_reader *r;
    struct err err = {{0}};
    assert_int_equal(csv_open_range(path, start, stop, &r, &err), 0);
    const struct csv_field *f;
    size_t n;
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_string_equal(f[1].ptr, "c");
    assert_int_equal(csv_info(r)->line, 1);
    assert_int_equal(csv_next(r, &f, &n, &err), 1);    /* starts before stop: read whole */
    assert_string_equal(f[1].ptr, "d\n\ne");
    assert_int_equal(csv_info(r)->line, 2);
    assert_int_equal(csv_next(r, &f, &n, &err), 0);    /* "4,f" starts after stop */
    assert_int_equal(csv_next_line(r), 5);
    assert_int_equal(csv_offset(r), strlen(text) - strlen("4,f\n"));
    csv_close(r);

    /* from 0 the byte-order mark is skipped as with csv_open(); a stop
     * set later (csv_set_stop) ends the reading at that record */
    assert_int_equal(csv_open_range(path, 0, ~0ULL, &r, &err), 0);
    csv_set_stop(r, start);
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_string_equal(f[0].ptr, "h1");
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_int_equal(csv_next(r, &f, &n, &err), 0);
    assert_int_equal(csv_offset(r), start);
    assert_int_equal(csv_next_line(r), 4);
    csv_close(r);
    unlink(path);
    free(path);
}

/* lenient: text after a closing quote, kept in the field but flagged */
static void test_lenient_flag(void **state)
{
    (void)state;
    const char *text = "\"ab\"c,d\n\"ok\",\"x\"\"y\"\n";
    struct csv_reader *r;
    assert_int_equal(csv_open_mem(text, strlen(text), &r), 0);
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_string_equal(f[0].ptr, "abc");
    assert_true(csv_info(r)->lenient);
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_string_equal(f[1].ptr, "x\"y");
    assert_false(csv_info(r)->lenient);
    csv_close(r);
}

static void test_open_errors_name_the_path(void **state)
{
    (void)state;
    struct csv_reader *r;
    struct err err = {{0}};
    assert_int_equal(csv_open("/nonexistent/dir/x.csv", &r, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.csv"));
}

static void test_table_load(void **state)
{
    (void)state;
    char *path = write_tmp("id,label\n1,cat\n2,\"dog, big\"\n\n");
    struct csv_table *t;
    struct err err = {{0}};
    assert_int_equal(csv_table_load(path, &t, &err), 0);
    assert_int_equal(t->ncols, 2);
    assert_int_equal(t->nrows, 2);
    assert_int_equal(csv_table_col(t, "label"), 1);
    assert_int_equal(csv_table_col(t, "nope"), -1);
    assert_string_equal(csv_table_cell(t, 1, 1), "dog, big");
    assert_null(csv_table_cell(t, 2, 0));
    csv_table_free(t);
    unlink(path);
    free(path);

    path = write_tmp("a,b\n1,2\n3\n");
    assert_int_equal(csv_table_load(path, &t, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, ":3: ragged row: 1 fields, header has 2"));
    unlink(path);
    free(path);

    path = write_tmp("");
    assert_int_equal(csv_table_load(path, &t, &err), -1);
    assert_non_null(strstr(err.msg, "empty"));
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_records),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_crlf_and_bom),
        cmocka_unit_test(test_ragged_utf8_unterminated),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_embedded_nul_and_offset),
        cmocka_unit_test(test_file_reading_large_records),
        cmocka_unit_test(test_range_reading),
        cmocka_unit_test(test_lenient_flag),
        cmocka_unit_test(test_open_errors_name_the_path),
        cmocka_unit_test(test_table_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
