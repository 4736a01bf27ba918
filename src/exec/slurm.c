/* slurm.c - the slurm backend, login-node side: one script = one job.
 *
 * For a request it writes ATTEMPT/.slurm/request.json (slurm_json.c) and
 * starts
 *   srun -v --job-name=mlestar:<run>/<attempt>#<try> --nodes=1 --ntasks=1
 *        --cpus-per-task=<threads> [--mem=<exec.memory + 256M>] --time=<timeout+grace+1m>
 *        --output=ATTEMPT/.slurm/job.out --error=ATTEMPT/.slurm/job.err
 *        [--partition=P] [--account=A] [exec.slurm_extra words...]
 *        MLESTAR __exec-job ATTEMPT/.slurm/request.json
 * (--mem only when exec.memory is set: the automatic value, this machine's
 * RAM / slots, means nothing on a compute node, so the partition's default
 * applies; the sandbox inside still limits the script) with fork+execve
 * and an argument vector (no shell), in its own process
 * group (a terminal's Ctrl-C reaches the orchestrator, not srun) and with
 * PR_SET_PDEATHSIG, so that srun, and with it the job, ends if the
 * orchestrator dies. srun allocates at once when the cluster has room (an
 * interactive allocation: no wait for the batch scheduler's next pass), so
 * the per-script cost is tens of milliseconds. Its environment is a short
 * list (PATH, HOME, locale, TMPDIR, SLURM_CONF, sanitizer options...): no
 * API keys, and none of the SLURM_JOB_* variables of an orchestrator that
 * itself runs inside an allocation (srun would then start a step inside
 * that allocation instead of a job of its own).
 *
 * The job runs this binary in its internal mode (slurm_job.c), which runs
 * the local sandbox on the node and writes ATTEMPT/.slurm/result.json. The
 * watch loop here ticks every 10 ms: it reads srun's messages (the job id,
 * kept in ATTEMPT/.slurm/srun.log), notices ATTEMPT/.slurm/job.json (the job
 * started), and cancels with `scancel` (by id, or by name while no id is
 * known) when the request's or the pool's cancel flag is set, or when a
 * started job outlives timeout + grace + 30 s (the node side enforces the
 * timeout itself; this is the backstop). After a cancel it waits until the
 * job has left `squeue`, so nothing is left behind.
 *
 * The verdict is result.json when there is one. Without it, the job's
 * state says what happened: `scontrol show job -o` while slurmctld still
 * knows the job (MinJobAge), else `sacct` where accounting is kept.
 * NODE_FAIL, PREEMPTED, BOOT_FAIL, OUT_OF_MEMORY and a job that ended
 * without writing a verdict (its process was killed) are the cluster's
 * doing: the request is run once more, then reported as a failed execution
 * whose stderr tail says what Slurm said. TIMEOUT is EXEC_TIMEOUT. A job
 * that was never allocated (bad partition, account...) is a set-up error
 * (-1) with srun's message. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/backend.h"
#include "exec/exec_internal.h"
#include "exec/slurm.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define TICK_MS 10
#define BACKSTOP_S 30.0
#define GONE_WAIT_S 20.0
#define TOOL_TIMEOUT_S 30.0
#define MEM_SLACK_MB 256
#define MAX_TRIES 2

extern char **environ;

/* Chosen once by slurm_configure() (before any script runs). */
static struct {
    char *srun, *scancel, *scontrol, *squeue, *sacct;
    char *self;                /* this binary, run on the nodes */
    char *partition, *account;
    char **extra;              /* exec.slurm_extra, split */
    char *user;
    bool mem_explicit;         /* exec.memory was set: ask Slurm for it (--mem) */
} S;

static atomic_long name_counter;

static char *find_tool(const char *name)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *found = NULL, *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *p = fs_join(dir, name);
        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    free(copy);
    return found;
}

static void settings_free(void)
{
    free(S.srun), free(S.scancel), free(S.scontrol), free(S.squeue), free(S.sacct);
    free(S.self), free(S.partition), free(S.account), free(S.user);
    slurm_words_free(S.extra);
    memset(&S, 0, sizeof S);
}

