/* task.c - task intake (see task.h).
 *
 * Steps of task_open(): decide the shape (MLE-bench folder, plain folder,
 * or data folder plus --goal); read the description; walk the data folder
 * (skipping dot files, hidden names, and symlinked folders, which could
 * loop); give the top-level tables (CSV, TSV, JSON) their roles; with no
 * train table, build one from folder or file names when they carry the
 * labels (labels.c; dropped again, with the reason kept, when its columns
 * match nothing); read task.json when there is one (only metric,
 * direction, id_column and target_columns); then derive
 * the columns from the sample submission's header against the headers of
 * train and test. Only headers are read, except when the prediction columns
 * are not train columns: then train is streamed once to collect the
 * distinct values of the columns that could be the class column (bounded
 * per column), to recognise one-column-per-class submissions.
 *
 * Everything the struct points to is owned by it and freed by task_free(). */
#include "task/task.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "task/csv.h"
#include "task/hll.h"
#include "task/labels.h"
#include "task/profile.h"
#include "task/unpack.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

#define DESCRIPTION_MAX (4u << 20)
#define CLASS_VALUES_MAX 1000   /* distinct values tracked per candidate class column */

static const char *const description_names[] = {"description.md", "task_description.txt", "README.md"};

/* ---- names, kinds, roles ---- */

static bool starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool task_name_is_hidden(const char *name)
{
    if (strcasecmp(name, "private") == 0 || strcasecmp(name, "raw") == 0)
        return true;
    if (starts_with_ci(name, "answer") || starts_with_ci(name, "solution"))
        return true;
    return starts_with_ci(name, "test") && strcasestr(name, "label") != NULL;
}

const char *task_kind_name(enum task_file_kind kind)
{
    static const char *const names[] = {"csv", "tsv", "json", "jsonl", "image", "text", "audio", "archive", "other"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "other";
}

const char *task_role_name(enum task_file_role role)
{
    static const char *const names[] = {"train", "test", "sample_submission", "data"};
    return (unsigned)role < sizeof names / sizeof names[0] ? names[role] : "data";
}

static bool ext_in(const char *ext, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(ext, *list) == 0)
            return true;
    return false;
}

static enum task_file_kind kind_of(const char *name)
{
    static const char *const image[] = {"png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "dcm", NULL};
    static const char *const text[] = {"txt", "xyz", "md", "xml", "html", "yaml", "yml", NULL};
    static const char *const audio[] = {"wav", "mp3", "flac", "ogg", "aif", "aiff", "m4a", NULL};
    static const char *const archive[] = {"zip", "gz", "tgz", "tar", "7z", "bz2", "xz", "rar", NULL};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return TASK_KIND_OTHER;
    const char *ext = dot + 1;
    if (strcasecmp(ext, "csv") == 0)
        return TASK_KIND_CSV;
    if (strcasecmp(ext, "tsv") == 0)
        return TASK_KIND_TSV;
    if (strcasecmp(ext, "json") == 0)
        return TASK_KIND_JSON;
    if (strcasecmp(ext, "jsonl") == 0 || strcasecmp(ext, "ndjson") == 0)
        return TASK_KIND_JSONL;
    if (ext_in(ext, image))
        return TASK_KIND_IMAGE;
    if (ext_in(ext, text))
        return TASK_KIND_TEXT;
    if (ext_in(ext, audio))
        return TASK_KIND_AUDIO;
    if (ext_in(ext, archive))
        return TASK_KIND_ARCHIVE;
    return TASK_KIND_OTHER;
}

/* ---- string lists ---- */

struct strlist {
    char **items;
    size_t n, cap;
};

static void sl_add(struct strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = xstrdup(s);
}

static bool sl_has(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static void sl_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Hands the array to the caller (NULL when empty). */
static char **sl_detach(struct strlist *l, size_t *n)
{
    *n = l->n;
    char **items = l->items;
    if (l->n == 0) {
        free(items);
        items = NULL;
    }
    memset(l, 0, sizeof *l);
    return items;
}

static char *sl_join(const struct strlist *l)
{
    struct buf b = {0};
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            buf_puts(&b, ", ");
        buf_puts(&b, l->items[i]);
    }
    return buf_detach(&b);
}

/* ---- the file walk ---- */

struct walk {
    struct task_file *files;
    size_t n, cap;
    const char *root;          /* data_dir */
    const char *skip_top[8];   /* top-level names not listed (the description, task.json) */
};

static bool skipped_top(const struct walk *w, const char *rel)
{
    for (size_t i = 0; i < 8 && w->skip_top[i]; i++)
        if (strcmp(rel, w->skip_top[i]) == 0)
            return true;
    return false;
}

static int walk_dir(struct walk *w, const char *rel_dir, struct err *err)
{
    char *abs_dir = rel_dir[0] ? fs_join(w->root, rel_dir) : xstrdup(w->root);
    DIR *d = opendir(abs_dir);
    if (!d) {
        err_sys(err, errno, "cannot list %s", abs_dir);
        free(abs_dir);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || task_name_is_hidden(e->d_name))
            continue;
        char *rel = rel_dir[0] ? xasprintf("%s/%s", rel_dir, e->d_name) : xstrdup(e->d_name);
        char *abs = fs_join(w->root, rel);
        struct stat lst, st;
        if (skipped_top(w, rel) || lstat(abs, &lst) < 0 || stat(abs, &st) < 0) {
            /* skipped, or a dangling link: nothing to list */
        } else if (S_ISDIR(st.st_mode)) {
            if (!S_ISLNK(lst.st_mode))
                rc = walk_dir(w, rel, err);
        } else if (S_ISREG(st.st_mode)) {
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 64;
                w->files = xrealloc(w->files, w->cap * sizeof *w->files);
            }
            struct task_file *f = &w->files[w->n++];
            f->rel_path = rel;
            f->abs_path = abs;
            f->archive = NULL;
            f->size = (long long)st.st_size;
            f->kind = kind_of(e->d_name);
            f->role = TASK_ROLE_DATA;
            f->synthesized = false;
            continue;
        }
        free(rel);
        free(abs);
    }
    closedir(d);
    free(abs_dir);
    return rc;
}

