/* grade_metrics_test.c - every metric against scikit-learn on random inputs
 * (tests/tools/sklearn_metrics.py, run with /usr/bin/python3 through
 * fork/exec), to 1e-9 relative; plus hand-checked values, undefined cases
 * and the name table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "grade/metrics.h"
#include "util/buf.h"

#define PYTHON "/usr/bin/python3"

/* Runs the reference script and returns its parsed output, or NULL when
 * python3 with sklearn is not available. */
static json_t *sklearn_cases(const char *seed, const char *rounds)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/tools/sklearn_metrics.py", MLESTAR_SOURCE_DIR);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(PYTHON, PYTHON, script, seed, rounds, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    struct buf out = {0};
    char chunk[65536];
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0)
        buf_append(&out, chunk, (size_t)got);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    json_t *root = NULL;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        json_error_t jerr;
        root = json_loads(buf_str(&out), 0, &jerr);
    }
    buf_free(&out);
    return root;
}

static double *numbers(json_t *array)
{
    size_t n = json_array_size(array);
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_number_value(json_array_get(array, i));
    return v;
}

static void run_seed(const char *seed)
{
    json_t *root = sklearn_cases(seed, "12");
    if (!root) {
        print_message("skipped: %s with scikit-learn is not available\n", PYTHON);
        skip();
    }
    json_t *cases = json_object_get(root, "cases");
    assert_true(json_array_size(cases) >= 12 * 12);
    size_t checked = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *c = json_array_get(cases, i);
        const char *name = json_string_value(json_object_get(c, "metric"));
        const struct metric_info *m = metric_lookup(name);
        if (!m)
            fail_msg("no metric %s", name);
        size_t n = (size_t)json_integer_value(json_object_get(c, "n"));
        size_t k = (size_t)json_integer_value(json_object_get(c, "k"));
        double *t = numbers(json_object_get(c, "y_true")), *p = numbers(json_object_get(c, "y_pred"));
        double want = json_number_value(json_object_get(c, "value"));
        double got = NAN;
        struct err err = {{0}};
        if (m->fn(t, p, n, k, &got, &err) != 0)
            fail_msg("seed %s case %zu %s: %s", seed, i, name, err.msg);
        if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
            fail_msg("seed %s case %zu %s (n=%zu k=%zu): mlestar %.17g, sklearn %.17g", seed, i,
                     name, n, k, got, want);
        checked++;
        free(t);
        free(p);
    }
    assert_int_equal(checked, json_array_size(cases));
    json_decref(root);
}

/* One python run (its start-up dominates): 12 rounds of every metric. */
static void test_against_sklearn(void **state)
{
    (void)state;
    run_seed("20240601");
}

/* ---- hand-checked values ---- */

static double value(const char *name, const double *t, const double *p, size_t n, size_t k)
{
    double v = NAN;
    struct err err = {{0}};
    if (metric_lookup(name)->fn(t, p, n, k, &v, &err) != 0)
        fail_msg("%s: %s", name, err.msg);
    return v;
}

static void test_hand_checked(void **state)
{
    (void)state;
    double y[] = {0, 0, 1, 1};
    double s[] = {0.1, 0.4, 0.35, 0.8};
    assert_float_equal(value("auc", y, s, 4, 1), 0.75, 1e-15);
    double tied[] = {0.5, 0.5, 0.5, 0.5};
    assert_float_equal(value("auc", y, tied, 4, 1), 0.5, 1e-15);
    double perfect[] = {0, 0, 1, 1};
    assert_float_equal(value("logloss", y, perfect, 4, 1), -log(1 - DBL_EPSILON), 1e-15);
    assert_float_equal(value("accuracy", y, s, 4, 1), 0.0, 0);
    assert_float_equal(value("accuracy", y, perfect, 4, 1), 1.0, 0);
    double a[] = {1, 2, 3}, b[] = {1, 2, 5};
    assert_float_equal(value("rmse", a, b, 3, 1), sqrt(4.0 / 3), 1e-15);
    assert_float_equal(value("mae", a, b, 3, 1), 2.0 / 3, 1e-15);
    assert_float_equal(value("rmse_log", a, a, 3, 1), 0.0, 0);
    assert_float_equal(value("qwk", a, a, 3, 1), 1.0, 1e-15);
    double onehot[] = {1, 0, 0, 0, 1, 0}, third[] = {1, 1, 1, 1, 1, 1};
    assert_float_equal(value("multiclass_logloss", onehot, third, 2, 3), log(3.0), 1e-12);
}

static void test_undefined_cases(void **state)
{
    (void)state;
    struct err err = {{0}};
    double v;
    double one_class[] = {1, 1, 1}, s[] = {0.2, 0.5, 0.9};
    assert_int_equal(metric_roc_auc(one_class, s, 3, 1, &v, &err), -1);
    assert_non_null(strstr(err.msg, "one class"));
    double three[] = {0, 1, 2};
    assert_int_equal(metric_roc_auc(three, s, 3, 1, &v, &err), -1);
    double neg[] = {-1, 2, 3};
    assert_int_equal(metric_rmsle(s, neg, 3, 1, &v, &err), -1);
    assert_non_null(strstr(err.msg, "negative"));
    double zero[] = {0, 2, 3};
    assert_int_equal(metric_rmse_log(s, zero, 3, 1, &v, &err), -1);
    double nan_pred[] = {0.1, NAN, 0.3};
    double y[] = {0, 1, 0};
    assert_int_equal(metric_roc_auc(y, nan_pred, 3, 1, &v, &err), -1);
    assert_non_null(strstr(err.msg, "not a finite number"));
    assert_int_equal(metric_accuracy(y, s, 1, 3, &v, &err), -1);
    assert_non_null(strstr(err.msg, "exactly one target column"));
    double same[] = {2, 2, 2};
    assert_int_equal(metric_qwk(same, same, 3, 1, &v, &err), -1);
    assert_int_equal(metric_f1(three, three, 3, 1, &v, &err), -1);
    assert_int_equal(metric_rmse(y, s, 0, 1, &v, &err), -1);
}

static void test_lookup_and_directions(void **state)
{
    (void)state;
    const char *higher[] = {"auc", "accuracy", "f1", "qwk", "quadratic_weighted_kappa", "auc_mean_columns"};
    const char *lower[] = {"rmse", "rmsle", "mae", "logloss", "multiclass_logloss",
                           "rmsle_mean_columns", "rmse_log"};
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++) {
        assert_non_null(metric_lookup(higher[i]));
        assert_false(metric_lookup(higher[i])->lower_is_better);
    }
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++) {
        assert_non_null(metric_lookup(lower[i]));
        assert_true(metric_lookup(lower[i])->lower_is_better);
    }
    assert_ptr_equal(metric_lookup("QWK"), metric_lookup("quadratic_weighted_kappa"));
    assert_null(metric_lookup("map@5"));
    assert_null(metric_lookup(NULL));
    for (const struct metric_info *m = metric_table; m->name; m++)
        assert_non_null(strstr(metric_names(), m->name));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_sklearn),
        cmocka_unit_test(test_hand_checked),
        cmocka_unit_test(test_undefined_cases),
        cmocka_unit_test(test_lookup_and_directions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
