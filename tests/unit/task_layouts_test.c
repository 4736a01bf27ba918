/* task_layouts_test.c - the MLE-bench data layouts at intake (issue 13):
 * JSON and JSON-lines tables (roles, flattened nested fields, one column per
 * class from a JSON train), archives unpacked once into the data view (zip,
 * tar.gz, a single .gz; unsafe, hidden and link members skipped; the
 * manifest makes a reopen idempotent; a data-folder file wins over an
 * unpacked one), labels tables beside image folders, roles by content, the
 * image / audio header parser on every format, and image groups profiled
 * from headers. Archives are written with libarchive in the test. */
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

#include <archive.h>
#include <archive_entry.h>

#include "task/imghdr.h"
#include "task/profile.h"
#include "task/task.h"
#include "task/unpack.h"
#include "util/fs.h"
#include "util/mem.h"

#include "../common/task_tree.h"

static const struct task_file *find(const struct task *t, const char *rel)
{
    for (size_t i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].rel_path, rel) == 0)
            return &t->files[i];
    return NULL;
}

static int open_task(const char *dir, const char *unpack_dir, struct task **t, struct err *err)
{
    struct task_opts o = {.dir = dir, .unpack_dir = unpack_dir};
    return task_open(&o, t, err);
}

/* members: name, content (NULL = a symlink to "../x") */
struct member {
    const char *name;
    const char *text;
};

static void write_archive(const char *path, bool zip, bool gzip_tar, const struct member *m, size_t n)
{
    struct archive *a = archive_write_new();
    if (zip) {
        archive_write_set_format_zip(a);
    } else {
        archive_write_set_format_pax_restricted(a);
        if (gzip_tar)
            archive_write_add_filter_gzip(a);
    }
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, m[i].name);
        if (m[i].text) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)strlen(m[i].text));
        } else {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, "../x");
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (m[i].text)
            archive_write_data(a, m[i].text, strlen(m[i].text));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static void write_gzip(const char *path, const char *text)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)strlen(text));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    archive_write_data(a, text, strlen(text));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
}

/* ---- JSON tables ---- */

static void test_json_tables(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Pizza\n");
    put(root, "public/train.json",
        "[{\"request_id\": \"a\", \"text\": \"please help\", \"user\": {\"age\": 3, \"karma\": 10}, \"got\": true},\n"
        " {\"request_id\": \"b\", \"text\": \"hungry\", \"user\": {\"age\": 5, \"karma\": 1}, \"got\": false}]");
    put(root, "public/test.json", "[{\"request_id\": \"c\", \"text\": \"food\", \"user\": {\"age\": 1, \"karma\": 2}}]");
    put(root, "public/sample_submission.csv", "request_id,got\nc,0\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_non_null(t->train);
    assert_string_equal(t->train->rel_path, "train.json");
    assert_string_equal(t->test->rel_path, "test.json");
    assert_int_equal(t->n_id_columns, 1);
    assert_string_equal(t->id_columns[0], "request_id");
    assert_int_equal(t->n_train_targets, 1);
    assert_string_equal(t->train_targets[0], "got");
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    bool nested = false;
    for (size_t i = 0; i < p->files[0]->ncolumns; i++)
        nested = nested || strcmp(p->files[0]->columns[i].name, "user.karma") == 0;
    assert_true(nested); /* flattened as pandas.json_normalize(sep=".") */
    assert_int_equal(p->problem, PROFILE_PROBLEM_BINARY);
    char *md = profile_to_markdown(p, 8192);
    assert_non_null(strstr(md, "json_normalize"));
    free(md);
    profile_free(p);
    task_free(t);
    cleanup(root);
}

static void test_jsonl_class_probs(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Kinds\n");
    put(root, "public/train.jsonl", "{\"id\": 1, \"x\": 0.5, \"kind\": \"cat\"}\n{\"id\": 2, \"x\": 0.1, \"kind\": \"dog\"}\n"
                                    "{\"id\": 3, \"x\": 0.9, \"kind\": \"cow\"}\n");
    put(root, "public/test.jsonl", "{\"id\": 4, \"x\": 0.3}\n");
    put(root, "public/sample_submission.csv", "id,p_cat,p_cow,p_dog\n4,0.3,0.3,0.4\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_int_equal(t->sub_format, TASK_SUB_CLASS_PROBS);
    assert_string_equal(t->train_targets[0], "kind");
    assert_string_equal(t->class_values[0], "cat");
    assert_string_equal(t->class_values[2], "dog");
    task_free(t);
    cleanup(root);
}

/* ---- archives ---- */

static void test_archives_unpacked_once(void **state)
{
    (void)state;
    char *root = make_root();
    char *view = make_root();
    put(root, "description.md", "# Zipped\n");
    put(root, "public/sample_submission.csv", "id,y\n3,0\n");
    char *zip = fs_join(root, "public/train.csv.zip");
    const struct member zm[] = {
        {"train.csv", "id,a,y\n1,2,0\n2,3,1\n"},
        {"../evil.csv", "id\n"},
        {"/abs.csv", "id\n"},
        {"answers.csv", "id,y\n3,1\n"},
        {"__MACOSX/._train.csv", "junk"},
        {"link.csv", NULL},
    };
    write_archive(zip, true, false, zm, sizeof zm / sizeof *zm);
    char *tgz = fs_join(root, "public/images.tar.gz");
    const struct member tm[] = {{"imgs/1.txt", "one"}, {"imgs/2.txt", "two"}, {"imgs/private/3.txt", "no"}};
    write_archive(tgz, false, true, tm, 3);
    char *gz = fs_join(root, "public/test.csv.gz");
    write_gzip(gz, "id,a\n3,4\n");
    put(root, "public/test.csv", "id,a\n3,4\n"); /* the data folder's own copy wins */

    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, view, &t, &err), 0);
    assert_non_null(t->train);
    assert_string_equal(t->train->rel_path, "train.csv");
    assert_string_equal(t->train->archive, "train.csv.zip");
    assert_true(strncmp(t->train->abs_path, root, strlen(root)) != 0); /* outside the task folder */
    assert_string_equal(t->train_targets[0], "y");
    assert_null(find(t, "../evil.csv"));
    assert_null(find(t, "answers.csv"));
    assert_null(find(t, "link.csv"));
    assert_null(find(t, "imgs/private/3.txt"));
    assert_non_null(find(t, "imgs/2.txt"));
    assert_string_equal(find(t, "imgs/2.txt")->archive, "images.tar.gz");
    assert_null(find(t, "test.csv")->archive);
    char *evil = fs_join(view, "../evil.csv");
    assert_false(fs_exists(evil));
    free(evil);
    /* a second open reads the manifests: an edited unpacked file is not overwritten */
    char *unpacked = xstrdup(t->train->abs_path);
    task_free(t);
    struct err e2 = {{0}};
    assert_int_equal(fs_write_file(unpacked, "id,a,y\n1,2,0\n2,3,1\n9,9,1\n", 24, &e2), 0);
    assert_int_equal(open_task(root, view, &t, &err), 0);
    assert_int_equal(t->train->size, 24);
    assert_non_null(find(t, "imgs/1.txt"));
    task_free(t);
    /* without a data view, archives are listed only */
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_null(find(t, "imgs/1.txt"));
    assert_null(t->train); /* train exists only inside the archive */
    task_free(t);
    free(unpacked);
    free(zip);
    free(tgz);
    free(gz);
    cleanup(view);
    cleanup(root);
}

