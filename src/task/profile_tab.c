/* profile_tab.c - see profile_tab.h. */
#include "task/profile_tab.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "util/mem.h"

#define EXACT_MIN 64
#define EXACT_MAX 10000

size_t tab_exact_bound(size_t ncols)
{
    size_t b = TAB_EXACT_BUDGET / (ncols ? ncols : 1);
    if (b < EXACT_MIN)
        b = EXACT_MIN;
    if (b > EXACT_MAX)
        b = EXACT_MAX;
    return b;
}

void file_issue(struct profile_file *f, long long line, const char *fmt, ...)
{
    f->issues_total++;
    if (f->nissues >= PROFILE_ISSUES_MAX)
        return;
    if (!f->issues)
        f->issues = xcalloc(PROFILE_ISSUES_MAX, sizeof *f->issues);
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = xstrdup("?");
    va_end(ap);
    f->issues[f->nissues].line = line;
    f->issues[f->nissues].problem = msg;
    f->nissues++;
}

struct profile_file *tab_file_new(const char *path, enum task_file_kind kind)
{
    struct profile_file *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(fs_basename(path));
    f->kind = kind;
    f->role = TASK_ROLE_DATA;
    struct stat st;
    f->bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    return f;
}

void tab_add_column(struct tab *t, const char *name)
{
    if (t->ncols == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cols = xrealloc(t->cols, t->cap * sizeof *t->cols);
    }
    colstat_init(&t->cols[t->ncols++], name, t->bound);
}

void tab_finish(struct tab *t)
{
    struct profile_file *f = t->file;
    f->ncolumns = t->ncols;
    f->columns = t->ncols ? xcalloc(t->ncols, sizeof *f->columns) : NULL;
    for (size_t i = 0; i < t->ncols; i++) {
        colstat_finish(&t->cols[i], f->rows, &f->columns[i]);
        colstat_free(&t->cols[i]);
    }
    free(t->cols);
    t->cols = NULL;
}

void tab_abandon(struct tab *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        colstat_free(&t->cols[i]);
    free(t->cols);
    profile_file_free(t->file);
}


void profile_file_free(struct profile_file *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->archive);
    for (size_t i = 0; i < f->ncolumns; i++) {
        struct profile_column *c = &f->columns[i];
        free(c->name);
        for (size_t k = 0; k < c->ntop; k++)
            free(c->top[k].value);
        free(c->top);
        for (size_t k = 0; k < c->nexamples; k++)
            free(c->examples[k]);
    }
    free(f->columns);
    for (size_t i = 0; i < f->nissues; i++)
        free(f->issues[i].problem);
    free(f->issues);
    free(f);
}
