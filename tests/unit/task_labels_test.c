/* task_labels_test.c - the intake of every MLE-bench layout, part two:
 * tab-separated tables (the reader's separator, roles, headers, class
 * values, the profile and its prompt text) and training labels from folder
 * names or file-name prefixes (the table written into the unpack folder,
 * its columns and rows, the profile's note and groups, the one-column-per-
 * class form), with the cases that must be refused (one folder, numeric or
 * unique prefixes, per-sample folders, no writable folder, a writable
 * folder inside the task) and a check that the task folder is never
 * written. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "task/csv.h"
#include "task/profile.h"
#include "task/task.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#include "../common/task_tree.h"

/* Every path under dir with its size, one per line. */
static void list_tree(const char *dir, const char *rel, struct buf *out)
{
    char *abs = rel[0] ? fs_join(dir, rel) : xstrdup(dir);
    DIR *d = opendir(abs);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *sub = rel[0] ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        char *p = fs_join(dir, sub);
        buf_printf(out, "%s %lld\n", sub, fs_size(p));
        if (fs_is_dir(p))
            list_tree(dir, sub, out);
        free(p);
        free(sub);
    }
    closedir(d);
    free(abs);
}

static size_t tree_lines(const char *dir)
{
    struct buf b = {0};
    list_tree(dir, "", &b);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++)
        n += b.data[i] == '\n';
    buf_free(&b);
    return n;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The listing with its lines sorted (readdir order is not stable). */
static char *tree(const char *dir)
{
    struct buf b = {0};
    list_tree(dir, "", &b);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++)
        n += b.data[i] == '\n';
    char **lines = xcalloc(n ? n : 1, sizeof *lines);
    char *s = buf_detach(&b), *save = NULL;
    size_t k = 0;
    for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        lines[k++] = l;
    qsort(lines, k, sizeof *lines, cmp_line);
    struct buf o = {0};
    for (size_t i = 0; i < k; i++)
        buf_printf(&o, "%s\n", lines[i]);
    free(lines);
    free(s);
    return buf_detach(&o);
}

static int open_task(const char *dir, const char *unpack_dir, struct task **t, struct err *err)
{
    struct task_opts o = {.dir = dir, .unpack_dir = unpack_dir};
    return task_open(&o, t, err);
}

static void put_png(const char *root, const char *rel)
{
    put(root, rel, "\x89PNG\r\n\x1a\n-not-decoded-by-the-intake");
}

/* ---- TSV ---- */

static void test_tsv_reader(void **state)
{
    (void)state;
    assert_int_equal(csv_separator_for("a/train.tsv"), '\t');
    assert_int_equal(csv_separator_for("TRAIN.TSV"), '\t');
    assert_int_equal(csv_separator_for("train.csv"), ',');
    assert_int_equal(csv_separator_for("tsv"), ',');
    const char text[] = "id\tnote\tn\n1\ta, b\t2\n2\t\"q\tx\"\t3\n";
    struct csv_reader *r;
    csv_open_mem(text, sizeof text - 1, &r);
    assert_int_equal(csv_separator(r), ',');
    csv_set_separator(r, '"'); /* refused */
    assert_int_equal(csv_separator(r), ',');
    csv_set_separator(r, '\t');
    csv_set_block_size(r, 5); /* records straddle blocks */
    const struct csv_field *f;
    size_t n;
    struct err err = {{0}};
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_int_equal(n, 3);
    assert_string_equal(f[1].ptr, "note");
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_int_equal(n, 3);
    assert_string_equal(f[1].ptr, "a, b");
    assert_int_equal(csv_next(r, &f, &n, &err), 1);
    assert_string_equal(f[1].ptr, "q\tx");
    assert_true(f[1].quoted);
    assert_int_equal(csv_next(r, &f, &n, &err), 0);
    csv_close(r);

    char *root = make_root();
    put(root, "t.tsv", "a\tb,c\n1\t2,3\n");
    char *path = fs_join(root, "t.tsv");
    struct csv_table *tab;
    assert_int_equal(csv_table_load(path, &tab, &err), 0);
    assert_int_equal(tab->ncols, 2);
    assert_string_equal(tab->header[1], "b,c");
    assert_string_equal(csv_table_cell(tab, 0, 1), "2,3");
    csv_table_free(tab);
    free(path);
    cleanup(root);
}

