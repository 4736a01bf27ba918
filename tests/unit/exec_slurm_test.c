/* exec_slurm_test.c - the slurm backend's parsers and files, without a
 * cluster: srun's messages, `scontrol show job -o`, `sacct -P`, what each
 * job state means, --time formatting, exec.slurm_extra splitting, and the
 * request and verdict JSON round trips (every field of struct exec_result
 * must come back as it went out). The cluster itself is tested by
 * tests/slurm/. */
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

#include "exec/backend.h"
#include "exec/slurm.h"
#include "util/fs.h"
#include "util/mem.h"

static long job_id(const char *line)
{
    return slurm_srun_job_id(line, strlen(line));
}

static void test_srun_job_id(void **state)
{
    (void)state;
    assert_int_equal(job_id("srun: jobid 12: nodes(1):`vm', cpu counts: 1(x1)"), 12);
    assert_int_equal(job_id("srun: job 4711 queued and waiting for resources"), 4711);
    assert_int_equal(job_id("srun: job 4711 has been allocated resources"), 4711);
    assert_int_equal(job_id("srun: job-name            : mlestar:x"), 0);
    assert_int_equal(job_id("srun: jobid : nothing"), 0);
    assert_int_equal(job_id("srun: jobid 12"), 0); /* cut off: no separator after the id */
    assert_int_equal(job_id("srun: error: Unable to allocate resources"), 0);
    assert_int_equal(job_id("srun: jobid 99999999999999999999: x"), 0);
    /* the length bounds the scan, not a NUL */
    const char *s = "srun: jobid 7: nodes";
    assert_int_equal(slurm_srun_job_id(s, 10), 0);
}

static void test_scontrol(void **state)
{
    (void)state;
    const char *text =
        "JobId=12 JobName=mlestar:run/lanes/0/0001-x#0.1.2 UserId=root(0) GroupId=root(0) "
        "JobState=NODE_FAIL Reason=NodeDown Dependency=(null) Requeue=1 Restarts=0 "
        "ExitCode=0:9 RunTime=00:00:03 NodeList=vm BatchHost=vm\n"
        "JobId=13 JobState=COMPLETED ExitCode=0:0\n";
    struct slurm_job_info info;
    assert_int_equal(slurm_parse_scontrol(text, strlen(text), &info), 0);
    assert_string_equal(info.state, "NODE_FAIL");
    assert_string_equal(info.reason, "NodeDown");
    assert_string_equal(info.nodes, "vm");
    assert_int_equal(info.exit_code, 0);
    assert_int_equal(info.exit_signal, 9);
    assert_int_equal(slurm_state_fate(info.state), SLURM_FATE_LOST);

    const char *none = "slurm_load_jobs error: Invalid job id specified\n";
    assert_int_equal(slurm_parse_scontrol(none, strlen(none), &info), -1);
    assert_string_equal(info.state, "");
    assert_int_equal(slurm_parse_scontrol("", 0, &info), -1);
    /* a long value is cut, not overflowed */
    char big[600];
    memset(big, 'A', sizeof big);
    memcpy(big, "JobState=", 9);
    assert_int_equal(slurm_parse_scontrol(big, sizeof big, &info), 0);
    assert_int_equal(strlen(info.state), sizeof info.state - 1);
}

static void test_sacct(void **state)
{
    (void)state;
    struct slurm_job_info info;
    const char *a = "CANCELLED by 0|0:15|vm\n";
    assert_int_equal(slurm_parse_sacct(a, strlen(a), &info), 0);
    assert_string_equal(info.state, "CANCELLED");
    assert_int_equal(info.exit_signal, 15);
    assert_string_equal(info.nodes, "vm");
    const char *b = "\nOUT_OF_MEMORY|0:125|node[1-2]";
    assert_int_equal(slurm_parse_sacct(b, strlen(b), &info), 0);
    assert_string_equal(info.state, "OUT_OF_MEMORY");
    assert_int_equal(slurm_state_fate(info.state), SLURM_FATE_OOM);
    assert_int_equal(slurm_parse_sacct("", 0, &info), -1);
    assert_int_equal(slurm_parse_sacct("\n\n", 2, &info), -1);
}

