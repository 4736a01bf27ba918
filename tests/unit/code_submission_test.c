/* code_submission_test.c - submission checks against the sample: columns,
 * row count, ids as a multiset (any order, composite, repeated), empty
 * cells, numbers and booleans, probabilities and row sums, sign rules, and
 * messages that name the row, the id and the column. Uses the bundled
 * examples' sample submissions too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "code/submission.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/mlestar-sub-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    struct err err = {{0}};
    return fs_rm_rf(tmpdir, &err);
}

static char *write_file(const char *name, const char *text)
{
    char *path = fs_join(tmpdir, name);
    struct err err = {{0}};
    assert_int_equal(fs_write_file(path, text, strlen(text), &err), 0);
    return path;
}

static const char *SAMPLE = "PassengerId,Transported\n0013_01,False\n0018_01,False\n0019_01,False\n";

static int check(const char *sub, const char *sample, const struct submission_rules *rules,
                 struct err *err)
{
    char *a = write_file("submission.csv", sub);
    char *b = write_file("sample.csv", sample);
    int rc = code_check_submission(a, b, rules, err);
    free(a);
    free(b);
    return rc;
}

static void expect_ok(const char *sub, const char *sample, const struct submission_rules *rules)
{
    struct err err = {{0}};
    if (check(sub, sample, rules, &err) != 0)
        fail_msg("rejected: %s", err.msg);
}

static void expect_bad(const char *sub, const char *sample, const struct submission_rules *rules,
                       const char *msg_part)
{
    struct err err = {{0}};
    assert_int_equal(check(sub, sample, rules, &err), -1);
    if (!strstr(err.msg, msg_part))
        fail_msg("message `%s` lacks `%s`", err.msg, msg_part);
}

static void test_valid_any_order(void **state)
{
    (void)state;
    expect_ok("PassengerId,Transported\n0019_01,True\n0013_01,false\n0018_01,TRUE\n", SAMPLE, NULL);
}

static void test_columns(void **state)
{
    (void)state;
    expect_bad("PassengerId,target\n0013_01,True\n0018_01,True\n0019_01,True\n", SAMPLE, NULL,
               "the submission's columns are (PassengerId, target), the sample's are "
               "(PassengerId, Transported); column Transported is missing; column target is not "
               "in the sample");
    expect_bad("Transported,PassengerId\nTrue,0013_01\nTrue,0018_01\nTrue,0019_01\n", SAMPLE, NULL,
               "in its order");
    expect_bad("PassengerId,Transported,extra\n0013_01,True,1\n", SAMPLE, NULL,
               "column extra is not in the sample");
}

static void test_row_count(void **state)
{
    (void)state;
    expect_bad("PassengerId,Transported\n0013_01,True\n0018_01,True\n", SAMPLE, NULL,
               "submission has 2 rows, the sample has 3");
}

static void test_ids(void **state)
{
    (void)state;
    expect_bad("PassengerId,Transported\n0013_01,True\n0018_01,True\n9999_01,True\n", SAMPLE, NULL,
               "id 0019_01 is missing (1 ids missing in all), and id 9999_01 (row 3) is not in the "
               "sample submission");
    expect_bad("PassengerId,Transported\n0013_01,True\n0018_01,True\n0018_01,True\n", SAMPLE, NULL,
               "id 0018_01 appears 2 times in the submission and 1 in the sample");
}

static void test_repeated_ids_with_same_multiplicity(void **state)
{
    (void)state;
    /* insults-like: Date and Comment are passed through and form the id */
    const char *sample = "Insult,Date,Comment\n0,,\"you are \"\"nice\"\"\"\n0,20120101Z,hello\n"
                         "0,,hello\n0,,hello\n";
    const char *names[] = {"Date", "Comment"};
    struct submission_rules rules = {.id_columns = names, .n_id = 2, .probabilities = true};
    expect_ok("Insult,Date,Comment\n0.2,,hello\n0.9,,\"you are \"\"nice\"\"\"\n0.1,20120101Z,hello\n"
              "0.3,,hello\n",
              sample, &rules);
    expect_bad("Insult,Date,Comment\n0.2,,hello\n0.9,,hello\n0.1,20120101Z,hello\n0.3,,hello\n",
               sample, &rules, "id , hello appears 3 times in the submission and 2 in the sample");
    expect_bad("Insult,Date,Comment\n0.2,,hello\n1.5,,\"you are \"\"nice\"\"\"\n0.1,20120101Z,hello\n"
               "0.3,,hello\n",
               sample, &rules, "row 2 (id , you are \"nice\"): column Insult is 1.5, outside [0, 1]");
}

static void test_composite_ids(void **state)
{
    (void)state;
    const char *sample = "store,day,sales\n1,1,0\n1,2,0\n2,1,0\n";
    const char *names[] = {"store", "day"};
    struct submission_rules rules = {.id_columns = names, .n_id = 2};
    expect_ok("store,day,sales\n2,1,5\n1,2,3.5\n1,1,1e3\n", sample, &rules);
    expect_bad("store,day,sales\n2,2,5\n1,2,3.5\n1,1,1e3\n", sample, &rules,
               "id 2, 1 is missing");
    const char *bad[] = {"shop"};
    rules.id_columns = bad;
    rules.n_id = 1;
    expect_bad("store,day,sales\n2,1,5\n1,2,3.5\n1,1,1e3\n", sample, &rules,
               "id column shop is not in the sample submission");
}

