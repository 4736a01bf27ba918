/* run.c - exec_run(): one script, contained, measured, and always a verdict.
 *
 * Set-up: the attempt folder (workspace.c), the run's cgroups (cgroup.c),
 * a clean environment (no API keys: only PATH, HOME, locale, GPU and pyenv
 * variables are passed on, plus the request's extra_env), three pipes
 * (stdout, stderr, and the sentinel's status records), then the sentinel
 * and the child (spawn.c).
 *
 * Supervision is one poll() loop in the calling thread, in three phases:
 *   RUNNING      output is captured (capture.c); the deadline and the cancel
 *                flags are watched;
 *   TERMINATING  the deadline passed: SIGTERM went to the process group and
 *                to every process of the cgroups; SIGKILL after grace_s;
 *   KILLING      the child ended, the grace ran out or the run was
 *                cancelled: every ~20 ms SIGKILL goes to the group, to the
 *                cgroups' processes and (when the cgroups show nothing but
 *                the sentinel still has children) to every descendant of the
 *                sentinel found in /proc. Nothing the script started outlives
 *                its run.
 * The loop ends when the sentinel has exited (all descendants reaped) and
 * both pipes are closed; after 10 s of KILLING it gives up on stragglers
 * (processes in uninterruptible sleep), kills the sentinel and stops reading.
 *
 * Memory is limited by the run's memory cgroup where there is one, else by
 * RLIMIT_AS; processes by the pids cgroup, else by RLIMIT_NPROC for non-root
 * users (as root, RLIMIT_NPROC would count every root process on the host,
 * so there is then no process limit, said once in the log). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define READ_CHUNK (256 * 1024)
#define KILL_TICK_MS 20
#define CANCEL_TICK_MS 50
#define GIVE_UP_S 10.0

static atomic_bool warned_netns, warned_nproc;

/* ---- environment ---- */

struct strv {
    char **v;
    size_t n;
};

static void strv_set(struct strv *s, const char *key, const char *value)
{
    size_t kl = strlen(key);
    char *entry = xasprintf("%s=%s", key, value);
    for (size_t i = 0; i < s->n; i++)
        if (!strncmp(s->v[i], key, kl) && s->v[i][kl] == '=') {
            free(s->v[i]);
            s->v[i] = entry;
            return;
        }
    s->v = xrealloc(s->v, (s->n + 2) * sizeof *s->v);
    s->v[s->n++] = entry;
    s->v[s->n] = NULL;
}