static int cmp_file(const void *a, const void *b)
{
    const struct task_file *x = a, *y = b;
    int c = strcmp(x->rel_path, y->rel_path);
    return c ? c : (x->archive != NULL) - (y->archive != NULL);
}

static void file_free(struct task_file *f)
{
    free(f->rel_path);
    free(f->abs_path);
    free(f->archive);
}

/* Sorts the list and drops the later of two files with one rel_path (an
 * unpacked file shadowed by one of the data folder, or by an earlier archive). */
static void sort_files(struct task *t)
{
    if (t->nfiles > 1)
        qsort(t->files, t->nfiles, sizeof *t->files, cmp_file);
    size_t kept = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        if (kept > 0 && strcmp(t->files[kept - 1].rel_path, t->files[i].rel_path) == 0) {
            file_free(&t->files[i]);
            continue;
        }
        t->files[kept++] = t->files[i];
    }
    t->nfiles = kept;
}

/* ---- archives ---- */

static void add_unpacked(struct walk *w, const char *dest, const char *rel, const char *archive)
{
    char *abs = fs_join(dest, rel);
    struct stat st;
    if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(abs);
        return;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->files = xrealloc(w->files, w->cap * sizeof *w->files);
    }
    struct task_file *f = &w->files[w->n++];
    memset(f, 0, sizeof *f);
    f->rel_path = xstrdup(rel);
    f->abs_path = abs;
    f->archive = xstrdup(archive);
    f->size = (long long)st.st_size;
    f->kind = kind_of(fs_basename(rel));
    f->role = TASK_ROLE_DATA;
}

/* Unpacks every archive of the listing into unpack_dir and lists its files. */
static int unpack_all(struct task *t, struct walk *w, const char *unpack_dir, struct err *err)
{
    bool any = false;
    for (size_t i = 0; i < w->n; i++)
        any = any || (w->files[i].kind == TASK_KIND_ARCHIVE && unpack_is_archive(w->files[i].rel_path));
    if (!any)
        return 0;
    if (fs_mkdir_p(unpack_dir, 0755, err) < 0)
        return err_prefix(err, "cannot make the data view for archives");
    char *dest = fs_realpath(unpack_dir);
    if (!dest)
        return err_sys(err, errno, "cannot resolve %s", unpack_dir);
    int rc = 0;
    size_t listed = w->n;
    for (size_t i = 0; i < listed && rc == 0; i++) {
        char *rel = xstrdup(w->files[i].rel_path), *abs = xstrdup(w->files[i].abs_path);
        if (w->files[i].kind == TASK_KIND_ARCHIVE && unpack_is_archive(rel)) {
            char **members;
            size_t n;
            rc = unpack_archive(abs, rel, dest, &members, &n, err);
            for (size_t k = 0; k < n; k++) {
                add_unpacked(w, dest, members[k], rel);
                free(members[k]);
            }
            free(rc == 0 ? members : NULL);
        }
        free(rel);
        free(abs);
    }
    free(dest);
    t->files = w->files;
    t->nfiles = w->n;
    return rc;
}

/* ---- roles ---- */

/* Better candidate for a role: the exact name, else the shorter, else the
 * alphabetically first (files are sorted, so the first seen). */
