/* grade_submission_test.c - grading against answers in temporary task
 * folders: valid scores, medals at and around thresholds in both
 * directions, null thresholds, every kind of invalid submission (a result,
 * not an error), task folders that cannot be graded (-1), repeated ids,
 * the JSON form and the verdict line; and the bundled examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "grade/grade.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/mlestar-grade-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char *priv = fs_join(tmpdir, "private");
    struct err err = {{0}};
    int rc = fs_mkdir_p(priv, 0755, &err);
    free(priv);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    struct err err = {{0}};
    return fs_rm_rf(tmpdir, &err);
}

static void put(const char *name, const char *text)
{
    char *path = fs_join(tmpdir, name);
    struct err err = {{0}};
    assert_int_equal(fs_write_file(path, text, strlen(text), &err), 0);
    free(path);
}

/* A task.json with the given metric, columns and thresholds text. */
static void task(const char *metric, const char *id_column, const char *targets, const char *thresholds)
{
    char *json = xasprintf("{\"id\": \"t\", \"metric\": \"%s\", \"id_column\": %s, "
                           "\"target_columns\": %s, \"thresholds\": %s, "
                           "\"answers\": \"private/answers.csv\"}",
                           metric, id_column, targets, thresholds);
    put("task.json", json);
    free(json);
}

static struct grade_result grade_ok(const char *submission)
{
    put("submission.csv", submission);
    char *path = fs_join(tmpdir, "submission.csv");
    struct grade_result r;
    struct err err = {{0}};
    if (grade_submission(tmpdir, path, &r, &err) != 0)
        fail_msg("grade failed: %s", err.msg);
    free(path);
    return r;
}

static void expect_score(const char *submission, double want)
{
    struct grade_result r = grade_ok(submission);
    if (!r.valid)
        fail_msg("invalid: %s", r.invalid_reason);
    assert_float_equal(r.score, want, 1e-12);
    grade_result_free(&r);
}

static void expect_invalid(const char *submission, const char *reason_part)
{
    struct grade_result r = grade_ok(submission);
    assert_false(r.valid);
    assert_non_null(r.invalid_reason);
    if (!strstr(r.invalid_reason, reason_part))
        fail_msg("reason `%s` lacks `%s`", r.invalid_reason, reason_part);
    assert_false(r.any_medal);
    grade_result_free(&r);
}

static const char *BOOL_ANSWERS = "PassengerId,HomePlanet,Transported\n"
                                  "a,Earth,True\nb,Mars,False\nc,Earth,True\nd,Europa,False\n";

static void test_accuracy_on_booleans_any_order(void **state)
{
    (void)state;
    put("private/answers.csv", BOOL_ANSWERS);
    task("accuracy", "\"PassengerId\"", "[\"Transported\"]", "null");
    expect_score("PassengerId,Transported\nd,False\nc,true\nb,True\na,TRUE\n", 0.75);
    expect_score("Transported,PassengerId,extra\nTrue,a,1\nFalse,b,2\nTrue,c,3\nFalse,d,4\n", 1.0);
}

static void test_invalid_submissions(void **state)
{
    (void)state;
    put("private/answers.csv", BOOL_ANSWERS);
    task("accuracy", "\"PassengerId\"", "[\"Transported\"]", "null");
    expect_invalid("PassengerId,Target\na,True\nb,True\nc,True\nd,True\n",
                   "the submission has no column `Transported` (it needs PassengerId, Transported)");
    expect_invalid("PassengerId,Transported\na,True\nb,True\nc,True\n",
                   "the submission has 3 rows, the answers have 4");
    expect_invalid("PassengerId,Transported\na,True\nb,True\nc,True\nz,True\n",
                   "id d is missing from the submission");
    expect_invalid("PassengerId,Transported\na,True\nb,True\nc,True\nd,True\nzz,False\n",
                   "5 rows");
    expect_invalid("PassengerId,Transported\na,True\nb,True\nc,True\nc,True\n",
                   "id c appears 2 times in the submission and 1 in the answers");
    expect_invalid("PassengerId,Transported\na,True\nb,\nc,True\nd,True\n",
                   "row 2 (id b): column Transported is empty");
    expect_invalid("PassengerId,Transported\na,1\nb,0\nc,1\nd,0\n",
                   "row 1 (id a): column Transported must be True or False, like the answers (`1`)");
    put("submission.csv", "x");
    struct grade_result r;
    struct err err = {{0}};
    assert_int_equal(grade_submission(tmpdir, "/nonexistent/sub.csv", &r, &err), 0);
    assert_false(r.valid);
    assert_non_null(strstr(r.invalid_reason, "cannot read the submission"));
    grade_result_free(&r);
}

