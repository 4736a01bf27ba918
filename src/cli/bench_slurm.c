/* bench_slurm.c - `mlestar bench --slurm`: the runs of a bench as one Slurm
 * array job; see bench_runner.h.
 *
 * The runs to start or resume are listed in BENCH/.slurm/array-<stamp>.json
 * (for each array index: the agent's argv, its run folder), and one
 *   sbatch --parsable --array=0-<n-1>%<jobs> --job-name=mlestar-bench:<BENCH>
 *          --nodes=1 --ntasks=1 --exclusive --time=<limit + max(10m, 25%)>
 *          --output=BENCH/.slurm/task-%a.out --export=ALL
 *          [--partition] [--account] [exec.slurm_extra...]  BENCH/.slurm/task.sh
 * submits them, started with posix_spawn and an argument vector. task.sh is
 * a constant two-line script (no user text in it: sbatch needs a script
 * file) that execs `mlestar __bench-task PLAN INDEX`; the environment is the
 * bench's less the setting variables, as for local runs (the agents need
 * their API keys). On the node, __bench-task runs the agent as a child
 * (stdout and stderr appended to RUN/agent.log), forwards SIGTERM/SIGINT to
 * it (scancel, the time limit: the journal then says "interrupted"), and
 * writes the child's wait status to RUN/agent.exit (the job's exit file).
 *
 * The login side polls `squeue -h -r -j ID -o %K` every second: an index no
 * longer listed has ended, and its row is made as for a local run
 * (bench_job_finish with the status from agent.exit, -1 when there is
 * none: the task was killed, then the journal and agent.log say what they
 * can; a TIMEOUT state from `scontrol show job` marks it timed out). The
 * first Ctrl-C cancels the array (its agents mark their journals
 * interrupted; the next bench resumes them) and waits until it has left
 * squeue; a second one stops waiting. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench_runner.h"
#include "cli/cli.h"
#include "exec/backend.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

extern char **environ;

#define POLL_S 1.0
#define TOOL_TIMEOUT_S 60.0

static const char task_script[] =
    "#!/bin/sh\n"
    "# written by mlestar bench --slurm: runs one array task (the plan says which run)\n"
    "exec \"$MLESTAR_BENCH_SELF\" __bench-task \"$MLESTAR_BENCH_PLAN\" \"$SLURM_ARRAY_TASK_ID\"\n";

static volatile sig_atomic_t stops;

static void on_stop(int sig)
{
    (void)sig;
    stops++;
}

/* ---- running the tools ---- */

/* Runs argv (argv[0] found on PATH) with stdout into *out; returns the exit
 * status or -1. */
