/* exec_run_test.c - exec_run() against real misbehaving Python scripts.
 *
 * Each test runs a script in a fresh attempt folder and checks the verdict
 * and that no process the script started is still alive afterwards
 * (count_marked over /proc). Timeouts are short so the file runs in seconds. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "exec_testutil.h"
#include "util/timeutil.h"

struct fixture {
    struct test_task task;
    char *attempt;
    struct exec_result res;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    test_task_make(&f->task);
    f->attempt = test_attempt_dir();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    exec_result_free(&f->res);
    test_attempt_free(f->attempt);
    test_task_free(&f->task);
    free(f);
    return 0;
}

static void run(struct fixture *f, const char *script, struct exec_limits lim)
{
    struct exec_request req = {
        .script = script, .attempt_dir = f->attempt, .task = &f->task.task,
        .python = TEST_PYTHON, .limits = lim,
    };
    struct err err = {{0}};
    exec_result_free(&f->res);
    int rc = exec_run(&req, &f->res, &err);
    if (rc < 0)
        fail_msg("exec_run: %s", err.msg);
    assert_int_equal(count_marked(f->attempt), 0);
}

static bool list_has(char **items, size_t n, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        if (l >= sl && !strcmp(items[i] + l - sl, suffix))
            return true;
    }
    return false;
}

static void test_ok_score_submission(void **state)
{
    struct fixture *f = *state;
    run(f,
        "import os\n"
        "rows = open('input/train.csv').read().splitlines()\n"
        "os.makedirs('final', exist_ok=True)\n"
        "open('final/submission.csv', 'w').write('id,y\\n3,1\\n')\n"
        "print('threads', os.environ['OMP_NUM_THREADS'], os.environ['OPENBLAS_NUM_THREADS'])\n"
        "print('OPENAI_API_KEY' in os.environ)\n"
        "print('Final Validation Performance: 0.8125')\n",
        test_limits());
    assert_int_equal(f->res.status, EXEC_OK);
    assert_int_equal(f->res.exit_code, 0);
    assert_true(f->res.has_score);
    assert_true(fabs(f->res.score - 0.8125) < 1e-12);
    assert_true(f->res.has_submission);
    assert_non_null(strstr(f->res.submission_path, "/final/submission.csv"));
    assert_true(list_has(f->res.files_read, f->res.nfiles_read, "train.csv"));
    assert_false(list_has(f->res.files_read, f->res.nfiles_read, "test.csv"));
    assert_non_null(strstr(f->res.stdout_tail, "threads 1 1"));
    assert_non_null(strstr(f->res.stdout_tail, "False"));
    assert_true(f->res.network_isolated);
    assert_true(f->res.wall_s > 0 && f->res.wall_s < 20);
    assert_true(f->res.cpu_s > 0);
    assert_true(f->res.peak_rss_bytes > 0);
    assert_true(fs_is_file(f->res.stdout_path));
    assert_false(f->res.timed_out || f->res.oom_killed || f->res.output_truncated);
}

static void test_endless_loop_times_out(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.timeout_s = 1.0;
    double t0 = time_mono();
    run(f, "while True:\n    pass\n", lim);
    assert_int_equal(f->res.status, EXEC_TIMEOUT);
    assert_true(f->res.timed_out);
    assert_true(time_mono() - t0 < 10.0);
    assert_true(f->res.wall_s >= 0.9);
}

/* Children that ignore SIGTERM, one of them a setsid() double-fork. */
static void test_sleepers_ignoring_sigterm_are_killed(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.timeout_s = 1.0;
    lim.grace_s = 0.5;
    double t0 = time_mono();
    run(f,
        "import os, signal, subprocess, sys, time\n"
        "code = 'import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\ntime.sleep(60)'\n"
        "for _ in range(3):\n"
        "    subprocess.Popen([sys.executable, '-c', code, os.getcwd()])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('sleeping', flush=True)\n"
        "time.sleep(60)\n",
        lim);
    assert_int_equal(f->res.status, EXEC_TIMEOUT);
    assert_non_null(strstr(f->res.stdout_tail, "sleeping"));
    assert_true(time_mono() - t0 < 10.0);
}

/* A daemon left behind by a script that exits 0 does not survive it. */
static void test_orphan_after_success_is_killed(void **state)
{
    struct fixture *f = *state;
    run(f,
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('Final Validation Performance: 1')\n",
        test_limits());
    assert_int_equal(f->res.status, EXEC_OK);
    assert_true(f->res.has_score);
    assert_true(f->res.wall_s < 10);
}

