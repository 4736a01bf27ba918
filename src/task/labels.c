/* labels.c - a training table from folder or file names (see labels.h).
 *
 * Design. Everything is decided before anything is written: the labelled
 * files (image or audio files under train* folders, of the more numerous
 * kind), the id column (the sample submission's column naming the test
 * files, which also says whether ids keep the extension), the label of each
 * file (its folder, else its name prefix, by the rules in labels.h) and the
 * column names. Each step either succeeds or leaves a reason, worded for a
 * person reading the profile ("labels from names: ..."); only the final
 * write can fail with an error. Lookups of names use sorted arrays and
 * bsearch; the files come sorted from the intake, so the table's rows are in
 * path order and the output is deterministic (a resumed run writes the same
 * bytes). */
#include "task/labels.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "task/csv.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#define ID_MATCH_SHARE 0.9   /* sampled sample-submission values that must name test files */

/* One labelled file. */
struct entry {
    const struct task_file *file;
    char *label;
    char *id;
};

struct plan {
    struct entry *e;
    size_t n;
    enum task_file_kind kind;
    enum task_labels_from from;
    char *root;              /* label root (folders) or the files' folder (names) */
    size_t nclasses;
    bool ids_below_root;     /* file names repeat: ids are paths below the root */
    char *id_column, *path_column, *target_column;
    bool with_ext;           /* ids keep the extension, as the sample submission's do */
};

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->e[i].label);
        free(p->e[i].id);
    }
    free(p->e);
    free(p->root);
    free(p->id_column);
    free(p->path_column);
    free(p->target_column);
    memset(p, 0, sizeof *p);
}

/* ---- names ---- */

static const char *base_of(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

/* Length of the name without its extension. */
static size_t stem_len(const char *base)
{
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? (size_t)(dot - base) : strlen(base);
}

/* malloc'd folder part of rel ("" at the top). */
static char *dir_of(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? xstrndup(rel, (size_t)(s - rel)) : xstrdup("");
}

/* True when rel lies in a top-level folder whose name starts with prefix. */
static bool under_top(const char *rel, const char *prefix)
{
    const char *slash = strchr(rel, '/');
    return slash && strncasecmp(rel, prefix, strlen(prefix)) == 0 && (size_t)(slash - rel) >= strlen(prefix);
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts v in place and returns its number of distinct strings. */
static size_t count_distinct(char **v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        k += strcmp(v[i], v[i - 1]) != 0;
    return k;
}

static bool sorted_has(char **v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* ---- the files ---- */

static size_t count_media(const struct task *t, const char *prefix, enum task_file_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nfiles; i++)
        n += t->files[i].role == TASK_ROLE_DATA && t->files[i].kind == kind && under_top(t->files[i].rel_path, prefix);
    return n;
}

/* The train* files of the more numerous media kind; false when none. */
static bool collect_train(const struct task *t, struct plan *p)
{
    size_t images = count_media(t, "train", TASK_KIND_IMAGE), audio = count_media(t, "train", TASK_KIND_AUDIO);
    if (images == 0 && audio == 0)
        return false;
    p->kind = images >= audio ? TASK_KIND_IMAGE : TASK_KIND_AUDIO;
    p->e = xcalloc(images + audio, sizeof *p->e);
    for (size_t i = 0; i < t->nfiles; i++) {
        const struct task_file *f = &t->files[i];
        if (f->role == TASK_ROLE_DATA && f->kind == p->kind && under_top(f->rel_path, "train"))
            p->e[p->n++].file = f;
    }
    return true;
}

/* Sorted basenames and stems of the test* files of one kind. */
struct names {
    char **full, **stem;
    size_t n;
};

static void test_names(const struct task *t, enum task_file_kind kind, struct names *out)
{
    size_t n = count_media(t, "test", kind);
    out->full = xcalloc(n ? n : 1, sizeof *out->full);
    out->stem = xcalloc(n ? n : 1, sizeof *out->stem);
    out->n = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        const struct task_file *f = &t->files[i];
        if (f->role != TASK_ROLE_DATA || f->kind != kind || !under_top(f->rel_path, "test"))
            continue;
        const char *b = base_of(f->rel_path);
        out->full[out->n] = xstrdup(b);
        out->stem[out->n++] = xstrndup(b, stem_len(b));
    }
    qsort(out->full, out->n, sizeof *out->full, cmp_str);
    qsort(out->stem, out->n, sizeof *out->stem, cmp_str);
}

static void names_free(struct names *nm)
{
    for (size_t i = 0; i < nm->n; i++) {
        free(nm->full[i]);
        free(nm->stem[i]);
    }
    free(nm->full);
    free(nm->stem);
}

/* ---- the id column ---- */

/* Does column c of the sample name test files? *with_ext: by full name. */
static bool column_names_files(const struct csv_table *s, size_t c, const struct names *nm, bool *with_ext)
{
    size_t n = s->nrows < LABELS_ID_SAMPLE ? s->nrows : LABELS_ID_SAMPLE;
    if (n == 0)
        return false;
    char **vals = xcalloc(n, sizeof *vals);
    size_t by_full = 0, by_stem = 0;
    bool empty = false;
    for (size_t r = 0; r < n; r++) {
        const char *v = csv_table_cell(s, r, c);
        vals[r] = (char *)v;
        empty = empty || !v[0];
        by_full += sorted_has(nm->full, nm->n, v);
        by_stem += sorted_has(nm->stem, nm->n, v);
    }
    bool distinct = !empty && count_distinct(vals, n) == n;
    free(vals);
    size_t best = by_full >= by_stem ? by_full : by_stem;
    *with_ext = by_full >= by_stem;
    return distinct && (double)best >= ID_MATCH_SHARE * (double)n;
}

static char *find_id_column(const struct csv_table *s, const struct names *nm, bool *with_ext, char **why)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (column_names_files(s, c, nm, with_ext))
            return xstrdup(s->header[c]);
    *why = nm->n == 0 ? xstrdup("no test* folder holds files of the same kind, so the ids of the sample "
                                "submission cannot be matched to files")
                      : xasprintf("no column of the sample submission names the %zu files under test*/ (by "
                                  "file name or by name without extension, distinct values)", nm->n);
    return NULL;
}

