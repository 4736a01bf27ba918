/* exec_internal.h - the pieces exec_run() is built from; private to src/exec.
 *
 *   score.c      the `Final Validation Performance:` line, whole text or streamed
 *   capture.c    one output stream: file with a byte cap, in-memory tail, score scan
 *   workspace.c  the attempt folder (script, input/ view, final/, hook)
 *   cgroup.c     per-run cgroups (memory, pids): limits, kill, peak, OOM
 *   spawn.c      the sentinel and child processes (async-signal-safe code only)
 *   run.c        exec_run(): set up, supervise, kill, verdict
 *   pyenv.c      interpreter discovery, exec_default_python()
 *   pool.c       the pool of slots
 *
 * Nothing here is part of the module's contract (exec.h). */
#ifndef MLESTAR_EXEC_INTERNAL_H
#define MLESTAR_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "exec/exec.h"
#include "util/err.h"

/* ---- score.c ---- */

/* Classifies one line (without its newline): -1 not a score line, 0 a score
 * line with a non-finite or unreadable value, 1 a valid score in *score. */
int exec_score_line(const char *line, size_t len, double *score);

/* ---- capture.c ---- */

#define CAPTURE_LINE_MAX 512

/* Byte budget shared by stdout and stderr (output_cap_bytes). */
struct capture_budget {
    long long cap;             /* 0 = unlimited */
    long long used;
};

struct capture {
    int fd;                    /* the file on disk; -1 once closed */
    long long total;           /* bytes the script produced */
    long long written;         /* bytes that reached the file */
    bool truncated;
    char ring[EXEC_TAIL_MAX];  /* the last bytes produced */
    size_t ring_len;
    size_t ring_pos;           /* next write position when full */
    bool scan_score;           /* stdout: watch for score lines */
    char line[CAPTURE_LINE_MAX];
    size_t line_len;
    bool line_overflow;
    int score_state;           /* -1 none seen, 0 last was invalid, 1 valid */
    double score;
};

void capture_init(struct capture *c, int fd, bool scan_score);
void capture_feed(struct capture *c, struct capture_budget *budget, const char *data, size_t n);
/* Ends the stream: scans a last unterminated line, and when the file was
 * truncated appends a marker and the in-memory tail. Closes the file. */
void capture_finish(struct capture *c);
/* malloc'd copy of the tail. */
char *capture_tail(const struct capture *c);

/* ---- workspace.c ---- */

struct workspace {
    char *dir;                 /* absolute, symlink-free attempt folder */
    char *script_path;         /* dir/solution.py */
    char *hook_dir;            /* dir/.sandbox */
    char *tmp_dir;             /* dir/tmp (TMPDIR) */
    char *files_read_path;     /* dir/files_read.txt */
    char *stdout_path;
    char *stderr_path;
    char *final_dir;
    char *input_dir;
    char *data_real;           /* realpath of task->data_dir; NULL without a task */
    char *data_more;           /* ':'-joined folders outside it holding task files (archives
                                  unpacked into the run's data view); NULL when none */
    char **deny;               /* private entries next to / inside the data (realpaths) */
    bool *deny_is_dir;
    size_t ndeny;
};

/* Creates or refreshes the attempt folder for one run. */
int workspace_prepare(struct workspace *ws, const char *attempt_dir, const struct task *task,
                      const char *script, const char *python, struct err *err);
void workspace_free(struct workspace *ws);
/* Reads files_read.txt into res->files_read / files_blocked / writes_blocked. */
void workspace_read_file_log(const struct workspace *ws, struct exec_result *res);

/* ---- cgroup.c ---- */

struct exec_cgroup {
    char *mem_dir;             /* NULL when memory is not limited by a cgroup */
    char *pids_dir;            /* NULL when processes are not counted by a cgroup */
    int mem_version;           /* 1 or 2 */
    int pids_version;
    int join_fds[2];           /* cgroup.procs opened for writing; -1 unused */
};

/* Creates this run's cgroups with the limits (memory 0 = none). Never
 * fails: controllers that cannot be used are left out (NULL dirs). */
void cgroup_setup(struct exec_cgroup *cg, long long memory_bytes, long max_procs);
/* Closes the join descriptors (after the child joined). */
void cgroup_close_join(struct exec_cgroup *cg);
/* Signals every process in the run's cgroups; returns how many were found. */
int cgroup_signal_all(const struct exec_cgroup *cg, int sig);
long long cgroup_peak_memory(const struct exec_cgroup *cg);
bool cgroup_oom_killed(const struct exec_cgroup *cg);
/* Removes the cgroups (they must be empty). */
void cgroup_destroy(struct exec_cgroup *cg);

/* ---- spawn.c ---- */

enum spawn_record_kind { SPAWN_STARTED = 1, SPAWN_EXITED = 2, SPAWN_FORK_FAILED = 3 };

struct spawn_record {
    int kind;
    int value;                 /* child pid, wait status or errno */
};

/* Everything the child needs, prepared before fork (the child may not
 * allocate: the orchestrator is multi-threaded). */
struct spawn_plan {
    const char *python;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int out_w, err_w, devnull, status_w;
    int gate_r, gate_w;        /* the child's Python waits on gate_r (as fd 3) */
    int cg_fds[2];             /* cgroup.procs of the run, opened for writing */
    bool new_netns;
    bool new_mntns;            /* read-only data, hidden private entries */
    const char *ro_dir;        /* bind read-only; may be NULL */
    char *const *hide;         /* entries to cover (tmpfs / /dev/null) */
    const bool *hide_is_dir;
    size_t nhide;
    long long rlimit_as;       /* 0 = leave */
    long long rlimit_fsize;    /* 0 = leave */
    long rlimit_nproc;         /* 0 = leave */
};

/* Forks the sentinel: a subreaper that forks the child, reports it through
 * status_w (struct spawn_record) and reaps every descendant. Returns the
 * sentinel's pid, or -1. */
pid_t spawn_sentinel(const struct spawn_plan *plan, struct err *err);
/* Whether unshare(CLONE_NEWNET) works here (probed once). */
bool spawn_netns_supported(void);

/* ---- pyenv.c ---- */

/* Runs argv (argv[0] a path) with stdout captured into a malloc'd *out and
 * stdin/stderr on /dev/null; returns the exit status, or -1 when it could
 * not run, was killed or took longer than timeout_s. */
int exec_capture_output(char *const argv[], double timeout_s, char **out);

/* ---- hookcache.c ---- */

/* The start-up hook compiled by `python` into an unchecked-hash .pyc, so
 * the child does not compile it at every start (a few ms). Compiled once
 * per interpreter and process from the hook at src_path; *pyc is static
 * (do not free). Returns -1 when the interpreter cannot produce it. */
int hook_bytecode(const char *python, const char *src_path, const char **pyc, size_t *len,
                  const char **cache_tag);

/* ---- run.c ---- */

/* exec_run() with a second cancel flag (the pool's). */
int exec_run_with_cancel(const struct exec_request *req, const volatile int *cancel2,
                         struct exec_result *res, struct err *err);

#endif