int slurm_configure(const struct config *cfg, struct err *err)
{
    char **extra = slurm_split_words(cfg->exec.slurm_extra, err);
    if (!extra)
        return -1;
    settings_free();
    S.extra = extra;
    S.srun = find_tool("srun");
    S.scancel = find_tool("scancel");
    S.scontrol = find_tool("scontrol");
    S.squeue = find_tool("squeue");
    S.sacct = find_tool("sacct");
    if (!S.srun || !S.scancel || !S.scontrol || !S.squeue) {
        settings_free();
        return err_set(err, "exec.backend=slurm: srun, scancel, scontrol and squeue must be on PATH "
                            "(install Slurm's client tools, or set exec.backend=local)");
    }
    S.self = fs_realpath("/proc/self/exe");
    if (!S.self) {
        settings_free();
        return err_set(err, "exec.backend=slurm: cannot find this program's own path (/proc/self/exe)");
    }
    S.partition = xstrdup(cfg->exec.slurm_partition ? cfg->exec.slurm_partition : "");
    S.account = xstrdup(cfg->exec.slurm_account ? cfg->exec.slurm_account : "");
    struct passwd *pw = getpwuid(getuid());
    S.user = xstrdup(pw ? pw->pw_name : "root");
    S.mem_explicit = cfg->exec.memory > 0;
    return 0;
}

/* ---- small tools ---- */

struct strv {
    char **v;
    size_t n;
};