/* ---- labels ---- */

/* train/<class>/<file>: every file one folder below one common root. */
static bool folder_labels(struct plan *p, char **why)
{
    for (size_t i = 0; i < p->n; i++) {
        char *parent = dir_of(p->e[i].file->rel_path);
        char *root = dir_of(parent);
        bool same = !p->root || strcmp(root, p->root) == 0;
        if (!p->root && root[0])
            p->root = xstrdup(root);
        p->e[i].label = xstrdup(base_of(parent));
        free(parent);
        free(root);
        if (!same || !p->root) {
            *why = xstrdup("the files under train* lie in folders at different depths, so no one folder level "
                           "holds the labels");
            return false;
        }
    }
    return true;
}

/* Length of the name prefix before the first '.', '_' or '-', when more of
 * the name follows before the extension; 0 otherwise. */
static size_t name_prefix(const char *base)
{
    size_t k = strcspn(base, "._-");
    return k > 0 && k + 1 < stem_len(base) ? k : 0;
}

/* train/<class>.<n>.jpg: every file in one folder, labelled by its prefix. */
static bool name_labels(struct plan *p, const char *folder, char **why)
{
    p->root = xstrdup(folder);
    for (size_t i = 0; i < p->n; i++) {
        const char *b = base_of(p->e[i].file->rel_path);
        size_t k = name_prefix(b);
        if (k == 0) {
            *why = xasprintf("%s has no name prefix before a '.', '_' or '-'", p->e[i].file->rel_path);
            return false;
        }
        p->e[i].label = xstrndup(b, k);
        if (all_digits(p->e[i].label)) {
            *why = xasprintf("the name prefixes are numbers (%s in %s): ids, not classes", p->e[i].label,
                             p->e[i].file->rel_path);
            return false;
        }
    }
    return true;
}

/* Counts the classes and applies the limits of the mode. */
static bool check_classes(struct plan *p, char **why)
{
    char **labels = xcalloc(p->n, sizeof *labels);
    for (size_t i = 0; i < p->n; i++)
        labels[i] = p->e[i].label;
    p->nclasses = count_distinct(labels, p->n);
    bool folders = p->from == TASK_LABELS_FOLDERS;
    if (p->nclasses < 2)
        *why = xasprintf("all %zu files have one %s (%s): a single class", p->n, folders ? "folder" : "name prefix",
                         labels[0]);
    else if (p->nclasses * 2 > p->n)
        *why = xasprintf("%zu distinct %s for %zu files: nearly one per file, so they look like ids, not classes",
                         p->nclasses, folders ? "folders" : "name prefixes", p->n);
    else if (p->from == TASK_LABELS_NAMES && p->nclasses > LABELS_NAME_CLASSES_MAX)
        *why = xasprintf("%zu distinct name prefixes: more than %d, so they do not look like classes",
                         p->nclasses, LABELS_NAME_CLASSES_MAX);
    free(labels);
    return *why == NULL;
}

