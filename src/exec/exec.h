/* exec.h - running one untrusted Python script, contained and measured.
 *
 * exec_run() runs the interpreter on a script inside a private attempt
 * folder:
 *   ATTEMPT/solution.py     the script
 *   ATTEMPT/input/          read-only view of the task's visible data files
 *                           (symlinks or a bind mount; never copies; never
 *                           private/ or answer-like files)
 *   ATTEMPT/final/          where a submission goes
 *   ATTEMPT/stdout.txt, stderr.txt, files_read.txt
 * with a wall-clock limit (SIGTERM to the process group, SIGKILL after the
 * grace period; nothing it started survives), a memory limit (cgroup v2
 * memory.max or v1 memory.limit_in_bytes where writable, else RLIMIT_AS), a
 * process-count limit, a file-size limit, capped output, thread-count
 * variables set to the slot's share of the cores, no network (a new network
 * namespace where the kernel permits; otherwise recorded in the result), and
 * the files it can reach confined by the kernel for its whole process tree
 * (confine.c): as root, new mount and pid namespaces and a new root of
 * read-only binds (interpreter, system folders, a minimal /etc and /dev),
 * the data read-only, the attempt folder read-write and a private /tmp,
 * with the script as uid 65534; not root, the same in a user namespace; on
 * top, Landlock where the kernel has it, no capabilities, no_new_privs and a
 * seccomp filter; without namespaces, Landlock alone; without either, only
 * the Python start-up hook, and result.confinement says so. The hook
 * (templates/sandbox/sitecustomize.py) records every file opened (the
 * data-usage check reads files_read) and gives Python code a clear error for
 * reads and writes outside; it is the audit log, not the boundary.
 *
 * exec_run() returns -1 only when the run could not be set up (bad attempt
 * folder, no interpreter); every outcome of the script itself, crash or
 * not, is a 0 return with the verdict in struct exec_result.
 *
 * What is used on a given machine: per-run memory and pids cgroups (v1, or
 * v2 where our cgroup delegates them) else RLIMIT_AS / RLIMIT_NPROC (the
 * latter only for non-root users; as root there is then no process limit,
 * logged once); a network namespace where unshare() is permitted (else
 * logged once and network_isolated=false); the strongest confinement the
 * machine allows (probed once per process). Environment: only PATH, HOME, locale, pyenv and GPU
 * variables are passed on (never API keys), plus extra_env; HOME is
 * ATTEMPT/tmp when the files are confined. Details in run.c, spawn.c,
 * confine.c, cgroup.c and templates/sandbox/sitecustomize.py.
 *
 * Where the script runs is the backend's business (backend.h): this
 * machine, or one Slurm job per script (exec.backend=slurm), with the same
 * request, the same sandbox on the node and the same verdict.
 *
 * Thread-safe: several threads may call exec_run() at once (the pool does). */
#ifndef MLESTAR_EXEC_EXEC_H
#define MLESTAR_EXEC_EXEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "task/task.h"
#include "util/config.h"
#include "util/err.h"

#define EXEC_TAIL_MAX 16384  /* bytes of stdout/stderr tails kept in memory */

struct exec_limits {
    double timeout_s;
    double grace_s;
    long long memory_bytes;    /* 0 = no limit */
    long max_procs;
    long long max_file_bytes;
    long long output_cap_bytes;  /* stdout+stderr kept on disk (the end is always kept) */
    bool network;              /* true = allowed */
    int threads;               /* OMP/MKL/OpenBLAS threads; 0 = 1 */
    double deadline_mono;      /* 0 = none; else the wall-clock limit ends no later than this
                                  time_mono() instant (a run's deadline: a script that waited in
                                  the pool's queue gets only what is left when it starts). The
                                  script sees its effective limit in MLESTAR_TIME_LIMIT_S. */
};

struct exec_request {
    const char *script;            /* Python source */
    const char *attempt_dir;       /* created if missing */
    const struct task *task;       /* its visible files become input/ */
    const char *python;            /* NULL = exec_default_python() */
    struct exec_limits limits;
    const char *const *extra_env;  /* "KEY=VALUE" strings, NULL-terminated; may be NULL */
    const volatile int *cancel;    /* when it becomes non-zero the script is killed; may be NULL */
};

enum exec_status {
    EXEC_OK,          /* exited 0 */
    EXEC_FAILED,      /* exited non-zero */
    EXEC_SIGNALED,    /* killed by a signal it did not get from us */
    EXEC_TIMEOUT,
    EXEC_OOM,         /* killed for memory */
    EXEC_CANCELLED
};

