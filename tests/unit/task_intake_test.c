/* task_intake_test.c - task_open(): the three task shapes, file roles,
 * hidden files, column derivation (values, one column per class, pass-through
 * ids, task.json's id_column), metric and direction from flags or task.json,
 * and every error case with the path in the message. Also opens the real
 * tasks (examples/ and, when present, ../shared/tasks) and checks their
 * columns; those are skipped when the folders are absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "task/task.h"
#include "util/fs.h"
#include "util/mem.h"

#include "../common/task_tree.h"

static int open_dir(const char *dir, struct task **t, struct err *err)
{
    struct task_opts o = {.dir = dir};
    return task_open(&o, t, err);
}

static bool has_file(const struct task *t, const char *rel)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].rel_path, rel) == 0)
            return true;
    return false;
}

static void assert_strv(char **v, size_t n, const char *const *want)
{
    size_t k = 0;
    for (; want[k]; k++) {
        assert_true(k < n);
        assert_string_equal(v[k], want[k]);
    }
    assert_int_equal(n, k);
}

static char *mlebench_task(void)
{
    char *root = make_root();
    put(root, "description.md", "# Predict y\n");
    put(root, "task.json", "{\"metric\": \"accuracy\", \"lower_is_better\": false, \"id_column\": \"PassengerId\"}");
    put(root, "public/train.csv", "PassengerId,a,b,y\n1,2,x,True\n2,3,y,False\n");
    put(root, "public/test.csv", "PassengerId,a,b\n3,4,z\n");
    put(root, "public/sample_submission.csv", "PassengerId,y\n3,False\n");
    put(root, "public/extra/notes.txt", "hello");
    put(root, "public/.hidden", "x");
    put(root, "public/test_labels.csv", "PassengerId,y\n3,True\n");
    put(root, "private/answers.csv", "PassengerId,y\n3,True\n");
    put(root, "raw/train.csv", "secret");
    return root;
}

static void test_mlebench_layout(void **state)
{
    (void)state;
    char *root = mlebench_task();
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_string_equal(t->description, "# Predict y\n");
    assert_non_null(strstr(t->data_dir, "/public"));
    assert_string_equal(t->train->rel_path, "train.csv");
    assert_string_equal(t->test->rel_path, "test.csv");
    assert_string_equal(t->sample_submission->rel_path, "sample_submission.csv");
    assert_int_equal(t->train->role, TASK_ROLE_TRAIN);
    assert_int_equal(t->nfiles, 4);
    assert_true(has_file(t, "extra/notes.txt"));
    assert_false(has_file(t, "test_labels.csv"));
    assert_false(has_file(t, ".hidden"));
    for (size_t i = 0; i < t->nfiles; i++) {
        assert_null(strstr(t->files[i].abs_path, "private"));
        assert_null(strstr(t->files[i].abs_path, "/raw/"));
    }
    assert_strv(t->id_columns, t->n_id_columns, (const char *[]){"PassengerId", NULL});
    assert_strv(t->target_columns, t->n_target_columns, (const char *[]){"y", NULL});
    assert_strv(t->train_targets, t->n_train_targets, (const char *[]){"y", NULL});
    assert_int_equal(t->sub_format, TASK_SUB_VALUES);
    assert_null(t->class_values);
    assert_string_equal(t->metric, "accuracy");
    assert_int_equal(t->lower_is_better, 0);
    assert_string_equal(t->metric_source, "task.json");
    assert_string_equal(t->direction_source, "task.json");
    assert_string_equal(task_kind_name(t->files[0].kind), "text");
    task_free(t);

    /* flags win over task.json */
    struct task_opts o = {.dir = root, .metric = "auc", .direction = "lower"};
    assert_int_equal(task_open(&o, &t, &err), 0);
    assert_string_equal(t->metric, "auc");
    assert_int_equal(t->lower_is_better, 1);
    assert_string_equal(t->metric_source, "flag");
    assert_string_equal(t->direction_source, "flag");
    task_free(t);

    /* settings from elsewhere say so, each on its own */
    o.direction = NULL;
    o.metric_origin = "environment (MLESTAR_TASK_METRIC)";
    o.direction_origin = "config file mlestar.ini";
    assert_int_equal(task_open(&o, &t, &err), 0);
    assert_string_equal(t->metric, "auc");
    assert_string_equal(t->metric_source, "environment (MLESTAR_TASK_METRIC)");
    assert_int_equal(t->lower_is_better, 0);
    assert_string_equal(t->direction_source, "task.json");
    task_free(t);
    o.metric = NULL;
    o.direction = "lower";
    assert_int_equal(task_open(&o, &t, &err), 0);
    assert_string_equal(t->metric, "accuracy");
    assert_string_equal(t->metric_source, "task.json");
    assert_string_equal(t->direction_source, "config file mlestar.ini");
    task_free(t);
    o.metric = "auc";

    o.direction = "sideways";
    assert_int_equal(task_open(&o, &t, &err), -1);
    assert_non_null(strstr(err.msg, "sideways"));
    cleanup(root);
}

