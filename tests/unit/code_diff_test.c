/* code_diff_test.c - unified diffs: exact output on simple cases, GNU hunk
 * numbering, missing final newlines, and on random edits the diff applied
 * with patch(1) (fork/exec) turns a into b. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "code/diff.h"
#include "util/buf.h"
#include "util/fs.h"

static void test_equal_texts(void **state)
{
    (void)state;
    char *d = code_unified_diff("a\nb\n", "a\nb\n", "a/x", "b/x");
    assert_string_equal(d, "");
    free(d);
}

static void test_one_change_with_context(void **state)
{
    (void)state;
    char *d = code_unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
                                "a/solution.py", "b/solution.py");
    assert_string_equal(d, "--- a/solution.py\n+++ b/solution.py\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n"
                           "+five\n 6\n 7\n 8\n");
    free(d);
}

static void test_two_hunks_and_merge(void **state)
{
    (void)state;
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
    char *d = code_unified_diff(a, "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\ny\n", "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n"
                           "@@ -13,4 +13,4 @@\n 13\n 14\n 15\n-16\n+y\n");
    free(d);
    /* changes 6 lines apart share one hunk */
    d = code_unified_diff(a, "1\nx\n3\n4\n5\n6\n7\n8\ny\n10\n11\n12\n13\n14\n15\n16\n", "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n@@ -1,12 +1,12 @@\n 1\n-2\n+x\n 3\n 4\n 5\n 6\n 7\n 8\n"
                           "-9\n+y\n 10\n 11\n 12\n");
    free(d);
}

static void test_insert_into_empty_and_delete_all(void **state)
{
    (void)state;
    char *d = code_unified_diff("", "a\nb\n", "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n");
    free(d);
    d = code_unified_diff("a\n", "", "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n");
    free(d);
}

static void test_missing_final_newline(void **state)
{
    (void)state;
    char *d = code_unified_diff("a\nb", "a\nb\n", "a", "b");
    assert_string_equal(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    free(d);
}

/* ---- random round trips through patch(1) ---- */

static char *random_text(unsigned *seed, int lines)
{
    struct buf b = {0};
    for (int i = 0; i < lines; i++)
        buf_printf(&b, "line %d\n", rand_r(seed) % 8);
    if (lines > 0 && rand_r(seed) % 5 == 0)
        buf_truncate(&b, b.len - 1); /* sometimes no final newline */
    return buf_detach(&b);
}

static char *mutate(unsigned *seed, const char *a)
{
    struct buf b = {0};
    for (const char *p = a; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        int r = rand_r(seed) % 10;
        if (r == 0)
            buf_printf(&b, "new %d\n", rand_r(seed) % 100);
        if (r != 1)
            buf_append(&b, p, len);
        p += len;
    }
    if (rand_r(seed) % 3 == 0)
        buf_puts(&b, "tail\n");
    return buf_detach(&b);
}

static int run_patch(const char *file, const char *patch_file, const char *out)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execl("/usr/bin/patch", "patch", "-s", "-o", out, file, patch_file, (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_random_edits_apply_with_patch(void **state)
{
    (void)state;
    if (access("/usr/bin/patch", X_OK) != 0)
        skip();
    char dir[] = "/tmp/mlestar-diff-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fa = fs_join(dir, "a.py"), *fd = fs_join(dir, "d.patch"), *fo = fs_join(dir, "out.py");
    unsigned seed = 12345;
    for (int round = 0; round < 60; round++) {
        char *a = random_text(&seed, rand_r(&seed) % 40);
        char *b = mutate(&seed, a);
        char *d = code_unified_diff(a, b, "a/a.py", "b/a.py");
        struct err err = {{0}};
        assert_int_equal(fs_write_file(fa, a, strlen(a), &err), 0);
        assert_int_equal(fs_write_file(fd, d, strlen(d), &err), 0);
        if (strcmp(a, b) == 0) {
            assert_string_equal(d, "");
        } else {
            assert_int_equal(run_patch(fa, fd, fo), 0);
            char *got = NULL;
            assert_int_equal(fs_read_file(fo, 0, &got, NULL, &err), 0);
            if (strcmp(got, b) != 0)
                fail_msg("round %d: patch result differs\n--a--\n%s\n--b--\n%s\n--diff--\n%s", round,
                         a, b, d);
            free(got);
        }
        free(a);
        free(b);
        free(d);
    }
    struct err err = {{0}};
    fs_rm_rf(dir, &err);
    free(fa);
    free(fd);
    free(fo);
}

static void test_big_input_is_bounded(void **state)
{
    (void)state;
    /* 5000 distinct lines against 5000 others: beyond the LCS table, shown as a replacement */
    struct buf a = {0}, b = {0};
    for (int i = 0; i < 5000; i++) {
        buf_printf(&a, "a%d\n", i);
        buf_printf(&b, "b%d\n", i);
    }
    char *d = code_unified_diff(buf_str(&a), buf_str(&b), "a", "b");
    assert_non_null(strstr(d, "@@ -1,5000 +1,5000 @@\n-a0\n"));
    free(d);
    buf_free(&a);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_texts),
        cmocka_unit_test(test_one_change_with_context),
        cmocka_unit_test(test_two_hunks_and_merge),
        cmocka_unit_test(test_insert_into_empty_and_delete_all),
        cmocka_unit_test(test_missing_final_newline),
        cmocka_unit_test(test_random_edits_apply_with_patch),
        cmocka_unit_test(test_big_input_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