static void strv_put(struct strv *s, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return;
    char *key = xstrndup(kv, (size_t)(eq - kv));
    strv_set(s, key, eq + 1);
    free(key);
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static char *join_deny(const struct workspace *ws)
{
    struct buf b = {0};
    for (size_t i = 0; i < ws->ndeny; i++) {
        if (i)
            buf_putc(&b, ':');
        buf_puts(&b, ws->deny[i]);
    }
    return buf_detach(&b);
}

static void build_env(struct strv *env, const struct exec_request *req, const struct workspace *ws)
{
    static const char *const passed[] = {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYENV_ROOT",
        "PYENV_VERSION", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", NULL};
    static const char *const thread_vars[] = {
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS", NULL};
    strv_set(env, "PATH", "/usr/local/bin:/usr/bin:/bin");
    strv_set(env, "LANG", "C.UTF-8");
    for (const char *const *k = passed; *k; k++) {
        const char *v = getenv(*k);
        if (v)
            strv_set(env, *k, v);
    }
    if (!getenv("HOME"))
        strv_set(env, "HOME", ws->dir);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", req->limits.threads > 0 ? req->limits.threads : 1);
    for (const char *const *k = thread_vars; *k; k++)
        strv_set(env, *k, threads);
    strv_set(env, "PYTHONPATH", ws->hook_dir);
    strv_set(env, "PYTHONDONTWRITEBYTECODE", "1");
    strv_set(env, "PYTHONUNBUFFERED", "1");
    strv_set(env, "PYTHONFAULTHANDLER", "1");
    strv_set(env, "MPLBACKEND", "Agg");
    char *mpl = fs_join(ws->tmp_dir, "matplotlib");
    strv_set(env, "MPLCONFIGDIR", mpl); /* ~/.config/matplotlib is not writable */
    free(mpl);
    strv_set(env, "TMPDIR", ws->tmp_dir);
    strv_set(env, "TMP", ws->tmp_dir);
    strv_set(env, "TEMP", ws->tmp_dir);
    strv_set(env, "MLESTAR_SANDBOX_GATE_FD", "3");
    strv_set(env, "MLESTAR_SANDBOX_ROOT", ws->dir);
    strv_set(env, "MLESTAR_SANDBOX_LOG", ws->files_read_path);
    char *data = ws->data_more ? xasprintf("%s:%s", ws->data_real ? ws->data_real : "", ws->data_more)
                               : xstrdup(ws->data_real ? ws->data_real : "");
    strv_set(env, "MLESTAR_SANDBOX_DATA", data);
    free(data);
    char *deny = join_deny(ws);
    strv_set(env, "MLESTAR_SANDBOX_DENY", deny);
    free(deny);
    for (const char *const *kv = req->extra_env; kv && *kv; kv++)
        strv_put(env, *kv);
}

/* ---- one run's state ---- */

enum phase { PHASE_RUNNING, PHASE_TERMINATING, PHASE_KILLING };

struct run {
    const struct exec_request *req;
    const volatile int *cancel2;
    struct workspace ws;
    struct exec_cgroup cg;
    struct capture out, errs;
    struct capture_budget budget;
    int out_r, err_r, status_r;
    pid_t sentinel, child;
    enum phase phase;
    double start, end, deadline, grace_deadline, kill_started, last_kill;
    bool out_eof, err_eof, status_eof;
    bool child_exited, timed_out, cancelled, gave_up;
    int child_status;
    int fork_errno;
    int kill_rounds;
};

static bool cancel_requested(const struct run *r)
{
    return (r->req->cancel && *r->req->cancel) || (r->cancel2 && *r->cancel2);
}

/* Every descendant of `root` according to /proc; returns how many were signalled. */
static int signal_descendants(pid_t root, int sig)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    pid_t *pids = NULL, *ppids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char path[64], text[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, text, sizeof text - 1);
        close(fd);
        if (len <= 0)
            continue;
        text[len] = '\0';
        char *paren = strrchr(text, ')');
        int ppid;
        char state;
        if (!paren || sscanf(paren + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            pids = xrealloc(pids, cap * sizeof *pids);
            ppids = xrealloc(ppids, cap * sizeof *ppids);
        }
        pids[n] = (pid_t)pid;
        ppids[n++] = (pid_t)ppid;
    }
    closedir(d);
    bool *mine = xcalloc(n ? n : 1, sizeof *mine);
    int found = 0;
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (mine[i])
                continue;
            bool parent_mine = ppids[i] == root;
            for (size_t j = 0; j < n && !parent_mine; j++)
                parent_mine = mine[j] && pids[j] == ppids[i];
            if (parent_mine) {
                mine[i] = grew = true;
                kill(pids[i], sig);
                found++;
            }
        }
    }
    free(mine);
    free(pids);
    free(ppids);
    return found;
}

static void signal_everything(struct run *r, int sig, bool deep)
{
    if (r->child > 0) {
        kill(-r->child, sig);
        kill(r->child, sig);
    }
    int found = cgroup_signal_all(&r->cg, sig);
    if (deep && found == 0)
        signal_descendants(r->sentinel, sig);
}

static void start_killing(struct run *r, double now)
{
    if (r->phase == PHASE_KILLING)
        return;
    r->phase = PHASE_KILLING;
    r->kill_started = now;
}

/* Decides what to do next from the clock and the flags. */
static void advance(struct run *r, double now)
{
    const struct exec_limits *lim = &r->req->limits;
    if (r->phase != PHASE_KILLING && !r->child_exited && cancel_requested(r)) {
        r->cancelled = true;
        start_killing(r, now);
    }
    if (r->phase == PHASE_RUNNING && !r->child_exited && lim->timeout_s > 0 && now >= r->deadline) {
        r->timed_out = true;
        r->phase = PHASE_TERMINATING;
        r->grace_deadline = now + (lim->grace_s > 0 ? lim->grace_s : 0);
        signal_everything(r, SIGTERM, false);
    }
    if (r->phase == PHASE_TERMINATING && now >= r->grace_deadline)
        start_killing(r, now);
    if (r->child_exited)
        start_killing(r, now);
    if (r->phase == PHASE_KILLING && now - r->last_kill >= KILL_TICK_MS / 1000.0) {
        r->last_kill = now;
        signal_everything(r, SIGKILL, r->kill_rounds++ > 0);
        if (now - r->kill_started > GIVE_UP_S) {
            log_warn("exec: processes of %s would not die after %.0f s; leaving them", r->ws.dir,
                     GIVE_UP_S);
            kill(r->sentinel, SIGKILL);
            r->gave_up = true;
        }
    }
}