static void test_unknown_id_named(void **state)
{
    (void)state;
    put("private/answers.csv", BOOL_ANSWERS);
    task("accuracy", "\"PassengerId\"", "[\"Transported\"]", "null");
    expect_invalid("PassengerId,Transported\na,True\nb,True\nc,True\n0,True\n",
                   "id 0 (submission row 4) is not a test id");
}

static void test_auc_ranges_and_ties(void **state)
{
    (void)state;
    put("private/answers.csv", "id,y\n1,0\n2,1\n3,0\n4,1\n");
    task("auc", "\"id\"", "[\"y\"]", "{\"gold\": 0.9, \"silver\": 0.8, \"bronze\": 0.7, \"median\": 0.6}");
    expect_score("id,y\n1,0\n2,0\n3,0\n4,0\n", 0.5);
    expect_score("id,y\n4,0.9\n3,0.1\n2,0.8\n1,0.3\n", 1.0);
    expect_invalid("id,y\n1,0\n2,1.5\n3,0\n4,0\n", "row 2 (id 2): column y outside [0, 1] (`1.5`)");
    expect_invalid("id,y\n1,0\n2,abc\n3,0\n4,0\n", "column y must be a finite number (`abc`)");
    expect_invalid("id,y\n1,0\n2,nan\n3,0\n4,0\n", "must be a finite number");
}

static void test_medals_higher_is_better(void **state)
{
    (void)state;
    /* 8 rows: accuracy steps of 0.125 */
    put("private/answers.csv", "id,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,1\n7,1\n8,1\n");
    task("accuracy", "\"id\"", "[\"y\"]",
         "{\"gold\": 1.0, \"silver\": 0.875, \"bronze\": 0.75, \"median\": 0.625}");
    struct grade_result r = grade_ok("id,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,1\n7,1\n8,1\n");
    assert_true(r.gold_medal && r.any_medal && r.above_median && !r.silver_medal && !r.bronze_medal);
    grade_result_free(&r);
    r = grade_ok("id,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,1\n7,1\n8,0\n");
    assert_true(r.silver_medal && !r.gold_medal && !r.bronze_medal && r.any_medal);
    grade_result_free(&r);
    r = grade_ok("id,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,1\n7,0\n8,0\n");
    assert_true(r.bronze_medal && r.any_medal && r.above_median);
    grade_result_free(&r);
    /* exactly the median: not above it */
    r = grade_ok("id,y\n1,1\n2,1\n3,1\n4,1\n5,1\n6,0\n7,0\n8,0\n");
    assert_float_equal(r.score, 0.625, 0);
    assert_false(r.any_medal);
    assert_false(r.above_median);
    char *line = grade_result_line(&r);
    assert_string_equal(line, "t: accuracy 0.62500 (higher is better) \xe2\x80\x94 no medal, not above "
                              "median (gold 1.00000, silver 0.87500, bronze 0.75000, median 0.62500)");
    free(line);
    grade_result_free(&r);
}

static void test_medals_lower_is_better_and_rounding(void **state)
{
    (void)state;
    put("private/answers.csv", "id,v\n1,1.0\n2,2.0\n");
    task("rmse", "\"id\"", "[\"v\"]", "{\"gold\": 0.1, \"silver\": 0.2, \"bronze\": 0.3, \"median\": 0.5}");
    /* rmse = 0.2000004 rounds to 0.20000: silver at exactly the threshold */
    struct grade_result r = grade_ok("id,v\n1,1.2000004\n2,2.2000004\n");
    assert_float_equal(r.score, 0.2, 0);
    assert_true(r.silver_medal && !r.gold_medal && r.above_median);
    char *line = grade_result_line(&r);
    assert_string_equal(line, "t: rmse 0.20000 (lower is better) \xe2\x80\x94 silver medal (gold 0.10000, "
                              "silver 0.20000, bronze 0.30000, median 0.50000)");
    free(line);
    grade_result_free(&r);
    r = grade_ok("id,v\n1,1.4\n2,2.4\n");
    assert_float_equal(r.score, 0.4, 1e-15);
    assert_false(r.any_medal);
    assert_true(r.above_median);
    grade_result_free(&r);
}