static bool better(const struct task_file *cand, const struct task_file *cur, const char *exact)
{
    if (!cur)
        return true;
    if (strcasecmp(cur->rel_path, exact) == 0)
        return false;
    if (strcasecmp(cand->rel_path, exact) == 0)
        return true;
    return strlen(cand->rel_path) < strlen(cur->rel_path);
}

static bool is_delimited(const struct task_file *f)
{
    return f->kind == TASK_KIND_CSV || f->kind == TASK_KIND_TSV;
}

static bool is_table(const struct task_file *f)
{
    return (is_delimited(f) || f->kind == TASK_KIND_JSON || f->kind == TASK_KIND_JSONL) && !strchr(f->rel_path, '/');
}

/* Preferred exact names of a role, best first. */
static const char *const train_names[] = {"train.csv", "train.tsv", "train.json", "train.jsonl",
                                          "train_labels.csv", "train_labels.tsv", "labels.csv", "labels.tsv",
                                          NULL};
static const char *const test_names[] = {"test.csv", "test.tsv", "test.json", "test.jsonl", NULL};

static int name_rank(const char *name, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return 100;
}

static bool better_named(const struct task_file *cand, const struct task_file *cur, const char *const *names)
{
    if (!cur)
        return true;
    int a = name_rank(cand->rel_path, names), b = name_rank(cur->rel_path, names);
    if (a != b)
        return a < b;
    if (!cand->archive != !cur->archive)
        return !cand->archive; /* a file of the data folder over an unpacked one */
    return strlen(cand->rel_path) < strlen(cur->rel_path);
}

static void assign_roles(struct task *t)
{
    struct task_file *train = NULL, *test = NULL, *sample = NULL;
    bool sample_named = false;
    for (size_t i = 0; i < t->nfiles; i++) {
        struct task_file *f = &t->files[i];
        if (!is_table(f))
            continue;
        const char *n = f->rel_path;
        if (strcasestr(n, "submission")) {
            bool named = strcasestr(n, "sample") != NULL && is_delimited(f);
            if (!sample || (named && !sample_named) ||
                (named == sample_named && better(f, sample, "sample_submission.csv"))) {
                sample = f;
                sample_named = named;
            }
        } else if (starts_with_ci(n, "train") || strcasestr(n, "labels")) {
            if (better_named(f, train, train_names))
                train = f;
        } else if (starts_with_ci(n, "test")) {
            if (better_named(f, test, test_names))
                test = f;
        }
    }
    if (train) {
        train->role = TASK_ROLE_TRAIN;
        t->train = train;
    }
    if (test) {
        test->role = TASK_ROLE_TEST;
        t->test = test;
    }
    if (sample) {
        sample->role = TASK_ROLE_SAMPLE_SUBMISSION;
        t->sample_submission = sample;
    }
}

/* ---- roles by content (after the names; needs read_header) ---- */

static int read_header(const struct task_file *f, struct strlist *out, struct err *err);

static bool has_all(const struct strlist *have, const struct strlist *want, size_t from)
{
    for (size_t i = from; i < want->n; i++)
        if (!sl_has(have, want->items[i]))
            return false;
    return want->n > from;
}

/* With a sample submission but no train (or no test) by name: the largest
 * top-level table holding every sample column is train; one holding the
 * sample's first (id) column but not all its prediction columns is test.
 * Unreadable candidates are passed over. */
static int assign_roles_by_content(struct task *t)
{
    if (!t->sample_submission || (t->train && t->test))
        return 0;
    struct strlist sample = {0};
    struct err ignored = {{0}};
    if (read_header(t->sample_submission, &sample, &ignored) < 0) {
        sl_free(&sample);
        return 0;
    }
    struct task_file *train = NULL, *test = NULL;
    for (size_t i = 0; i < t->nfiles; i++) {
        struct task_file *f = &t->files[i];
        if (!is_table(f) || f->role != TASK_ROLE_DATA)
            continue;
        struct strlist header = {0};
        if (read_header(f, &header, &ignored) == 0) {
            if (!t->train && has_all(&header, &sample, 0) && (!train || f->size > train->size))
                train = f;
            else if (!t->test && sl_has(&header, sample.items[0]) && !has_all(&header, &sample, 1) &&
                     (!test || f->size > test->size))
                test = f;
        }
        sl_free(&header);
    }
    if (train) {
        train->role = TASK_ROLE_TRAIN;
        t->train = train;
    }
    if (test && test != train) {
        test->role = TASK_ROLE_TEST;
        t->test = test;
    }
    sl_free(&sample);
    return 0;
}

/* ---- task.json ---- */

struct task_json {
    char *metric;
    int lower_is_better;
    char *id_column;
    struct strlist targets;
};

