/* workspace.c - the attempt folder one run works in.
 *
 *   ATTEMPT/solution.py       the script (rewritten every run)
 *   ATTEMPT/input/            one symlink per visible task file, pointing at
 *                             the real data (never copies); re-made every run
 *   ATTEMPT/final/            emptied before every run: the submission goes here
 *   ATTEMPT/working/          scratch space the script may keep between runs
 *   ATTEMPT/tmp/              TMPDIR, emptied before and after every run
 *   ATTEMPT/.sandbox/         the start-up hook (sitecustomize.py), and root/:
 *                             the empty folder the confined root is built on
 *   ATTEMPT/stdout.txt, stderr.txt, files_read.txt
 *
 * input/ only ever holds files of struct task's `files` list, which
 * task_open() already filtered; every path component is checked again with
 * task_name_is_hidden() and paths with ".." are skipped, so a bad list
 * cannot expose answers. The private entries around the data (everything in
 * the task folder besides the data folder and the description, plus
 * answer-like names at the top of the data folder) are collected in
 * ws->deny: the hook refuses them. The kernel's view (confine.c) mounts only
 * the data folder itself, and covers answer-like names inside it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "task/task.h"
#include "util/assets.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

#define HOOK_ASSET "templates/sandbox/sitecustomize.py"
#define FILE_LOG_MAX (16u << 20)

static bool rel_path_is_safe(const char *rel)
{
    if (!*rel || rel[0] == '/')
        return false;
    char *copy = xstrdup(rel);
    bool ok = true;
    char *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save))
        if (!strcmp(part, "..") || !strcmp(part, ".") || task_name_is_hidden(part))
            ok = false;
    free(copy);
    return ok;
}

/* mkdir -p of the folder holding `path`, skipping the work when the last
 * call made the same folder. */
static int make_parent(const char *path, char **last_made, struct err *err)
{
    const char *slash = strrchr(path, '/');
    char *parent = xstrndup(path, (size_t)(slash - path));
    if (*last_made && !strcmp(*last_made, parent)) {
        free(parent);
        return 0;
    }
    int rc = fs_mkdir_p(parent, 0755, err);
    free(*last_made);
    *last_made = parent;
    return rc;
}

/* A file unpacked from an archive (or written by the intake, labels from
 * names) lives in the run's data view: its folder (abs_path without
 * rel_path) is readable too. */
static void note_data_root(struct workspace *ws, const char *abs_path, const char *rel_path)
{
    size_t n = strlen(abs_path), k = strlen(rel_path);
    if (n <= k + 1 || strcmp(abs_path + n - k, rel_path) != 0 || abs_path[n - k - 1] != '/')
        return;
    char *root = xstrndup(abs_path, n - k - 1);
    size_t len = strlen(root);
    const char *seen = ws->data_more ? strstr(ws->data_more, root) : NULL;
    if (!seen || (seen[len] != ':' && seen[len] != '\0')) {
        char *joined = ws->data_more ? xasprintf("%s:%s", ws->data_more, root) : xstrdup(root);
        free(ws->data_more);
        ws->data_more = joined;
    }
    free(root);
}

static int link_inputs(struct workspace *ws, const struct task *task, struct err *err)
{
    char *last_made = NULL;
    int rc = 0;
    for (size_t i = 0; task && i < task->nfiles && rc == 0; i++) {
        const struct task_file *f = &task->files[i];
        if (!rel_path_is_safe(f->rel_path)) {
            log_warn("exec: not exposing %s to scripts (hidden or unsafe path)", f->rel_path);
            continue;
        }
        char *target = f->abs_path ? xstrdup(f->abs_path) : fs_join(task->data_dir, f->rel_path);
        if (f->archive || f->synthesized)
            note_data_root(ws, target, f->rel_path);
        char *link_path = fs_join(ws->input_dir, f->rel_path);
        rc = make_parent(link_path, &last_made, err);
        if (rc == 0 && symlink(target, link_path) < 0 && errno != EEXIST)
            rc = err_sys(err, errno, "cannot link %s to %s", link_path, target);
        free(target);
        free(link_path);
    }
    free(last_made);
    return rc;
}

