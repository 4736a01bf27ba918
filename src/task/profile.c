/* profile.c - profiling a whole task (see profile.h).
 *
 * Files are split in two: tabular files (CSV, JSON, JSON lines) that get a
 * column profile each, and everything else, summarised as groups. Paths are
 * turned into patterns first: a folder name holding a digit becomes '*',
 * and so does the stem of a file name holding a digit ("img_001.jpg" ->
 * "*.jpg"); when a folder pattern still has more than GROUP_SPREAD distinct
 * names of one extension they merge into "*.<ext>" too. A tabular file is
 * profiled on its own when it has a role (train, test, sample submission) or
 * its pattern covers at most PROFILE_ALONE files; per-sample tables (say
 * train/<n>/data.csv) become a group like any other file.
 *
 * The problem type comes from the train targets: one-column-per-class
 * submissions are binary (2 classes) or multiclass; a single target is
 * binary when it is boolean or has two values, multiclass when categorical
 * or an integer with at most CLASS_MAX_DISTINCT values, regression when
 * numeric; several targets are binary (multi-label) when all are binary,
 * multi_regression when all are numeric, unknown otherwise. */
#include "task/profile.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define PROFILE_ALONE 5
#define GROUP_SPREAD 5
#define CLASS_MAX_DISTINCT 20

const char *profile_kind_name(enum profile_kind kind)
{
    static const char *const names[] = {"integer", "float", "boolean", "categorical", "text", "datetime", "id"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "categorical";
}

const char *profile_problem_name(enum profile_problem problem)
{
    static const char *const names[] = {"unknown", "binary", "multiclass", "regression", "multi_regression"};
    return (unsigned)problem < sizeof names / sizeof *names ? names[problem] : "unknown";
}

const char *profile_sub_format_name(enum task_sub_format format)
{
    switch (format) {
    case TASK_SUB_VALUES:
        return "values";
    case TASK_SUB_CLASS_PROBS:
        return "class_probs";
    default:
        return "unknown";
    }
}

/* ---- path patterns ---- */

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

/* Folder part of the pattern ("" at the top), malloc'd. */
static char *dir_pattern(const char *rel)
{
    struct buf b = {0};
    const char *p = rel;
    const char *slash;
    while ((slash = strchr(p, '/')) != NULL) {
        if (b.len)
            buf_putc(&b, '/');
        if (has_digit(p, (size_t)(slash - p)))
            buf_putc(&b, '*');
        else
            buf_append(&b, p, (size_t)(slash - p));
        p = slash + 1;
    }
    return buf_detach(&b);
}

static const char *base_of(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

static const char *ext_of(const char *base)
{
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : "";
}

static char *base_pattern(const char *base)
{
    const char *ext = ext_of(base);
    if (has_digit(base, (size_t)(ext - base) + (ext[0] ? 0 : strlen(base))))
        return xasprintf("*%s", ext);
    return xstrdup(base);
}

static char *join_pattern(const char *dir, const char *base)
{
    return dir[0] ? xasprintf("%s/%s", dir, base) : xstrdup(base);
}

struct pat {
    const struct task_file *file;
    char *dir, *base, *pattern;
};

static int cmp_pat(const void *a, const void *b)
{
    const struct pat *x = a, *y = b;
    int c = strcmp(x->dir, y->dir);
    if (c == 0)
        c = strcmp(ext_of(x->base), ext_of(y->base));
    if (c == 0)
        c = strcmp(x->base, y->base);
    return c;
}

static int cmp_pattern(const void *a, const void *b)
{
    const struct pat *x = a, *y = b;
    int c = strcmp(x->pattern, y->pattern);
    return c ? c : strcmp(x->file->rel_path, y->file->rel_path);
}

/* Labels from folders: a file one folder below the label root gets the
 * folder pattern of the root followed by an asterisk, so the class folders
 * form one group. */
static char *class_dir_pattern(const struct task *t, const char *rel)
{
    if (t->labels_from != TASK_LABELS_FOLDERS || !t->labels_dir)
        return NULL;
    size_t n = strlen(t->labels_dir);
    if (strncmp(rel, t->labels_dir, n) != 0 || rel[n] != '/' || !strchr(rel + n + 1, '/') ||
        strchr(strchr(rel + n + 1, '/') + 1, '/'))
        return NULL;
    char *root = xasprintf("%s/x", t->labels_dir);
    char *dir = dir_pattern(root);
    char *out = dir[0] ? xasprintf("%s/*", dir) : xstrdup("*");
    free(root);
    free(dir);
    return out;
}

/* Fills pats[i].pattern for every file. */
static struct pat *make_patterns(const struct task *t)
{
    struct pat *pats = xcalloc(t->nfiles ? t->nfiles : 1, sizeof *pats);
    for (size_t i = 0; i < t->nfiles; i++) {
        pats[i].file = &t->files[i];
        pats[i].dir = class_dir_pattern(t, t->files[i].rel_path);
        if (!pats[i].dir)
            pats[i].dir = dir_pattern(t->files[i].rel_path);
        pats[i].base = base_pattern(base_of(t->files[i].rel_path));
    }
    qsort(pats, t->nfiles, sizeof *pats, cmp_pat);
    /* runs of the same folder pattern and extension */
    for (size_t i = 0; i < t->nfiles;) {
        size_t j = i, distinct = 0;
        const char *ext = ext_of(pats[i].base);
        while (j < t->nfiles && strcmp(pats[j].dir, pats[i].dir) == 0 && strcmp(ext_of(pats[j].base), ext) == 0) {
            if (j == i || strcmp(pats[j].base, pats[j - 1].base) != 0)
                distinct++;
            j++;
        }
        for (size_t k = i; k < j; k++) {
            if (distinct > GROUP_SPREAD) {
                char *merged = xasprintf("*%s", ext);
                pats[k].pattern = join_pattern(pats[k].dir, merged);
                free(merged);
            } else {
                pats[k].pattern = join_pattern(pats[k].dir, pats[k].base);
            }
        }
        i = j;
    }
    qsort(pats, t->nfiles, sizeof *pats, cmp_pattern);
    return pats;
}

static void free_patterns(struct pat *pats, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pats[i].dir);
        free(pats[i].base);
        free(pats[i].pattern);
    }
    free(pats);
}