static void test_tsv_roles_and_profile(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Reviews\n");
    put(root, "public/train.tsv", "id\tphrase\tsentiment\n1\tgood, fine\tpos\n2\tbad\tneg\n3\tok, ok\tpos\n");
    put(root, "public/test.tsv", "id\tphrase\n4\tgreat, really\n5\tawful\n");
    put(root, "public/sample_submission.tsv", "id\tsentiment\n4\tpos\n5\tpos\n");
    put(root, "public/notes.txt", "free text\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_non_null(t->train);
    assert_string_equal(t->train->rel_path, "train.tsv");
    assert_int_equal(t->train->kind, TASK_KIND_TSV);
    assert_string_equal(task_kind_name(t->train->kind), "tsv");
    assert_string_equal(t->test->rel_path, "test.tsv");
    assert_string_equal(t->sample_submission->rel_path, "sample_submission.tsv");
    assert_int_equal(t->n_id_columns, 1);
    assert_string_equal(t->id_columns[0], "id");
    assert_int_equal(t->n_target_columns, 1);
    assert_string_equal(t->target_columns[0], "sentiment");
    assert_int_equal(t->sub_format, TASK_SUB_VALUES);
    assert_int_equal(t->labels_from, TASK_LABELS_NONE);
    assert_null(t->labels_note);

    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    assert_int_equal(p->files[0]->kind, TASK_KIND_TSV);
    assert_int_equal(p->files[0]->ncolumns, 3);
    assert_int_equal(p->files[0]->rows, 3);
    assert_int_equal(p->files[0]->nissues, 0);
    assert_int_equal(p->problem, PROFILE_PROBLEM_BINARY);
    char *md = profile_to_markdown(p, 8000);
    assert_non_null(strstr(md, "input/train.tsv; tab-separated (TSV)"));
    assert_non_null(strstr(md, "sep=\"\\t\""));
    free(md);
    json_t *j = profile_to_json(p);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "files"), 0), "kind")),
                        "tsv");
    json_decref(j);
    profile_free(p);
    task_free(t);
    cleanup(root);
}

static void test_tsv_class_probs(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Kinds\n");
    put(root, "public/train.tsv", "id\tx\tkind\n1\t0.5\tcat\n2\t1.5\tdog\n3\t2.5\tcat\n");
    put(root, "public/test.tsv", "id\tx\n4\t1\n");
    put(root, "public/sample_submission.csv", "id,p_cat,p_dog\n4,0.5,0.5\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_int_equal(t->sub_format, TASK_SUB_CLASS_PROBS);
    assert_int_equal(t->n_train_targets, 1);
    assert_string_equal(t->train_targets[0], "kind");
    assert_string_equal(t->class_values[0], "cat");
    assert_string_equal(t->class_values[1], "dog");
    task_free(t);
    cleanup(root);
}

/* ---- labels from names ---- */

static struct csv_table *load_labels(const struct task *t)
{
    struct csv_table *tab;
    struct err err = {{0}};
    assert_int_equal(csv_table_load(t->train->abs_path, &tab, &err), 0);
    return tab;
}

static bool has_row(const struct csv_table *tab, const char *id, const char *path, const char *label)
{
    for (size_t r = 0; r < tab->nrows; r++)
        if (!strcmp(csv_table_cell(tab, r, 0), id) && !strcmp(csv_table_cell(tab, r, 1), path) &&
            !strcmp(csv_table_cell(tab, r, 2), label))
            return true;
    return false;
}

/* train/<class>/<n>.png for 3 classes x 3 files, test/<n>.png. */
static void folder_task(const char *root, const char *sample)
{
    static const char *const classes[] = {"Black-grass", "Charlock", "Maize"};
    char rel[96];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 3; i++) {
            snprintf(rel, sizeof rel, "public/train/%s/%d.png", classes[c], c * 10 + i);
            put_png(root, rel);
        }
    for (int i = 100; i < 104; i++) {
        snprintf(rel, sizeof rel, "public/test/%d.png", i);
        put_png(root, rel);
    }
    put(root, "description.md", "# Seedlings\n");
    put(root, "public/sample_submission.csv", sample);
}