static void test_plain_folder(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "README.md", "Predict the price.\n");
    put(root, "task.json", "{\"metric\": \"rmse\", \"lower_is_better\": true}");
    put(root, "train_data.csv", "id,x,price\n1,2,3.5\n");
    put(root, "test_data.csv", "id,x\n2,3\n");
    put(root, "submission_example.csv", "id,price\n2,0\n");
    put(root, "solution.csv", "id,price\n2,9\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_string_equal(t->description, "Predict the price.\n");
    assert_non_null(strstr(t->description_path, "README.md"));
    assert_int_equal(t->nfiles, 3);  /* not README.md, task.json, solution.csv */
    assert_string_equal(t->train->rel_path, "train_data.csv");
    assert_string_equal(t->test->rel_path, "test_data.csv");
    assert_string_equal(t->sample_submission->rel_path, "submission_example.csv");
    assert_strv(t->id_columns, t->n_id_columns, (const char *[]){"id", NULL});
    assert_strv(t->train_targets, t->n_train_targets, (const char *[]){"price", NULL});
    assert_string_equal(t->metric, "rmse");
    assert_int_equal(t->lower_is_better, 1);
    task_free(t);
    cleanup(root);
}

static void test_data_dir_and_goal(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "train.csv", "a,label\n1,x\n2,y\n");
    put(root, "test.csv", "a\n3\n");
    struct task *t;
    struct err err = {{0}};
    struct task_opts o = {.data_dir = root, .goal = "Predict label from a.", .eval = "accuracy"};
    assert_int_equal(task_open(&o, &t, &err), 0);
    assert_null(t->root);
    assert_null(t->description_path);
    assert_non_null(strstr(t->description, "Predict label from a."));
    assert_non_null(strstr(t->description, "accuracy"));
    assert_non_null(t->train);
    assert_null(t->sample_submission);
    assert_int_equal(t->sub_format, TASK_SUB_UNKNOWN);
    assert_int_equal(t->lower_is_better, -1);
    assert_null(t->metric);
    assert_null(t->metric_source);
    assert_null(t->direction_source);
    task_free(t);

    o.goal = NULL;
    assert_int_equal(task_open(&o, &t, &err), -1);
    assert_non_null(strstr(err.msg, "--goal"));
    cleanup(root);
}

