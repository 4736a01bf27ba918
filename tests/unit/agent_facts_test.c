/* agent_facts_test.c - the task facts of a training table mlestar built from
 * file names: no feature column at all (its id and path columns carry the
 * label, so a model using them would learn the folder name, not the image),
 * the labels note and where the labels came from; a given table of the same
 * shape keeps its feature columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/facts.h"
#include "task/profile.h"
#include "util/fs.h"
#include "util/mem.h"

#include "../common/task_tree.h"

static json_t *facts_of(const char *root, const char *unpack, struct task **t)
{
    struct task_opts o = {.dir = root, .unpack_dir = unpack};
    struct err err = {{0}};
    assert_int_equal(task_open(&o, t, &err), 0);
    struct profile *p;
    assert_int_equal(profile_task(*t, &p, &err), 0);
    json_t *pj = profile_to_json(p);
    profile_free(p);
    json_t *facts = facts_build(*t, pj, "accuracy", false);
    json_decref(pj);
    return facts;
}

static size_t feature_columns(json_t *facts)
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(facts, "columns"), k, v)
        n += json_array_size(v);
    return n;
}

static void test_synthesized_train_has_no_features(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/mlestar-facts-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *root = fs_join(tmpl, "task"), *run = fs_join(tmpl, "run");
    const char *files[] = {"public/train/cat/a_1.png", "public/train/cat/a_2.png", "public/train/dog/b_1.png",
                           "public/train/dog/b_2.png", "public/test/c_1.png"};
    for (size_t i = 0; i < 5; i++)
        put(root, files[i], "\x89PNG\r\n\x1a\nx");
    put(root, "description.md", "# Pets\n");
    put(root, "public/sample_submission.csv", "id,label\nc_1,cat\n");
    struct task *t;
    json_t *facts = facts_of(root, run, &t);
    assert_true(t->train && t->train->synthesized);
    assert_int_equal(feature_columns(facts), 0);
    assert_string_equal(json_string_value(json_object_get(facts, "train_labels_from")), "folders");
    assert_non_null(strstr(json_string_value(json_object_get(facts, "labels_note")), "never use them as features"));
    assert_string_equal(json_string_value(json_object_get(facts, "train_file")), "train_labels.csv");
    json_decref(facts);
    task_free(t);

    /* the same columns in a table of the task are features as usual */
    put(root, "public/train_labels.csv", "id,path,label,size\na_1,x/cat one,cat,1\na_2,x/cat two,cat,2\n"
                                         "b_1,x/dog one,dog,3\nb_2,x/dog two,dog,4\n");
    facts = facts_of(root, run, &t);
    assert_false(t->train->synthesized);
    assert_null(json_object_get(facts, "train_labels_from"));
    assert_true(feature_columns(facts) >= 2);
    json_decref(facts);
    task_free(t);
    fs_rm_rf(tmpl, NULL);
    free(root);
    free(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthesized_train_has_no_features),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