static void test_fates(void **state)
{
    (void)state;
    assert_int_equal(slurm_state_fate("RUNNING"), SLURM_FATE_ACTIVE);
    assert_int_equal(slurm_state_fate("PD"), SLURM_FATE_ACTIVE);
    assert_int_equal(slurm_state_fate("COMPLETED"), SLURM_FATE_DONE);
    assert_int_equal(slurm_state_fate("FAILED"), SLURM_FATE_DONE);
    assert_int_equal(slurm_state_fate("TIMEOUT"), SLURM_FATE_TIMEOUT);
    assert_int_equal(slurm_state_fate("PREEMPTED"), SLURM_FATE_LOST);
    assert_int_equal(slurm_state_fate("BOOT_FAIL"), SLURM_FATE_LOST);
    assert_int_equal(slurm_state_fate("CANCELLED"), SLURM_FATE_CANCELLED);
    assert_int_equal(slurm_state_fate("running"), SLURM_FATE_UNKNOWN);
    assert_int_equal(slurm_state_fate(""), SLURM_FATE_UNKNOWN);
    assert_int_equal(slurm_state_fate(NULL), SLURM_FATE_UNKNOWN);
}

static void test_minutes(void **state)
{
    (void)state;
    char t[32];
    slurm_format_minutes(1, t, sizeof t);
    assert_string_equal(t, "0:01:00");
    slurm_format_minutes(60, t, sizeof t);
    assert_string_equal(t, "0:01:00");
    slurm_format_minutes(61, t, sizeof t);
    assert_string_equal(t, "0:02:00");
    slurm_format_minutes(3600 + 5 + 60, t, sizeof t);
    assert_string_equal(t, "1:02:00");
    slurm_format_minutes(2 * 86400 + 3600, t, sizeof t);
    assert_string_equal(t, "2-01:00:00");
}

static void test_split_words(void **state)
{
    (void)state;
    struct err err = {{0}};
    char **w = slurm_split_words("  --qos=short  --gres=gpu:1 --comment='two words' \"--x=a b\"", &err);
    assert_non_null(w);
    assert_string_equal(w[0], "--qos=short");
    assert_string_equal(w[1], "--gres=gpu:1");
    assert_string_equal(w[2], "--comment=two words");
    assert_string_equal(w[3], "--x=a b");
    assert_null(w[4]);
    slurm_words_free(w);
    w = slurm_split_words("", &err);
    assert_non_null(w);
    assert_null(w[0]);
    slurm_words_free(w);
    assert_null(slurm_split_words("--comment='open", &err));
    assert_non_null(strstr(err.msg, "unterminated"));
}

static char *sdup(const char *s)
{
    return xstrdup(s);
}

static void test_result_round_trip(void **state)
{
    (void)state;
    struct exec_result r = {0};
    r.status = EXEC_OOM;
    r.exit_code = 137;
    r.signal = 9;
    r.oom_killed = true;
    r.output_truncated = true;
    r.wall_s = 12.5;
    r.cpu_s = 3.25;
    r.peak_rss_bytes = 123456789LL;
    r.stdout_path = sdup("/a/stdout.txt");
    r.stderr_path = sdup("/a/stderr.txt");
    r.stdout_tail = sdup("line \"one\"\n\xc3\xa9t\xc3\xa9\n");
    r.stderr_tail = sdup("MemoryError\n");
    r.has_score = true;
    r.score = 0.8125;
    r.has_submission = true;
    r.submission_path = sdup("/a/final/submission.csv");
    r.nfiles_read = 2;
    r.files_read = xcalloc(2, sizeof(char *));
    r.files_read[0] = sdup("train.csv");
    r.files_read[1] = sdup("test.csv");
    r.nfiles_blocked = 1;
    r.files_blocked = xcalloc(1, sizeof(char *));
    r.files_blocked[0] = sdup("/etc/shadow");
    r.network_isolated = true;
    r.memory_cgroup = true;
    r.fs_confined = true;
    r.confinement = sdup("mount-ns+pivot_root, landlock v7, seccomp, uid 65534");
    char *json = slurm_result_to_json(&r);
    assert_non_null(json);
    struct exec_result b;
    struct err err = {{0}};
    assert_int_equal(slurm_result_parse(json, strlen(json), &b, &err), 0);
    assert_int_equal(b.status, EXEC_OOM);
    assert_int_equal(b.exit_code, 137);
    assert_int_equal(b.signal, 9);
    assert_true(b.oom_killed && b.output_truncated && !b.timed_out);
    assert_true(fabs(b.wall_s - 12.5) < 1e-12 && fabs(b.cpu_s - 3.25) < 1e-12);
    assert_true(b.peak_rss_bytes == 123456789LL);
    assert_string_equal(b.stdout_path, r.stdout_path);
    assert_string_equal(b.stderr_path, r.stderr_path);
    assert_string_equal(b.stdout_tail, r.stdout_tail);
    assert_string_equal(b.stderr_tail, r.stderr_tail);
    assert_true(b.has_score && b.score == 0.8125);
    assert_true(b.has_submission);
    assert_string_equal(b.submission_path, r.submission_path);
    assert_int_equal(b.nfiles_read, 2);
    assert_string_equal(b.files_read[1], "test.csv");
    assert_int_equal(b.nfiles_blocked, 1);
    assert_string_equal(b.files_blocked[0], "/etc/shadow");
    assert_int_equal(b.nwrites_blocked, 0);
    assert_true(b.network_isolated && b.memory_cgroup);
    assert_true(b.fs_confined);
    assert_string_equal(b.confinement, r.confinement);
    free(json);
    exec_result_free(&b);
    exec_result_free(&r);
}