static void test_unsafe_member_paths(void **state)
{
    (void)state;
    assert_true(unpack_path_is_safe("train/1.png"));
    assert_false(unpack_path_is_safe("../x"));
    assert_false(unpack_path_is_safe("a/../../x"));
    assert_false(unpack_path_is_safe("/etc/passwd"));
    assert_false(unpack_path_is_safe("a//b"));
    assert_false(unpack_path_is_safe(".hidden"));
    assert_false(unpack_path_is_safe("x/solution.csv"));
    assert_false(unpack_path_is_safe("test_labels.csv"));
    assert_false(unpack_path_is_safe(""));
    assert_true(unpack_is_archive("train.csv.gz"));
    assert_true(unpack_is_archive("x.TAR.GZ"));
    assert_false(unpack_is_archive("train.csv"));
}

/* ---- labels tables, images, roles by content ---- */

static const unsigned char png_8x4_rgba[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
    0, 0, 0, 8, 0, 0, 0, 4, 8, 6, 0, 0, 0, 0, 0, 0, 0};

static void test_labels_and_images(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Cactus\n");
    put(root, "public/train_labels.csv", "id,has_cactus\na.png,1\nb.png,0\n");
    put(root, "public/sample_submission.csv", "id,has_cactus\nc.png,0.5\n");
    char name[32];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "public/train/img%02d.png", i);
        put_bytes(root, name, png_8x4_rgba, sizeof png_8x4_rgba);
    }
    put(root, "public/train/broken07x.png", "not a png");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_string_equal(t->train->rel_path, "train_labels.csv");
    assert_null(t->test);
    assert_string_equal(t->id_columns[0], "id");
    assert_string_equal(t->train_targets[0], "has_cactus");
    struct profile *p;
    assert_int_equal(profile_task(t, &p, &err), 0);
    const struct profile_group *g = NULL;
    for (size_t i = 0; i < p->ngroups; i++)
        if (p->groups[i].kind == TASK_KIND_IMAGE)
            g = &p->groups[i];
    assert_non_null(g);
    assert_true(g->has_media);
    assert_int_equal(g->media.sampled, 13);
    assert_int_equal(g->media.unknown, 1);
    assert_int_equal(g->media.width_max, 8);
    assert_int_equal(g->media.height_min, 4);
    assert_int_equal(g->media.channels_max, 4);
    assert_string_equal(g->media.formats, "png");
    json_t *j = profile_to_json(p);
    json_t *media = json_object_get(json_array_get(json_object_get(j, "groups"), 0), "media");
    assert_non_null(media);
    json_decref(j);
    profile_free(p);
    task_free(t);
    cleanup(root);
}