/* ---- building ---- */

static char **copy_strv(char *const *v, size_t n)
{
    if (!n)
        return NULL;
    char **out = xcalloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

static bool tabular(enum task_file_kind k)
{
    return k == TASK_KIND_CSV || k == TASK_KIND_TSV || k == TASK_KIND_JSON || k == TASK_KIND_JSONL;
}

static void add_file(struct profile *p, struct profile_file *f)
{
    p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof *p->files);
    p->files[p->nfiles++] = f;
}

/* A group of the files pats[from..to) not profiled alone; image and audio
 * groups get their headers read. */
static void add_group(struct profile *p, const struct pat *pats, size_t from, size_t to, long long count,
                      long long bytes)
{
    p->groups = xrealloc(p->groups, (p->ngroups + 1) * sizeof *p->groups);
    struct profile_group *g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof *g);
    const struct task_file *first = pats[from].file;
    g->pattern = xstrdup(pats[from].pattern);
    g->kind = first->kind;
    g->count = count;
    g->bytes = bytes;
    g->archive = first->archive ? xstrdup(first->archive) : NULL;
    if (first->kind == TASK_KIND_IMAGE || first->kind == TASK_KIND_AUDIO) {
        const struct task_file **files = xcalloc(to - from, sizeof *files);
        size_t n = 0;
        for (size_t k = from; k < to; k++)
            if (pats[k].file->role == TASK_ROLE_DATA)
                files[n++] = pats[k].file;
        profile_media_read(files, n, &g->media);
        g->has_media = true;
        free(files);
    }
}

/* A data file that cannot be profiled is still listed, with the reason. */
static struct profile_file *unprofiled(const struct task_file *tf, const char *why)
{
    struct profile_file *f = xcalloc(1, sizeof *f);
    f->kind = tf->kind;
    f->bytes = tf->size;
    f->issues = xcalloc(1, sizeof *f->issues);
    f->issues[0].line = 0;
    f->issues[0].problem = xstrdup(why);
    f->nissues = 1;
    f->issues_total = 1;
    return f;
}