/* Folders when the files lie below a common root, names when they share one folder. */
static bool derive_labels(struct plan *p, char **why)
{
    char *first = dir_of(p->e[0].file->rel_path);
    bool one_folder = true;
    for (size_t i = 1; i < p->n && one_folder; i++) {
        char *d = dir_of(p->e[i].file->rel_path);
        one_folder = strcmp(d, first) == 0;
        free(d);
    }
    bool ok;
    p->from = one_folder ? TASK_LABELS_NAMES : TASK_LABELS_FOLDERS;
    if (one_folder)
        ok = name_labels(p, first, why) && check_classes(p, why);
    else
        ok = folder_labels(p, why) && check_classes(p, why);
    if (!ok && one_folder && strchr(first, '/')) {
        char *more = xasprintf("all files are in the one folder %s/ (one folder name is not a set of classes), "
                               "and %s", first, *why);
        free(*why);
        *why = more;
    }
    free(first);
    return ok;
}

/* ---- ids and columns ---- */

static char *id_text(const char *name, bool with_ext)
{
    return with_ext ? xstrdup(name) : xstrndup(name, stem_len(name));
}

/* Ids as the sample submission writes them; paths below the root when
 * file names repeat (across class folders). */
static bool make_ids(struct plan *p, char **why)
{
    for (int pass = 0; pass < 2; pass++) {
        char **ids = xcalloc(p->n, sizeof *ids);
        size_t skip = p->root[0] ? strlen(p->root) + 1 : 0;
        for (size_t i = 0; i < p->n; i++) {
            const char *rel = p->e[i].file->rel_path;
            free(p->e[i].id);
            p->e[i].id = id_text(pass == 0 ? base_of(rel) : rel + skip, p->with_ext);
            ids[i] = p->e[i].id;
        }
        bool unique = count_distinct(ids, p->n) == p->n;
        free(ids);
        if (unique) {
            p->ids_below_root = pass == 1;
            return true;
        }
    }
    *why = xstrdup("the files' names repeat, so they cannot serve as ids");
    return false;
}

static bool in_header(const struct csv_table *s, const char *name)
{
    return csv_table_col(s, name) >= 0;
}

static char *free_name(const struct csv_table *s, const char *const *choices, const char *also_taken)
{
    for (size_t i = 0; choices[i]; i++)
        if (!in_header(s, choices[i]) && (!also_taken || strcmp(choices[i], also_taken) != 0))
            return xstrdup(choices[i]);
    return NULL;
}

/* The target: the one prediction column, else a new name for the class column. */
static bool name_columns(struct plan *p, const struct csv_table *s, char **why)
{
    static const char *const targets[] = {"label", "class", "target", "labels", NULL};
    static const char *const paths[] = {"path", "file_path", "filepath", "relative_path", NULL};
    size_t npred = s->ncols - 1;
    if (npred == 0) {
        *why = xasprintf("the sample submission has no column besides its id column %s", p->id_column);
        return false;
    }
    if (npred == 1)
        p->target_column = xstrdup(s->header[strcmp(s->header[0], p->id_column) == 0 ? 1 : 0]);
    else
        p->target_column = free_name(s, targets, NULL);
    p->path_column = free_name(s, paths, p->target_column);
    if (!p->target_column || !p->path_column) {
        *why = xstrdup("the sample submission already uses every column name the table would need");
        return false;
    }
    return true;
}

/* ---- writing ---- */