static void test_labels_from_folders(void **state)
{
    (void)state;
    char *root = make_root(), *run = make_root();
    folder_task(root, "id,species\n100,Maize\n101,Maize\n102,Maize\n103,Maize\n");
    char *before = tree(root);
    char *unpack = fs_join(run, "data");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, unpack, &t, &err), 0);
    assert_non_null(t->train);
    assert_string_equal(t->train->rel_path, "train_labels.csv");
    assert_true(t->train->synthesized);
    assert_int_equal(t->train->role, TASK_ROLE_TRAIN);
    assert_int_equal(strncmp(t->train->abs_path, run, strlen(run)), 0);
    assert_int_equal(t->labels_from, TASK_LABELS_FOLDERS);
    assert_string_equal(t->labels_dir, "train");
    assert_string_equal(t->labels_id_column, "id");
    assert_string_equal(t->id_columns[0], "id");
    assert_int_equal(t->n_target_columns, 1);
    assert_string_equal(t->target_columns[0], "species");
    assert_string_equal(t->train_targets[0], "species");
    assert_int_equal(t->sub_format, TASK_SUB_VALUES);
    assert_non_null(strstr(t->labels_note, "from folder names under train/: 9 files, 3 classes"));
    assert_non_null(t->sample_submission);
    assert_int_equal(t->sample_submission->role, TASK_ROLE_SAMPLE_SUBMISSION);

    struct csv_table *tab = load_labels(t);
    assert_int_equal(tab->ncols, 3);
    assert_string_equal(tab->header[0], "id");
    assert_string_equal(tab->header[1], "path");
    assert_string_equal(tab->header[2], "species");
    assert_int_equal(tab->nrows, 9);
    assert_true(has_row(tab, "0", "train/Black-grass/0.png", "Black-grass"));
    assert_true(has_row(tab, "21", "train/Maize/21.png", "Maize"));
    csv_table_free(tab);

    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    assert_int_equal(p->problem, PROFILE_PROBLEM_MULTICLASS);
    bool class_group = false;
    for (size_t i = 0; i < p->ngroups; i++)
        class_group = class_group || (!strcmp(p->groups[i].pattern, "train/*/*.png") && p->groups[i].count == 9);
    assert_true(class_group);
    assert_true(p->files[0]->synthesized);
    char *md = profile_to_markdown(p, 8000);
    assert_non_null(strstr(md, "- Labels: train_labels.csv was built by mlestar from folder names under train/"));
    free(md);
    json_t *j = profile_to_json(p);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "labels"), "from")), "folders");
    assert_true(json_is_true(json_object_get(json_array_get(json_object_get(j, "files"), 0), "synthesized")));
    json_decref(j);
    profile_free(p);
    task_free(t);

    /* reopening (a resumed run) gives the same table; the task folder is untouched */
    assert_int_equal(open_task(root, unpack, &t, &err), 0);
    assert_string_equal(t->train->rel_path, "train_labels.csv");
    task_free(t);
    char *after = tree(root);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(unpack);
    cleanup(root);
    cleanup(run);
}

static void test_labels_folders_class_columns(void **state)
{
    (void)state;
    char *root = make_root(), *run = make_root();
    /* file names with extension as ids, one probability column per class */
    folder_task(root, "file,Black-grass,Charlock,Maize\n100.png,0.3,0.3,0.4\n101.png,0.3,0.3,0.4\n"
                      "102.png,0.3,0.3,0.4\n103.png,0.3,0.3,0.4\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, run, &t, &err), 0);
    assert_non_null(t->train);
    assert_string_equal(t->id_columns[0], "file");
    assert_int_equal(t->sub_format, TASK_SUB_CLASS_PROBS);
    assert_string_equal(t->train_targets[0], "label");
    assert_int_equal(t->n_target_columns, 3);
    assert_string_equal(t->class_values[0], "Black-grass");
    assert_string_equal(t->class_values[2], "Maize");
    struct csv_table *tab = load_labels(t);
    assert_string_equal(tab->header[0], "file");
    assert_true(has_row(tab, "10.png", "train/Charlock/10.png", "Charlock"));
    csv_table_free(tab);
    task_free(t);
    cleanup(root);
    cleanup(run);
}

static void test_labels_from_name_prefixes(void **state)
{
    (void)state;
    char *root = make_root(), *run = make_root();
    char rel[64];
    for (int i = 0; i < 4; i++) {
        snprintf(rel, sizeof rel, "public/train/cat.%d.jpg", i);
        put_png(root, rel);
        snprintf(rel, sizeof rel, "public/train/dog.%d.jpg", i);
        put_png(root, rel);
    }
    put_png(root, "public/test1/1.jpg");
    put_png(root, "public/test1/2.jpg");
    put(root, "description.md", "# Dogs vs cats\n");
    put(root, "public/sample_submission.csv", "id,label\n1,0.5\n2,0.5\n");
    char *before = tree(root);
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, run, &t, &err), 0);
    assert_non_null(t->train);
    assert_true(t->train->synthesized);
    assert_int_equal(t->labels_from, TASK_LABELS_NAMES);
    assert_string_equal(t->id_columns[0], "id");
    assert_string_equal(t->train_targets[0], "label");
    assert_non_null(strstr(t->labels_note, "file-name prefixes"));
    assert_non_null(strstr(t->labels_note, "8 files, 2 classes"));
    struct csv_table *tab = load_labels(t);
    assert_int_equal(tab->nrows, 8);
    assert_true(has_row(tab, "cat.0", "train/cat.0.jpg", "cat"));
    assert_true(has_row(tab, "dog.3", "train/dog.3.jpg", "dog"));
    csv_table_free(tab);
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    assert_int_equal(p->problem, PROFILE_PROBLEM_BINARY);
    profile_free(p);
    task_free(t);
    char *after = tree(root);
    assert_string_equal(before, after);
    free(before);
    free(after);
    cleanup(root);
    cleanup(run);
}