static int profile_one(const struct task_file *tf, struct profile_file **out, struct err *err)
{
    if (tf->kind == TASK_KIND_CSV || tf->kind == TASK_KIND_TSV)
        return profile_csv_file(tf->abs_path, out, err); /* the separator follows the name (csv.h) */
    return profile_json_file(tf->abs_path, tf->kind == TASK_KIND_JSONL, out, err);
}

static int role_rank(enum task_file_role r)
{
    return r == TASK_ROLE_TRAIN ? 0 : r == TASK_ROLE_TEST ? 1 : r == TASK_ROLE_SAMPLE_SUBMISSION ? 2 : 3;
}

static int cmp_profile_file(const void *a, const void *b)
{
    const struct profile_file *x = *(struct profile_file *const *)a, *y = *(struct profile_file *const *)b;
    int c = role_rank(x->role) - role_rank(y->role);
    return c ? c : strcmp(x->path, y->path);
}

static int profile_files(const struct task *t, struct profile *p, struct err *err)
{
    struct pat *pats = make_patterns(t);
    int rc = 0;
    for (size_t i = 0; i < t->nfiles && rc == 0;) {
        size_t j = i;
        long long bytes = 0;
        while (j < t->nfiles && strcmp(pats[j].pattern, pats[i].pattern) == 0)
            bytes += pats[j++].file->size;
        size_t count = j - i;
        for (size_t k = i; k < j && rc == 0; k++) {
            const struct task_file *tf = pats[k].file;
            bool alone = tf->role != TASK_ROLE_DATA || (tabular(tf->kind) && count <= PROFILE_ALONE);
            if (!alone)
                continue;
            struct profile_file *f = NULL;
            struct err ferr = {{0}};
            if (profile_one(tf, &f, &ferr) < 0) {
                if (tf->role != TASK_ROLE_DATA) {
                    rc = err_set(err, "%s", ferr.msg);
                    break;
                }
                f = unprofiled(tf, ferr.msg);
            }
            free(f->path);
            f->path = xstrdup(tf->rel_path);
            f->archive = tf->archive ? xstrdup(tf->archive) : NULL;
            f->role = tf->role;
            f->kind = tf->kind;
            f->synthesized = tf->synthesized;
            add_file(p, f);
            bytes -= tf->size;
            count--;
        }
        if (rc == 0 && count > 0)
            add_group(p, pats, i, j, (long long)count, bytes);
        i = j;
    }
    free_patterns(pats, t->nfiles);
    if (p->nfiles > 1)
        qsort(p->files, p->nfiles, sizeof *p->files, cmp_profile_file);
    return rc;
}

/* ---- target and problem ---- */

static const struct profile_file *find_role(const struct profile *p, enum task_file_role role)
{
    for (size_t i = 0; i < p->nfiles; i++)
        if (p->files[i]->role == role)
            return p->files[i];
    return NULL;
}

static const struct profile_column *find_column(const struct profile_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->ncolumns; i++)
        if (strcmp(f->columns[i].name, name) == 0)
            return &f->columns[i];
    return NULL;
}

static bool is_binary(const struct profile_column *c)
{
    return c->kind == PROFILE_BOOLEAN || c->distinct == 2;
}

static bool is_classes(const struct profile_column *c)
{
    return is_binary(c) || c->kind == PROFILE_CATEGORICAL ||
           (c->kind == PROFILE_INTEGER && c->distinct <= CLASS_MAX_DISTINCT);
}

static void make_target(struct profile_target *tg, const struct profile_column *c, bool classification)
{
    memset(tg, 0, sizeof *tg);
    tg->column = xstrdup(c->name);
    tg->kind = c->kind;
    tg->classification = classification || !c->has_numbers;
    if (tg->classification) {
        tg->nclasses = c->ntop;
        tg->classes = c->ntop ? xcalloc(c->ntop, sizeof *tg->classes) : NULL;
        for (size_t i = 0; i < c->ntop; i++) {
            tg->classes[i].value = xstrdup(c->top[i].value);
            tg->classes[i].count = c->top[i].count;
        }
        tg->nclasses_total = c->distinct;
    } else {
        tg->mean = c->mean;
        tg->std = c->std;
        tg->min = c->min;
        tg->max = c->max;
    }
}