static void strv_add(struct strv *s, char *owned)
{
    s->v = xrealloc(s->v, (s->n + 2) * sizeof *s->v);
    s->v[s->n++] = owned;
    s->v[s->n] = NULL;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Runs one Slurm tool; its stdout in *out (may be NULL). Returns its exit
 * status or -1. */
static int run_tool(char **argv, char **out)
{
    char *text = NULL;
    int rc = exec_capture_output(argv, TOOL_TIMEOUT_S, &text);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

/* Job names: "mlestar:" + the last path components of the attempt folder
 * (its run folder, area and label: RUN/lanes/0/0003-refine), '#try', and
 * a per-process counter; only characters every Slurm tool prints back
 * unchanged. */
static char *job_name(const char *attempt_dir, int try)
{
    const char *tail = attempt_dir + strlen(attempt_dir);
    int slashes = 0;
    while (tail > attempt_dir && slashes < 5) {
        tail--;
        if (*tail == '/')
            slashes++;
    }
    if (*tail == '/')
        tail++;
    size_t len = strlen(tail);
    if (len > 80)
        tail += len - 80;
    struct buf b = {0};
    buf_puts(&b, "mlestar:");
    for (const char *p = tail; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '/';
        buf_putc(&b, ok ? c : '_');
    }
    buf_printf(&b, "#%d.%ld.%ld", try, (long)getpid(), atomic_fetch_add(&name_counter, 1));
    return buf_detach(&b);
}

/* srun's environment: what the node side and the sandbox use, nothing
 * secret, no SLURM_JOB_* of an enclosing allocation. */
static void build_env(struct strv *env)
{
    static const char *const keep[] = {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
        "SLURM_CONF", "PYENV_ROOT", "PYENV_VERSION", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES",
        "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "MLESTAR_LOG", "MLESTAR_LOG_LEVEL", NULL};
    for (const char *const *k = keep; *k; k++) {
        const char *v = getenv(*k);
        if (v)
            strv_add(env, xasprintf("%s=%s", *k, v));
    }
}

/* ---- one try ---- */

struct job {
    const struct exec_request *req;
    const volatile int *cancel2;
    char *dir;                 /* ATTEMPT/.slurm */
    char *request_path, *result_path, *job_info_path, *error_path, *log_path;
    char *name;
    long id;
    pid_t srun;
    int err_r;                 /* srun's stderr */
    int log_fd;
    struct buf line;
    struct buf last_line;      /* srun's last message, for errors */
    bool started, cancelled, backstop_fired, srun_exited;
    int srun_status;
    double t_started;
};

static bool cancel_requested(const struct job *j)
{
    return (j->req->cancel && *j->req->cancel) || (j->cancel2 && *j->cancel2);
}

static void build_argv(const struct job *j, struct strv *argv)
{
    const struct exec_limits *l = &j->req->limits;
    strv_add(argv, xstrdup(S.srun));
    strv_add(argv, xstrdup("-v"));
    strv_add(argv, xasprintf("--job-name=%s", j->name));
    strv_add(argv, xstrdup("--nodes=1"));
    strv_add(argv, xstrdup("--ntasks=1"));
    strv_add(argv, xasprintf("--cpus-per-task=%d", l->threads > 0 ? l->threads : 1));
    if (S.mem_explicit && l->memory_bytes > 0)
        strv_add(argv, xasprintf("--mem=%lldM", l->memory_bytes / (1024 * 1024) + MEM_SLACK_MB));
    if (l->timeout_s > 0) {
        char t[32];
        slurm_format_minutes(l->timeout_s + l->grace_s + 60, t, sizeof t);
        strv_add(argv, xasprintf("--time=%s", t));
    }
    strv_add(argv, xasprintf("--output=%s/job.out", j->dir));
    strv_add(argv, xasprintf("--error=%s/job.err", j->dir));
    strv_add(argv, xstrdup("--input=none"));
    strv_add(argv, xstrdup("--export=ALL"));
    strv_add(argv, xstrdup("--kill-on-bad-exit=1"));
    if (*S.partition)
        strv_add(argv, xasprintf("--partition=%s", S.partition));
    if (*S.account)
        strv_add(argv, xasprintf("--account=%s", S.account));
    for (size_t i = 0; S.extra && S.extra[i]; i++)
        strv_add(argv, xstrdup(S.extra[i]));
    strv_add(argv, xstrdup(S.self));
    strv_add(argv, xstrdup("__exec-job"));
    strv_add(argv, xstrdup(j->request_path));
}

static int start_srun(struct job *j, struct err *err)
{
    struct strv argv = {0}, env = {0};
    build_argv(j, &argv);
    build_env(&env);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        strv_free(&argv), strv_free(&env);
        return err_sys(err, errno, "slurm: cannot create a pipe");
    }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* async-signal-safe calls only: the orchestrator has threads */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        dup2(devnull, 0);
        dup2(j->log_fd, 1);
        dup2(pipefd[1], 2);
        execve(argv.v[0], argv.v, env.v);
        _exit(127);
    }
    int fork_errno = errno;
    close(pipefd[1]);
    if (devnull >= 0)
        close(devnull);
    strv_free(&argv), strv_free(&env);
    if (pid < 0) {
        close(pipefd[0]);
        return err_sys(err, fork_errno, "slurm: cannot start srun");
    }
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    j->srun = pid;
    j->err_r = pipefd[0];
    return 0;
}

static void on_srun_line(struct job *j, const char *line, size_t len)
{
    if (!j->id)
        j->id = slurm_srun_job_id(line, len);
    if (len && strncmp(line, "srun: ", 6) == 0 && !memmem(line, len, "defined options", 15) &&
        !memmem(line, len, "-----", 5)) {
        buf_truncate(&j->last_line, 0);
        buf_append(&j->last_line, line, len);
    }
}

static void read_srun(struct job *j)
{
    char chunk[4096];
    while (j->err_r >= 0) {
        ssize_t n = read(j->err_r, chunk, sizeof chunk);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close(j->err_r); /* srun closed it: from now on poll() only sleeps */
            j->err_r = -1;
            return;
        }
        if (n < 0)
            return;
        if (j->log_fd >= 0 && write(j->log_fd, chunk, (size_t)n) < 0) {
            /* the log is a convenience; the verdict does not depend on it */
        }
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] == '\n') {
                on_srun_line(j, buf_str(&j->line), j->line.len);
                buf_truncate(&j->line, 0);
            } else if (j->line.len < 4096) {
                buf_putc(&j->line, chunk[i]);
            }
        }
    }
}

static void cancel_job(struct job *j)
{
    struct strv argv = {0};
    strv_add(&argv, xstrdup(S.scancel));
    if (j->id > 0) {
        strv_add(&argv, xasprintf("%ld", j->id));
    } else {
        strv_add(&argv, xasprintf("--name=%s", j->name));
        strv_add(&argv, xasprintf("--user=%s", S.user));
    }
    if (run_tool(argv.v, NULL) != 0)
        log_warn("slurm: scancel of job %s (%ld) failed", j->name, j->id);
    strv_free(&argv);
}