static void test_round5(void **state)
{
    (void)state;
    assert_float_equal(grade_round5(0.503448275862069), 0.50345, 0);
    assert_float_equal(grade_round5(0.123454), 0.12345, 0);
    assert_float_equal(grade_round5(0.8096699999), 0.80967, 0);
    assert_float_equal(grade_round5(2.5e-6), 0.0, 0); /* 2.5e-6 is below the half in binary */
}

static void test_null_thresholds_json(void **state)
{
    (void)state;
    put("private/answers.csv", "Id,SalePrice\n1,100\n2,200\n");
    task("rmse_log", "\"Id\"", "[\"SalePrice\"]", "null");
    struct grade_result r = grade_ok("Id,SalePrice\n1,100\n2,200\n");
    assert_true(r.valid);
    assert_false(r.has_thresholds);
    assert_float_equal(r.score, 0.0, 0);
    char *line = grade_result_line(&r);
    assert_string_equal(line, "t: rmse_log 0.00000 (lower is better) \xe2\x80\x94 no medal thresholds for this task");
    free(line);
    json_t *j = grade_result_json(&r);
    assert_true(json_is_null(json_object_get(j, "thresholds")));
    assert_true(json_is_true(json_object_get(j, "valid")));
    assert_true(json_is_true(json_object_get(j, "lower_is_better")));
    assert_float_equal(json_real_value(json_object_get(j, "score")), 0.0, 0);
    json_decref(j);
    grade_result_free(&r);
    expect_invalid("Id,SalePrice\n1,0\n2,200\n", "row 1 (id 1): column SalePrice not > 0");
}

static void test_invalid_json(void **state)
{
    (void)state;
    put("private/answers.csv", BOOL_ANSWERS);
    task("accuracy", "\"PassengerId\"", "[\"Transported\"]", "null");
    struct grade_result r = grade_ok("PassengerId,Transported\na,True\n");
    json_t *j = grade_result_json(&r);
    assert_true(json_is_false(json_object_get(j, "valid")));
    assert_true(json_is_null(json_object_get(j, "score")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "invalid_reason")), "1 rows"));
    json_decref(j);
    char *line = grade_result_line(&r);
    assert_non_null(strstr(line, "t: invalid submission \xe2\x80\x94 the submission has 1 rows"));
    free(line);
    grade_result_free(&r);
}

static void test_multiclass_logloss_rules(void **state)
{
    (void)state;
    put("private/answers.csv", "id,class_0,class_1,class_2\n1,1,0,0\n2,0,0,1\n");
    task("multiclass_logloss", "\"id\"", "[\"class_0\", \"class_1\", \"class_2\"]", "null");
    struct grade_result r = grade_ok("id,class_0,class_1,class_2\n2,0.25,0.25,0.5\n1,0.5,0.25,0.25\n");
    assert_true(r.valid);
    assert_float_equal(r.score, grade_round5(-(log(0.5) + log(0.5)) / 2), 0);
    grade_result_free(&r);
    expect_invalid("id,class_0,class_1,class_2,extra\n1,1,0,0,x\n2,0,0,1,y\n",
                   "exactly the id column and the 3 class columns");
    expect_invalid("id,class_0,class_1,class_2\n1,0.5,0.5,0.5\n2,0,0,1\n",
                   "row 1 (id 1): the class probabilities sum to 1.5, not 1");
    expect_invalid("id,class_0,class_1,class_2\n1,-0.5,1.5,0\n2,0,0,1\n", "outside [0, 1]");
}

static void test_repeated_ids_paired_by_sorting(void **state)
{
    (void)state;
    /* insults-like: the comment text is the id and repeats with the same label */
    put("private/answers.csv", "Insult,Date,Comment,Usage\n1,,\"you \"\"idiot\"\"\",PublicTest\n"
                               "0,,hello,PublicTest\n0,2012,hello,PublicTest\n1,,\"a,b\",PublicTest\n");
    task("auc", "\"Comment\"", "[\"Insult\"]", "null");
    expect_score("Insult,Date,Comment\n0.1,,hello\n0.9,,\"a,b\"\n0.2,,hello\n0.8,,\"you \"\"idiot\"\"\"\n", 1.0);
    expect_invalid("Insult,Date,Comment\n0.1,,hello\n0.9,,\"a,b\"\n0.2,,hello\n0.8,,hello\n",
                   "appears 3 times in the submission and 2 in the answers");
}