static void test_result_rejects(void **state)
{
    (void)state;
    struct exec_result b;
    struct err err = {{0}};
    const char *bad[] = {
        "", "[]", "{\"version\":1}", "{\"version\":1,\"status\":\"great\"}",
        "{\"version\":2,\"status\":\"ok\"}", "{\"version\":1,\"status\":\"ok\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(slurm_result_parse(bad[i], strlen(bad[i]), &b, &err), -1);
        assert_null(b.stdout_tail);
    }
    /* a score that is not a number does not count */
    const char *s = "{\"version\":1,\"status\":\"ok\",\"has_score\":true,\"score\":\"x\","
                    "\"has_submission\":true}";
    assert_int_equal(slurm_result_parse(s, strlen(s), &b, &err), 0);
    assert_true(b.has_score && b.score == 0); /* json_num default: 0, finite */
    assert_false(b.has_submission); /* no path: no submission */
    exec_result_free(&b);
}

static void test_request_round_trip(void **state)
{
    (void)state;
    char dir[] = "/tmp/mlestar-slurm-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = fs_join(dir, "request.json");
    const char *env[] = {"SEED=3", "A=b=c", NULL};
    struct exec_request req = {
        .script = "print('hi')\n", .attempt_dir = "/runs/x/lanes/0/0001-a", .python = "/usr/bin/python3",
        .limits = {.timeout_s = 90, .grace_s = 5, .memory_bytes = 1LL << 30, .max_procs = 256,
                   .max_file_bytes = 8LL << 30, .output_cap_bytes = 64 << 20, .network = false, .threads = 2},
        .extra_env = env,
    };
    struct err err = {{0}};
    assert_int_equal(slurm_request_write(path, &req, "/runs/x/r.json", &err), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(fs_read_file(path, 1 << 20, &text, &len, &err), 0);
    struct slurm_request rq;
    assert_int_equal(slurm_request_parse(text, len, &rq, &err), 0);
    assert_string_equal(rq.script, req.script);
    assert_string_equal(rq.attempt_dir, req.attempt_dir);
    assert_string_equal(rq.python, "/usr/bin/python3");
    assert_string_equal(rq.result_path, "/runs/x/r.json");
    assert_null(rq.task_data_dir);
    assert_true(rq.limits.timeout_s == 90 && rq.limits.grace_s == 5);
    assert_true(rq.limits.memory_bytes == 1LL << 30 && rq.limits.max_file_bytes == 8LL << 30);
    assert_true(rq.limits.max_procs == 256 && rq.limits.threads == 2 && !rq.limits.network);
    assert_string_equal(rq.extra_env[0], "SEED=3");
    assert_string_equal(rq.extra_env[1], "A=b=c");
    assert_null(rq.extra_env[2]);
    slurm_request_free(&rq);
    free(text);
    assert_int_equal(slurm_request_parse("{\"version\":1}", 13, &rq, &err), -1);
    assert_non_null(strstr(err.msg, "required"));
    fs_rm_rf(dir, NULL);
    free(path);
}

static void test_select(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct err err = {{0}};
    assert_int_equal(exec_backend_select(&cfg, &err), 0);
    assert_string_equal(exec_backend_current()->name, "local");
    assert_int_equal(config_set(&cfg, "exec.backend", "kubernetes", "--set", &err), -1);
    assert_non_null(strstr(err.msg, "expected local or slurm"));
    /* a bad extra is refused when the backend is chosen */
    assert_int_equal(config_set(&cfg, "exec.backend", "slurm", "--set", &err), 0);
    assert_int_equal(config_set(&cfg, "exec.slurm_extra", "--comment='x", "--set", &err), 0);
    assert_int_equal(exec_backend_select(&cfg, &err), -1);
    assert_string_equal(exec_backend_current()->name, "local");
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srun_job_id),
        cmocka_unit_test(test_scontrol),
        cmocka_unit_test(test_sacct),
        cmocka_unit_test(test_fates),
        cmocka_unit_test(test_minutes),
        cmocka_unit_test(test_split_words),
        cmocka_unit_test(test_result_round_trip),
        cmocka_unit_test(test_result_rejects),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