struct exec_result {
    enum exec_status status;
    int exit_code;
    int signal;
    bool timed_out;
    bool oom_killed;
    bool output_truncated;
    double wall_s;                 /* start to the script's exit */
    double cpu_s;                  /* user+system of the whole process tree */
    long long peak_rss_bytes;      /* peak memory charged to the run's memory cgroup from
                                      the script's first line (so not the ~10 MB of the
                                      interpreter's start-up); else the largest RSS */
    char *stdout_path;
    char *stderr_path;
    char *stdout_tail;             /* last EXEC_TAIL_MAX bytes; NULL when a pool job was
                                      cancelled before it started */
    char *stderr_tail;
    bool has_score;                /* a finite `Final Validation Performance:` line */
    double score;                  /* the last such line */
    bool has_submission;           /* ATTEMPT/final/submission.csv exists */
    char *submission_path;
    char **files_read;             /* paths opened for reading, relative to input/ when inside it */
    size_t nfiles_read;
    char **files_blocked;          /* reads the hook refused */
    size_t nfiles_blocked;
    char **writes_blocked;         /* writes the hook refused (outside the attempt folder) */
    size_t nwrites_blocked;
    bool network_isolated;         /* the script had no network: false when it was allowed,
                                      or asked for but not possible here */
    bool memory_cgroup;            /* the memory limit was a cgroup, not RLIMIT_AS */
    bool fs_confined;              /* the kernel confined the files it could reach (namespaces
                                      and a new root, or Landlock); false: the hook only */
    char *confinement;             /* the layers in force, e.g. "mount-ns+pivot_root, pid-ns,
                                      landlock v7, seccomp, uid 65534"; NULL when a pool job
                                      was cancelled before it started */
};

int exec_run(const struct exec_request *req, struct exec_result *res, struct err *err);
void exec_result_free(struct exec_result *res);
/* The verdict as a JSON object (every field; result_json.c). The caller owns it. */
json_t *exec_result_json(const struct exec_result *res);
const char *exec_status_name(enum exec_status s);
/* Limits from the exec.* settings for one of `slots` concurrent scripts
 * (slots < 1: exec.slots, else the number of cores): memory 0 means RAM /
 * slots, threads are cores / slots (at least 1). Defaults in config.c:
 * timeout 1h, grace 5s, 256 processes+threads, files up to 8G, 64M of
 * output kept, no network. */
struct exec_limits exec_limits_from_config(const struct config *cfg, int slots);

/* Parses the last `Final Validation Performance: <float>` line of text.
 * Returns true and *score for a finite value; NaN/inf/garbage are rejected. */
bool exec_parse_score(const char *text, double *score);

/* The Python side of the machine: interpreter and importable ML packages. */
struct pyenv_package {
    char *name;
    char *version;
};

struct pyenv {
    char *python;                  /* absolute path of the chosen interpreter */
    char *version;                 /* "3.11.2" */
    struct pyenv_package *packages; /* importable ML packages, sorted by name */
    size_t npackages;
    int cores;
    long long memory_bytes;
    int gpus;
    char *gpu_names;               /* "" when none */
};

/* The interpreter used when a request names none: the one exec_discover(NULL)
 * finds, looked up once per process. NULL when none qualifies. Thread-safe;
 * the string is static. */
const char *exec_default_python(void);

/* Uses `configured` when set (failing if it lacks numpy/pandas/sklearn),
 * else the first of: every python3 on PATH, then /usr/bin/python3, that
 * imports numpy, pandas and sklearn. Nothing is ever pip-installed. */
int exec_discover(const char *configured, struct pyenv *env, struct err *err);
bool pyenv_has(const struct pyenv *env, const char *package);
/* A few lines for prompts: interpreter, packages with versions, hardware. */
char *pyenv_describe(const struct pyenv *env);
void pyenv_free(struct pyenv *env);

/* A pool of slots running scripts concurrently. */
struct exec_pool;
struct exec_job;
struct exec_pool *exec_pool_new(int slots);
/* Blocking: waits for a free slot, runs, returns like exec_run(). */
int exec_pool_run(struct exec_pool *pool, const struct exec_request *req, struct exec_result *res,
                  struct err *err);
/* Asynchronous: queues the request (copied) and returns a handle. */
struct exec_job *exec_pool_submit(struct exec_pool *pool, const struct exec_request *req);
/* Waits for the job; fills res; frees the handle. */
int exec_job_wait(struct exec_job *job, struct exec_result *res, struct err *err);
/* Cancels a queued or running job (its result becomes EXEC_CANCELLED). */
void exec_job_cancel(struct exec_job *job);
/* Kills everything running, cancels everything queued, frees the pool. */
void exec_pool_free(struct exec_pool *pool);

#endif
