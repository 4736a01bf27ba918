/* bench_runner.c - the process pool of `mlestar bench`; see bench_runner.h.
 *
 * A single-threaded loop: start children while there are free slots and no
 * stop was asked, reap the ones that ended (waitpid WNOHANG on each pid the
 * runner started, so nothing else's children are touched), stop the ones
 * over their time limit, then sleep 100 ms (a signal cuts the sleep
 * short). Signal handlers only count signals; the loop does the rest.
 *
 * Each child is put in its own process group, so a Ctrl-C at the terminal
 * reaches the bench alone and the agent gets exactly one SIGTERM from it
 * (a second signal would make the agent exit at once, see
 * cli/run_common.c); PR_SET_PDEATHSIG makes a child stop if the bench is
 * killed outright. */
#include "cli/bench_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/config.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

extern char **environ;

#define KILL_AFTER_TERM_S 60.0

static volatile sig_atomic_t stop_signals;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_signals++;
}

/* ---- the child's command and environment ------------------------------- */

/* True when `entry` ("NAME=value") sets a setting or the config file. */
static bool env_is_setting(const char *entry)
{
    if (strncmp(entry, "MLESTAR_", 8) != 0)
        return false;
    if (!strncmp(entry, "MLESTAR_CONFIG=", 15))
        return true;
    for (const struct config_setting *s = config_settings; s->name; s++) {
        char var[128] = "MLESTAR_";
        size_t n = strlen(var);
        for (const char *p = s->name; *p && n < sizeof var - 2; p++)
            var[n++] = *p == '.' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        var[n++] = '=';
        var[n] = '\0';
        if (!strncmp(entry, var, n))
            return true;
    }
    return false;
}

char **bench_child_environment(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = xcalloc(n + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!env_is_setting(environ[i]))
            env[k++] = environ[i];
    env[k] = NULL;
    return env;
}

/* argv of the agent for the job (array malloc'd; the number it formats
 * too — free with free_argv). A resume is given the bench's time limit
 * explicitly: it is the budget of the whole run, as at its start. */
static char **agent_argv(const struct bench_job *job, const struct bench_runner_opts *o)
{
    char **argv = xcalloc(10, sizeof *argv);
    argv[0] = (char *)o->self_exe;
    if (job->action == BENCH_RESUME) {
        argv[1] = "resume";
        argv[2] = job->run_dir;
        argv[3] = "--time-limit";
        argv[4] = xasprintf("%.0f", o->time_limit);
        return argv;
    }
    argv[1] = "run";
    argv[2] = job->task_dir;
    argv[3] = "--config";
    argv[4] = (char *)o->settings_ini;
    argv[5] = "--out";
    argv[6] = job->run_dir;
    argv[7] = "--seed";
    argv[8] = xasprintf("%ld", job->row.seed);
    return argv;
}

static void free_argv(char **argv)
{
    free(argv[1] && !strcmp(argv[1], "run") ? argv[8] : argv[4]);
    free(argv);
}

/* Opens RUN/agent.log for appending and writes the command line. */
static int open_agent_log(const struct bench_job *job, char **argv, struct err *err)
{
    if (fs_mkdir_p(job->run_dir, 0755, err) < 0)
        return -1;
    char *path = fs_join(job->run_dir, "agent.log");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_sys(err, errno, "cannot open %s", path);
        free(path);
        return -1;
    }
    free(path);
    struct buf b = {0};
    char stamp[32];
    time_iso8601(time_wall(), stamp, sizeof stamp);
    buf_printf(&b, "== mlestar bench %s:", stamp);
    for (char **a = argv; *a; a++)
        buf_printf(&b, " %s", *a);
    buf_putc(&b, '\n');
    if (write(fd, b.data, b.len) < 0)
        log_warn("cannot write to the agent log of %s", job->run_dir);
    buf_free(&b);
    return fd;
}

/* In the child: never returns. Only async-signal-safe calls. */
static void exec_child(int log_fd, pid_t parent, char **argv, char **env)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* /proc/self/exe: still this binary when its file was replaced by a
     * rebuild since the bench started (argv[0] is its name, for the log). */
    execve("/proc/self/exe", argv, env);
    static const char msg[] = "mlestar: bench: cannot start the agent binary\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

static int start_job(struct bench_job *job, const struct bench_runner_opts *o, struct err *err)
{
    char **argv = agent_argv(job, o);
    int fd = open_agent_log(job, argv, err);
    if (fd < 0) {
        free_argv(argv);
        return -1;
    }
    char **env = bench_child_environment();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(fd, parent, argv, env);
    int fork_errno = errno;
    close(fd);
    free(env);
    free_argv(argv);
    if (pid < 0)
        return err_sys(err, fork_errno, "cannot start the agent for %s", job->run_dir);
    setpgid(pid, pid); /* also in the child: whichever runs first */
    job->pid = pid;
    job->started = time_mono();
    bench_row_set_str(&job->row.status, "running");
    log_info("bench: %s %s seed %ld (pid %d, log %s/agent.log)", job->action == BENCH_RESUME ? "resuming" : "running",
             job->row.task, job->row.seed, (int)pid, job->run_dir);
    return 0;
}

