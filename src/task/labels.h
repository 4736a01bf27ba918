/* labels.h - a training table from folder or file names (task intake).
 *
 * Image and audio tasks often give no training table: the label is the
 * name of the folder a file sits in (train/<class>/<file>.png) or the start
 * of its name (train/<class>.<n>.jpg). labels_build() looks at the image or
 * audio files under the top-level folders whose names start with "train"
 * (the more numerous kind only) and, when the labels follow from the names
 * unambiguously, writes a table with the sample submission's id column, a
 * path column and the target column into the run's writable data folder.
 *
 * Rules, each refusal saying why:
 *  - the sample submission must have a column whose values (the first 200,
 *    all distinct) name files under test* folders of the same kind, by file
 *    name or by stem: that is the id column, and train ids are written the
 *    same way (with or without the extension);
 *  - folders: every file lies exactly one folder below a common folder
 *    (the label root), at least 2 distinct folder names, and at most half
 *    as many folders as files (one file per folder is per-sample folders);
 *  - names: every file lies directly in one folder, and the part of its name
 *    before the first '.', '_' or '-' (followed by more name before the
 *    extension) takes 2..LABELS_NAME_CLASSES_MAX values, none all digits,
 *    at most half as many values as files;
 *  - the target column is the sample submission's one prediction column;
 *    with several (one per class) it is "label" (or "class", "target"),
 *    left for the intake's one-column-per-class rule to match;
 *  - the table is written only into unpack_dir, never inside the task's
 *    folder or data folder.
 * When file names repeat across class folders, ids are the path below the
 * label root instead (unique), and the note says so. */
#ifndef MLESTAR_TASK_LABELS_H
#define MLESTAR_TASK_LABELS_H

#include <stddef.h>

#include "task/task.h"
#include "util/err.h"

#define LABELS_FILE "train_labels.csv"
#define LABELS_NAME_CLASSES_MAX 100
#define LABELS_ID_SAMPLE 200

struct labels_table {
    struct task_file file;   /* rel_path LABELS_FILE, role train, synthesized */
    enum task_labels_from from;
    char *id_column;         /* the sample submission's id column */
    char *path_column;       /* relative paths of the files (from the data folder) */
    char *target_column;
    char *label_dir;         /* the label root (folders) or the files' folder (names) */
    char *note;              /* "train_labels.csv was built by mlestar from ..." */
    size_t nfiles, nclasses;
};

/* 1: the table was written and *out filled (free with labels_table_free());
 * 0: no labels (*why: a malloc'd reason, or NULL when no file looked
 * labelled at all); -1: the table could not be written (err). */
int labels_build(const struct task *t, const char *unpack_dir, struct labels_table *out, char **why,
                 struct err *err);
void labels_table_free(struct labels_table *l);

#endif