static void put_field(struct buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r") && s[0] != ' ') {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(b, '"');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

static char *table_text(const struct plan *p)
{
    struct buf b = {0};
    put_field(&b, p->id_column);
    buf_putc(&b, ',');
    put_field(&b, p->path_column);
    buf_putc(&b, ',');
    put_field(&b, p->target_column);
    buf_putc(&b, '\n');
    for (size_t i = 0; i < p->n; i++) {
        put_field(&b, p->e[i].id);
        buf_putc(&b, ',');
        put_field(&b, p->e[i].file->rel_path);
        buf_putc(&b, ',');
        put_field(&b, p->e[i].label);
        buf_putc(&b, '\n');
    }
    return buf_detach(&b);
}

static bool inside(const char *path, const char *folder)
{
    if (!folder)
        return false;
    char *real = fs_realpath(folder);
    size_t n = real ? strlen(real) : 0;
    bool in = real && strncmp(path, real, n) == 0 && (path[n] == '/' || path[n] == '\0');
    free(real);
    return in;
}

/* Where path will be once made: its nearest existing ancestor resolved,
 * the rest appended (so it is judged before anything is created). */
static char *planned_path(const char *path)
{
    char *head = xstrdup(path);
    struct buf tail = {0};
    char *real;
    while ((real = fs_realpath(head)) == NULL) {
        char *slash = strrchr(head, '/');
        if (!slash || slash == head) {
            free(head);
            buf_free(&tail);
            return NULL;
        }
        char *rest = xasprintf("/%s%s", slash + 1, buf_str(&tail));
        buf_truncate(&tail, 0);
        buf_puts(&tail, rest);
        free(rest);
        *slash = '\0';
    }
    char *out = xasprintf("%s%s", real, buf_str(&tail));
    free(real);
    free(head);
    buf_free(&tail);
    return out;
}

static char *summary(const struct plan *p)
{
    const char *how = p->from == TASK_LABELS_FOLDERS ? "folder names under" : "file-name prefixes (before the "
                                                                              "first '.', '_' or '-') in";
    const char *ids = p->ids_below_root ? "path below the label folder" : "file name";
    return xasprintf("%s was built by mlestar from %s %s/: %zu files, %zu classes (columns: %s = the %s%s, as in "
                     "the sample submission; %s = the file's path under input/; %s = the %s). The %s and %s "
                     "columns carry the label: never use them as features", LABELS_FILE, how, p->root, p->n,
                     p->nclasses, p->id_column, ids, p->with_ext ? "" : " without extension", p->path_column,
                     p->target_column, p->from == TASK_LABELS_FOLDERS ? "folder name" : "name prefix",
                     p->id_column, p->path_column);
}

/* Writes the table into unpack_dir; 0 and *why set when it may not. */
static int write_table(const struct task *t, const struct plan *p, const char *unpack_dir,
                       struct labels_table *out, char **why, struct err *err)
{
    if (!unpack_dir || !unpack_dir[0]) {
        char *s = summary(p);
        *why = xasprintf("labels from names need a writable data folder (the run's RUN/data), and none was "
                         "given: not built. It would say: %s", s);
        free(s);
        return 0;
    }
    char *planned = planned_path(unpack_dir);
    if (planned && (inside(planned, t->root) || inside(planned, t->data_dir))) {
        *why = xasprintf("labels from names: the writable data folder %s lies inside the task folder, and "
                         "mlestar never writes there: %s not built", planned, LABELS_FILE);
        free(planned);
        return 0;
    }
    free(planned);
    if (fs_mkdir_p(unpack_dir, 0755, err) < 0)
        return err_prefix(err, "cannot make the data folder for %s", LABELS_FILE);
    char *dest = fs_realpath(unpack_dir);
    if (!dest)
        return err_set(err, "cannot resolve %s", unpack_dir);
    char *path = fs_join(dest, LABELS_FILE);
    char *text = table_text(p);
    int rc = fs_write_atomic(path, text, strlen(text), err);
    free(dest);
    if (rc < 0) {
        free(text);
        free(path);
        return err_prefix(err, "cannot write %s", LABELS_FILE);
    }
    out->file = (struct task_file){.rel_path = xstrdup(LABELS_FILE), .abs_path = path,
                                   .size = (long long)strlen(text), .kind = TASK_KIND_CSV,
                                   .role = TASK_ROLE_TRAIN, .synthesized = true};
    free(text);
    return 1;
}

/* ---- the whole ---- */

static bool plan_labels(const struct task *t, struct plan *p, char **why)
{
    struct csv_table *s = NULL;
    struct err serr = {{0}};
    if (csv_table_load(t->sample_submission->abs_path, &s, &serr) < 0) {
        *why = xasprintf("the sample submission cannot be read: %s", serr.msg);
        return false;
    }
    struct names nm;
    test_names(t, p->kind, &nm);
    p->id_column = find_id_column(s, &nm, &p->with_ext, why);
    names_free(&nm);
    bool ok = p->id_column && derive_labels(p, why) && make_ids(p, why) && name_columns(p, s, why);
    csv_table_free(s);
    return ok;
}

int labels_build(const struct task *t, const char *unpack_dir, struct labels_table *out, char **why,
                 struct err *err)
{
    memset(out, 0, sizeof *out);
    *why = NULL;
    struct plan p = {0};
    if (t->train || !t->sample_submission || !collect_train(t, &p)) {
        plan_free(&p);
        return 0;
    }
    char *reason = NULL;
    int rc = 0;
    if (!plan_labels(t, &p, &reason)) {
        *why = xasprintf("labels from names: %zu %s files under train*/, but %s; %s not built", p.n,
                         task_kind_name(p.kind), reason, LABELS_FILE);
        free(reason);
    } else {
        rc = write_table(t, &p, unpack_dir, out, why, err);
    }
    if (rc == 1) {
        out->from = p.from;
        out->note = summary(&p);
        out->nfiles = p.n;
        out->nclasses = p.nclasses;
        out->label_dir = p.root;
        out->id_column = p.id_column;
        out->path_column = p.path_column;
        out->target_column = p.target_column;
        p.root = p.id_column = p.path_column = p.target_column = NULL;
    }
    plan_free(&p);
    return rc;
}

void labels_table_free(struct labels_table *l)
{
    free(l->file.rel_path);
    free(l->file.abs_path);
    free(l->file.archive);
    free(l->id_column);
    free(l->path_column);
    free(l->target_column);
    free(l->label_dir);
    free(l->note);
    memset(l, 0, sizeof *l);
}