static int read_task_json(const char *path, struct task_json *tj, struct err *err)
{
    memset(tj, 0, sizeof *tj);
    tj->lower_is_better = -1;
    if (!fs_exists(path))
        return 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return err_set(err, "%s:%d: invalid JSON: %s", path, jerr.line, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, "%s: expected a JSON object", path);
    }
    json_t *v = json_object_get(root, "metric");
    if (json_is_string(v) && json_string_length(v) > 0)
        tj->metric = xstrdup(json_string_value(v));
    v = json_object_get(root, "lower_is_better");
    if (json_is_boolean(v))
        tj->lower_is_better = json_is_true(v) ? 1 : 0;
    v = json_object_get(root, "id_column");
    if (json_is_string(v) && json_string_length(v) > 0)
        tj->id_column = xstrdup(json_string_value(v));
    v = json_object_get(root, "target_columns");
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
        if (json_is_string(item))
            sl_add(&tj->targets, json_string_value(item));
    json_decref(root);
    return 0;
}

static void task_json_free(struct task_json *tj)
{
    free(tj->metric);
    free(tj->id_column);
    sl_free(&tj->targets);
}

/* ---- headers and column derivation ---- */

/* Column names of a JSON / JSON-lines table (nested fields flattened as
 * the profile names them, "a.b"). */
static int read_json_header(const struct task_file *f, struct strlist *out, struct err *err)
{
    struct profile_file *pf;
    if (profile_json_file(f->abs_path, f->kind == TASK_KIND_JSONL, &pf, err) < 0)
        return -1;
    for (size_t i = 0; i < pf->ncolumns; i++)
        sl_add(out, pf->columns[i].name);
    bool empty = pf->ncolumns == 0;
    profile_file_free(pf);
    if (empty)
        return err_set(err, "%s holds no JSON records (expected an array of objects, or one object per line)",
                       f->abs_path);
    return 0;
}

static int read_header(const struct task_file *f, struct strlist *out, struct err *err)
{
    if (f->kind == TASK_KIND_JSON || f->kind == TASK_KIND_JSONL)
        return read_json_header(f, out, err);
    struct csv_reader *r;
    if (csv_open(f->abs_path, &r, err) < 0)
        return -1;
    const struct csv_field *fields;
    size_t n;
    int rc = csv_next(r, &fields, &n, err);
    if (rc == 0)
        err_set(err, "%s is empty (no header row)", f->abs_path);
    if (rc == 1)
        for (size_t i = 0; i < n; i++)
            sl_add(out, fields[i].ptr);
    csv_close(r);
    return rc == 1 ? 0 : -1;
}

/* Distinct values of one train column (bounded), as a hash set. */
struct valueset {
    struct strlist values;
    uint64_t *hashes;      /* open addressing, 0 = empty; capacity 2 * CLASS_VALUES_MAX rounded up */
    size_t cap;
    bool overflow;
};

static void vs_init(struct valueset *s)
{
    memset(s, 0, sizeof *s);
    s->cap = 2048;
    s->hashes = xcalloc(s->cap, sizeof *s->hashes);
}

static void vs_add(struct valueset *s, const char *v, size_t len)
{
    if (s->overflow || len == 0)
        return;
    uint64_t h = hash64(v, len) | 1;
    size_t i = h & (s->cap - 1);
    while (s->hashes[i]) {
        if (s->hashes[i] == h)
            return;
        i = (i + 1) & (s->cap - 1);
    }
    if (s->values.n == CLASS_VALUES_MAX) {
        s->overflow = true;
        return;
    }
    s->hashes[i] = h;
    sl_add(&s->values, v);
}

static void vs_free(struct valueset *s)
{
    sl_free(&s->values);
    free(s->hashes);
}

/* JSON train: the distinct values are the profile's top values, when it
 * counted them all. */
static int collect_json_values(const struct task_file *train, const struct strlist *header, const int *cols,
                               size_t ncols, struct valueset *sets, struct err *err)
{
    struct profile_file *pf;
    if (profile_json_file(train->abs_path, train->kind == TASK_KIND_JSONL, &pf, err) < 0)
        return -1;
    for (size_t k = 0; k < ncols; k++) {
        const char *name = header->items[cols[k]];
        for (size_t i = 0; i < pf->ncolumns; i++) {
            const struct profile_column *c = &pf->columns[i];
            if (strcmp(c->name, name) != 0)
                continue;
            if (!c->distinct_exact || (size_t)c->distinct > c->ntop)
                sets[k].overflow = true;
            for (size_t v = 0; v < c->ntop && !sets[k].overflow; v++)
                vs_add(&sets[k], c->top[v].value, strlen(c->top[v].value));
        }
    }
    profile_file_free(pf);
    return 0;
}