static void test_pass_through_ids(void **state)
{
    (void)state;
    /* like detecting-insults: no id column; task.json names Comment */
    char *root = make_root();
    put(root, "description.md", "insults\n");
    put(root, "task.json", "{\"id_column\": \"Comment\", \"metric\": \"auc\", \"lower_is_better\": false}");
    put(root, "public/train.csv", "Insult,Date,Comment\n1,20120618192155Z,\"you, fool\"\n0,,hi\n");
    put(root, "public/test.csv", "Date,Comment\n20120618192155Z,hello\n");
    put(root, "public/sample_submission_null.csv", "Insult,Date,Comment\n0,20120618192155Z,hello\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_strv(t->id_columns, t->n_id_columns, (const char *[]){"Comment", "Date", NULL});
    assert_strv(t->target_columns, t->n_target_columns, (const char *[]){"Insult", NULL});
    assert_int_equal(t->sub_format, TASK_SUB_VALUES);
    task_free(t);
    cleanup(root);
}

static void test_class_probability_columns(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "wine\n");
    put(root, "public/train.csv", "id,x,cultivar\n1,0.5,0\n2,0.7,1\n3,0.1,2\n4,0.2,1\n");
    put(root, "public/test.csv", "id,x\n5,0.3\n");
    put(root, "public/sample_submission.csv", "id,class_0,class_1,class_2\n5,0.3,0.3,0.4\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_int_equal(t->sub_format, TASK_SUB_CLASS_PROBS);
    assert_strv(t->train_targets, t->n_train_targets, (const char *[]){"cultivar", NULL});
    assert_strv(t->target_columns, t->n_target_columns, (const char *[]){"class_0", "class_1", "class_2", NULL});
    assert_strv(t->class_values, t->n_target_columns, (const char *[]){"0", "1", "2", NULL});
    task_free(t);

    /* values as the names themselves, and a suffix form */
    put(root, "public/train.csv", "id,x,animal\n1,0.5,cat\n2,0.7,dog\n3,0.1,cat\n");
    put(root, "public/sample_submission.csv", "id,dog,cat\n5,0.5,0.5\n");
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_strv(t->class_values, t->n_target_columns, (const char *[]){"dog", "cat", NULL});
    task_free(t);
    put(root, "public/sample_submission.csv", "id,cat_prob,dog_prob\n5,0.5,0.5\n");
    assert_int_equal(open_dir(root, &t, &err), 0);
    assert_strv(t->class_values, t->n_target_columns, (const char *[]){"cat", "dog", NULL});
    assert_strv(t->train_targets, t->n_train_targets, (const char *[]){"animal", NULL});
    task_free(t);

    /* names that match neither the columns nor any column's values */
    put(root, "public/sample_submission.csv", "id,foo,bar\n5,0.5,0.5\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "sample_submission.csv"));
    assert_non_null(strstr(err.msg, "foo, bar"));
    cleanup(root);
}

static void test_errors(void **state)
{
    (void)state;
    struct task *t;
    struct err err = {{0}};
    struct task_opts none = {0};
    assert_int_equal(task_open(&none, &t, &err), -1);
    assert_non_null(strstr(err.msg, "no task"));

    assert_int_equal(open_dir("/nonexistent/task-folder", &t, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/task-folder"));
    assert_non_null(strstr(err.msg, "does not exist"));

    char *root = make_root();
    put(root, "file.txt", "x");
    char *file = fs_join(root, "file.txt");
    assert_int_equal(open_dir(file, &t, &err), -1);
    assert_non_null(strstr(err.msg, "not a folder"));
    free(file);
    cleanup(root);

    /* no description */
    root = make_root();
    put(root, "train.csv", "a,b\n1,2\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "no task description"));
    assert_non_null(strstr(err.msg, root));
    cleanup(root);

    /* no data files */
    root = make_root();
    put(root, "description.md", "x\n");
    put(root, "public/.keep", "");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "no data files"));
    assert_non_null(strstr(err.msg, "public"));
    cleanup(root);

    /* unreadable description (a folder where a file should be) */
    root = make_root();
    put(root, "description.md/inner", "x");
    put(root, "public/train.csv", "a\n1\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "description.md"));
    cleanup(root);

    /* empty CSV */
    root = make_root();
    put(root, "description.md", "x\n");
    put(root, "public/train.csv", "");
    put(root, "public/sample_submission.csv", "id,y\n1,0\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "train.csv is empty"));
    cleanup(root);

    /* sample submission whose columns match nothing in train */
    root = make_root();
    put(root, "description.md", "x\n");
    put(root, "public/train.csv", "id,a,y\n1,2,3\n");
    put(root, "public/test.csv", "id,a\n2,3\n");
    put(root, "public/sample_submission.csv", "id,target\n2,0\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "sample_submission.csv"));
    assert_non_null(strstr(err.msg, "target"));
    cleanup(root);

    /* sample submission with only id columns */
    root = make_root();
    put(root, "description.md", "x\n");
    put(root, "public/train.csv", "id,a,y\n1,2,3\n");
    put(root, "public/test.csv", "id,a\n2,3\n");
    put(root, "public/sample_submission.csv", "id,a\n2,0\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "no prediction column"));
    cleanup(root);

    /* broken task.json */
    root = make_root();
    put(root, "description.md", "x\n");
    put(root, "task.json", "{not json");
    put(root, "public/train.csv", "a\n1\n");
    assert_int_equal(open_dir(root, &t, &err), -1);
    assert_non_null(strstr(err.msg, "task.json"));
    cleanup(root);
}

static void test_hidden_names(void **state)
{
    (void)state;
    assert_true(task_name_is_hidden("answers.csv"));
    assert_true(task_name_is_hidden("Answers_test.csv"));
    assert_true(task_name_is_hidden("solution.csv"));
    assert_true(task_name_is_hidden("test_labels.csv"));
    assert_true(task_name_is_hidden("private"));
    assert_true(task_name_is_hidden("raw"));
    assert_false(task_name_is_hidden("train_labels.csv"));
    assert_false(task_name_is_hidden("train.csv"));
    assert_false(task_name_is_hidden("sample_submission.csv"));
    assert_string_equal(task_role_name(TASK_ROLE_SAMPLE_SUBMISSION), "sample_submission");
    assert_string_equal(task_kind_name(TASK_KIND_JSONL), "jsonl");
}

/* ---- real tasks ---- */

struct expected {
    const char *dir;
    const char *ids[4];
    const char *targets[4];
    const char *train_targets[4];
    enum task_sub_format format;
};

static void check_real(const char *base, const struct expected *e)
{
    char *dir = fs_join(base, e->dir);
    if (!fs_is_dir(dir)) {
        free(dir);
        return;
    }
    struct task *t;
    struct err err = {{0}};
    int rc = open_dir(dir, &t, &err);
    if (rc < 0)
        fail_msg("%s: %s", dir, err.msg);
    assert_strv(t->id_columns, t->n_id_columns, e->ids);
    assert_strv(t->target_columns, t->n_target_columns, e->targets);
    assert_strv(t->train_targets, t->n_train_targets, e->train_targets);
    assert_int_equal(t->sub_format, e->format);
    assert_non_null(t->metric);
    assert_true(t->lower_is_better >= 0);
    for (size_t i = 0; i < t->nfiles; i++)
        assert_null(strstr(t->files[i].abs_path, "private"));
    task_free(t);
    free(dir);
}

static void test_example_tasks(void **state)
{
    (void)state;
    const struct expected examples[] = {
        {"breast-cancer", {"id"}, {"benign"}, {"benign"}, TASK_SUB_VALUES},
        {"diabetes", {"id"}, {"progression"}, {"progression"}, TASK_SUB_VALUES},
        {"wine", {"id"}, {"class_0", "class_1", "class_2"}, {"cultivar"}, TASK_SUB_CLASS_PROBS},
    };
    char *base = fs_join(MLESTAR_SOURCE_DIR, "examples");
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++)
        check_real(base, &examples[i]);
    free(base);
}

static void test_shared_tasks(void **state)
{
    (void)state;
    char *base = fs_join(MLESTAR_SOURCE_DIR, "../shared/tasks");
    if (!fs_is_dir(base)) {
        free(base);
        skip();
    }
    const struct expected tasks[] = {
        {"spaceship-titanic", {"PassengerId"}, {"Transported"}, {"Transported"}, TASK_SUB_VALUES},
        {"detecting-insults-in-social-commentary", {"Comment", "Date"}, {"Insult"}, {"Insult"}, TASK_SUB_VALUES},
        {"nomad2018-predict-transparent-conductors", {"id"}, {"formation_energy_ev_natom", "bandgap_energy_ev"},
         {"formation_energy_ev_natom", "bandgap_energy_ev"}, TASK_SUB_VALUES},
        {"house-prices", {"Id"}, {"SalePrice"}, {"SalePrice"}, TASK_SUB_VALUES},
    };
    for (size_t i = 0; i < sizeof tasks / sizeof *tasks; i++)
        check_real(base, &tasks[i]);
    /* nomad's geometry files are listed, private ones never */
    char *dir = fs_join(base, "nomad2018-predict-transparent-conductors");
    if (fs_is_dir(dir)) {
        struct task *t;
        struct err err = {{0}};
        assert_int_equal(open_dir(dir, &t, &err), 0);
        assert_true(has_file(t, "train/1/geometry.xyz"));
        assert_true(t->nfiles > 2000);
        task_free(t);
    }
    free(dir);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlebench_layout),
        cmocka_unit_test(test_plain_folder),
        cmocka_unit_test(test_data_dir_and_goal),
        cmocka_unit_test(test_pass_through_ids),
        cmocka_unit_test(test_class_probability_columns),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hidden_names),
        cmocka_unit_test(test_example_tasks),
        cmocka_unit_test(test_shared_tasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