/* ---- the loop ------------------------------------------------------------- */

static void signal_job(struct bench_job *job, int sig)
{
    if (job->pid <= 0 || job->signal_sent >= sig)
        return;
    kill(sig == SIGKILL ? -job->pid : job->pid, sig);
    job->signal_sent = sig;
}

static void forward_stop(struct bench_job *jobs, size_t n, int stops)
{
    int sig = stops >= 2 ? SIGKILL : SIGTERM;
    log_warn("bench: %s; %s the running agents", stops >= 2 ? "stopping now" : "interrupted",
             sig == SIGKILL ? "killing" : "stopping");
    for (size_t i = 0; i < n; i++)
        signal_job(&jobs[i], sig);
}

/* Stops children over their time limit (see bench_runner.h). */
static void watchdog(struct bench_job *jobs, size_t n, const struct bench_runner_opts *o)
{
    if (o->time_limit <= 0)
        return;
    double margin = o->time_limit * 0.25 > 600 ? o->time_limit * 0.25 : 600;
    double now = time_mono();
    for (size_t i = 0; i < n; i++) {
        struct bench_job *job = &jobs[i];
        if (job->pid <= 0)
            continue;
        double ran = now - job->started;
        if (ran > o->time_limit + margin && !job->signal_sent) {
            log_warn("bench: %s seed %ld ran %.0f s, over its limit of %.0f s: stopping it", job->row.task,
                     job->row.seed, ran, o->time_limit);
            job->timed_out = true;
            signal_job(job, SIGTERM);
        } else if (job->timed_out && ran > o->time_limit + margin + KILL_AFTER_TERM_S) {
            signal_job(job, SIGKILL);
        }
    }
}

static void end_job(struct bench_job *job, int wait_status, bool interrupted, const struct bench_runner_opts *o)
{
    job->pid = 0;
    bench_job_finish(job, wait_status, interrupted);
    if (job->row.done)
        log_info("bench: %s seed %ld: %s, %s", job->row.task, job->row.seed, job->row.status,
                 job->row.valid ? "valid submission" : job->row.invalid_reason);
    if (o->on_job_end)
        o->on_job_end(o->ctx, job);
}

/* Reaps ended children; returns how many ended. */
static int reap(struct bench_job *jobs, size_t n, const struct bench_runner_opts *o, bool interrupted)
{
    int ended = 0;
    for (size_t i = 0; i < n; i++) {
        struct bench_job *job = &jobs[i];
        if (job->pid <= 0)
            continue;
        int status = 0;
        pid_t r = waitpid(job->pid, &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR))
            continue;
        if (r < 0)
            status = -1; /* lost: treated like no child */
        end_job(job, status, interrupted, o);
        ended++;
    }
    return ended;
}

/* Starts (or, for BENCH_GRADE, just grades) the next jobs while slots are
 * free; returns the number of children running. */
static int fill_slots(struct bench_job *jobs, size_t n, size_t *next, int running, const struct bench_runner_opts *o)
{
    while (*next < n && running < o->jobs && !stop_signals) {
        struct bench_job *job = &jobs[(*next)++];
        if (job->finished || job->action == BENCH_SKIP)
            continue;
        if (job->action == BENCH_GRADE) {
            end_job(job, -1, false, o);
            continue;
        }
        struct err err = {{0}};
        if (start_job(job, o, &err) < 0) {
            log_error("bench: %s", err.msg);
            bench_row_set_str(&job->row.status, "error");
            end_job(job, -1, false, o);
            continue;
        }
        running++;
    }
    return running;
}

static int count_running(const struct bench_job *jobs, size_t n)
{
    int running = 0;
    for (size_t i = 0; i < n; i++)
        running += jobs[i].pid > 0;
    return running;
}

int bench_run_jobs(struct bench_job *jobs, size_t njobs, const struct bench_runner_opts *opts)
{
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART; /* nanosleep is cut short all the same */
    sigemptyset(&sa.sa_mask);
    stop_signals = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    size_t next = 0;
    int forwarded = 0;
    for (;;) {
        int stops = stop_signals;
        if (stops > forwarded) {
            forward_stop(jobs, njobs, stops);
            forwarded = stops;
        }
        int running = fill_slots(jobs, njobs, &next, count_running(jobs, njobs), opts);
        int ended = reap(jobs, njobs, opts, stop_signals > 0);
        watchdog(jobs, njobs, opts);
        running = count_running(jobs, njobs);
        if (running == 0 && (stop_signals || next >= njobs))
            break;
        if (!ended) {
            struct timespec nap = {0, 100 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return stop_signals ? 1 : 0;
}
