/* store_testutil.h - helpers shared by the journal's unit tests. */
#ifndef MLESTAR_TESTS_STORE_TESTUTIL_H
#define MLESTAR_TESTS_STORE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/mem.h"

/* A fresh temporary folder (malloc'd path); remove with rm_tmpdir(). */
static inline char *make_tmpdir(void)
{
    char *dir = xstrdup("/tmp/mlestar-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static inline void rm_tmpdir(char *dir)
{
    struct err err = {{0}};
    assert_int_equal(fs_rm_rf(dir, &err), 0);
    free(dir);
}

/* Opens (creating) RUN = dir/run; fails the test on error. */
static inline struct store *open_run(const char *run_dir, bool create)
{
    struct err err = {{0}};
    struct store *s = NULL;
    if (store_open(run_dir, create, &s, &err) < 0)
        fail_msg("store_open(%s): %s", run_dir, err.msg);
    return s;
}

/* A minimal node with the given key. */
static inline struct store_node test_node(const char *key, int64_t parent)
{
    struct store_node n = {0};
    n.node_key = key;
    n.parent_id = parent;
    n.lane = 0;
    n.stage = "candidate";
    n.outer_step = -1;
    n.inner_step = -1;
    n.code = "print('Final Validation Performance: 0.5')\n";
    return n;
}

static inline int64_t add_node(struct store *s, const char *key, int64_t parent)
{
    struct err err = {{0}};
    struct store_node n = test_node(key, parent);
    int64_t id = 0;
    if (store_node_add(s, &n, &id, &err) < 0)
        fail_msg("store_node_add(%s): %s", key, err.msg);
    return id;
}

/* Number of rows of a JSON read (array) or -1. */
static inline long count_nodes(struct store *s)
{
    struct err err = {{0}};
    json_t *nodes = store_nodes_json(s, false, &err);
    if (!nodes)
        fail_msg("store_nodes_json: %s", err.msg);
    long n = (long)json_array_size(nodes);
    json_decref(nodes);
    return n;
}

static inline long count_events(struct store *s)
{
    struct err err = {{0}};
    json_t *events = store_events_json(s, 0, &err);
    if (!events)
        fail_msg("store_events_json: %s", err.msg);
    long n = (long)json_array_size(events);
    json_decref(events);
    return n;
}

/* Lines in a file (0 when missing). */
static inline long count_lines(const char *path)
{
    char *text = NULL;
    struct err err = {{0}};
    if (fs_read_file(path, 0, &text, NULL, &err) < 0)
        return 0;
    long n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* PRAGMA user_version of RUN/run.db (the journal's schema version), read
 * through a read-only connection of its own. */
static inline int journal_user_version(const char *run_dir)
{
    char *path = fs_join(run_dir, "run.db");
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return v;
}

#endif
