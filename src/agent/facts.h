/* facts.h - the task facts generated scripts need (see facts.c). */
#ifndef MLESTAR_AGENT_FACTS_H
#define MLESTAR_AGENT_FACTS_H

#include <jansson.h>
#include <stdbool.h>

#include "task/task.h"

/* New reference: {"data_dir", "train_file", "test_file",
 * "sample_submission_file", "id_columns", "target_columns", "train_targets",
 * "submission_format", "class_values", "problem", "metric",
 * "lower_is_better", "columns": {numeric, boolean, categorical, text,
 * datetime, id}, "extra_files": [{pattern, kind, count}], "train_rows"}, and
 * "labels_note" / "train_labels_from" ("folders", "names") when the intake
 * built train from file names or said why it could not. */
json_t *facts_build(const struct task *t, json_t *profile, const char *metric, bool lower_is_better);

#endif
