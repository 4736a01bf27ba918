/* exec_testutil.h - shared helpers of the exec_* tests (header-only).
 *
 * A test task is built by hand in a temporary folder:
 *   TASK/description.md, TASK/public/{train,test}.csv, TASK/private/answers.csv
 * with a struct task whose data_dir is TASK/public. Each run gets its own
 * attempt folder (mkdtemp); its absolute path is in the argv of the script
 * and of every process it forks, so count_marked() can check through
 * /proc/<pid>/cmdline that nothing the script started is still alive. */
#ifndef MLESTAR_TESTS_EXEC_TESTUTIL_H
#define MLESTAR_TESTS_EXEC_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"
#include "task/task.h"
#include "util/fs.h"
#include "util/mem.h"

#define TEST_PYTHON "/usr/bin/python3"
#define TEST_SECRET "SECRET-ANSWER-42"

struct test_task {
    char *dir;
    struct task task;
    struct task_file files[2];
};

static inline void write_text(const char *dir, const char *name, const char *text)
{
    char *path = fs_join(dir, name);
    struct err err = {{0}};
    if (fs_write_file(path, text, strlen(text), &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    free(path);
}

static inline void test_task_make(struct test_task *t)
{
    memset(t, 0, sizeof *t);
    char tmpl[] = "/tmp/mlestar-exectest-XXXXXX";
    t->dir = xstrdup(mkdtemp(tmpl));
    char *pub = fs_join(t->dir, "public"), *priv = fs_join(t->dir, "private");
    fs_mkdir_p(pub, 0755, NULL);
    fs_mkdir_p(priv, 0755, NULL);
    write_text(t->dir, "description.md", "Predict y.\n");
    write_text(pub, "train.csv", "id,x,y\n1,0.5,1\n2,0.1,0\n");
    write_text(pub, "test.csv", "id,x\n3,0.7\n");
    write_text(priv, "answers.csv", "id,y\n3," TEST_SECRET "\n");
    t->task.name = "exectest";
    t->task.root = t->dir;
    t->task.data_dir = pub;
    t->task.description = "Predict y.";
    const char *names[2] = {"test.csv", "train.csv"};
    for (int i = 0; i < 2; i++) {
        t->files[i].rel_path = xstrdup(names[i]);
        t->files[i].abs_path = fs_join(pub, names[i]);
        t->files[i].kind = TASK_KIND_CSV;
        t->files[i].role = i ? TASK_ROLE_TRAIN : TASK_ROLE_TEST;
    }
    t->task.files = t->files;
    t->task.nfiles = 2;
    t->task.lower_is_better = -1;
    free(priv);
}

static inline void test_task_free(struct test_task *t)
{
    fs_rm_rf(t->dir, NULL);
    for (int i = 0; i < 2; i++) {
        free(t->files[i].rel_path);
        free(t->files[i].abs_path);
    }
    free(t->task.data_dir);
    free(t->dir);
}

static inline struct exec_limits test_limits(void)
{
    struct exec_limits l = {0};
    l.timeout_s = 20;
    l.grace_s = 0.5;
    l.memory_bytes = 1LL << 30;
    l.max_procs = 64;
    l.max_file_bytes = 64LL << 20;
    l.output_cap_bytes = 8LL << 20;
    l.network = false;
    l.threads = 1;
    return l;
}

/* A fresh attempt folder name (the folder itself is created by exec_run). */
static inline char *test_attempt_dir(void)
{
    char tmpl[] = "/tmp/mlestar-attempt-XXXXXX";
    char *dir = mkdtemp(tmpl);
    return fs_join(dir, "attempt");
}

static inline void test_attempt_free(char *attempt)
{
    char *parent = xstrndup(attempt, (size_t)(strrchr(attempt, '/') - attempt));
    fs_rm_rf(parent, NULL);
    free(parent);
    free(attempt);
}

/* Processes whose command line contains `marker`. */
static inline int count_marked(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    size_t mlen = strlen(marker);
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[8192];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf);
        close(fd);
        for (ssize_t i = 0; len > 0 && i + (ssize_t)mlen <= len; i++)
            if (!memcmp(buf + i, marker, mlen)) {
                n++;
                break;
            }
    }
    if (d)
        closedir(d);
    return n;
}

#endif
