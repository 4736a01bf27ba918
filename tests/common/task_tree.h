/* task_tree.h - task folders for the unit tests (test helper, header only;
 * include it after <cmocka.h>, whose assertions it uses).
 *
 * make_root() makes a fresh folder under /tmp and returns its path
 * (malloc'd); put() and put_bytes() write a file below it, making the
 * parent folders; cleanup() removes the folder and frees the path. A
 * failure fails the calling test. The functions are static inline, so a
 * test that uses only some of them compiles without unused warnings. */
#ifndef MLESTAR_TESTS_TASK_TREE_H
#define MLESTAR_TESTS_TASK_TREE_H

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/mem.h"

static inline char *make_root(void)
{
    char tmpl[] = "/tmp/mlestar-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static inline void put_bytes(const char *root, const char *rel, const void *data, size_t len)
{
    char *path = fs_join(root, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = '\0';
    struct err err = {{0}};
    assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
    assert_int_equal(fs_write_file(path, data, len, &err), 0);
    free(dir);
    free(path);
}

static inline void put(const char *root, const char *rel, const char *text)
{
    put_bytes(root, rel, text, strlen(text));
}

static inline void cleanup(char *root)
{
    fs_rm_rf(root, NULL);
    free(root);
}

#endif