/* Streams train once for the distinct values of the given columns. */
static int collect_values(const struct task_file *train, const struct strlist *header, const int *cols,
                          size_t ncols, struct valueset *sets, struct err *err)
{
    if (!is_delimited(train))
        return collect_json_values(train, header, cols, ncols, sets, err);
    struct csv_reader *r;
    if (csv_open(train->abs_path, &r, err) < 0)
        return -1;
    const struct csv_field *f;
    size_t n;
    int rc = csv_next(r, &f, &n, err); /* header */
    while (rc == 1 && (rc = csv_next(r, &f, &n, err)) == 1) {
        if (n != header->n)
            continue;
        for (size_t k = 0; k < ncols; k++)
            vs_add(&sets[k], f[cols[k]].ptr, f[cols[k]].len);
    }
    csv_close(r);
    return rc < 0 ? -1 : 0;
}

static bool in_values(const struct strlist *values, const char *s, size_t len)
{
    for (size_t i = 0; i < values->n; i++)
        if (strlen(values->items[i]) == len && memcmp(values->items[i], s, len) == 0)
            return true;
    return false;
}

static size_t common_prefix(const struct strlist *l)
{
    size_t n = strlen(l->items[0]);
    for (size_t i = 1; i < l->n; i++) {
        size_t k = 0;
        while (k < n && l->items[i][k] == l->items[0][k])
            k++;
        n = k;
    }
    return n;
}

static size_t common_suffix(const struct strlist *l)
{
    size_t n0 = strlen(l->items[0]);
    size_t n = n0;
    for (size_t i = 1; i < l->n; i++) {
        size_t ni = strlen(l->items[i]);
        size_t k = 0;
        while (k < n && k < ni && l->items[i][ni - 1 - k] == l->items[0][n0 - 1 - k])
            k++;
        n = k;
    }
    return n;
}

/* Is every prediction column <prefix><value><suffix> for a distinct value of
 * `values`, covering all of them? Fills class_values (parallel to preds). */
static bool match_classes(const struct strlist *preds, const struct strlist *values, struct strlist *class_values)
{
    if (preds->n < 2 || preds->n != values->n)
        return false;
    size_t lcp = common_prefix(preds), lcs = common_suffix(preds);
    size_t shortest = (size_t)-1;
    for (size_t i = 0; i < preds->n; i++)
        if (strlen(preds->items[i]) < shortest)
            shortest = strlen(preds->items[i]);
    for (size_t a = 0; a <= lcp; a++) {
        for (size_t b = 0; b <= lcs && a + b < shortest; b++) {
            struct strlist cores = {0};
            bool ok = true;
            for (size_t i = 0; i < preds->n && ok; i++) {
                const char *p = preds->items[i];
                size_t len = strlen(p) - a - b;
                char *core = xstrndup(p + a, len);
                ok = in_values(values, core, len) && !sl_has(&cores, core);
                sl_add(&cores, core);
                free(core);
            }
            if (ok) {
                *class_values = cores;
                return true;
            }
            sl_free(&cores);
        }
    }
    return false;
}

struct derive {
    struct strlist sample, train, test;
    struct strlist ids, preds;
};

/* Finds the one train column whose values name the prediction columns. */
static int derive_class_probs(struct task *t, struct derive *d, struct err *err)
{
    int cols[64];
    size_t ncand = 0;
    for (size_t i = 0; i < d->train.n && ncand < 64; i++) {
        const char *c = d->train.items[i];
        if (!sl_has(&d->test, c) && !sl_has(&d->sample, c))
            cols[ncand++] = (int)i;
    }
    struct valueset *sets = xcalloc(ncand ? ncand : 1, sizeof *sets);
    for (size_t k = 0; k < ncand; k++)
        vs_init(&sets[k]);
    int rc = ncand ? collect_values(t->train, &d->train, cols, ncand, sets, err) : 0;
    int found = -1, nfound = 0;
    struct strlist class_values = {0};
    for (size_t k = 0; rc == 0 && k < ncand; k++) {
        struct strlist cv = {0};
        if (sets[k].overflow || !match_classes(&d->preds, &sets[k].values, &cv))
            continue;
        nfound++;
        if (found < 0) {
            found = cols[k];
            class_values = cv;
        } else {
            sl_free(&cv);
        }
    }
    for (size_t k = 0; k < ncand; k++)
        vs_free(&sets[k]);
    free(sets);
    if (rc < 0 || nfound != 1) {
        sl_free(&class_values);
        if (rc < 0)
            return -1;
        char *pj = sl_join(&d->preds), *tj = sl_join(&d->train);
        if (nfound > 1)
            err_set(err, "sample submission %s: prediction columns (%s) could be the classes of more than one "
                    "column of %s; say which with target_columns in task.json", t->sample_submission->abs_path,
                    pj, t->train->abs_path);
        else
            err_set(err, "sample submission %s: prediction columns (%s) match no column of %s (%s), and no "
                    "train column has one value per prediction column", t->sample_submission->abs_path, pj,
                    t->train->abs_path, tj);
        free(pj);
        free(tj);
        return -1;
    }
    t->sub_format = TASK_SUB_CLASS_PROBS;
    t->train_targets = xcalloc(1, sizeof *t->train_targets);
    t->train_targets[0] = xstrdup(d->train.items[found]);
    t->n_train_targets = 1;
    size_t n;
    t->class_values = sl_detach(&class_values, &n);
    return 0;
}

