/* commands.h - one entry point per command, each in cli/cmd_<name>.c. */
#ifndef MLESTAR_CLI_COMMANDS_H
#define MLESTAR_CLI_COMMANDS_H

int cmd_config(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_llm(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_exec_job(int argc, char **argv); /* internal, in cmd_exec.c */
int cmd_bench_task(int argc, char **argv); /* internal, in bench_slurm.c */
/* COMMANDS-DECL: add `int cmd_<name>(int argc, char **argv);` above this line */

#endif
