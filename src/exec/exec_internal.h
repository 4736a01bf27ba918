/* exec_internal.h - the pieces exec_run() is built from; private to src/exec.
 *
 *   score.c      the `Final Validation Performance:` line, whole text or streamed
 *   capture.c    one output stream: file with a byte cap, in-memory tail, score scan
 *   workspace.c  the attempt folder (script, input/ view, final/, hook)
 *   cgroup.c     per-run cgroups (memory, pids): limits, kill, peak, OOM
 *   confine.c    the kernel's confinement: namespaces + new root, Landlock,
 *                ids and capabilities, seccomp; probed once per process
 *   pyroots.c    the folders an interpreter reads its own files from
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
    char *root_dir;            /* dir/.sandbox/root: where the confined root is built */
    char *working_dir;         /* dir/working */
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

/* ---- pyroots.c ---- */

struct pyroots {
    char **dirs;               /* absolute folders (realpaths, and the named paths) */
    size_t ndirs;
    char *userbase;            /* site.USER_BASE when the user site is on sys.path; else NULL */
};

/* The interpreter's folders, asked once per process and interpreter; never
 * NULL (empty when it would not say); do not free. Thread-safe. */
const struct pyroots *pyroots_get(const char *python);

/* ---- confine.c ---- */

enum confine_mode {
    CONFINE_NONE,              /* the start-up hook only */
    CONFINE_LANDLOCK,          /* Landlock without namespaces */
    CONFINE_USERNS,            /* user + mount + pid namespaces, new root, uid mapped */
    CONFINE_ROOT               /* mount + pid namespaces as root, new root, uid 65534 */
};

struct confine_caps {
    enum confine_mode mode;    /* the strongest that works here */
    int landlock_abi;          /* 0 = none */
    bool seccomp;              /* the filter was built */
};

/* What this machine allows (probed once per process; thread-safe). */
const struct confine_caps *confine_probe(void);

enum view_kind {
    VIEW_RO,                   /* read-only bind of the same path */
    VIEW_RW,                   /* read-write bind (the attempt folder) */
    VIEW_HIDE_DIR,             /* an empty, unreadable tmpfs over it */
    VIEW_HIDE_FILE,            /* /dev/null over it */
    VIEW_TMPFS,                /* a fresh tmpfs (data: its options) */
    VIEW_SYMLINK,              /* a symlink (data: the target) */
    VIEW_FILE,                 /* a small file (data: its content) */
    VIEW_DEV,                  /* a bind of a device node */
    VIEW_PROC,                 /* a fresh procfs of the new pid namespace */
    VIEW_DIRONLY,              /* a folder made in the new root, no mount */
    VIEW_LLONLY,               /* a Landlock rule only */
    VIEW_SEAL                  /* last: a recursive read-only bind of a folder onto itself */
};

struct view_entry {
    enum view_kind kind;
    char *path;                /* the path the script sees (and the bind source) */
    char *dst;                 /* where it is made: new_root + path */
    char *data;
    bool is_dir;               /* VIEW_RO: a folder (else a file) */
    bool ro_after;             /* remounted read-only once everything is in place */
    unsigned long long ll_access; /* Landlock rights on path (0: no rule) */
};

struct confine_input {
    const char *attempt, *input_dir, *hook_dir;
    const char *new_root;      /* an empty folder to build the root on */
    const char *data_real;     /* may be NULL */
    const struct task *task;   /* may be NULL */
    const struct pyroots *pyroots;
    bool network;
};

/* Prepared before fork; the child only reads it. */
struct confine_plan {
    enum confine_mode mode;
    int landlock_abi;          /* 0: no Landlock layer */
    bool seccomp;
    bool drop_uid;             /* setresuid/setresgid to uid/gid (mlestar is root) */
    unsigned uid, gid;         /* the script's ids (inside the user namespace for USERNS) */
    char *uid_map, *gid_map;   /* CONFINE_USERNS */
    char *new_root;            /* NULL without namespaces */
    struct view_entry *v;      /* sorted by path: parents before children */
    size_t nv, cap;
    char *data_paths;          /* the data folders, ':'-separated (for the hook) */
    char *summary;             /* "mount-ns+pivot_root, pid-ns, landlock v7, seccomp, uid 65534" */
};

int confine_plan_build(struct confine_plan *cp, const struct confine_input *in, struct err *err);
void confine_plan_free(struct confine_plan *cp);
/* Child side, async-signal-safe; each returns 0 or an errno and names the
 * step in *what. confine_enter: in the new namespaces, builds the root and
 * pivots into it (nothing without namespaces). confine_restrict: drops
 * capabilities (and the uid), sets no_new_privs, applies Landlock.
 * confine_seccomp: loads the filter (call it last before execve). */
int confine_enter(const struct confine_plan *cp, const char **what);
int confine_restrict(const struct confine_plan *cp, const char **what);
int confine_seccomp(const struct confine_plan *cp);

/* ---- spawn.c ---- */

/* SPAWN_SCRIPT_EXITED: with namespaces the sentinel's child is the pid
 * namespace's init, and the init reports the script's own wait status. */
enum spawn_record_kind {
    SPAWN_STARTED = 1, SPAWN_EXITED = 2, SPAWN_FORK_FAILED = 3, SPAWN_SCRIPT_EXITED = 4
};

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
    const struct confine_plan *confine;
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