/* Whether squeue still lists the job (any state). */
static bool job_listed(const struct job *j)
{
    struct strv argv = {0};
    strv_add(&argv, xstrdup(S.squeue));
    strv_add(&argv, xstrdup("-h"));
    strv_add(&argv, xstrdup("-o"));
    strv_add(&argv, xstrdup("%i"));
    if (j->id > 0) {
        strv_add(&argv, xasprintf("--jobs=%ld", j->id));
    } else {
        strv_add(&argv, xasprintf("--name=%s", j->name));
        strv_add(&argv, xasprintf("--user=%s", S.user));
    }
    char *out = NULL;
    int rc = run_tool(argv.v, &out);
    bool listed = rc == 0 && out && strspn(out, " \t\n") != strlen(out);
    free(out);
    strv_free(&argv);
    return listed;
}

static void wait_gone(struct job *j)
{
    double until = time_mono() + GONE_WAIT_S;
    while (job_listed(j)) {
        if (time_mono() > until) {
            log_warn("slurm: job %ld (%s) is still listed by squeue %.0f s after scancel", j->id,
                     j->name, GONE_WAIT_S);
            return;
        }
        cancel_job(j);
        usleep(100 * 1000);
    }
}

static void watch(struct job *j)
{
    const struct exec_limits *l = &j->req->limits;
    double cancel_sent = 0;
    while (!j->srun_exited) {
        struct pollfd p = {j->err_r, POLLIN, 0};
        poll(&p, j->err_r >= 0 ? 1 : 0, TICK_MS); /* wakes early for srun's messages */
        read_srun(j);
        double now = time_mono();
        if (!j->started && fs_exists(j->job_info_path)) {
            j->started = true;
            j->t_started = now;
        }
        bool backstop = j->started && l->timeout_s > 0 &&
                        now > j->t_started + l->timeout_s + l->grace_s + BACKSTOP_S;
        if (!j->cancelled && !j->backstop_fired && (cancel_requested(j) || backstop)) {
            j->cancelled = cancel_requested(j);
            j->backstop_fired = !j->cancelled;
            cancel_job(j);
            cancel_sent = now;
        } else if (cancel_sent > 0 && now - cancel_sent > GONE_WAIT_S) {
            kill(-j->srun, SIGKILL); /* srun did not end after scancel */
            cancel_job(j);
            cancel_sent = now;
        }
        int status;
        pid_t w = waitpid(j->srun, &status, WNOHANG);
        if (w == j->srun || (w < 0 && errno == ECHILD)) {
            j->srun_exited = true;
            j->srun_status = w == j->srun ? status : -1;
        }
    }
    read_srun(j);
    if (j->line.len)
        on_srun_line(j, buf_str(&j->line), j->line.len);
    if (j->cancelled || j->backstop_fired)
        wait_gone(j);
}

/* ---- verdicts without a result file ---- */

static void query_state(const struct job *j, struct slurm_job_info *info)
{
    memset(info, 0, sizeof *info);
    info->exit_code = -1;
    if (j->id <= 0)
        return;
    char *out = NULL;
    char id[32];
    snprintf(id, sizeof id, "%ld", j->id);
    char *sc[] = {S.scontrol, "show", "job", "-o", id, NULL};
    if (run_tool(sc, &out) == 0 && out && slurm_parse_scontrol(out, strlen(out), info) == 0) {
        free(out);
        return;
    }
    free(out);
    out = NULL;
    if (!S.sacct)
        return;
    char *sa[] = {S.sacct, "-n", "-P", "-X", "-o", "State,ExitCode,NodeList", "-j", id, NULL};
    if (run_tool(sa, &out) == 0 && out)
        slurm_parse_sacct(out, strlen(out), info);
    free(out);
}

static void synth_result(const struct job *j, struct exec_result *res, enum exec_status status,
                         char *message)
{
    memset(res, 0, sizeof *res);
    res->status = status;
    res->exit_code = -1;
    res->timed_out = status == EXEC_TIMEOUT;
    res->oom_killed = status == EXEC_OOM;
    res->wall_s = j->started ? time_mono() - j->t_started : 0;
    res->stdout_path = fs_join(j->req->attempt_dir, "stdout.txt");
    res->stderr_path = fs_join(j->req->attempt_dir, "stderr.txt");
    res->stdout_tail = xstrdup("");
    res->stderr_tail = message;
    res->network_isolated = !j->req->limits.network;
}

