/* run_common.h - what `run` and `resume` share: starting the agent,
 * handling Ctrl-C, and the closing one-screen summary. */
#ifndef MLESTAR_CLI_RUN_COMMON_H
#define MLESTAR_CLI_RUN_COMMON_H

#include <stdbool.h>

#include "util/config.h"

/* Runs (or resumes) the agent; returns the command's exit code. */
int run_agent(const struct config *cfg, const char *task_dir, const char *run_dir, bool resume);

#endif
