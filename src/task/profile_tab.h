/* profile_tab.h - what the file profilers share (internal to ms_task).
 *
 * A struct tab is a file being profiled: its struct profile_file and one
 * colstat per column. tab_finish() turns the colstats into the file's
 * columns; tab_abandon() frees everything after an error. Issues are added
 * with file_issue() (kept up to PROFILE_ISSUES_MAX, all counted). The exact
 * distinct bound per column is a share of a fixed budget of table entries,
 * so a wide file does not multiply the memory. */
#ifndef MLESTAR_TASK_PROFILE_TAB_H
#define MLESTAR_TASK_PROFILE_TAB_H

#include "task/colstat.h"
#include "task/profile.h"

struct tab {
    struct profile_file *file;
    struct colstat *cols;
    size_t ncols, cap;
    size_t bound;             /* exact-distinct bound given to new columns */
};

#define TAB_EXACT_BUDGET 60000   /* exact-distinct entries over all columns of a file */

size_t tab_exact_bound(size_t ncols);
/* A new profile_file named after the base name of path (bytes from stat). */
struct profile_file *tab_file_new(const char *path, enum task_file_kind kind);
void tab_add_column(struct tab *t, const char *name);
void tab_finish(struct tab *t);
void tab_abandon(struct tab *t);
void file_issue(struct profile_file *f, long long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