static void test_empty_cells_named(void **state)
{
    (void)state;
    const char *sample = "id,class_0,class_1,class_2\n4410,0.3,0.3,0.4\n4411,0.3,0.3,0.4\n";
    expect_bad("id,class_0,class_1,class_2\n4410,0.1,0.2,0.7\n4411,0.5,0.5,\n", sample, NULL,
               "row 2 (id 4411): column class_2 is empty");
    expect_bad("id,class_0,class_1,class_2\n4410,,0.2,0.7\n4411,0.5,0.5,\n", sample, NULL,
               "row 1 (id 4410): column class_0 is empty (2 problems in all)");
}

static void test_numbers_where_sample_has_numbers(void **state)
{
    (void)state;
    const char *sample = "id,y\n1,0.5\n2,0.5\n";
    expect_ok("id,y\n1,3\n2,-1.5e2\n", sample, NULL);
    expect_bad("id,y\n1,3\n2,high\n", sample, NULL, "row 2 (id 2): column y must be a finite number, not `high`");
    expect_bad("id,y\n1,nan\n2,1\n", sample, NULL, "column y must be a finite number, not `nan`");
    expect_bad("id,y\n1,inf\n2,1\n", sample, NULL, "not `inf`");
    /* text columns accept anything non-empty */
    expect_ok("id,label\n1,cat\n2,42\n", "id,label\n1,dog\n2,cat\n", NULL);
}

static void test_booleans(void **state)
{
    (void)state;
    expect_bad("PassengerId,Transported\n0013_01,1\n0018_01,True\n0019_01,False\n", SAMPLE, NULL,
               "row 1 (id 0013_01): column Transported must be True or False like the sample, not `1`");
}

static void test_probabilities_and_sums(void **state)
{
    (void)state;
    const char *sample = "id,a,b\n1,0.5,0.5\n2,0.5,0.5\n";
    struct submission_rules rules = {.probabilities = true, .rows_sum_to_one = true};
    expect_ok("id,a,b\n1,0.25,0.75\n2,1,0\n", sample, &rules);
    expect_bad("id,a,b\n1,1.25,-0.25\n2,1,0\n", sample, &rules,
               "row 1 (id 1): column a is 1.25, outside [0, 1] for a probability");
    expect_bad("id,a,b\n1,0.5,0.6\n2,1,0\n", sample, &rules,
               "row 1 (id 1): the probabilities sum to 1.1, not 1 (normalize each row)");
    expect_ok("id,a,b\n1,0.5,0.5000001\n2,1,0\n", sample, &rules); /* within 1e-6 */
    rules.sum_tolerance = 1e-9;
    expect_bad("id,a,b\n1,0.5,0.5000001\n2,1,0\n", sample, &rules, "sum to 1.0000001");
}

static void test_sign_rules(void **state)
{
    (void)state;
    const char *sample = "Id,SalePrice\n1,163000.0\n2,163000.0\n";
    struct submission_rules rules = {.positive = true};
    expect_bad("Id,SalePrice\n1,0\n2,5\n", sample, &rules, "row 1 (id 1): column SalePrice is 0, but values must be > 0");
    rules = (struct submission_rules){.nonnegative = true};
    expect_ok("Id,SalePrice\n1,0\n2,5\n", sample, &rules);
    expect_bad("Id,SalePrice\n1,0\n2,-5\n", sample, &rules, "must be >= 0");
}

static void test_unreadable_files(void **state)
{
    (void)state;
    struct err err = {{0}};
    char *sample = write_file("sample.csv", SAMPLE);
    assert_int_equal(code_check_submission("/nonexistent/submission.csv", sample, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cannot read the submission"));
    assert_int_equal(code_check_submission(sample, "/nonexistent/sample.csv", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cannot read the sample submission"));
    free(sample);
}

static void test_bundled_examples_pass_against_themselves(void **state)
{
    (void)state;
    const char *examples[] = {"breast-cancer", "diabetes", "wine"};
    for (size_t i = 0; i < 3; i++) {
        char *path = xasprintf("%s/examples/%s/public/sample_submission.csv", MLESTAR_SOURCE_DIR,
                               examples[i]);
        struct submission_rules rules = {.probabilities = i != 1, .rows_sum_to_one = i == 2};
        struct err err = {{0}};
        if (code_check_submission(path, path, &rules, &err) != 0)
            fail_msg("%s: %s", examples[i], err.msg);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_any_order),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_row_count),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_repeated_ids_with_same_multiplicity),
        cmocka_unit_test(test_composite_ids),
        cmocka_unit_test(test_empty_cells_named),
        cmocka_unit_test(test_numbers_where_sample_has_numbers),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_probabilities_and_sums),
        cmocka_unit_test(test_sign_rules),
        cmocka_unit_test(test_unreadable_files),
        cmocka_unit_test(test_bundled_examples_pass_against_themselves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
