/* task_csvbound_test.c - the CSV reader's bounds: a record longer than the
 * limit, or with too many fields, is an error naming its line, and the
 * reader's memory stays near the limits however long the line is (a 50 MB
 * one-line header once took 1.75 GB to reject). */
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
#include "util/mem.h"

/* Reads everything; returns csv_next's last code, the largest csv_memory(). */
static int read_all(struct csv_reader *r, size_t *records, size_t *peak, struct err *err)
{
    const struct csv_field *f;
    size_t n;
    int rc;
    *records = 0;
    *peak = csv_memory(r);
    while ((rc = csv_next(r, &f, &n, err)) == 1) {
        (*records)++;
        if (csv_memory(r) > *peak)
            *peak = csv_memory(r);
    }
    if (csv_memory(r) > *peak)
        *peak = csv_memory(r);
    return rc;
}

static void test_long_line_is_refused_with_bounded_memory(void **state)
{
    (void)state;
    /* a 48 MiB header of commas: the worst case for fields */
    size_t len = (size_t)48 << 20;
    char *data = xmalloc(len + 16);
    memcpy(data, "a,b\n1,2\n", 8);
    memset(data + 8, ',', len - 9);
    data[len - 1] = '\n';
    char path[] = "/tmp/mlestar-csvbound-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    free(data);
    struct csv_reader *r;
    struct err err = {{0}};
    assert_int_equal(csv_open(path, &r, &err), 0);
    size_t records, peak;
    assert_int_equal(read_all(r, &records, &peak, &err), -1);
    assert_int_equal(records, 2);
    assert_non_null(strstr(err.msg, "line 3 is longer than 16 MB"));
    assert_true(peak <= 3 * CSV_RECORD_MAX + 24 * CSV_FIELDS_MAX + (4u << 20));
    csv_close(r);
    unlink(path);
}

static void test_limits_are_settable(void **state)
{
    (void)state;
    const char *text = "x,y\n\"a long quoted\nfield that goes on\",2\n3,4\n";
    struct csv_reader *r;
    struct err err = {{0}};
    csv_open_mem(text, strlen(text), &r);
    csv_set_block_size(r, 8);
    csv_set_limits(r, 16, 0);
    size_t records, peak;
    assert_int_equal(read_all(r, &records, &peak, &err), -1);
    assert_int_equal(records, 1);
    assert_non_null(strstr(err.msg, "line 2 is longer than 16 bytes"));
    csv_close(r);

    csv_open_mem(text, strlen(text), &r);
    csv_set_limits(r, 1024, 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(read_all(r, &records, &peak, &err), 0);
    assert_int_equal(records, 3);
    csv_close(r);
}

static void test_too_many_fields(void **state)
{
    (void)state;
    const char *text = "a,b,c\n1,2,3,4,5,6,7,8\n";
    struct csv_reader *r;
    struct err err = {{0}};
    csv_open_mem(text, strlen(text), &r);
    csv_set_limits(r, 0, 4);
    size_t records, peak;
    assert_int_equal(read_all(r, &records, &peak, &err), -1);
    assert_int_equal(records, 1);
    assert_non_null(strstr(err.msg, "line 2 has more than 4 fields"));
    assert_true(peak < 4096);
    csv_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_line_is_refused_with_bounded_memory),
        cmocka_unit_test(test_limits_are_settable),
        cmocka_unit_test(test_too_many_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
