/* bench_runner.h - running the agent on every (task, seed) of a benchmark,
 * as child processes, and grading what each run leaves.
 *
 * One job is one run folder BENCH/<task>/seed<k>/: the agent's journal
 * (run.db), its final/submission.csv, agent.log (the child's stdout and
 * stderr, appended to on every start) and, once graded, result.json. What a
 * job does is decided from that folder (bench_job_plan):
 *   result.json readable            -> skip: the recorded row is used
 *   journal "interrupted"/"running" -> continue it with `mlestar resume`
 *   journal in another status       -> the run ended: grade it
 *   no journal                      -> start it with `mlestar run`
 * so running the same bench again never repeats finished work.
 *
 * Each agent run is its own process: the mlestar binary itself (exec'd as
 * /proc/self/exe, so a binary rebuilt meanwhile does not change a bench),
 * started with fork/exec (an argv array, no shell) in its own process group, with
 * the parent-death signal set to SIGTERM. A new run is
 *   mlestar run TASK_DIR --config BENCH/settings.ini --out RUN --seed K
 * where settings.ini is the bench's resolved configuration; the child's
 * environment is the bench's without the MLESTAR_<SECTION>_<KEY> setting
 * variables and MLESTAR_CONFIG (their values are already in the file, and
 * the environment would otherwise win over it).
 *
 * Up to `jobs` children run at once. A child that outlives its time limit
 * by max(10 min, 25 %) gets SIGTERM, and SIGKILL (to its process group) a
 * minute later; its row says "timeout". SIGINT/SIGTERM to the bench: the
 * first is forwarded as SIGTERM to every child (each marks its journal
 * "interrupted"), nothing new starts, and the runner returns once they have
 * exited; a second one sends SIGKILL. Interrupted runs get no result.json,
 * so the next bench resumes them. Any failure of a run (no journal, a
 * crash, no submission, an ungradable task) makes its row invalid; nothing
 * about one run stops the others.
 *
 * Not thread-safe: one runner per process (it owns the SIGINT/SIGTERM
 * handlers while it runs). */
#ifndef MLESTAR_CLI_BENCH_RUNNER_H
#define MLESTAR_CLI_BENCH_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "grade/bench.h"

enum bench_action {
    BENCH_SKIP,     /* graded before: row loaded from result.json */
    BENCH_RUN,      /* start `mlestar run` */
    BENCH_RESUME,   /* continue with `mlestar resume` */
    BENCH_GRADE     /* the run ended without being graded: grade only */
};

struct bench_job {
    char *task_dir;            /* absolute task folder (owned) */
    char *run_dir;             /* BENCH/<task>/seed<k>, absolute (owned) */
    enum bench_action action;  /* set by bench_job_plan */
    struct bench_row row;      /* task, seed, run_dir set by bench_job_init */
    /* runner state */
    pid_t pid;                 /* 0 when not running */
    double started;            /* time_mono() at start */
    int signal_sent;           /* 0, SIGTERM or SIGKILL */
    bool timed_out;            /* signalled by the watchdog */
    bool finished;             /* done, or left for a later resume */
};

struct bench_runner_opts {
    const char *self_exe;      /* the mlestar binary's name: argv[0] of the agents */
    const char *settings_ini;  /* --config given to `mlestar run` */
    int jobs;                  /* children at once (>= 1) */
    double time_limit;         /* seconds per run; 0 = no watchdog */
    /* Called after each job ends (row done or left pending); may be NULL. */
    void (*on_job_end)(void *ctx, const struct bench_job *job);
    void *ctx;
    /* bench --slurm (bench_slurm.c) only: */
    const char *bench_dir;     /* BENCH, absolute */
    const char *self_path;     /* absolute path of the mlestar binary, run on the nodes */
    char **child_env;          /* the agents' environment (bench_child_environment) */
    const char *slurm_partition, *slurm_account, *slurm_extra; /* exec.slurm_* */
};

/* Fills a job for task (name) in task_dir with the given seed, its run
 * folder bench_dir/<task>/seed<seed>. Strings are copied. */
void bench_job_init(struct bench_job *job, const char *task, const char *task_dir, long seed,
                    const char *bench_dir);
/* Decides the action from the run folder (see above); a skipped job's row
 * is loaded. Never fails: an unreadable result.json or journal is logged
 * and the run is graded or started again. */
void bench_job_plan(struct bench_job *job);
void bench_job_free(struct bench_job *job);
/* Turns the ended run into the job's row (used by the runner, and for
 * BENCH_GRADE jobs): reads the journal, grades RUN/final/submission.csv and
 * writes RUN/result.json. wait_status is the child's waitpid status, or -1
 * when no child ran. When interrupted and the run can be resumed, the row
 * is left not done ("interrupted") and nothing is written. */
void bench_job_finish(struct bench_job *job, int wait_status, bool interrupted);

/* Runs every job whose action is not BENCH_SKIP. Returns 0 when all ended,
 * 1 when interrupted by a signal (rows of unfinished runs say "interrupted"
 * or "pending", not done). */
int bench_run_jobs(struct bench_job *jobs, size_t njobs, const struct bench_runner_opts *opts);

/* The same with every run to start or resume as one task of a Slurm array
 * job (bench_slurm.c; --jobs = tasks at once). Same return values; 1 also
 * when sbatch refused the array (every such row says "error"). */
int bench_run_jobs_slurm(struct bench_job *jobs, size_t njobs, const struct bench_runner_opts *opts);

/* The bench's environment less the MLESTAR_<SECTION>_<KEY> setting variables
 * and MLESTAR_CONFIG (array malloc'd, strings borrowed from environ). */
char **bench_child_environment(void);

#endif