static void pick_ids(struct derive *d, const struct task_json *tj, const char *labels_id)
{
    if (tj->id_column && sl_has(&d->sample, tj->id_column))
        sl_add(&d->ids, tj->id_column);
    if (labels_id && sl_has(&d->sample, labels_id) && !sl_has(&d->ids, labels_id))
        sl_add(&d->ids, labels_id); /* the column naming the files (labels from names) */
    for (size_t i = 0; i < d->sample.n; i++) {
        const char *c = d->sample.items[i];
        if (sl_has(&d->ids, c))
            continue;
        if (sl_has(&d->test, c))
            sl_add(&d->ids, c);
    }
    if (d->ids.n == 0 && d->test.n == 0 && d->sample.n > 1) {
        /* no test file: take the first column when it is named like an id */
        const char *c = d->sample.items[0];
        size_t n = strlen(c);
        if (strcasecmp(c, "id") == 0 || (n > 2 && strcasecmp(c + n - 2, "id") == 0))
            sl_add(&d->ids, c);
    }
    for (size_t i = 0; i < d->sample.n; i++)
        if (!sl_has(&d->ids, d->sample.items[i]))
            sl_add(&d->preds, d->sample.items[i]);
}

static int derive_columns(struct task *t, const struct task_json *tj, struct err *err)
{
    struct derive d = {0};
    int rc = 0;
    if (t->sample_submission && read_header(t->sample_submission, &d.sample, err) < 0)
        rc = -1;
    if (rc == 0 && t->train && read_header(t->train, &d.train, err) < 0)
        rc = -1;
    if (rc == 0 && t->test && read_header(t->test, &d.test, err) < 0)
        rc = -1;
    if (rc == 0 && !t->sample_submission) {
        /* no sample: fall back on task.json */
        if (tj->id_column)
            sl_add(&d.ids, tj->id_column);
        for (size_t i = 0; i < tj->targets.n; i++)
            sl_add(&d.preds, tj->targets.items[i]);
        bool all_in_train = d.preds.n > 0 && t->train;
        for (size_t i = 0; i < d.preds.n; i++)
            all_in_train = all_in_train && sl_has(&d.train, d.preds.items[i]);
        if (all_in_train) {
            t->sub_format = TASK_SUB_VALUES;
            for (size_t i = 0; i < d.preds.n; i++) {
                t->train_targets = xrealloc(t->train_targets, (i + 1) * sizeof *t->train_targets);
                t->train_targets[i] = xstrdup(d.preds.items[i]);
            }
            t->n_train_targets = d.preds.n;
        }
    } else if (rc == 0) {
        pick_ids(&d, tj, t->labels_id_column);
        if (d.preds.n == 0) {
            char *sj = sl_join(&d.sample);
            rc = err_set(err, "sample submission %s has no prediction column: all its columns (%s) are also in %s",
                         t->sample_submission->abs_path, sj, t->test ? t->test->abs_path : "test");
            free(sj);
        } else if (t->train) {
            bool all_in_train = true;
            for (size_t i = 0; i < d.preds.n; i++)
                all_in_train = all_in_train && sl_has(&d.train, d.preds.items[i]);
            if (all_in_train) {
                t->sub_format = TASK_SUB_VALUES;
                struct strlist copy = {0};
                for (size_t i = 0; i < d.preds.n; i++)
                    sl_add(&copy, d.preds.items[i]);
                t->train_targets = sl_detach(&copy, &t->n_train_targets);
            } else {
                rc = derive_class_probs(t, &d, err);
            }
        }
    }
    if (rc == 0) {
        t->id_columns = sl_detach(&d.ids, &t->n_id_columns);
        t->target_columns = sl_detach(&d.preds, &t->n_target_columns);
    }
    sl_free(&d.sample);
    sl_free(&d.train);
    sl_free(&d.test);
    sl_free(&d.ids);
    sl_free(&d.preds);
    return rc;
}

/* ---- labels from names (labels.h) ---- */

/* Points train, test and sample_submission at the files of those roles
 * (after the list moved or was re-sorted). */
static void repoint_roles(struct task *t)
{
    t->train = t->test = t->sample_submission = NULL;
    for (size_t i = 0; i < t->nfiles; i++) {
        const struct task_file *f = &t->files[i];
        if (f->role == TASK_ROLE_TRAIN)
            t->train = f;
        else if (f->role == TASK_ROLE_TEST)
            t->test = f;
        else if (f->role == TASK_ROLE_SAMPLE_SUBMISSION)
            t->sample_submission = f;
    }
}