static int run_tool(char **argv, char **env, char **out)
{
    *out = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env ? env : environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    struct buf b = {0};
    char chunk[4096];
    double deadline = time_mono() + TOOL_TIMEOUT_S;
    for (;;) {
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR && time_mono() < deadline)
            continue;
        if (n <= 0)
            break;
        if (b.len < (1u << 20))
            buf_append(&b, chunk, (size_t)n);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out = buf_detach(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- the plan ---- */

struct array {
    struct bench_job **jobs;   /* index -> job */
    size_t n;
    char *dir;                 /* BENCH/.slurm */
    char *plan_path, *script_path;
    long id;
    bool *ended;
};

static int write_plan(struct array *a, const struct bench_runner_opts *o, char **agent_argvs[],
                      struct err *err)
{
    json_t *tasks = json_array();
    for (size_t i = 0; i < a->n; i++) {
        json_t *argv = json_array();
        for (char **p = agent_argvs[i]; *p; p++)
            json_array_append_new(argv, json_string(*p));
        json_array_append_new(tasks, json_pack("{s:o,s:s}", "argv", argv, "run_dir", a->jobs[i]->run_dir));
    }
    json_t *plan = json_pack("{s:i,s:s,s:o}", "version", 1, "self", o->self_exe, "tasks", tasks);
    char *text = json_dumps(plan, JSON_INDENT(2));
    json_decref(plan);
    int rc = text ? fs_write_atomic(a->plan_path, text, strlen(text), err)
                  : err_set(err, "cannot encode the bench plan (paths not valid UTF-8?)");
    free(text);
    if (rc == 0)
        rc = fs_write_atomic(a->script_path, task_script, sizeof task_script - 1, err);
    if (rc == 0 && chmod(a->script_path, 0755) < 0)
        rc = err_sys(err, errno, "cannot make %s executable", a->script_path);
    return rc;
}

/* The agent's argv for a job, as the local runner builds it. */
static char **job_argv(const struct bench_job *job, const struct bench_runner_opts *o)
{
    char **argv = xcalloc(10, sizeof *argv);
    size_t n = 0;
    argv[n++] = xstrdup(o->self_exe);
    if (job->action == BENCH_RESUME) {
        argv[n++] = xstrdup("resume");
        argv[n++] = xstrdup(job->run_dir);
        argv[n++] = xstrdup("--time-limit");
        argv[n++] = xasprintf("%.0f", o->time_limit);
    } else {
        argv[n++] = xstrdup("run");
        argv[n++] = xstrdup(job->task_dir);
        argv[n++] = xstrdup("--config");
        argv[n++] = xstrdup(o->settings_ini);
        argv[n++] = xstrdup("--out");
        argv[n++] = xstrdup(job->run_dir);
        argv[n++] = xstrdup("--seed");
        argv[n++] = xasprintf("%ld", job->row.seed);
    }
    return argv;
}

static void free_words(char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        free(w[i]);
    free(w);
}

static void add(char ***v, size_t *n, char *owned)
{
    *v = xrealloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = owned;
    (*v)[*n] = NULL;
}

static int submit(struct array *a, const struct bench_runner_opts *o, char **env, struct err *err)
{
    char **extra = exec_slurm_extra_words(o->slurm_extra, err);
    if (!extra)
        return -1;
    char **argv = NULL;
    size_t n = 0;
    add(&argv, &n, xstrdup("sbatch"));
    add(&argv, &n, xstrdup("--parsable"));
    add(&argv, &n, xasprintf("--array=0-%zu%%%d", a->n - 1, o->jobs > 0 ? o->jobs : 1));
    add(&argv, &n, xasprintf("--job-name=mlestar-bench:%s", fs_basename(o->bench_dir)));
    add(&argv, &n, xstrdup("--nodes=1"));
    add(&argv, &n, xstrdup("--ntasks=1"));
    add(&argv, &n, xstrdup("--exclusive"));
    if (o->time_limit > 0) {
        double margin = o->time_limit * 0.25 > 600 ? o->time_limit * 0.25 : 600;
        long minutes = (long)((o->time_limit + margin + 59) / 60);
        add(&argv, &n, xasprintf("--time=%ld", minutes));
    }
    add(&argv, &n, xasprintf("--output=%s/task-%%a.out", a->dir));
    add(&argv, &n, xstrdup("--export=ALL"));
    if (o->slurm_partition && *o->slurm_partition)
        add(&argv, &n, xasprintf("--partition=%s", o->slurm_partition));
    if (o->slurm_account && *o->slurm_account)
        add(&argv, &n, xasprintf("--account=%s", o->slurm_account));
    for (size_t i = 0; extra[i]; i++)
        add(&argv, &n, xstrdup(extra[i]));
    add(&argv, &n, xstrdup(a->script_path));
    exec_slurm_words_free(extra);
    char *out = NULL;
    int rc = run_tool(argv, env, &out);
    free_words(argv);
    char *end = NULL;
    long id = out ? strtol(out, &end, 10) : 0;
    if (rc != 0 || id <= 0 || !end || (*end && *end != ';' && *end != '\n')) {
        size_t len = out ? strlen(out) : 0;
        while (len && out[len - 1] == '\n')
            out[--len] = '\0';
        err_set(err, "sbatch could not submit the bench: %s", out && *out ? out : "sbatch did not run");
        free(out);
        return -1;
    }
    free(out);
    a->id = id;
    return 0;
}

/* The array indexes squeue still lists; -1 when squeue failed (keep
 * everything as it was). */
static int still_listed(const struct array *a, bool *listed)
{
    char id[32];
    snprintf(id, sizeof id, "%ld", a->id);
    char *argv[] = {"squeue", "-h", "-r", "-j", id, "-o", "%K", NULL};
    char *out = NULL;
    int rc = run_tool(argv, NULL, &out);
    if (rc != 0 && !(out && strstr(out, "Invalid job id"))) {
        free(out);
        return -1;
    }
    memset(listed, 0, a->n * sizeof *listed);
    for (char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        char *end;
        long k = strtol(line, &end, 10);
        if (end != line && k >= 0 && (size_t)k < a->n)
            listed[k] = true;
        /* a pending range ("0-3%1" before -r expands) means all of them */
        if (*end == '-' || *end == '[')
            for (size_t i = 0; i < a->n; i++)
                listed[i] = true;
    }
    free(out);
    return 0;
}

static bool task_timed_out(const struct array *a, size_t k)
{
    char id[48];
    snprintf(id, sizeof id, "%ld_%zu", a->id, k);
    char *argv[] = {"scontrol", "show", "job", "-o", id, NULL};
    char *out = NULL;
    run_tool(argv, NULL, &out);
    bool timeout = out && strstr(out, "JobState=TIMEOUT");
    free(out);
    return timeout;
}

static int read_exit_file(const struct bench_job *job)
{
    char *path = fs_join(job->run_dir, "agent.exit");
    char *text = NULL;
    int status = -1;
    if (fs_read_file(path, 64, &text, NULL, NULL) == 0) {
        char *end;
        long v = strtol(text, &end, 10);
        if (end != text)
            status = (int)v;
    }
    free(text);
    free(path);
    return status;
}

static void cancel_array(const struct array *a)
{
    char id[32];
    snprintf(id, sizeof id, "%ld", a->id);
    char *argv[] = {"scancel", id, NULL};
    char *out = NULL;
    if (run_tool(argv, NULL, &out) != 0)
        log_warn("bench: scancel %s failed: %s", id, out ? out : "");
    free(out);
}

static void finish(struct array *a, size_t k, bool interrupted, const struct bench_runner_opts *o)
{
    struct bench_job *job = a->jobs[k];
    a->ended[k] = true;
    job->timed_out = task_timed_out(a, k);
    job->pid = 0;
    bench_job_finish(job, read_exit_file(job), interrupted && !job->timed_out);
    if (job->row.done)
        log_info("bench: %s seed %ld (job %ld_%zu): %s, %s", job->row.task, job->row.seed, a->id, k,
                 job->row.status, job->row.valid ? "valid submission" : job->row.invalid_reason);
    if (o->on_job_end)
        o->on_job_end(o->ctx, job);
}

static void watch(struct array *a, const struct bench_runner_opts *o)
{
    bool *listed = xcalloc(a->n, sizeof *listed);
    int cancelled_at = 0;
    for (;;) {
        if (stops > cancelled_at) {
            if (cancelled_at == 0) {
                log_warn("bench: interrupted; cancelling array job %ld (Ctrl-C again to stop waiting)", a->id);
                cancel_array(a);
            }
            cancelled_at = stops;
            if (stops >= 2)
                break;
        }
        size_t open = 0;
        if (still_listed(a, listed) == 0) {
            for (size_t k = 0; k < a->n; k++) {
                if (!a->ended[k] && !listed[k])
                    finish(a, k, stops > 0, o);
                open += !a->ended[k];
            }
        } else {
            open = 1;
        }
        if (open == 0)
            break;
        struct timespec nap = {(time_t)POLL_S, 0};
        nanosleep(&nap, NULL);
    }
    free(listed);
}

int bench_run_jobs_slurm(struct bench_job *jobs, size_t njobs, const struct bench_runner_opts *o)
{
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stops = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct array a = {0};
    a.jobs = xcalloc(njobs ? njobs : 1, sizeof *a.jobs);
    for (size_t i = 0; i < njobs; i++) {
        struct bench_job *job = &jobs[i];
        if (job->finished || job->action == BENCH_SKIP)
            continue;
        if (job->action == BENCH_GRADE) {
            bench_job_finish(job, -1, false);
            if (o->on_job_end)
                o->on_job_end(o->ctx, job);
            continue;
        }
        a.jobs[a.n++] = job;
    }
    int rc = 0;
    if (a.n > 0) {
        a.dir = fs_join(o->bench_dir, ".slurm");
        char stamp[32];
        snprintf(stamp, sizeof stamp, "%ld", (long)time(NULL));
        char *name = xasprintf("array-%s.json", stamp);
        a.plan_path = fs_join(a.dir, name);
        free(name);
        a.script_path = fs_join(a.dir, "task.sh");
        a.ended = xcalloc(a.n, sizeof *a.ended);
        char ***argvs = xcalloc(a.n, sizeof *argvs);
        for (size_t i = 0; i < a.n; i++)
            argvs[i] = job_argv(a.jobs[i], o);
        struct err err = {{0}};
        char **env = o->child_env;
        /* the node side finds itself and the plan through the environment */
        size_t ne = 0;
        while (env[ne])
            ne++;
        char **env2 = xcalloc(ne + 3, sizeof *env2);
        memcpy(env2, env, ne * sizeof *env2);
        env2[ne] = xasprintf("MLESTAR_BENCH_SELF=%s", o->self_path);
        env2[ne + 1] = xasprintf("MLESTAR_BENCH_PLAN=%s", a.plan_path);
        if (fs_mkdir_p(a.dir, 0755, &err) < 0 || write_plan(&a, o, argvs, &err) < 0 ||
            submit(&a, o, env2, &err) < 0) {
            log_error("bench: %s", err.msg);
            for (size_t i = 0; i < a.n; i++) {
                bench_row_set_str(&a.jobs[i]->row.status, "error");
                bench_job_finish(a.jobs[i], -1, false);
            }
            rc = -1;
        } else {
            log_info("bench: %zu runs submitted as Slurm array job %ld (%d at once; output in %s)", a.n, a.id,
                     o->jobs, a.dir);
            for (size_t i = 0; i < a.n; i++)
                bench_row_set_str(&a.jobs[i]->row.status, "queued");
            watch(&a, o);
        }
        free(env2[ne]);
        free(env2[ne + 1]);
        free(env2);
        for (size_t i = 0; i < a.n; i++)
            free_words(argvs[i]);
        free(argvs);
    }
    free(a.jobs);
    free(a.ended);
    free(a.dir);
    free(a.plan_path);
    free(a.script_path);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return stops ? 1 : (rc < 0 ? 1 : 0);
}

/* ---- the node side: `mlestar __bench-task PLAN INDEX` ---- */

static volatile sig_atomic_t forward_to;

static void forward(int sig)
{
    if (forward_to > 0)
        kill(forward_to, sig);
}

int cmd_bench_task(int argc, char **argv)
{
    if (argc != 3) {
        cli_error("usage: mlestar __bench-task PLAN.json INDEX (run by mlestar bench --slurm)");
        return CLI_USAGE;
    }
    json_error_t jerr;
    json_t *plan = json_load_file(argv[1], 0, &jerr);
    char *end;
    long k = strtol(argv[2], &end, 10);
    json_t *task = json_array_get(json_object_get(plan, "tasks"), (size_t)(k >= 0 ? k : 0));
    json_t *args = json_object_get(task, "argv");
    const char *run_dir = json_str(task, "run_dir", NULL);
    if (!plan || end == argv[2] || *end || k < 0 || !json_is_array(args) || json_array_size(args) < 2 ||
        !run_dir) {
        cli_error("__bench-task: %s has no task %s (%s)", argv[1], argv[2], plan ? "no such index" : jerr.text);
        json_decref(plan);
        return CLI_FAIL;
    }
    size_t n = json_array_size(args);
    char **cargv = xcalloc(n + 1, sizeof *cargv);
    for (size_t i = 0; i < n; i++)
        cargv[i] = xstrdup(json_string_value(json_array_get(args, i)) ? json_string_value(json_array_get(args, i)) : "");
    struct err err = {{0}};
    fs_mkdir_p(run_dir, 0755, &err);
    char *log_path = fs_join(run_dir, "agent.log");
    char *exit_path = fs_join(run_dir, "agent.exit");
    unlink(exit_path);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const char *job = getenv("SLURM_JOB_ID");
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    if (log_fd >= 0) {
        char *head = xasprintf("== mlestar bench --slurm: job %s on %s\n", job ? job : "?", host);
        if (write(log_fd, head, strlen(head)) < 0) {
            /* the log is for people; the run goes on */
        }
        free(head);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (log_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
        posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
    }
    struct sigaction sa = {0};
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    pid_t pid;
    int rc = posix_spawn(&pid, cargv[0], &fa, NULL, cargv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = -1;
    if (rc == 0) {
        forward_to = pid;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        char *text = xasprintf("%d\n", status);
        fs_write_atomic(exit_path, text, strlen(text), NULL);
        free(text);
    } else {
        cli_error("__bench-task: cannot start %s: %s", cargv[0], strerror(rc));
    }
    if (log_fd >= 0)
        close(log_fd);
    free(log_path);
    free(exit_path);
    free_words(cargv);
    json_decref(plan);
    if (rc != 0)
        return CLI_FAIL;
    return WIFEXITED(status) ? WEXITSTATUS(status) : CLI_FAIL;
}