static void test_fork_storm_is_bounded(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.max_procs = 50;
    double t0 = time_mono();
    run(f,
        "import os, time\n"
        "ok = failed = 0\n"
        "for _ in range(2000):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        failed += 1\n"
        "        continue\n"
        "    if pid == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    ok += 1\n"
        "print('forked', ok, 'failed', failed, flush=True)\n",
        lim);
    assert_int_equal(f->res.status, EXEC_OK);
    int ok = -1, failed = -1;
    const char *line = strstr(f->res.stdout_tail, "forked");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "forked %d failed %d", &ok, &failed), 2);
    assert_true(ok < 50);
    assert_true(failed > 1900);
    assert_true(time_mono() - t0 < 30.0);
}

static void test_memory_hog_is_oom_killed(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.memory_bytes = 150LL << 20;
    run(f,
        "blocks = []\n"
        "for i in range(300):\n"
        "    blocks.append(b'x' * (10 * 1024 * 1024))\n"
        "print('survived with', len(blocks) * 10, 'MB')\n",
        lim);
    assert_int_equal(f->res.status, EXEC_OOM);
    assert_true(f->res.oom_killed);
    assert_null(strstr(f->res.stdout_tail, "survived"));
}

static void test_output_flood_is_capped(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.output_cap_bytes = 1 << 20;
    double t0 = time_mono();
    run(f,
        "import sys\n"
        "chunk = 'y' * (1 << 20)\n"
        "for _ in range(1024):\n"
        "    sys.stdout.write(chunk)\n"
        "sys.stdout.write('\\n')\n"
        "print('Final Validation Performance: 0.5')\n"
        "sys.stderr.write('done\\n')\n",
        lim);
    assert_int_equal(f->res.status, EXEC_OK);
    assert_true(f->res.output_truncated);
    long long out = fs_size(f->res.stdout_path), errs = fs_size(f->res.stderr_path);
    assert_true(out + errs <= (1 << 20) + 2 * (EXEC_TAIL_MAX + 512));
    assert_true(f->res.has_score);
    assert_true(fabs(f->res.score - 0.5) < 1e-12);
    assert_non_null(strstr(f->res.stdout_tail, "Final Validation Performance: 0.5"));
    assert_true(time_mono() - t0 < 60.0);
}

static void test_segfault_is_signaled(void **state)
{
    struct fixture *f = *state;
    run(f, "import ctypes\nctypes.string_at(0)\n", test_limits());
    assert_int_equal(f->res.status, EXEC_SIGNALED);
    assert_int_equal(f->res.signal, 11);
    assert_non_null(strstr(f->res.stderr_tail, "Segmentation fault"));
}

static void test_writes_outside_are_blocked(void **state)
{
    struct fixture *f = *state;
    char *script = xasprintf(
        "import os\n"
        "for path in ['%s/evil.txt', 'input/train.csv', '../evil.txt']:\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        print('WROTE', path)\n"
        "    except OSError as e:\n" /* the hook's PermissionError, or the kernel's EROFS */
        "        print('DENIED', path)\n"
        "try:\n" /* the private /tmp of the confined root, or refused */
        "    open('/tmp/mlestar-evil-%d.txt', 'w').write('x')\n"
        "except OSError:\n"
        "    pass\n"
        "os.makedirs('working', exist_ok=True)\n"
        "open('working/ok.txt', 'w').write('fine')\n"
        "print(open('working/ok.txt').read())\n",
        f->task.dir, (int)getpid());
    run(f, script, test_limits());
    free(script);
    assert_int_equal(f->res.status, EXEC_OK);
    assert_null(strstr(f->res.stdout_tail, "WROTE"));
    assert_non_null(strstr(f->res.stdout_tail, "fine"));
    assert_true(f->res.nwrites_blocked >= 3);
    char *evil = fs_join(f->task.dir, "evil.txt");
    assert_false(fs_exists(evil));
    free(evil);
    evil = xasprintf("/tmp/mlestar-evil-%d.txt", (int)getpid());
    assert_false(fs_exists(evil)); /* never the host's /tmp */
    free(evil);
    char *train = fs_join(f->task.task.data_dir, "train.csv");
    char *text = NULL;
    assert_int_equal(fs_read_file(train, 0, &text, NULL, NULL), 0);
    assert_non_null(strstr(text, "id,x,y"));
    free(text);
    free(train);
}

static void test_private_answers_are_unreadable(void **state)
{
    struct fixture *f = *state;
    char *script = xasprintf(
        "import subprocess\n"
        "path = '%s/private/answers.csv'\n"
        "try:\n"
        "    print(open(path).read())\n"
        "except PermissionError:\n"
        "    print('DENIED python')\n"
        "r = subprocess.run(['cat', path], capture_output=True, text=True)\n"
        "print('cat:', r.returncode, r.stdout)\n"
        "try:\n"
        "    print(open('input/../../evil-link', 'w'))\n"
        "except OSError:\n"
        "    pass\n",
        f->task.dir);
    run(f, script, test_limits());
    free(script);
    assert_int_equal(f->res.status, EXEC_OK);
    assert_non_null(strstr(f->res.stdout_tail, "DENIED python"));
    assert_null(strstr(f->res.stdout_tail, TEST_SECRET));
    assert_true(list_has(f->res.files_blocked, f->res.nfiles_blocked, "private/answers.csv"));
}