static void deny_add(struct workspace *ws, const char *path)
{
    char *real = fs_realpath(path);
    if (!real)
        return;
    size_t len = strlen(real);
    if (!strncmp(ws->dir, real, len) && (ws->dir[len] == '/' || ws->dir[len] == '\0')) {
        free(real); /* the attempt folder lives inside the task folder: never cover it */
        return;
    }
    ws->deny = xrealloc(ws->deny, (ws->ndeny + 1) * sizeof *ws->deny);
    ws->deny_is_dir = xrealloc(ws->deny_is_dir, (ws->ndeny + 1) * sizeof *ws->deny_is_dir);
    ws->deny_is_dir[ws->ndeny] = fs_is_dir(real);
    ws->deny[ws->ndeny++] = real;
}

/* Every entry of `dir` for which keep() is false goes on the deny list. */
static void deny_entries(struct workspace *ws, const char *dir, const char *keep1, const char *keep2,
                         bool only_hidden)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        if ((keep1 && !strcmp(name, keep1)) || (keep2 && !strcmp(name, keep2)))
            continue;
        if (only_hidden && !task_name_is_hidden(name))
            continue;
        char *path = fs_join(dir, name);
        deny_add(ws, path);
        free(path);
    }
    closedir(d);
}

static void collect_private(struct workspace *ws, const struct task *task)
{
    if (!task || !task->data_dir)
        return;
    ws->data_real = fs_realpath(task->data_dir);
    if (!ws->data_real)
        return;
    char *root = task->root ? fs_realpath(task->root) : NULL;
    size_t rlen = root ? strlen(root) : 0;
    if (root && strncmp(ws->data_real, root, rlen) == 0 && ws->data_real[rlen] == '/') {
        /* The data folder is inside the task folder: keep the branch leading
         * to it and the description, refuse the rest (private/, task.json...). */
        const char *branch = ws->data_real + rlen + 1;
        char *first = xstrndup(branch, strcspn(branch, "/"));
        const char *desc = task->description_path ? fs_basename(task->description_path) : NULL;
        deny_entries(ws, root, first, desc, false);
        free(first);
    }
    deny_entries(ws, ws->data_real, NULL, NULL, true);
    free(root);
}


/* Writes data to path unless the file already holds exactly it (reruns). */
static int write_if_changed(const char *path, const char *data, size_t len, struct err *err)
{
    char *old = NULL;
    size_t old_len = 0;
    int rc = 0;
    if (fs_read_file(path, len + 1, &old, &old_len, NULL) < 0 || old_len != len ||
        memcmp(old, data, len) != 0)
        rc = fs_write_file(path, data, len, err);
    free(old);
    return rc;
}

/* The hook, and its bytecode when the interpreter can make it. */
static int write_hook(const struct workspace *ws, const char *python, struct err *err)
{
    const struct asset *hook = assets_get(HOOK_ASSET);
    if (!hook)
        return err_set(err, "the sandbox hook %s is missing from this build", HOOK_ASSET);
    if (fs_mkdir_p(ws->hook_dir, 0755, err) < 0)
        return -1;
    char *path = fs_join(ws->hook_dir, "sitecustomize.py");
    int rc = write_if_changed(path, hook->data, hook->len, err);
    const char *pyc, *tag;
    size_t pyc_len;
    if (rc == 0 && python && hook_bytecode(python, path, &pyc, &pyc_len, &tag) == 0) {
        char *cache_dir = fs_join(ws->hook_dir, "__pycache__");
        char *name = xasprintf("sitecustomize.%s.pyc", tag);
        char *pyc_path = fs_join(cache_dir, name);
        if (fs_mkdir_p(cache_dir, 0755, NULL) == 0)
            write_if_changed(pyc_path, pyc, pyc_len, NULL); /* only a speed-up */
        free(pyc_path);
        free(name);
        free(cache_dir);
    }
    free(path);
    return rc;
}

static int truncate_file(const char *path, struct err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_sys(err, errno, "cannot create %s", path);
    close(fd);
    return 0;
}