static enum profile_problem derive_problem(const struct profile *p, const struct profile_column **cols,
                                           size_t n)
{
    if (p->sub_format == TASK_SUB_CLASS_PROBS)
        return p->n_target_columns == 2 ? PROFILE_PROBLEM_BINARY : PROFILE_PROBLEM_MULTICLASS;
    if (n == 0 || n != p->n_train_targets)
        return PROFILE_PROBLEM_UNKNOWN;
    if (n == 1) {
        const struct profile_column *c = cols[0];
        if (is_binary(c))
            return PROFILE_PROBLEM_BINARY;
        if (is_classes(c))
            return PROFILE_PROBLEM_MULTICLASS;
        if (c->kind == PROFILE_INTEGER || c->kind == PROFILE_FLOAT)
            return PROFILE_PROBLEM_REGRESSION;
        return PROFILE_PROBLEM_UNKNOWN;
    }
    bool all_binary = true, all_numeric = true;
    for (size_t i = 0; i < n; i++) {
        all_binary = all_binary && is_binary(cols[i]);
        all_numeric = all_numeric && (cols[i]->kind == PROFILE_INTEGER || cols[i]->kind == PROFILE_FLOAT);
    }
    if (all_binary)
        return PROFILE_PROBLEM_BINARY;
    return all_numeric ? PROFILE_PROBLEM_MULTI_REGRESSION : PROFILE_PROBLEM_UNKNOWN;
}

static void derive_targets(struct profile *p)
{
    const struct profile_file *train = find_role(p, TASK_ROLE_TRAIN);
    const struct profile_column **cols = xcalloc(p->n_train_targets + 1, sizeof *cols);
    size_t n = 0;
    for (size_t i = 0; i < p->n_train_targets; i++) {
        const struct profile_column *c = find_column(train, p->train_targets[i]);
        if (c)
            cols[n++] = c;
    }
    p->problem = derive_problem(p, cols, n);
    bool classification = p->problem == PROFILE_PROBLEM_BINARY || p->problem == PROFILE_PROBLEM_MULTICLASS;
    p->targets = n ? xcalloc(n, sizeof *p->targets) : NULL;
    for (size_t i = 0; i < n; i++)
        make_target(&p->targets[i], cols[i], classification);
    p->ntargets = n;
    free(cols);
}

int profile_task(const struct task *t, struct profile **out, struct err *err)
{
    *out = NULL;
    struct profile *p = xcalloc(1, sizeof *p);
    p->task = xstrdup(t->name ? t->name : "task");
    p->id_columns = copy_strv(t->id_columns, t->n_id_columns);
    p->n_id_columns = t->n_id_columns;
    p->target_columns = copy_strv(t->target_columns, t->n_target_columns);
    p->n_target_columns = t->n_target_columns;
    p->train_targets = copy_strv(t->train_targets, t->n_train_targets);
    p->n_train_targets = t->n_train_targets;
    p->sub_format = t->sub_format;
    p->metric = t->metric ? xstrdup(t->metric) : NULL;
    p->lower_is_better = t->lower_is_better;
    p->labels_from = t->labels_from;
    p->labels_note = t->labels_note ? xstrdup(t->labels_note) : NULL;
    if (profile_files(t, p, err) < 0) {
        profile_free(p);
        return -1;
    }
    derive_targets(p);
    *out = p;
    return 0;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    free(p->task);
    free_strv(p->id_columns, p->n_id_columns);
    free_strv(p->target_columns, p->n_target_columns);
    free_strv(p->train_targets, p->n_train_targets);
    for (size_t i = 0; i < p->nfiles; i++)
        profile_file_free(p->files[i]);
    free(p->files);
    for (size_t i = 0; i < p->ngroups; i++) {
        free(p->groups[i].pattern);
        free(p->groups[i].archive);
    }
    free(p->groups);
    for (size_t i = 0; i < p->ntargets; i++) {
        free(p->targets[i].column);
        for (size_t k = 0; k < p->targets[i].nclasses; k++)
            free(p->targets[i].classes[k].value);
        free(p->targets[i].classes);
    }
    free(p->targets);
    free(p->metric);
    free(p->labels_note);
    free(p);
}