/* With no train table: builds one from folder or file names when they
 * carry the labels, else leaves labels_note saying why not. */
static int synthesize_train(struct task *t, const struct task_opts *o, struct err *err)
{
    if (t->train || !t->sample_submission)
        return 0;
    struct labels_table lt;
    char *why = NULL;
    int rc = labels_build(t, o->unpack_dir, &lt, &why, err);
    if (rc <= 0) {
        t->labels_note = why;
        return rc;
    }
    t->files = xrealloc(t->files, (t->nfiles + 1) * sizeof *t->files);
    t->files[t->nfiles++] = lt.file;
    memset(&lt.file, 0, sizeof lt.file);
    sort_files(t);
    repoint_roles(t);
    t->labels_from = lt.from;
    t->labels_note = lt.note;
    t->labels_dir = lt.label_dir;
    t->labels_id_column = lt.id_column;
    lt.note = lt.label_dir = lt.id_column = NULL;
    labels_table_free(&lt);
    return 0;
}

/* The columns of a synthesized train matched nothing: drop it (its file
 * too), keep the reason, and derive the columns as if it never was. */
static int drop_synthesized(struct task *t, const struct task_json *tj, struct err *err)
{
    char *note = xasprintf("labels from names: %s was built from %s/ but refused: %s", t->train->rel_path,
                           t->labels_dir, err->msg);
    size_t kept = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        if (t->files[i].synthesized) {
            unlink(t->files[i].abs_path);
            file_free(&t->files[i]);
            continue;
        }
        t->files[kept++] = t->files[i];
    }
    t->nfiles = kept;
    repoint_roles(t);
    free(t->labels_note);
    free(t->labels_dir);
    free(t->labels_id_column);
    t->labels_note = note;
    t->labels_dir = t->labels_id_column = NULL;
    t->labels_from = TASK_LABELS_NONE;
    memset(err, 0, sizeof *err);
    return derive_columns(t, tj, err);
}

/* ---- metric and direction ---- */

static int set_metric(struct task *t, const struct task_opts *o, const struct task_json *tj, struct err *err)
{
    bool given_metric = o->metric && o->metric[0];
    bool given_dir = o->direction && o->direction[0];
    t->lower_is_better = -1;
    if (given_dir) {
        if (strcasecmp(o->direction, "lower") == 0)
            t->lower_is_better = 1;
        else if (strcasecmp(o->direction, "higher") == 0)
            t->lower_is_better = 0;
        else
            return err_set(err, "direction \"%s\": expected \"higher\" or \"lower\"", o->direction);
    } else {
        t->lower_is_better = tj->lower_is_better;
    }
    if (given_metric)
        t->metric = xstrdup(o->metric);
    else if (tj->metric)
        t->metric = xstrdup(tj->metric);
    if (t->metric)
        t->metric_source = xstrdup(given_metric ? (o->metric_origin ? o->metric_origin : "flag") : "task.json");
    if (t->lower_is_better >= 0)
        t->direction_source =
            xstrdup(given_dir ? (o->direction_origin ? o->direction_origin : "flag") : "task.json");
    return 0;
}

/* ---- shapes ---- */

static char *goal_text(const struct task_opts *o)
{
    struct buf b = {0};
    buf_puts(&b, o->goal);
    if (o->eval && o->eval[0])
        buf_printf(&b, "\n\n## Evaluation\n\n%s", o->eval);
    buf_putc(&b, '\n');
    return buf_detach(&b);
}

static int read_description(struct task *t, const char *path, const struct task_opts *o, struct err *err)
{
    char *text;
    if (fs_read_file(path, DESCRIPTION_MAX, &text, NULL, err) < 0)
        return err_prefix(err, "cannot read the task description");
    t->description_path = xstrdup(path);
    if (o->goal && o->goal[0]) {
        char *goal = goal_text(o);
        t->description = xasprintf("%s\n\n## Goal (from the command line)\n\n%s", text, goal);
        free(goal);
        free(text);
    } else {
        t->description = text;
    }
    return 0;
}