int workspace_prepare(struct workspace *ws, const char *attempt_dir, const struct task *task,
                      const char *script, const char *python, struct err *err)
{
    memset(ws, 0, sizeof *ws);
    if (fs_mkdir_p(attempt_dir, 0755, err) < 0)
        return err_prefix(err, "attempt folder");
    ws->dir = fs_realpath(attempt_dir);
    if (!ws->dir)
        return err_sys(err, errno, "cannot resolve attempt folder %s", attempt_dir);
    ws->script_path = fs_join(ws->dir, "solution.py");
    ws->hook_dir = fs_join(ws->dir, ".sandbox");
    ws->root_dir = fs_join(ws->hook_dir, "root");
    ws->working_dir = fs_join(ws->dir, "working");
    ws->tmp_dir = fs_join(ws->dir, "tmp");
    ws->files_read_path = fs_join(ws->dir, "files_read.txt");
    ws->stdout_path = fs_join(ws->dir, "stdout.txt");
    ws->stderr_path = fs_join(ws->dir, "stderr.txt");
    ws->final_dir = fs_join(ws->dir, "final");
    ws->input_dir = fs_join(ws->dir, "input");
    int rc = fs_write_file(ws->script_path, script, strlen(script), err);
    if (rc == 0)
        rc = fs_empty_dir(ws->input_dir, err);
    if (rc == 0)
        rc = link_inputs(ws, task, err);
    if (rc == 0)
        rc = fs_empty_dir(ws->final_dir, err);
    if (rc == 0)
        rc = fs_empty_dir(ws->tmp_dir, err);
    if (rc == 0)
        rc = fs_mkdir_p(ws->working_dir, 0755, err);
    if (rc == 0)
        rc = write_hook(ws, python, err);
    if (rc == 0)
        rc = fs_mkdir_p(ws->root_dir, 0755, err);
    if (rc == 0)
        rc = truncate_file(ws->files_read_path, err);
    if (rc == 0)
        collect_private(ws, task);
    return rc;
}

void workspace_free(struct workspace *ws)
{
    free(ws->dir);
    free(ws->script_path);
    free(ws->hook_dir);
    free(ws->root_dir);
    free(ws->working_dir);
    free(ws->tmp_dir);
    free(ws->files_read_path);
    free(ws->stdout_path);
    free(ws->stderr_path);
    free(ws->final_dir);
    free(ws->input_dir);
    free(ws->data_real);
    free(ws->data_more);
    for (size_t i = 0; i < ws->ndeny; i++)
        free(ws->deny[i]);
    free(ws->deny);
    free(ws->deny_is_dir);
    memset(ws, 0, sizeof *ws);
}

/* ---- files_read.txt ---- */

static void list_add(char ***items, size_t *n, const char *path)
{
    *items = xrealloc(*items, (*n + 1) * sizeof **items);
    (*items)[(*n)++] = xstrdup(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops duplicates (several processes may log the same file). */
static void list_sort_unique(char **items, size_t *n)
{
    if (*n < 2)
        return;
    qsort(items, *n, sizeof *items, cmp_str);
    size_t out = 1;
    for (size_t i = 1; i < *n; i++) {
        if (!strcmp(items[i], items[out - 1]))
            free(items[i]);
        else
            items[out++] = items[i];
    }
    *n = out;
}

/* "train.csv" for ATTEMPT/input/train.csv or DATA/train.csv; else as is. */
static const char *relative_to_input(const struct workspace *ws, const char *path)
{
    const char *roots[2] = {ws->input_dir, ws->data_real};
    for (int i = 0; i < 2; i++) {
        size_t len = roots[i] ? strlen(roots[i]) : 0;
        if (len && strncmp(path, roots[i], len) == 0 && path[len] == '/')
            return path + len + 1;
    }
    return path;
}

void workspace_read_file_log(const struct workspace *ws, struct exec_result *res)
{
    char *text = NULL;
    struct err err = {{0}};
    if (fs_read_tail(ws->files_read_path, FILE_LOG_MAX, &text, &err) < 0)
        return; /* no file: the script opened nothing outside the installation */
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *kind = line, *path = tab + 1;
        char *detail = strchr(tab + 1, '\t'); /* the errno of a refusal the kernel made */
        if (detail)
            *detail = '\0';
        if (!strcmp(kind, "R")) {
            if (strcmp(path, ws->script_path) != 0)
                list_add(&res->files_read, &res->nfiles_read, relative_to_input(ws, path));
        } else if (!strcmp(kind, "BR")) {
            list_add(&res->files_blocked, &res->nfiles_blocked, path);
        } else if (!strcmp(kind, "BW")) {
            list_add(&res->writes_blocked, &res->nwrites_blocked, path);
        }
    }
    free(text);
    list_sort_unique(res->files_read, &res->nfiles_read);
    list_sort_unique(res->files_blocked, &res->nfiles_blocked);
    list_sort_unique(res->writes_blocked, &res->nwrites_blocked);
}
