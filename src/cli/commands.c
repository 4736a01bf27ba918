/* commands.c - the command table: the one place a command is registered. */
#include "cli/cli.h"
#include "cli/commands.h"

const struct cli_command cli_commands[] = {
    {"config", "show the resolved settings and where they can be set", cmd_config},
    {"runs", "list the runs in a folder: task, status, best score, time, cost", cmd_runs},
    {"show", "print a run's lineage of solutions, or one node's code, runs and LLM calls", cmd_show},
    {"profile", "profile a task's data files and show the detected columns and metric", cmd_profile},
    {"run", "run the agent on a task and produce a validated submission", cmd_run},
    {"resume", "continue an interrupted run", cmd_resume},
    {"exec", "run one script in the sandbox against a task and print the verdict", cmd_exec},
    {"llm", "send one prompt to the configured LLM provider and show the reply and its cost", cmd_llm},
    {"grade", "score a submission against a task's answers and medal thresholds", cmd_grade},
    {"bench", "run the agent on several tasks and seeds, grade each run, and tabulate the results", cmd_bench},
    {"report", "write RUN/report.html: summary, score plot, lineage with diffs, final code", cmd_report},
    {"__exec-job", "internal: the node side of exec.backend=slurm", cmd_exec_job},
    {"__bench-task", "internal: one array task of mlestar bench --slurm", cmd_bench_task},
    /* COMMANDS-TABLE: add `{"name", "summary", cmd_name},` above this line */
    {0, 0, 0},
};