static int poll_timeout_ms(const struct run *r, double now)
{
    double wait_s = -1;
    if (r->phase == PHASE_KILLING)
        return KILL_TICK_MS;
    if (r->phase == PHASE_TERMINATING)
        wait_s = r->grace_deadline - now;
    else if (r->req->limits.timeout_s > 0)
        wait_s = r->deadline - now;
    int ms = wait_s < 0 ? -1 : (int)(wait_s * 1000) + 1;
    if (r->req->cancel || r->cancel2)
        ms = ms < 0 || ms > CANCEL_TICK_MS ? CANCEL_TICK_MS : ms;
    return ms;
}

static void read_status(struct run *r, double now)
{
    struct spawn_record rec;
    ssize_t n = read(r->status_r, &rec, sizeof rec);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        r->status_eof = true;
        return;
    }
    if (n != (ssize_t)sizeof rec)
        return;
    if (rec.kind == SPAWN_STARTED) {
        r->child = rec.value;
    } else if (rec.kind == SPAWN_EXITED) {
        r->child_exited = true;
        r->child_status = rec.value;
        r->end = now;
    } else if (rec.kind == SPAWN_FORK_FAILED) {
        r->fork_errno = rec.value;
    }
}

static void read_stream(int fd, struct capture *c, struct capture_budget *budget, bool *eof,
                        char *chunk)
{
    ssize_t n = read(fd, chunk, READ_CHUNK);
    if (n > 0)
        capture_feed(c, budget, chunk, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        *eof = true;
}

static void supervise(struct run *r)
{
    char *chunk = xmalloc(READ_CHUNK);
    while (!(r->status_eof && r->out_eof && r->err_eof) && !r->gave_up) {
        double now = time_mono();
        advance(r, now);
        struct pollfd pfd[3];
        int nfd = 0, idx_out = -1, idx_err = -1, idx_st = -1;
        if (!r->out_eof)
            idx_out = nfd, pfd[nfd++] = (struct pollfd){r->out_r, POLLIN, 0};
        if (!r->err_eof)
            idx_err = nfd, pfd[nfd++] = (struct pollfd){r->err_r, POLLIN, 0};
        if (!r->status_eof)
            idx_st = nfd, pfd[nfd++] = (struct pollfd){r->status_r, POLLIN, 0};
        int ready = poll(pfd, (nfds_t)nfd, poll_timeout_ms(r, now));
        if (ready <= 0)
            continue;
        now = time_mono();
        if (idx_st >= 0 && pfd[idx_st].revents)
            read_status(r, now);
        if (idx_out >= 0 && pfd[idx_out].revents)
            read_stream(r->out_r, &r->out, &r->budget, &r->out_eof, chunk);
        if (idx_err >= 0 && pfd[idx_err].revents)
            read_stream(r->err_r, &r->errs, &r->budget, &r->err_eof, chunk);
    }
    free(chunk);
    if (!r->child_exited)
        r->end = time_mono();
}

/* ---- set-up ---- */

static int open_output(const char *path, struct err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        err_sys(err, errno, "cannot create %s", path);
    return fd;
}

static long user_process_count(void)
{
    DIR *d = opendir("/proc");
    long n = 0;
    struct dirent *e;
    uid_t uid = getuid();
    while (d && (e = readdir(d)) != NULL) {
        struct stat st;
        char path[300];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &st) == 0 && st.st_uid == uid)
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void plan_limits(struct run *r, struct spawn_plan *plan, struct exec_result *res)
{
    const struct exec_limits *lim = &r->req->limits;
    res->memory_cgroup = r->cg.mem_dir != NULL && lim->memory_bytes > 0;
    if (lim->memory_bytes > 0 && !r->cg.mem_dir)
        plan->rlimit_as = lim->memory_bytes;
    if (lim->max_file_bytes > 0)
        plan->rlimit_fsize = lim->max_file_bytes;
    if (lim->max_procs > 0 && !r->cg.pids_dir) {
        if (geteuid() == 0) {
            if (!atomic_exchange(&warned_nproc, true))
                log_warn("exec: no pids cgroup and running as root: the process count of scripts "
                         "is not limited (exec.max_procs=%ld ignored)", lim->max_procs);
        } else {
            plan->rlimit_nproc = lim->max_procs + user_process_count();
        }
    }
    bool isolate = !lim->network;
    if (isolate && !spawn_netns_supported()) {
        if (!atomic_exchange(&warned_netns, true))
            log_warn("exec: cannot create a network namespace here (unshare(CLONE_NEWNET) is not "
                     "permitted): scripts CAN reach the network");
        isolate = false;
        plan->new_netns = false;
    } else {
        plan->new_netns = isolate;
    }
    res->network_isolated = isolate;
}

static int make_pipe(int fds[2], struct err *err)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return err_sys(err, errno, "cannot create a pipe");
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Starts the sentinel; on success the run's read ends are set. */
static int launch(struct run *r, const char *python, struct exec_result *res, struct err *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, st[2] = {-1, -1}, gate[2] = {-1, -1};
    int out_file = -1, err_file = -1, devnull = -1;
    struct strv env = {0};
    int rc = -1;
    if (make_pipe(out, err) < 0 || make_pipe(errp, err) < 0 || make_pipe(st, err) < 0)
        goto out;
    if (pipe2(gate, O_CLOEXEC) < 0) {
        err_sys(err, errno, "cannot create a pipe");
        goto out;
    }
    if ((out_file = open_output(r->ws.stdout_path, err)) < 0 ||
        (err_file = open_output(r->ws.stderr_path, err)) < 0)
        goto out;
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        err_sys(err, errno, "cannot open /dev/null");
        goto out;
    }
    build_env(&env, r->req, &r->ws);
    char *argv[] = {(char *)python, r->ws.script_path, NULL};
    struct spawn_plan plan = {
        .python = python, .argv = argv, .envp = env.v, .cwd = r->ws.dir,
        .out_w = out[1], .err_w = errp[1], .devnull = devnull, .status_w = st[1],
        .gate_r = gate[0], .gate_w = gate[1],
        .cg_fds = {r->cg.join_fds[0], r->cg.join_fds[1]},
        .new_mntns = true, .ro_dir = r->ws.data_real,
        .hide = r->ws.deny, .hide_is_dir = r->ws.deny_is_dir, .nhide = r->ws.ndeny,
    };
    plan_limits(r, &plan, res);
    capture_init(&r->out, out_file, true);
    capture_init(&r->errs, err_file, false);
    out_file = err_file = -1;
    r->budget.cap = r->req->limits.output_cap_bytes;
    r->start = time_mono();
    r->deadline = r->start + r->req->limits.timeout_s;
    r->sentinel = spawn_sentinel(&plan, err);
    if (r->sentinel < 0)
        goto out;
    r->out_r = out[0];
    r->err_r = errp[0];
    r->status_r = st[0];
    out[0] = errp[0] = st[0] = -1;
    rc = 0;
out:
    close_fd(&out[0]), close_fd(&out[1]), close_fd(&errp[0]), close_fd(&errp[1]);
    close_fd(&st[0]), close_fd(&st[1]), close_fd(&out_file), close_fd(&err_file);
    close_fd(&devnull), close_fd(&gate[0]), close_fd(&gate[1]);
    cgroup_close_join(&r->cg);
    strv_free(&env);
    return rc;
}