/* Opens a task that must get no train; returns its labels note (malloc'd). */
static char *refused(const char *root, const char *unpack)
{
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, unpack, &t, &err), 0);
    assert_null(t->train);
    assert_int_equal(t->labels_from, TASK_LABELS_NONE);
    assert_non_null(t->labels_note);
    char *note = xstrdup(t->labels_note);
    task_free(t);
    if (unpack)
        assert_false(fs_exists(unpack) && tree_lines(unpack) > 0);
    return note;
}

static void labelled_names(const char *root, const char *const *names, size_t n)
{
    char rel[96];
    for (size_t i = 0; i < n; i++) {
        snprintf(rel, sizeof rel, "public/train/%s", names[i]);
        put_png(root, rel);
    }
    put_png(root, "public/test/7.png");
    put_png(root, "public/test/8.png");
    put(root, "description.md", "# Images\n");
    put(root, "public/sample_submission.csv", "id,label\n7,a\n8,a\n");
}

static void test_labels_refused(void **state)
{
    (void)state;
    struct {
        const char *names[6];
        const char *why;
    } cases[] = {
        {{"only/1.png", "only/2.png", "only/3.png", "only/4.png"}, "one folder"},
        {{"001_a.png", "001_b.png", "002_a.png", "002_b.png"}, "numbers"},
        {{"a.1.png", "b.1.png", "c.1.png", "d.1.png", "e.2.png", "e.3.png"}, "nearly one per file"},
        {{"s1/img.png", "s2/img.png", "s3/img.png", "s4/img.png"}, "nearly one per file"},
        {{"cat.png", "dog.png", "cat.1.png", "dog.1.png"}, "no name prefix"},
        {{"a/1.png", "a/2.png", "b/x/3.png", "b/x/4.png"}, "different depths"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char *root = make_root(), *run = make_root();
        size_t n = 0;
        while (n < 6 && cases[k].names[n])
            n++;
        labelled_names(root, cases[k].names, n);
        char *before = tree(root);
        char *unpack = fs_join(run, "data");
        char *note = refused(root, unpack);
        if (!strstr(note, cases[k].why))
            fail_msg("case %zu: note \"%s\" does not say \"%s\"", k, note, cases[k].why);
        assert_non_null(strstr(note, "train_labels.csv not built"));
        char *after = tree(root);
        assert_string_equal(before, after);
        free(before);
        free(after);
        free(note);
        free(unpack);
        cleanup(root);
        cleanup(run);
    }
}

static void test_labels_need_a_writable_folder(void **state)
{
    (void)state;
    char *root = make_root();
    const char *names[] = {"cat.1.png", "cat.2.png", "dog.1.png", "dog.2.png"};
    labelled_names(root, names, 4);
    char *before = tree(root);
    char *note = refused(root, NULL);
    assert_non_null(strstr(note, "need a writable data folder"));
    assert_non_null(strstr(note, "file-name prefixes")); /* says what it would have built */
    free(note);
    /* a writable folder inside the task folder is refused, and nothing is written there */
    char *inside = fs_join(root, "public/scratch");
    note = refused(root, inside);
    assert_non_null(strstr(note, "never writes there"));
    free(note);
    assert_false(fs_exists(inside));
    char *after = tree(root);
    assert_string_equal(before, after);
    free(before);
    free(after);
    free(inside);
    /* without test files to match, the ids cannot be known */
    char *root2 = make_root(), *run = make_root();
    put_png(root2, "public/train/cat.1.png");
    put_png(root2, "public/train/cat.2.png");
    put_png(root2, "public/train/dog.1.png");
    put_png(root2, "public/train/dog.2.png");
    put(root2, "description.md", "# Images\n");
    put(root2, "public/sample_submission.csv", "id,label\n7,a\n");
    note = refused(root2, run);
    assert_non_null(strstr(note, "no test* folder"));
    free(note);
    cleanup(root);
    cleanup(root2);
    cleanup(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsv_reader),
        cmocka_unit_test(test_tsv_roles_and_profile),
        cmocka_unit_test(test_tsv_class_probs),
        cmocka_unit_test(test_labels_from_folders),
        cmocka_unit_test(test_labels_folders_class_columns),
        cmocka_unit_test(test_labels_from_name_prefixes),
        cmocka_unit_test(test_labels_refused),
        cmocka_unit_test(test_labels_need_a_writable_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
