/* exec_confine_test.c - the kernel's view of the task (confine.c), from a
 * shell the start-up hook never sees:
 *   - a task file whose abs_path lies outside the data folder (an archive
 *     unpacked elsewhere) is readable through input/, its answer-like
 *     neighbour is not;
 *   - an attempt folder inside the data folder does not show the other
 *     attempts next to it (with a new root);
 *   - the verdict names the layers, and says when files are not confined.
 * The modes the machine offers decide what is asserted: the layers are
 * read from the verdict, never assumed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "exec_testutil.h"

static struct exec_result run_in(const char *attempt, const struct task *task, const char *script)
{
    struct exec_request req = {.script = script, .attempt_dir = attempt, .task = task,
                               .python = TEST_PYTHON, .limits = test_limits()};
    struct exec_result res;
    struct err err = {{0}};
    if (exec_run(&req, &res, &err) < 0)
        fail_msg("exec_run: %s", err.msg);
    return res;
}

static bool has_file(char **items, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(items[i], want))
            return true;
    return false;
}

static void test_files_outside_the_data_folder(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    char tmpl[] = "/tmp/mlestar-unpacked-XXXXXX";
    char *outside = xstrdup(mkdtemp(tmpl));
    chmod(outside, 0755);
    char *sub = fs_join(outside, "extra");
    fs_mkdir_p(sub, 0755, NULL);
    write_text(sub, "extra.txt", "EXTRA-DATA\n");
    write_text(sub, "answers.csv", "HIDDEN-OUTSIDE\n");
    struct task_file files[3] = {t.files[0], t.files[1]};
    files[2].rel_path = "extra/extra.txt";
    files[2].abs_path = fs_join(sub, "extra.txt");
    files[2].kind = TASK_KIND_TEXT;
    files[2].role = TASK_ROLE_DATA;
    t.task.files = files;
    t.task.nfiles = 3;
    char *attempt = test_attempt_dir();
    char *script = xasprintf("import os\n"
                             "print('py', open('input/extra/extra.txt').read().strip())\n"
                             "os.system('cat input/extra/extra.txt | sed s/^/sh-/')\n"
                             "os.system('cat %s/answers.csv 2>/dev/null')\n",
                             sub);
    struct exec_result res = run_in(attempt, &t.task, script);
    assert_int_equal(res.status, EXEC_OK);
    assert_non_null(strstr(res.stdout_tail, "py EXTRA-DATA"));
    assert_non_null(strstr(res.stdout_tail, "sh-EXTRA-DATA"));
    assert_true(has_file(res.files_read, res.nfiles_read, "extra/extra.txt"));
    if (res.fs_confined)
        assert_null(strstr(res.stdout_tail, "HIDDEN-OUTSIDE"));
    exec_result_free(&res);
    free(script);
    test_attempt_free(attempt);
    free(files[2].abs_path);
    t.task.files = t.files;
    t.task.nfiles = 2;
    fs_rm_rf(outside, NULL);
    free(sub);
    free(outside);
    test_task_free(&t);
}

static void test_attempt_inside_the_data_hides_its_neighbours(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    chmod(t.dir, 0755);
    char *runs = fs_join(t.task.data_dir, "runs/r1");
    char *other = fs_join(runs, "a0");
    char *attempt = fs_join(runs, "a1");
    fs_mkdir_p(other, 0755, NULL);
    write_text(other, "out.txt", "OTHER-ATTEMPT\n");
    struct exec_result res = run_in(attempt, &t.task,
                                    "import os\n"
                                    "os.system('cat ../a0/out.txt 2>/dev/null; ls .. | sed s/^/ls-/')\n"
                                    "print('train', open('input/train.csv').read().count(chr(10)))\n");
    assert_int_equal(res.status, EXEC_OK);
    assert_non_null(strstr(res.stdout_tail, "train 3"));
    assert_non_null(strstr(res.stdout_tail, "ls-a1"));
    if (res.confinement && strstr(res.confinement, "pivot_root")) {
        assert_null(strstr(res.stdout_tail, "OTHER-ATTEMPT"));
        assert_null(strstr(res.stdout_tail, "ls-a0"));
    }
    exec_result_free(&res);
    free(attempt);
    free(other);
    free(runs);
    test_task_free(&t);
}

static void test_the_verdict_names_the_layers(void **state)
{
    (void)state;
    struct test_task t;
    test_task_make(&t);
    char *attempt = test_attempt_dir();
    struct exec_result res = run_in(attempt, &t.task, "pass\n");
    assert_int_equal(res.status, EXEC_OK);
    assert_non_null(res.confinement);
    if (res.fs_confined)
        assert_true(strstr(res.confinement, "pivot_root") || strstr(res.confinement, "landlock"));
    else
        assert_non_null(strstr(res.confinement, "no filesystem confinement"));
    if (geteuid() == 0 && strstr(res.confinement, "mount-ns"))
        assert_non_null(strstr(res.confinement, "uid 65534"));
    exec_result_free(&res);
    test_attempt_free(attempt);
    test_task_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_outside_the_data_folder),
        cmocka_unit_test(test_attempt_inside_the_data_hides_its_neighbours),
        cmocka_unit_test(test_the_verdict_names_the_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
