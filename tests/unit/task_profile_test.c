/* task_profile_test.c - the data profiler: per-cell kinds, column kind
 * inference, numeric statistics, top values, missing shares, issues with
 * line numbers (ragged rows, invalid UTF-8, unterminated quotes), the
 * HyperLogLog estimate on 200k distinct values, JSON and JSON-lines files, groups of other files, the
 * problem type and target, the JSON keys, and the Markdown byte bound on a
 * 500-column table. */
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

#include "../common/profile_compare.h"
#include "task/colstat.h"
#include "task/hll.h"
#include "task/profile.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static char *make_root(void)
{
    char tmpl[] = "/tmp/mlestar-profile-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static char *put(const char *root, const char *rel, const char *text, size_t len)
{
    char *path = fs_join(root, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    struct err err = {{0}};
    assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
    assert_int_equal(fs_write_file(path, text, len, &err), 0);
    free(dir);
    return path;
}

static struct profile_file *profile_text(const char *root, const char *text)
{
    char *path = put(root, "t.csv", text, strlen(text));
    struct profile_file *f;
    struct err err = {{0}};
    if (profile_csv_file(path, &f, &err) < 0)
        fail_msg("%s", err.msg);
    free(path);
    return f;
}

static const struct profile_column *col(const struct profile_file *f, const char *name)
{
    const struct profile_column *c = profile_find_column(f, name);
    if (!c)
        fail_msg("no column %s", name);
    return c;
}

static void test_cell_kinds(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(colstat_cell_kind("", 0, &v), CELL_MISSING);
    assert_int_equal(colstat_cell_kind("NA", 2, &v), CELL_MISSING);
    assert_int_equal(colstat_cell_kind("NaN", 3, &v), CELL_MISSING);
    assert_int_equal(colstat_cell_kind("null", 4, &v), CELL_MISSING);
    assert_int_equal(colstat_cell_kind("-42", 3, &v), CELL_INT);
    assert_true(v == -42);
    assert_int_equal(colstat_cell_kind("3.25", 4, &v), CELL_FLOAT);
    assert_true(v == 3.25);
    assert_int_equal(colstat_cell_kind("1e-3", 4, &v), CELL_FLOAT);
    assert_true(fabs(v - 0.001) < 1e-15);
    assert_int_equal(colstat_cell_kind(".5", 2, &v), CELL_FLOAT);
    assert_int_equal(colstat_cell_kind("12345678901234567890123", 23, &v), CELL_INT);
    assert_true(fabs(v - 1.2345678901234568e22) < 1e8);
    assert_int_equal(colstat_cell_kind("1e", 2, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("-", 1, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("1,5", 3, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("True", 4, &v), CELL_BOOL);
    assert_int_equal(colstat_cell_kind("no", 2, &v), CELL_BOOL);
    assert_int_equal(colstat_cell_kind("2012-06-18", 10, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2012/6/18 19:21", 15, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2012-06-18T19:21:55.123Z", 24, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2012-06-18 19:21:55+02:00", 25, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("18/06/2012", 10, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("19:21:55", 8, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("20120618192155Z", 15, &v), CELL_DATE);
    assert_int_equal(colstat_cell_kind("2012-06", 7, &v), CELL_STRING);
    assert_int_equal(colstat_cell_kind("B/0/P", 5, &v), CELL_STRING);
    assert_true(colstat_id_name("id"));
    assert_true(colstat_id_name("PassengerId"));
    assert_true(colstat_id_name("user_id"));
    assert_false(colstat_id_name("valid"));
}

static void test_column_kinds_and_stats(void **state)
{
    (void)state;
    char *root = make_root();
    struct buf b = {0};
    buf_puts(&b, "id,n,x,flag,b01,when,stamp,cat,text,code\n");
    for (int i = 0; i < 40; i++) {
        buf_printf(&b, "%d,%d,%s,%s,%d,2020-01-%02d,201206%02d192155Z,%s,", i + 1, i % 7,
                   i == 3 ? "" : (i % 2 ? "1.5" : "2"), i % 3 ? "True" : "False", i % 2, i % 28 + 1, i % 28 + 1,
                   i % 4 ? "red" : "blue");
        buf_printf(&b, "\"this is sentence number %d, with several words\",C%03d\n", i, i * 7);
    }
    struct profile_file *f = profile_text(root, buf_str(&b));
    assert_int_equal(f->rows, 40);
    assert_int_equal(f->ncolumns, 10);
    assert_int_equal(col(f, "id")->kind, PROFILE_ID);
    assert_int_equal(col(f, "n")->kind, PROFILE_INTEGER);
    assert_int_equal(col(f, "x")->kind, PROFILE_FLOAT);
    assert_int_equal(col(f, "flag")->kind, PROFILE_BOOLEAN);
    assert_int_equal(col(f, "b01")->kind, PROFILE_BOOLEAN);
    assert_int_equal(col(f, "when")->kind, PROFILE_DATETIME);
    assert_int_equal(col(f, "stamp")->kind, PROFILE_DATETIME);
    assert_int_equal(col(f, "cat")->kind, PROFILE_CATEGORICAL);
    assert_int_equal(col(f, "text")->kind, PROFILE_TEXT);
    assert_int_equal(col(f, "code")->kind, PROFILE_ID);

    const struct profile_column *n = col(f, "n");
    assert_true(n->distinct_exact);
    assert_int_equal(n->distinct, 7);
    assert_true(n->has_numbers);
    double sum = 0, sumsq = 0;
    for (int i = 0; i < 40; i++)
        sum += i % 7;
    double mean = sum / 40;
    for (int i = 0; i < 40; i++)
        sumsq += (i % 7 - mean) * (i % 7 - mean);
    assert_true(fabs(n->mean - mean) < 1e-12);
    assert_true(fabs(n->std - sqrt(sumsq / 39)) < 1e-12);
    assert_true(n->min == 0 && n->max == 6);

    const struct profile_column *x = col(f, "x");
    assert_int_equal(x->missing_count, 1);
    assert_true(fabs(x->missing - 1.0 / 40) < 1e-12);
    assert_int_equal(x->distinct, 2);

    const struct profile_column *cat = col(f, "cat");
    assert_int_equal(cat->ntop, 2);
    assert_string_equal(cat->top[0].value, "red");
    assert_int_equal(cat->top[0].count, 30);
    assert_int_equal(cat->top[1].count, 10);
    assert_int_equal(cat->nexamples, 2);

    const struct profile_column *text = col(f, "text");
    assert_int_equal(text->len_min, strlen("this is sentence number 0, with several words"));
    assert_int_equal(text->len_max, strlen("this is sentence number 10, with several words"));
    profile_file_free(f);
    buf_free(&b);
    fs_rm_rf(root, NULL);
    free(root);
}

static void test_issues_have_line_numbers(void **state)
{
    (void)state;
    char *root = make_root();
    const char text[] = "a,b,c\r\n1,2,3\r\n\"multi\nline\",2,3\r\n4,5\r\n\xFF\xFE,1,2\r\n6,7,8,9\r\n7,8,\"open\n";
    struct profile_file *f = profile_text(root, text);
    assert_int_equal(f->rows, 6);
    assert_int_equal(f->issues_total, 4);
    assert_int_equal(f->issues[0].line, 5);
    assert_string_equal(f->issues[0].problem, "ragged row: 2 fields, header has 3");
    assert_int_equal(f->issues[1].line, 6);
    assert_string_equal(f->issues[1].problem, "invalid UTF-8");
    assert_int_equal(f->issues[2].line, 7);
    assert_string_equal(f->issues[2].problem, "ragged row: 4 fields, header has 3");
    assert_int_equal(f->issues[3].line, 8);
    assert_non_null(strstr(f->issues[3].problem, "unterminated"));
    /* short rows count as missing cells */
    assert_int_equal(col(f, "c")->missing_count, 1);
    /* and the JSON stays valid despite the bad bytes */
    json_t *j = profile_file_to_json(f);
    char *s = json_dumps(j, 0);
    assert_non_null(s);
    json_t *back = json_loads(s, 0, NULL);
    assert_non_null(back);
    json_decref(back);
    free(s);
    json_decref(j);
    profile_file_free(f);

    /* many issues: capped, all counted */
    struct buf b = {0};
    buf_puts(&b, "a,b\n");
    for (int i = 0; i < 100; i++)
        buf_puts(&b, "1\n");
    f = profile_text(root, buf_str(&b));
    assert_int_equal(f->nissues, PROFILE_ISSUES_MAX);
    assert_int_equal(f->issues_total, 100);
    profile_file_free(f);
    buf_free(&b);

    /* empty file: an error naming it */
    char *path = put(root, "empty.csv", "", 0);
    struct err err = {{0}};
    assert_int_equal(profile_csv_file(path, &f, &err), -1);
    assert_non_null(strstr(err.msg, "empty.csv is empty"));
    free(path);
    fs_rm_rf(root, NULL);
    free(root);
}

static void test_hll_estimate(void **state)
{
    (void)state;
    struct hll h;
    hll_init(&h);
    assert_true(hll_estimate(&h) == 0);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        hll_add_hash(&h, hash64(key, (size_t)n));
    }
    assert_true(fabs(hll_estimate(&h) - 1000) < 30);
    for (int i = 1000; i < 1000000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        hll_add_hash(&h, hash64(key, (size_t)n));
    }
    assert_true(fabs(hll_estimate(&h) / 1e6 - 1) < 0.03);
}

/* 200k rows: the key column overflows the exact table early. */
static void test_distinct_estimate_on_200k_values(void **state)
{
    (void)state;
    char *root = make_root();
    struct buf b = {0};
    buf_puts(&b, "key,mod,word\n");
    for (int i = 0; i < 200000; i++)
        buf_printf(&b, "user-%d,%d,%s\n", i * 7919, i % 13, i % 3 ? "yes" : "no");
    struct profile_file *f = profile_text(root, buf_str(&b));
    assert_int_equal(f->rows, 200000);
    const struct profile_column *key = col(f, "key");
    assert_false(key->distinct_exact);
    assert_true(fabs((double)key->distinct / 200000.0 - 1) < 0.03);
    assert_int_equal(key->kind, PROFILE_ID);
    const struct profile_column *mod = col(f, "mod");
    assert_true(mod->distinct_exact);
    assert_int_equal(mod->distinct, 13);
    assert_string_equal(mod->top[0].value, "0");   /* 0 comes one more time than the rest */
    assert_int_equal(mod->top[0].count, 15385);
    assert_true(fabs(mod->mean - 5.99985) < 1e-3);
    const struct profile_column *word = col(f, "word");
    assert_int_equal(word->kind, PROFILE_BOOLEAN);
    assert_string_equal(word->top[0].value, "yes");
    assert_int_equal(word->top[0].count, 133333);
    assert_int_equal(word->examples[0][0], 'n');
    profile_file_free(f);
    buf_free(&b);
    fs_rm_rf(root, NULL);
    free(root);
}

static void test_json_files(void **state)
{
    (void)state;
    char *root = make_root();
    const char *arr = "[{\"id\": 1, \"name\": \"a\", \"score\": 0.5, \"tags\": [1,2]},\n"
                      " {\"id\": 2, \"name\": \"b, \\\"c\\\"]\", \"score\": null},\n"
                      " 7,\n {\"id\": 3, \"extra\": true}]";
    char *path = put(root, "data.json", arr, strlen(arr));
    struct profile_file *f;
    struct err err = {{0}};
    assert_int_equal(profile_json_file(path, false, &f, &err), 0);
    assert_int_equal(f->rows, 3);
    assert_int_equal(f->ncolumns, 5);
    assert_int_equal(col(f, "id")->kind, PROFILE_ID);
    assert_int_equal(col(f, "score")->missing_count, 2);
    assert_int_equal(col(f, "extra")->kind, PROFILE_BOOLEAN);
    assert_int_equal(f->issues_total, 1);
    assert_int_equal(f->issues[0].line, 3);
    profile_file_free(f);
    free(path);

    const char *lines = "{\"a\": 1, \"t\": \"x\"}\n\n{\"a\": 2}\nnot json\n{\"a\": 3.5, \"t\": \"y\"}\n";
    path = put(root, "data.jsonl", lines, strlen(lines));
    assert_int_equal(profile_json_file(path, true, &f, &err), 0);
    assert_int_equal(f->rows, 3);
    assert_int_equal(col(f, "a")->kind, PROFILE_FLOAT);
    assert_int_equal(col(f, "t")->missing_count, 1);
    assert_int_equal(f->issues_total, 1);
    assert_int_equal(f->issues[0].line, 4);
    profile_file_free(f);
    free(path);

    const char *obj = "{\"meta\": 1, \"rows\": [{\"k\": \"a\"}, {\"k\": \"b\"}]}";
    path = put(root, "wrapped.json", obj, strlen(obj));
    assert_int_equal(profile_json_file(path, false, &f, &err), 0);
    assert_int_equal(f->rows, 2);
    profile_file_free(f);
    free(path);
    fs_rm_rf(root, NULL);
    free(root);
}

/* A small MLE-bench-like task with per-sample folders and images. */
static char *make_task(void)
{
    char *root = make_root();
    const char *train = "id,a,label\n1,0.5,cat\n2,0.1,dog\n3,0.7,cat\n4,0.2,bird\n";
    free(put(root, "description.md", "x\n", 2));
    free(put(root, "task.json", "{\"metric\":\"accuracy\",\"lower_is_better\":false}", 45));
    free(put(root, "public/train.csv", train, strlen(train)));
    free(put(root, "public/test.csv", "id,a\n5,0.3\n", 11));
    free(put(root, "public/sample_submission.csv", "id,label\n5,cat\n", 15));
    free(put(root, "public/meta.jsonl", "{\"id\": 1}\n", 10));
    for (int i = 1; i <= 12; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "public/train/%d/geometry.xyz", i);
        free(put(root, rel, "abc", 3));
        snprintf(rel, sizeof rel, "public/images/img_%03d.jpg", i);
        free(put(root, rel, "jpeg!", 5));
    }
    return root;
}

static void test_task_profile(void **state)
{
    (void)state;
    char *root = make_task();
    struct task_opts o = {.dir = root};
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(task_open(&o, &t, &err), 0);
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    task_free(t);
    assert_int_equal(p->nfiles, 4);
    assert_int_equal(p->files[0]->role, TASK_ROLE_TRAIN);
    assert_int_equal(p->files[1]->role, TASK_ROLE_TEST);
    assert_int_equal(p->files[2]->role, TASK_ROLE_SAMPLE_SUBMISSION);
    assert_string_equal(p->files[3]->path, "meta.jsonl");
    assert_int_equal(p->ngroups, 2);
    assert_string_equal(p->groups[0].pattern, "images/*.jpg");
    assert_int_equal(p->groups[0].count, 12);
    assert_int_equal(p->groups[0].bytes, 60);
    assert_string_equal(p->groups[1].pattern, "train/*/geometry.xyz");
    assert_int_equal(p->groups[1].kind, TASK_KIND_TEXT);
    assert_int_equal(p->problem, PROFILE_PROBLEM_MULTICLASS);
    assert_int_equal(p->ntargets, 1);
    assert_true(p->targets[0].classification);
    assert_string_equal(p->targets[0].classes[0].value, "cat");
    assert_int_equal(p->targets[0].classes[0].count, 2);

    json_t *j = profile_to_json(p);
    const char *keys[] = {"task", "id_columns", "target_columns", "train_targets", "submission_format",
                          "problem", "files", "groups", "target"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_non_null(json_object_get(j, keys[i]));
    assert_string_equal(json_string_value(json_object_get(j, "submission_format")), "values");
    assert_string_equal(json_string_value(json_object_get(j, "problem")), "multiclass");
    json_t *file0 = json_array_get(json_object_get(j, "files"), 0);
    assert_string_equal(json_string_value(json_object_get(file0, "role")), "train");
    json_t *c0 = json_array_get(json_object_get(file0, "columns"), 0);
    const char *ckeys[] = {"name", "kind", "missing", "distinct", "distinct_exact", "min", "max", "mean", "std",
                           "examples"};
    for (size_t i = 0; i < sizeof ckeys / sizeof *ckeys; i++)
        assert_non_null(json_object_get(c0, ckeys[i]));
    json_t *target = json_object_get(j, "target");
    assert_string_equal(json_string_value(json_object_get(target, "column")), "label");
    assert_int_equal(json_array_size(json_object_get(target, "classes")), 3);
    json_decref(j);

    char *md = profile_to_markdown(p, 4096);
    assert_non_null(strstr(md, "## train.csv (train): 4 rows, 3 columns"));
    assert_non_null(strstr(md, "train/*/geometry.xyz: 12 text files"));
    assert_non_null(strstr(md, "problem: multiclass"));
    free(md);
    profile_free(p);
    fs_rm_rf(root, NULL);
    free(root);
}

static enum profile_problem problem_of(const char *train, const char *sample)
{
    char *root = make_root();
    free(put(root, "description.md", "x\n", 2));
    free(put(root, "public/train.csv", train, strlen(train)));
    free(put(root, "public/test.csv", "id,a\n9,1\n", 9));
    free(put(root, "public/sample_submission.csv", sample, strlen(sample)));
    struct task_opts o = {.dir = root};
    struct task *t;
    struct err err = {{0}};
    if (task_open(&o, &t, &err) < 0)
        fail_msg("%s", err.msg);
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    enum profile_problem problem = p->problem;
    profile_free(p);
    task_free(t);
    fs_rm_rf(root, NULL);
    free(root);
    return problem;
}

static void test_problem_types(void **state)
{
    (void)state;
    assert_int_equal(problem_of("id,a,y\n1,1,0\n2,2,1\n3,3,1\n", "id,y\n9,0.5\n"), PROFILE_PROBLEM_BINARY);
    assert_int_equal(problem_of("id,a,y\n1,1,1.5\n2,2,7.25\n3,3,1\n", "id,y\n9,0\n"), PROFILE_PROBLEM_REGRESSION);
    assert_int_equal(problem_of("id,a,y,z\n1,1,1.5,2\n2,2,7.25,3\n3,3,1,4.5\n", "id,y,z\n9,0,0\n"),
                     PROFILE_PROBLEM_MULTI_REGRESSION);
    assert_int_equal(problem_of("id,a,y\n1,1,a\n2,2,b\n3,3,c\n", "id,y\n9,a\n"), PROFILE_PROBLEM_MULTICLASS);
    assert_int_equal(problem_of("id,a,y\n1,1,a\n2,2,b\n3,3,c\n", "id,a_prob,b_prob,c_prob\n9,0,0,1\n"),
                     PROFILE_PROBLEM_MULTICLASS);
    assert_int_equal(problem_of("id,a,y\n1,1,cat\n2,2,dog\n3,3,cat\n", "id,cat,dog\n9,0.5,0.5\n"), PROFILE_PROBLEM_BINARY);
}

static bool lines_complete(const char *md)
{
    size_t n = strlen(md);
    return n == 0 || md[n - 1] == '\n';
}

static void test_markdown_bound_on_wide_table(void **state)
{
    (void)state;
    char *root = make_root();
    struct buf b = {0};
    buf_puts(&b, "id");
    for (int c = 0; c < 499; c++)
        buf_printf(&b, ",feature_with_a_long_name_%03d", c);
    buf_puts(&b, ",target\n");
    for (int r = 0; r < 30; r++) {
        buf_printf(&b, "%d", r);
        for (int c = 0; c < 499; c++)
            buf_printf(&b, c % 5 ? ",%d.%d" : ",level_%d", (r * c) % 17, r);
        buf_printf(&b, ",%d\n", r % 2);
    }
    free(put(root, "description.md", "x\n", 2));
    free(put(root, "public/train.csv", b.data, b.len));
    free(put(root, "public/test.csv", "id\n1\n", 5));
    free(put(root, "public/sample_submission.csv", "id,target\n1,0\n", 14));
    struct task_opts o = {.dir = root};
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(task_open(&o, &t, &err), 0);
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    assert_int_equal(p->files[0]->ncolumns, 501);
    const size_t bounds[] = {0, 10, 64, 300, 1000, 2048, 4096, 8192, 16384, 65536};
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        char *md = profile_to_markdown(p, bounds[i]);
        assert_true(strlen(md) <= bounds[i]);
        assert_true(lines_complete(md));
        /* every table row is whole */
        for (char *line = md; *line;) {
            char *nl = strchr(line, '\n');
            assert_non_null(nl);
            if (line[0] == '|')
                assert_true(nl - line >= 2 && nl[-1] == '|');
            line = nl + 1;
        }
        if (bounds[i] >= 4096) {
            assert_non_null(strstr(md, "more columns"));
            assert_non_null(strstr(md, "| target | boolean |"));  /* the target comes first */
        }
        free(md);
    }
    profile_free(p);
    task_free(t);
    buf_free(&b);
    fs_rm_rf(root, NULL);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_kinds),
        cmocka_unit_test(test_column_kinds_and_stats),
        cmocka_unit_test(test_issues_have_line_numbers),
        cmocka_unit_test(test_hll_estimate),
        cmocka_unit_test(test_distinct_estimate_on_200k_values),
        cmocka_unit_test(test_json_files),
        cmocka_unit_test(test_task_profile),
        cmocka_unit_test(test_problem_types),
        cmocka_unit_test(test_markdown_bound_on_wide_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