static void test_rmsle_mean_columns(void **state)
{
    (void)state;
    put("private/answers.csv", "id,a,b\n1,0,1\n2,1,3\n");
    task("rmsle_mean_columns", "\"id\"", "[\"a\", \"b\"]", "null");
    double want = (sqrt((pow(log1p(1) - log1p(0), 2) + 0) / 2) + sqrt((0 + pow(log1p(1) - log1p(3), 2)) / 2)) / 2;
    expect_score("id,a,b\n1,1,1\n2,1,1\n", grade_round5(want));
    expect_invalid("id,a,b\n1,-1,1\n2,1,1\n", "negative");
}

static void test_task_errors(void **state)
{
    (void)state;
    put("private/answers.csv", BOOL_ANSWERS);
    put("submission.csv", "PassengerId,Transported\na,True\n");
    char *sub = fs_join(tmpdir, "submission.csv");
    struct grade_result r;
    struct err err = {{0}};
    task("map@5", "\"PassengerId\"", "[\"Transported\"]", "null");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "metric `map@5` is not one mlestar computes"));
    task("accuracy", "\"Missing\"", "[\"Transported\"]", "null");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no column `Missing`"));
    task("accuracy", "\"PassengerId\"", "[\"Transported\"]", "{\"gold\": 1}");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "thresholds.silver must be a number"));
    task("rmse", "\"PassengerId\"", "[\"HomePlanet\"]", "null");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "holds text, but rmse needs numbers"));
    put("task.json", "{\"metric\": \"auc\", \"lower_is_better\": true, \"id_column\": \"id\", \"target_columns\": [\"y\"]}");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "lower_is_better is true, but auc is higher-is-better"));
    put("task.json", "{not json");
    assert_int_equal(grade_submission(tmpdir, sub, &r, &err), -1);
    assert_non_null(strstr(err.msg, "task.json"));
    assert_int_equal(grade_submission("/nonexistent-task", sub, &r, &err), -1);
    free(sub);
}

static void test_text_labels(void **state)
{
    (void)state;
    put("private/answers.csv", "id,label\n1,cat\n2,dog\n3,cat\n");
    task("accuracy", "\"id\"", "[\"label\"]", "null");
    expect_score("id,label\n1,cat\n2,cat\n3,bird\n", grade_round5(1.0 / 3));
}

/* The bundled examples: the sample scores a known value, the answers the best one. */
static void test_bundled_examples(void **state)
{
    (void)state;
    const char *names[] = {"breast-cancer", "diabetes", "wine"};
    for (size_t i = 0; i < 3; i++) {
        char *dir = xasprintf("%s/examples/%s", MLESTAR_SOURCE_DIR, names[i]);
        char *sample = fs_join(dir, "public/sample_submission.csv");
        char *answers = fs_join(dir, "private/answers.csv");
        struct grade_result r;
        struct err err = {{0}};
        if (grade_submission(dir, sample, &r, &err) != 0)
            fail_msg("%s: %s", names[i], err.msg);
        if (!r.valid)
            fail_msg("%s sample invalid: %s", names[i], r.invalid_reason);
        assert_false(r.has_thresholds);
        grade_result_free(&r);
        assert_int_equal(grade_submission(dir, answers, &r, &err), 0);
        if (!r.valid)
            fail_msg("%s answers invalid: %s", names[i], r.invalid_reason);
        assert_float_equal(r.score, i == 0 ? 1.0 : 0.0, 1e-12);
        grade_result_free(&r);
        free(dir);
        free(sample);
        free(answers);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accuracy_on_booleans_any_order),
        cmocka_unit_test(test_invalid_submissions),
        cmocka_unit_test(test_unknown_id_named),
        cmocka_unit_test(test_auc_ranges_and_ties),
        cmocka_unit_test(test_medals_higher_is_better),
        cmocka_unit_test(test_medals_lower_is_better_and_rounding),
        cmocka_unit_test(test_round5),
        cmocka_unit_test(test_null_thresholds_json),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_multiclass_logloss_rules),
        cmocka_unit_test(test_repeated_ids_paired_by_sorting),
        cmocka_unit_test(test_rmsle_mean_columns),
        cmocka_unit_test(test_task_errors),
        cmocka_unit_test(test_text_labels),
        cmocka_unit_test(test_bundled_examples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