enum outcome { OUTCOME_DONE, OUTCOME_RETRY, OUTCOME_ERROR };

/* The node side stopped the script on SIGTERM, but not for us: Slurm's
 * time limit, a preemption, or someone's scancel. The job's state says. */
static enum outcome cancelled_by_cluster(const struct job *j, struct exec_result *res)
{
    struct slurm_job_info info;
    query_state(j, &info);
    enum slurm_fate fate = slurm_state_fate(info.state);
    char *note = xasprintf("%s\nslurm: job %ld (%s) was stopped by the cluster: %s%s%s\n",
                           res->stderr_tail ? res->stderr_tail : "", j->id, j->name,
                           info.state[0] ? info.state : "state unknown",
                           info.reason[0] ? ", reason " : "", info.reason);
    free(res->stderr_tail);
    res->stderr_tail = note;
    if (fate == SLURM_FATE_TIMEOUT) {
        res->status = EXEC_TIMEOUT;
        res->timed_out = true;
        return OUTCOME_DONE;
    }
    res->status = EXEC_FAILED;
    return fate == SLURM_FATE_LOST ? OUTCOME_RETRY : OUTCOME_DONE;
}

static enum outcome read_verdict(struct job *j, struct exec_result *res, struct err *err)
{
    char *text = NULL;
    size_t len = 0;
    if (fs_is_file(j->result_path)) {
        if (fs_read_file(j->result_path, 64u << 20, &text, &len, err) < 0)
            return OUTCOME_ERROR;
        int rc = slurm_result_parse(text, len, res, err);
        free(text);
        if (rc < 0) {
            err_prefix(err, "%s", j->result_path);
            return OUTCOME_ERROR;
        }
        if (res->status == EXEC_CANCELLED && !j->cancelled)
            return cancelled_by_cluster(j, res);
        return OUTCOME_DONE;
    }
    if (fs_is_file(j->error_path) && fs_read_file(j->error_path, 1u << 16, &text, &len, NULL) == 0) {
        while (len && (text[len - 1] == '\n'))
            text[--len] = '\0';
        err_set(err, "slurm job %ld: %s", j->id, text);
        free(text);
        return OUTCOME_ERROR;
    }
    if (j->cancelled) {
        synth_result(j, res, EXEC_CANCELLED, xasprintf("slurm: job %ld (%s) cancelled\n", j->id, j->name));
        return OUTCOME_DONE;
    }
    if (j->backstop_fired) {
        synth_result(j, res, EXEC_TIMEOUT,
                     xasprintf("slurm: job %ld (%s) still ran %.0f s past its timeout; cancelled\n",
                               j->id, j->name, BACKSTOP_S + j->req->limits.grace_s));
        return OUTCOME_DONE;
    }
    if (j->id <= 0) {
        err_set(err, "slurm: srun could not start a job: %s (see %s)",
                j->last_line.len ? buf_str(&j->last_line) : "no message", j->log_path);
        return OUTCOME_ERROR;
    }
    struct slurm_job_info info;
    query_state(j, &info);
    enum slurm_fate fate = slurm_state_fate(info.state);
    char *msg = xasprintf("slurm: job %ld (%s) ended %s%s%s%s%s without a verdict from the node "
                          "(%s); srun said: %s\n",
                          j->id, j->name, info.state[0] ? info.state : "in an unknown state",
                          info.reason[0] ? ", reason " : "", info.reason,
                          info.nodes[0] ? ", on " : "", info.nodes, slurm_fate_name(fate),
                          j->last_line.len ? buf_str(&j->last_line) : "nothing");
    switch (fate) {
    case SLURM_FATE_TIMEOUT:
        synth_result(j, res, EXEC_TIMEOUT, msg);
        return OUTCOME_DONE;
    case SLURM_FATE_CANCELLED:
        synth_result(j, res, EXEC_FAILED, msg); /* cancelled by someone else: not ours to retry */
        return OUTCOME_DONE;
    case SLURM_FATE_OOM:
        synth_result(j, res, EXEC_OOM, msg);
        return OUTCOME_RETRY;
    default:
        /* lost (node failure, preemption), or the node side died: the cluster's doing */
        synth_result(j, res, EXEC_FAILED, msg);
        return OUTCOME_RETRY;
    }
}

