/* exec_pool_test.c - the pool (concurrency, cancel, free), exec_discover()
 * and exec_limits_from_config(). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exec_testutil.h"
#include "util/config.h"
#include "util/timeutil.h"

static struct exec_request request(const char *script, const char *attempt,
                                   const struct test_task *t)
{
    struct exec_request req = {
        .script = script, .attempt_dir = attempt, .task = &t->task, .python = TEST_PYTHON,
        .limits = test_limits(),
    };
    return req;
}

static void test_pool_runs_jobs_concurrently(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    enum { N = 6 };
    char *attempts[N];
    char *scripts[N];
    struct exec_job *jobs[N];
    struct exec_pool *pool = exec_pool_new(3);
    double t0 = time_mono();
    for (int i = 0; i < N; i++) {
        attempts[i] = test_attempt_dir();
        scripts[i] = xasprintf("import time\ntime.sleep(1.0)\n"
                               "print('Final Validation Performance: %d')\n", i);
        struct exec_request req = request(scripts[i], attempts[i], &t);
        jobs[i] = exec_pool_submit(pool, &req);
        free(scripts[i]); /* the pool copied the request */
    }
    for (int i = 0; i < N; i++) {
        struct exec_result res;
        struct err err = {{0}};
        assert_int_equal(exec_job_wait(jobs[i], &res, &err), 0);
        assert_int_equal(res.status, EXEC_OK);
        assert_true(res.has_score);
        assert_true(fabs(res.score - i) < 1e-12);
        exec_result_free(&res);
        test_attempt_free(attempts[i]);
    }
    double elapsed = time_mono() - t0;
    /* 6 jobs of 1 s on 3 slots: about 2 s, far from the 6 s of one slot */
    assert_true(elapsed < 5.0);
    exec_pool_free(pool);
    test_task_free(&t);
}

static void test_cancel_running_and_queued(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    struct exec_pool *pool = exec_pool_new(1);
    char *a1 = test_attempt_dir(), *a2 = test_attempt_dir();
    struct exec_request r1 = request("import time\nprint('started', flush=True)\ntime.sleep(30)\n", a1, &t);
    struct exec_request r2 = request("print('never')\n", a2, &t);
    struct exec_job *running = exec_pool_submit(pool, &r1);
    struct exec_job *queued = exec_pool_submit(pool, &r2);
    usleep(300 * 1000);
    double t0 = time_mono();
    exec_job_cancel(queued);
    exec_job_cancel(running);
    struct exec_result res;
    struct err err = {{0}};
    assert_int_equal(exec_job_wait(queued, &res, &err), 0);
    assert_int_equal(res.status, EXEC_CANCELLED);
    exec_result_free(&res);
    assert_int_equal(exec_job_wait(running, &res, &err), 0);
    assert_int_equal(res.status, EXEC_CANCELLED);
    assert_true(time_mono() - t0 < 5.0);
    exec_result_free(&res);
    assert_int_equal(count_marked(a1), 0);
    char *never = fs_join(a2, "stdout.txt");
    assert_false(fs_exists(never));
    free(never);
    exec_pool_free(pool);
    test_attempt_free(a1);
    test_attempt_free(a2);
    test_task_free(&t);
}

static void test_pool_free_kills_everything(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    struct exec_pool *pool = exec_pool_new(2);
    char *a[3];
    struct exec_job *jobs[3];
    for (int i = 0; i < 3; i++) {
        a[i] = test_attempt_dir();
        struct exec_request r = request(
            "import os, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)', os.getcwd()])\n"
            "time.sleep(30)\n", a[i], &t);
        jobs[i] = exec_pool_submit(pool, &r);
    }
    usleep(500 * 1000);
    double t0 = time_mono();
    exec_pool_free(pool);
    assert_true(time_mono() - t0 < 5.0);
    for (int i = 0; i < 3; i++) {
        struct exec_result res;
        assert_int_equal(exec_job_wait(jobs[i], &res, NULL), 0);
        assert_int_equal(res.status, EXEC_CANCELLED);
        exec_result_free(&res);
        assert_int_equal(count_marked(a[i]), 0);
        test_attempt_free(a[i]);
    }
    test_task_free(&t);
}

static volatile int cancel_flag;

static void *raise_cancel(void *p)
{
    (void)p;
    usleep(400 * 1000);
    cancel_flag = 1;
    return NULL;
}

static void test_request_cancel_flag(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    char *a = test_attempt_dir();
    struct exec_request r = request("import time\ntime.sleep(30)\n", a, &t);
    cancel_flag = 0;
    r.cancel = &cancel_flag;
    pthread_t th;
    pthread_create(&th, NULL, raise_cancel, NULL);
    struct exec_result res;
    struct err err = {{0}};
    double t0 = time_mono();
    assert_int_equal(exec_run(&r, &res, &err), 0);
    pthread_join(th, NULL);
    assert_int_equal(res.status, EXEC_CANCELLED);
    assert_true(time_mono() - t0 < 5.0);
    exec_result_free(&res);
    test_attempt_free(a);
    test_task_free(&t);
}

static void test_discover(void **state)
{
    (void)state;
    struct pyenv env;
    struct err err = {{0}};
    assert_int_equal(exec_discover(NULL, &env, &err), 0);
    assert_non_null(env.python);
    assert_true(pyenv_has(&env, "numpy"));
    assert_true(pyenv_has(&env, "pandas"));
    assert_true(pyenv_has(&env, "sklearn"));
    assert_false(pyenv_has(&env, "no_such_package"));
    for (size_t i = 1; i < env.npackages; i++)
        assert_true(strcmp(env.packages[i - 1].name, env.packages[i].name) < 0);
    assert_true(env.cores >= 1);
    assert_true(env.memory_bytes > 0);
    char *text = pyenv_describe(&env);
    assert_non_null(strstr(text, "numpy"));
    assert_non_null(strstr(text, env.version));
    free(text);
    pyenv_free(&env);

    assert_int_equal(exec_discover(TEST_PYTHON, &env, &err), 0);
    pyenv_free(&env);
    assert_int_equal(exec_discover("/nonexistent/python", &env, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/python"));
    /* /bin/true runs but prints no probe answer */
    assert_int_equal(exec_discover("/bin/true", &env, &err), -1);
    const char *dflt = exec_default_python();
    assert_non_null(dflt);
    assert_int_equal(access(dflt, X_OK), 0);
}

static void test_limits_from_config(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct exec_limits l = exec_limits_from_config(&cfg, 2);
    assert_true(fabs(l.timeout_s - 3600) < 1e-9);
    assert_true(fabs(l.grace_s - 5) < 1e-9);
    assert_int_equal(l.max_procs, 256);
    assert_false(l.network);
    assert_true(l.memory_bytes > 0);
    assert_true(l.threads >= 1);
    assert_int_equal(l.output_cap_bytes, 64LL << 20);
    struct err err = {{0}};
    assert_int_equal(config_set(&cfg, "exec.memory", "3G", "test", &err), 0);
    l = exec_limits_from_config(&cfg, 2);
    assert_int_equal(l.memory_bytes, 3LL << 30);
    config_free(&cfg);
    assert_string_equal(exec_status_name(EXEC_OOM), "oom");
    assert_string_equal(exec_status_name(EXEC_TIMEOUT), "timeout");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_runs_jobs_concurrently),
        cmocka_unit_test(test_cancel_running_and_queued),
        cmocka_unit_test(test_pool_free_kills_everything),
        cmocka_unit_test(test_request_cancel_flag),
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_limits_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