/* ---- verdict ---- */

static bool ends_with_memory_error(const char *tail)
{
    const char *last = NULL;
    for (const char *p = tail; (p = strstr(p, "MemoryError")) != NULL; p++)
        last = p;
    if (!last)
        return false;
    for (const char *p = last; *p; p++)
        if (*p == '\n' && p[1] && p[1] != '\n')
            return false; /* something else was printed after it */
    return true;
}

static void decide(struct run *r, struct exec_result *res, const struct rusage *ru)
{
    res->timed_out = r->timed_out;
    res->wall_s = r->end - r->start;
    res->cpu_s = (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
                 (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
    long long peak = cgroup_peak_memory(&r->cg);
    res->peak_rss_bytes = peak >= 0 ? peak : (long long)ru->ru_maxrss * 1024;
    res->oom_killed = cgroup_oom_killed(&r->cg) ||
                      (!res->memory_cgroup && r->req->limits.memory_bytes > 0 &&
                       ends_with_memory_error(res->stderr_tail));
    res->exit_code = -1;
    if (r->child_exited && WIFEXITED(r->child_status))
        res->exit_code = WEXITSTATUS(r->child_status);
    if (r->child_exited && WIFSIGNALED(r->child_status))
        res->signal = WTERMSIG(r->child_status);
    if (r->cancelled)
        res->status = EXEC_CANCELLED;
    else if (r->timed_out)
        res->status = EXEC_TIMEOUT;
    else if (res->exit_code == 0)
        res->status = EXEC_OK;
    else if (res->oom_killed)
        res->status = EXEC_OOM;
    else if (res->signal)
        res->status = EXEC_SIGNALED;
    else
        res->status = EXEC_FAILED;
}

static void collect(struct run *r, struct exec_result *res)
{
    capture_finish(&r->out);
    capture_finish(&r->errs);
    res->output_truncated = r->out.truncated || r->errs.truncated;
    res->stdout_tail = capture_tail(&r->out);
    res->stderr_tail = capture_tail(&r->errs);
    res->stdout_path = xstrdup(r->ws.stdout_path);
    res->stderr_path = xstrdup(r->ws.stderr_path);
    res->has_score = r->out.score_state == 1;
    res->score = res->has_score ? r->out.score : 0;
    char *sub = fs_join(r->ws.final_dir, "submission.csv");
    res->has_submission = fs_is_file(sub);
    if (res->has_submission)
        res->submission_path = sub;
    else
        free(sub);
    workspace_read_file_log(&r->ws, res);
}

int exec_run_with_cancel(const struct exec_request *req, const volatile int *cancel2,
                         struct exec_result *res, struct err *err)
{
    memset(res, 0, sizeof *res);
    if (!req || !req->script || !req->attempt_dir || !*req->attempt_dir)
        return err_set(err, "exec: a script and an attempt folder are required");
    const char *python = req->python ? req->python : exec_default_python();
    if (!python)
        return err_set(err, "no Python interpreter with numpy, pandas and scikit-learn was found; "
                            "set exec.python to one");
    if (access(python, X_OK) < 0)
        return err_sys(err, errno, "cannot execute the Python interpreter %s (setting exec.python)",
                       python);
    struct run r = {.req = req, .cancel2 = cancel2, .out_r = -1, .err_r = -1, .status_r = -1};
    r.out.fd = r.errs.fd = -1;
    double t_begin = time_mono();
    if (workspace_prepare(&r.ws, req->attempt_dir, req->task, req->script, python, err) < 0) {
        workspace_free(&r.ws);
        return -1;
    }
    double t_ws = time_mono();
    cgroup_setup(&r.cg, req->limits.memory_bytes, req->limits.max_procs);
    double t_cg = time_mono();
    if (launch(&r, python, res, err) < 0) {
        capture_finish(&r.out);
        capture_finish(&r.errs);
        cgroup_destroy(&r.cg);
        workspace_free(&r.ws);
        return -1;
    }
    double t_launch = time_mono();
    supervise(&r);
    double t_supervised = time_mono();
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(r.sentinel, NULL, 0, &ru) < 0 && errno == EINTR)
        ;
    close_fd(&r.out_r), close_fd(&r.err_r), close_fd(&r.status_r);
    collect(&r, res);
    decide(&r, res, &ru);
    cgroup_destroy(&r.cg);
    fs_empty_dir(r.ws.tmp_dir, NULL);
    log_debug("exec: %s: workspace %.1f ms, cgroups %.1f ms, launch %.1f ms, run %.1f ms "
              "(child %.1f ms), wrap-up %.1f ms", r.ws.dir, (t_ws - t_begin) * 1e3,
              (t_cg - t_ws) * 1e3, (t_launch - t_cg) * 1e3, (t_supervised - t_launch) * 1e3,
              res->wall_s * 1e3, (time_mono() - t_supervised) * 1e3);
    int rc = 0;
    if (r.fork_errno) {
        rc = err_sys(err, r.fork_errno, "cannot start the script %s", r.ws.script_path);
        exec_result_free(res);
    }
    workspace_free(&r.ws);
    return rc;
}

int exec_run(const struct exec_request *req, struct exec_result *res, struct err *err)
{
    return exec_run_with_cancel(req, NULL, res, err);
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

void exec_result_free(struct exec_result *res)
{
    if (!res)
        return;
    free(res->stdout_path);
    free(res->stderr_path);
    free(res->stdout_tail);
    free(res->stderr_tail);
    free(res->submission_path);
    free_list(res->files_read, res->nfiles_read);
    free_list(res->files_blocked, res->nfiles_blocked);
    free_list(res->writes_blocked, res->nwrites_blocked);
    memset(res, 0, sizeof *res);
}