static void job_free(struct job *j)
{
    if (j->err_r >= 0)
        close(j->err_r);
    if (j->log_fd >= 0)
        close(j->log_fd);
    free(j->dir), free(j->request_path), free(j->result_path), free(j->job_info_path);
    free(j->error_path), free(j->log_path), free(j->name);
    buf_free(&j->line);
    buf_free(&j->last_line);
}

static enum outcome run_once(const struct exec_request *req, const volatile int *cancel2, int try,
                             struct exec_result *res, struct err *err)
{
    struct job j = {.req = req, .cancel2 = cancel2, .err_r = -1, .log_fd = -1};
    j.dir = fs_join(req->attempt_dir, ".slurm");
    j.request_path = fs_join(j.dir, "request.json");
    j.result_path = fs_join(j.dir, "result.json");
    j.job_info_path = fs_join(j.dir, "job.json");
    j.error_path = fs_join(j.dir, "error.txt");
    j.log_path = fs_join(j.dir, "srun.log");
    j.name = job_name(req->attempt_dir, try);
    enum outcome out = OUTCOME_ERROR;
    double t0 = time_mono();
    if (fs_mkdir_p(j.dir, 0755, err) < 0)
        goto done;
    unlink(j.result_path), unlink(j.job_info_path), unlink(j.error_path);
    if (slurm_request_write(j.request_path, req, j.result_path, err) < 0)
        goto done;
    j.log_fd = open(j.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (start_srun(&j, err) < 0)
        goto done;
    watch(&j);
    out = read_verdict(&j, res, err);
    log_debug("slurm: job %ld (%s): %s in %.1f ms (script %.1f ms)", j.id, j.name,
              out == OUTCOME_DONE ? exec_status_name(res->status) : out == OUTCOME_RETRY ? "lost" : "error",
              (time_mono() - t0) * 1e3, res->wall_s * 1e3);
done:
    job_free(&j);
    return out;
}

int slurm_run(const struct exec_request *req, const volatile int *cancel2, struct exec_result *res,
              struct err *err)
{
    memset(res, 0, sizeof *res);
    if (!req || !req->script || !req->attempt_dir || !*req->attempt_dir)
        return err_set(err, "exec: a script and an attempt folder are required");
    if (!S.srun)
        return err_set(err, "exec.backend=slurm was not set up (exec_backend_select)");
    if (fs_mkdir_p(req->attempt_dir, 0755, err) < 0)
        return err_prefix(err, "attempt folder");
    char *abs = fs_realpath(req->attempt_dir);
    if (!abs)
        return err_sys(err, errno, "cannot resolve attempt folder %s", req->attempt_dir);
    struct exec_request r = *req;
    r.attempt_dir = abs;
    int rc = 0;
    for (int try = 0;; try++) {
        /* the run's deadline is this process's monotonic clock, meaningless on a node:
         * it travels as a timeout counted from now (queue time included) */
        if (req->limits.deadline_mono > 0) {
            double left = req->limits.deadline_mono - time_mono();
            r.limits.timeout_s = req->limits.timeout_s > 0 && req->limits.timeout_s < left ? req->limits.timeout_s
                                                                                           : (left > 0.1 ? left : 0.1);
            r.limits.deadline_mono = 0;
        }
        enum outcome out = run_once(&r, cancel2, try, res, err);
        if (out == OUTCOME_ERROR) {
            rc = -1;
            break;
        }
        if (out == OUTCOME_DONE || try + 1 >= MAX_TRIES || (r.cancel && *r.cancel) ||
            (cancel2 && *cancel2))
            break;
        log_warn("%s", res->stderr_tail ? res->stderr_tail : "slurm: job lost");
        log_warn("slurm: running %s once more", r.attempt_dir);
        exec_result_free(res);
    }
    free(abs);
    return rc;
}