/* Shapes 1 and 2: sets root, data_dir, description. */
static int open_folder(struct task *t, const struct task_opts *o, struct walk *w, struct err *err)
{
    if (!fs_exists(o->dir))
        return err_set(err, "task folder %s does not exist", o->dir);
    if (!fs_is_dir(o->dir))
        return err_set(err, "task folder %s is not a folder", o->dir);
    t->root = fs_realpath(o->dir);
    if (!t->root)
        return err_sys(err, errno, "cannot resolve %s", o->dir);
    t->name = xstrdup(fs_basename(t->root));
    char *public_dir = fs_join(t->root, "public");
    char *mle_desc = fs_join(t->root, "description.md");
    int rc = 0;
    if (fs_exists(mle_desc) && fs_is_dir(public_dir)) {
        t->data_dir = public_dir;
        public_dir = NULL;
        rc = read_description(t, mle_desc, o, err);
    } else {
        t->data_dir = xstrdup(t->root);
        w->skip_top[0] = "task.json";
        char *desc = NULL;
        for (size_t i = 0; i < sizeof description_names / sizeof *description_names && !desc; i++) {
            char *p = fs_join(t->root, description_names[i]);
            if (fs_exists(p))
                desc = p;
            else
                free(p);
            if (desc)
                w->skip_top[1] = description_names[i];
        }
        if (desc)
            rc = read_description(t, desc, o, err);
        else if (o->goal && o->goal[0])
            t->description = goal_text(o);
        else
            rc = err_set(err, "no task description: %s has no description.md, task_description.txt or "
                         "README.md (add one, or pass --goal)", t->root);
        free(desc);
    }
    free(public_dir);
    free(mle_desc);
    return rc;
}

static int open_data_dir(struct task *t, const struct task_opts *o, struct err *err)
{
    if (!fs_exists(o->data_dir))
        return err_set(err, "data folder %s does not exist", o->data_dir);
    if (!fs_is_dir(o->data_dir))
        return err_set(err, "data folder %s is not a folder", o->data_dir);
    char *abs = fs_realpath(o->data_dir);
    if (!abs)
        return err_sys(err, errno, "cannot resolve %s", o->data_dir);
    free(t->data_dir);
    t->data_dir = abs;
    if (!t->name)
        t->name = xstrdup(fs_basename(abs));
    if (!t->description) {
        if (!o->goal || !o->goal[0])
            return err_set(err, "no task description: with a data folder (%s) and no task folder, pass --goal "
                           "(and --eval)", o->data_dir);
        t->description = goal_text(o);
    }
    return 0;
}

char *task_name_for(const struct task_opts *o)
{
    const char *path = o->dir && o->dir[0] ? o->dir : o->data_dir;
    char *real = path && path[0] ? fs_realpath(path) : NULL;
    char *name = real ? xstrdup(fs_basename(real)) : NULL;
    free(real);
    return name;
}

int task_open(const struct task_opts *o, struct task **out, struct err *err)
{
    *out = NULL;
    bool has_dir = o->dir && o->dir[0], has_data = o->data_dir && o->data_dir[0];
    if (!has_dir && !has_data)
        return err_set(err, "no task: give a task folder, or --data-dir with --goal");
    struct task *t = xcalloc(1, sizeof *t);
    t->lower_is_better = -1;
    struct walk w = {0};
    struct task_json tj = {0};
    tj.lower_is_better = -1;
    int rc = 0;
    if (has_dir)
        rc = open_folder(t, o, &w, err);
    if (rc == 0 && has_data) {
        rc = open_data_dir(t, o, err);
        if (has_dir)
            memset(w.skip_top, 0, sizeof w.skip_top);
    }
    if (rc == 0 && t->root) {
        char *p = fs_join(t->root, "task.json");
        rc = read_task_json(p, &tj, err);
        free(p);
    }
    if (rc == 0) {
        w.root = t->data_dir;
        rc = walk_dir(&w, "", err);
        t->files = w.files;
        t->nfiles = w.n;
        if (rc == 0 && o->unpack_dir && o->unpack_dir[0])
            rc = unpack_all(t, &w, o->unpack_dir, err);
        sort_files(t);
        if (rc == 0 && t->nfiles == 0)
            rc = err_set(err, "no data files in %s", t->data_dir);
    }
    if (rc == 0) {
        assign_roles(t);
        assign_roles_by_content(t);
        rc = synthesize_train(t, o, err);
    }
    if (rc == 0) {
        rc = derive_columns(t, &tj, err);
        if (rc < 0 && t->labels_from != TASK_LABELS_NONE)
            rc = drop_synthesized(t, &tj, err);
    }
    if (rc == 0)
        rc = set_metric(t, o, &tj, err);
    task_json_free(&tj);
    if (rc < 0) {
        task_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void task_free(struct task *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->root);
    free(t->data_dir);
    free(t->description);
    free(t->description_path);
    for (size_t i = 0; i < t->nfiles; i++)
        file_free(&t->files[i]);
    free(t->files);
    free_strv(t->id_columns, t->n_id_columns);
    free_strv(t->target_columns, t->n_target_columns);
    free_strv(t->train_targets, t->n_train_targets);
    free_strv(t->class_values, t->class_values ? t->n_target_columns : 0);
    free(t->metric);
    free(t->metric_source);
    free(t->direction_source);
    free(t->labels_note);
    free(t->labels_dir);
    free(t->labels_id_column);
    free(t);
}
