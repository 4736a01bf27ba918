/* task.h - what a task is: a description, data files, and what to predict.
 *
 * task_open() accepts three shapes:
 *  1. the MLE-bench layout: DIR/description.md and DIR/public/ (+ optional
 *     DIR/task.json, read only for metric, direction, id and target columns).
 *     The agent sees description.md and public/ only: private/, raw/ and
 *     task.json never reach prompts or scripts;
 *  2. a plain folder with a description file (description.md,
 *     task_description.txt or README.md) beside its data files;
 *  3. no folder description: opts.data_dir plus opts.goal (and opts.eval).
 * It finds train, test and sample-submission files, derives id and target
 * columns from the sample submission against train, and takes the metric
 * and direction from the settings (flags, environment or config file), else
 * task.json, else leaves them unknown (the pipeline asks the LLM or the
 * builtin rules later); each remembers where it came from.
 *
 * Archives (zip, tar, tar.gz, train.csv.gz ...) are unpacked once into
 * opts.unpack_dir when it is set (see unpack.h), and their files join the
 * list with the archive's folder as their rel_path prefix (abs_path inside
 * unpack_dir, `archive` naming the source); a file of the data folder wins
 * over an unpacked one of the same rel_path.
 *
 * Roles, by name first: top-level tables (CSV, TSV, JSON, JSON lines, also
 * unpacked ones; a .tsv is read with tab as the separator) named like sample submission / train (or *labels*) / test;
 * then by content: with no train by name, the table holding every prediction
 * column of the sample submission is train; with no test, a table holding
 * the sample's id columns and not its prediction columns is test. Image or
 * audio tasks without a test table get their test ids from the sample
 * submission (the facts say so). With no training table at all, labels may
 * come from folder or file names (labels.h).
 *
 * Files named like answers or solutions (see task_name_is_hidden) are never
 * listed, so nothing downstream can expose them. Errors name the path and
 * what is wrong. A struct task is immutable after task_open() and can be
 * shared between threads. */
#ifndef MLESTAR_TASK_TASK_H
#define MLESTAR_TASK_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum task_file_kind {
    TASK_KIND_CSV, TASK_KIND_TSV, TASK_KIND_JSON, TASK_KIND_JSONL, TASK_KIND_IMAGE, TASK_KIND_TEXT,
    TASK_KIND_AUDIO, TASK_KIND_ARCHIVE, TASK_KIND_OTHER
};

enum task_file_role {
    TASK_ROLE_TRAIN, TASK_ROLE_TEST, TASK_ROLE_SAMPLE_SUBMISSION, TASK_ROLE_DATA
};

struct task_file {
    char *rel_path;            /* relative to task->data_dir, e.g. "train/12/geometry.xyz" */
    char *abs_path;            /* outside data_dir for files unpacked from an archive */
    char *archive;             /* rel_path of the archive it was unpacked from; NULL otherwise */
    long long size;
    enum task_file_kind kind;
    enum task_file_role role;
    bool synthesized;          /* written by mlestar (train_labels.csv from file names; see labels.h),
                                  abs_path in opts.unpack_dir */
};

/* How the sample submission encodes predictions. */
/* Where the training labels came from when no training table was given. */
enum task_labels_from {
    TASK_LABELS_NONE,      /* a table of the task (or no train at all) */
    TASK_LABELS_FOLDERS,   /* train/<class>/<file>: the immediate parent folder's name */
    TASK_LABELS_NAMES      /* train/<class>.<n>.jpg: the file-name prefix before the first '.', '_' or '-' */
};

enum task_sub_format {
    TASK_SUB_UNKNOWN,      /* no sample submission, or columns matched nothing */
    TASK_SUB_VALUES,       /* one column per train target, same name (labels or numbers) */
    TASK_SUB_CLASS_PROBS   /* one column per class of a single train target (e.g. class_0..class_2
                              for train column `cultivar` with values 0,1,2) */
};

struct task {
    char *name;                /* folder name, or the data folder's name */
    char *root;                /* absolute task folder; NULL for shape 3 */
    char *data_dir;            /* absolute folder the scripts see as ./input */
    char *description;         /* the text the agent reads */
    char *description_path;    /* NULL for shape 3 */
    struct task_file *files;   /* every visible file under data_dir, sorted by rel_path */
    size_t nfiles;
    const struct task_file *train;             /* NULL when not found */
    const struct task_file *test;
    const struct task_file *sample_submission;
    /* Columns are derived from the sample submission against train and test:
     * sample columns also in test are id columns (kept as they are, e.g.
     * spaceship's PassengerId, or insults' Date and Comment); the others are
     * prediction columns. task.json's id_column, when present, wins. */
    char **id_columns;
    size_t n_id_columns;
    char **target_columns;     /* the sample submission's prediction columns */
    size_t n_target_columns;
    enum task_sub_format sub_format;
    char **train_targets;      /* columns of train to learn: = target_columns for VALUES,
                                  the one class column for CLASS_PROBS */
    size_t n_train_targets;
    char **class_values;       /* CLASS_PROBS: train value each target column stands for
                                  (parallel to target_columns); NULL otherwise */
    char *metric;              /* NULL when unknown */
    int lower_is_better;       /* -1 unknown, 0 higher is better, 1 lower is better */
    /* Where the metric and the direction came from, for people: "task.json"
     * or the settings' origin (opts.metric_origin / direction_origin);
     * NULL when unknown. */
    char *metric_source;
    char *direction_source;
    /* Labels from names (labels.h): with no training table, a sample
     * submission and labelled-looking image or audio files under a train*
     * folder, task_open() writes train_labels.csv (id, path, target) into
     * opts.unpack_dir and makes it `train` (synthesized). labels_note is one
     * line for people and prompts saying how it was built, or why labels
     * could not be derived (NULL when the task gave no reason to try). */
    enum task_labels_from labels_from;
    char *labels_note;
    char *labels_dir;          /* folder the labels come from ("train"); NULL when labels_from is NONE */
    char *labels_id_column;    /* the sample submission's column naming the files; NULL when NONE */
};

struct task_opts {
    const char *dir;           /* task folder (shapes 1 and 2); NULL for shape 3 */
    const char *data_dir;      /* shape 3 (or overrides where the data is) */
    const char *goal;
    const char *eval;
    const char *metric;        /* settings' overrides; NULL or "" when not given */
    const char *direction;     /* "higher" / "lower" */
    /* Where metric and direction were set, as config_origin_text() says
     * ("flag", "environment (MLESTAR_TASK_METRIC)", "config file PATH");
     * NULL = "flag". */
    const char *metric_origin;
    const char *direction_origin;
    /* Where archives of the data folder are unpacked (the run's data view,
     * e.g. RUN/data); NULL: archives are listed, not unpacked. */
    const char *unpack_dir;
};

int task_open(const struct task_opts *opts, struct task **out, struct err *err);
/* The name task_open() gives the task (the task folder's or the data
 * folder's base name), before opening it; malloc'd, NULL when neither path
 * resolves. Lets a caller place the run (and its unpack_dir) first. */
char *task_name_for(const struct task_opts *opts);
void task_free(struct task *t);
/* True for names the agent must never see: answers, solutions, labels of
 * the test set (case-insensitive: "answers.csv", "solution.csv",
 * "test_labels.csv", "private", ...). */
bool task_name_is_hidden(const char *name);
const char *task_kind_name(enum task_file_kind kind);
const char *task_role_name(enum task_file_role role);

#endif