/* A listening socket on 127.0.0.1: connect() succeeds without accept(). */
static int listen_local(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 8), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return s;
}

static void test_network(void **state)
{
    struct fixture *f = *state;
    int port;
    int s = listen_local(&port);
    char *script = xasprintf(
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', %d), timeout=3).close()\n"
        "    print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('NO NETWORK', e)\n",
        port);
    struct exec_limits lim = test_limits();
    run(f, script, lim);
    assert_int_equal(f->res.status, EXEC_OK);
    assert_true(f->res.network_isolated);
    assert_non_null(strstr(f->res.stdout_tail, "NO NETWORK"));
    lim.network = true;
    run(f, script, lim);
    assert_int_equal(f->res.status, EXEC_OK);
    assert_false(f->res.network_isolated);
    assert_non_null(strstr(f->res.stdout_tail, "CONNECTED"));
    free(script);
    close(s);
}

static void test_score_then_failure(void **state)
{
    struct fixture *f = *state;
    run(f, "print('Final Validation Performance: 0.25')\nraise RuntimeError('boom')\n", test_limits());
    assert_int_equal(f->res.status, EXEC_FAILED);
    assert_int_equal(f->res.exit_code, 1);
    assert_true(f->res.has_score);
    assert_true(fabs(f->res.score - 0.25) < 1e-12);
    assert_non_null(strstr(f->res.stderr_tail, "RuntimeError: boom"));
    assert_false(f->res.has_submission);
}

static void test_nan_and_inf_scores(void **state)
{
    struct fixture *f = *state;
    run(f, "print('Final Validation Performance: 0.9')\nprint('Final Validation Performance: nan')\n",
        test_limits());
    assert_int_equal(f->res.status, EXEC_OK);
    assert_false(f->res.has_score);
    run(f, "print('Final Validation Performance:', float('inf'))\n", test_limits());
    assert_false(f->res.has_score);
}

static void test_last_score_line_wins(void **state)
{
    struct fixture *f = *state;
    run(f,
        "for s in [0.1, 0.2, 0.3]:\n"
        "    print('Final Validation Performance:', s)\n"
        "print('trailing text')\n",
        test_limits());
    assert_true(f->res.has_score);
    assert_true(fabs(f->res.score - 0.3) < 1e-12);
}

static void test_exit_code_and_rerun_clears_submission(void **state)
{
    struct fixture *f = *state;
    run(f, "open('final/submission.csv', 'w').write('id\\n')\n", test_limits());
    assert_true(f->res.has_submission);
    run(f, "import sys\nsys.exit(3)\n", test_limits());
    assert_int_equal(f->res.status, EXEC_FAILED);
    assert_int_equal(f->res.exit_code, 3);
    assert_false(f->res.has_submission);
    assert_null(f->res.submission_path);
}

static void test_bad_interpreter_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct exec_request req = {
        .script = "pass\n", .attempt_dir = f->attempt, .task = &f->task.task,
        .python = "/nonexistent/python3", .limits = test_limits(),
    };
    struct err err = {{0}};
    assert_int_equal(exec_run(&req, &f->res, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/python3"));
}

static void test_numpy_pandas_sklearn_work(void **state)
{
    struct fixture *f = *state;
    struct exec_limits lim = test_limits();
    lim.memory_bytes = 2LL << 30;
    run(f,
        "import numpy as np, pandas as pd\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "df = pd.read_csv('input/train.csv')\n"
        "m = LogisticRegression().fit(df[['x']], df['y'])\n"
        "print('Final Validation Performance:', float(m.score(df[['x']], df['y'])))\n",
        lim);
    if (f->res.status != EXEC_OK)
        fail_msg("stderr: %s", f->res.stderr_tail);
    assert_true(f->res.has_score);
    assert_int_equal(f->res.nfiles_blocked, 0);
    assert_int_equal(f->res.nwrites_blocked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_score_submission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_loop_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sleepers_ignoring_sigterm_are_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphan_after_success_is_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_storm_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_hog_is_oom_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_flood_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_segfault_is_signaled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_outside_are_blocked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_private_answers_are_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network, setup, teardown),
        cmocka_unit_test_setup_teardown(test_score_then_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nan_and_inf_scores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_score_line_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_code_and_rerun_clears_submission, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_interpreter_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numpy_pandas_sklearn_work, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