static void test_roles_by_content(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "description.md", "# Odd names\n");
    put(root, "public/records.csv", "key,f,target\n1,2,0\n2,3,1\n");
    put(root, "public/queries.csv", "key,f\n3,4\n");
    put(root, "public/other.csv", "z\n1\n");
    put(root, "public/sample_submission.csv", "key,target\n3,0\n");
    struct task *t;
    struct err err = {{0}};
    assert_int_equal(open_task(root, NULL, &t, &err), 0);
    assert_string_equal(t->train->rel_path, "records.csv");
    assert_string_equal(t->test->rel_path, "queries.csv");
    assert_string_equal(t->train_targets[0], "target");
    task_free(t);
    cleanup(root);
}

/* ---- headers ---- */

static void test_image_headers(void **state)
{
    (void)state;
    struct imghdr h;
    assert_int_equal(imghdr_parse(png_8x4_rgba, sizeof png_8x4_rgba, &h), IMGHDR_PNG);
    assert_int_equal(h.width, 8);
    assert_int_equal(h.height, 4);
    assert_int_equal(h.channels, 4);
    /* JPEG: SOI, an APP0 segment, then SOF0 640x480, 3 components */
    const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 6, 'J', 'F', 'I', 'F', 0xFF, 0xC0, 0, 17, 8, 0x01,
                                 0xE0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
    assert_int_equal(imghdr_parse(jpg, sizeof jpg, &h), IMGHDR_JPEG);
    assert_int_equal(h.width, 640);
    assert_int_equal(h.height, 480);
    assert_int_equal(h.channels, 3);
    assert_int_equal(imghdr_parse(jpg, 12, &h), IMGHDR_JPEG); /* truncated: format, no size */
    assert_int_equal(h.width, 0);
    const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 10, 0, 20, 0};
    assert_int_equal(imghdr_parse(gif, sizeof gif, &h), IMGHDR_GIF);
    assert_int_equal(h.width, 10);
    assert_int_equal(h.height, 20);
    unsigned char bmp[30] = {'B', 'M'};
    bmp[14] = 40;
    bmp[18] = 7;
    bmp[22] = 0xFD; /* height -3 (top-down) */
    bmp[23] = bmp[24] = bmp[25] = 0xFF;
    bmp[28] = 24;
    assert_int_equal(imghdr_parse(bmp, sizeof bmp, &h), IMGHDR_BMP);
    assert_int_equal(h.width, 7);
    assert_int_equal(h.height, 3);
    assert_int_equal(h.channels, 3);
    unsigned char webp[30] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'};
    webp[20] = 0x10; /* alpha */
    webp[24] = 99;   /* width - 1 */
    webp[27] = 49;
    assert_int_equal(imghdr_parse(webp, sizeof webp, &h), IMGHDR_WEBP);
    assert_int_equal(h.width, 100);
    assert_int_equal(h.height, 50);
    assert_int_equal(h.channels, 4);
    const unsigned char tif[] = {'I', 'I', '*', 0, 8, 0, 0, 0, 3, 0,
                                 0, 1, 3, 0, 1, 0, 0, 0, 32, 0, 0, 0,   /* width 32 */
                                 1, 1, 3, 0, 1, 0, 0, 0, 16, 0, 0, 0,   /* height 16 */
                                 21, 1, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0};  /* 3 samples */
    assert_int_equal(imghdr_parse(tif, sizeof tif, &h), IMGHDR_TIFF);
    assert_int_equal(h.width, 32);
    assert_int_equal(h.height, 16);
    assert_int_equal(h.channels, 3);
    const unsigned char wav[] = {'R', 'I', 'F', 'F', 36, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0,
                                 1, 0, 2, 0, 0x44, 0xAC, 0, 0, 0x10, 0xB1, 2, 0, 4, 0, 16, 0};
    assert_int_equal(imghdr_parse(wav, sizeof wav, &h), IMGHDR_WAV);
    assert_int_equal(h.channels, 2);
    assert_int_equal(h.sample_rate, 44100);
    assert_int_equal(h.bits, 16);
    assert_int_equal(imghdr_parse((const unsigned char *)"hello", 5, &h), IMGHDR_UNKNOWN);
    assert_int_equal(imghdr_parse(NULL, 0, &h), IMGHDR_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_tables),
        cmocka_unit_test(test_jsonl_class_probs),
        cmocka_unit_test(test_archives_unpacked_once),
        cmocka_unit_test(test_unsafe_member_paths),
        cmocka_unit_test(test_labels_and_images),
        cmocka_unit_test(test_roles_by_content),
        cmocka_unit_test(test_image_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
