/* pyenv.c - which Python runs the solutions, and what it can import.
 *
 * Candidates, in order: the configured interpreter alone (exec.python), or
 * every `python3` on PATH and then /usr/bin/python3 (the same file twice is
 * probed once). Each candidate runs templates/sandbox/pyenv_probe.py once
 * (`python3 -c PROBE`, 30 s at most): it prints the real executable, the
 * version and the importable ML packages with their versions, found without
 * importing them. The first candidate with numpy, pandas and sklearn wins.
 * Nothing is ever installed. The hardware part: online cores, physical
 * memory, and GPUs from `nvidia-smi --query-gpu=name` when it is on PATH.
 *
 * exec_default_python() runs the discovery once per process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"
#include "util/assets.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

extern char **environ;

#define PROBE_ASSET "templates/sandbox/pyenv_probe.py"
#define PROBE_TIMEOUT_S 30.0
#define PROBE_OUTPUT_MAX (1 << 20)

static const char *const REQUIRED[] = {"numpy", "pandas", "sklearn", NULL};

int exec_capture_output(char *const argv[], double timeout_s, char **out)
{
    *out = NULL;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return -1;
    }
    struct buf b = {0};
    double deadline = time_mono() + timeout_s;
    bool timed_out = false;
    for (;;) {
        double left = deadline - time_mono();
        if (left <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {pipefd[0], POLLIN, 0};
        if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(pipefd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (b.len < PROBE_OUTPUT_MAX)
            buf_append(&b, chunk, (size_t)n);
    }
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out || !WIFEXITED(status)) {
        buf_free(&b);
        return -1;
    }
    *out = buf_detach(&b);
    return WEXITSTATUS(status);
}

static int cmp_package(const void *a, const void *b)
{
    return strcmp(((const struct pyenv_package *)a)->name, ((const struct pyenv_package *)b)->name);
}

static void parse_probe(char *text, struct pyenv *env)
{
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f1 = strchr(line, '\t');
        if (!f1)
            continue;
        *f1++ = '\0';
        if (!strcmp(line, "python") && *f1) {
            free(env->python);
            env->python = xstrdup(f1);
        } else if (!strcmp(line, "version")) {
            free(env->version);
            env->version = xstrdup(f1);
        } else if (!strcmp(line, "pkg")) {
            char *f2 = strchr(f1, '\t');
            if (!f2)
                continue;
            *f2++ = '\0';
            env->packages = xrealloc(env->packages, (env->npackages + 1) * sizeof *env->packages);
            env->packages[env->npackages].name = xstrdup(f1);
            env->packages[env->npackages].version = xstrdup(f2);
            env->npackages++;
        }
    }
    if (env->npackages > 1)
        qsort(env->packages, env->npackages, sizeof *env->packages, cmp_package);
}

bool pyenv_has(const struct pyenv *env, const char *package)
{
    for (size_t i = 0; i < env->npackages; i++)
        if (!strcmp(env->packages[i].name, package))
            return true;
    return false;
}

static const char *missing_required(const struct pyenv *env)
{
    for (const char *const *r = REQUIRED; *r; r++)
        if (!pyenv_has(env, *r))
            return *r;
    return NULL;
}

/* Probes one candidate into env (cleared first). */
static int probe(const char *python, struct pyenv *env, struct err *err)
{
    const struct asset *script = assets_get(PROBE_ASSET);
    if (!script)
        return err_set(err, "the probe %s is missing from this build", PROBE_ASSET);
    char *argv[] = {(char *)python, "-c", (char *)script->data, NULL};
    char *out = NULL;
    int status = exec_capture_output(argv, PROBE_TIMEOUT_S, &out);
    if (status != 0) {
        free(out);
        return err_set(err, "%s does not run as Python (the probe failed)", python);
    }
    parse_probe(out, env);
    free(out);
    if (!env->python || !env->version)
        return err_set(err, "%s gave no answer to the probe", python);
    return 0;
}

static void detect_hardware(struct pyenv *env)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    env->cores = cores > 0 ? (int)cores : 1;
    env->memory_bytes = pages > 0 && page > 0 ? (long long)pages * page : 0;
    env->gpus = 0;
    env->gpu_names = xstrdup("");
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *smi = NULL, *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !smi; dir = strtok_r(NULL, ":", &save)) {
        char *p = fs_join(dir, "nvidia-smi");
        if (access(p, X_OK) == 0)
            smi = p;
        else
            free(p);
    }
    free(copy);
    if (!smi)
        return;
    char *argv[] = {smi, "--query-gpu=name", "--format=csv,noheader", NULL};
    char *out = NULL;
    if (exec_capture_output(argv, 20.0, &out) == 0) {
        struct buf names = {0};
        char *s2 = NULL;
        for (char *line = strtok_r(out, "\n", &s2); line; line = strtok_r(NULL, "\n", &s2)) {
            if (!*line)
                continue;
            buf_printf(&names, "%s%s", env->gpus ? ", " : "", line);
            env->gpus++;
        }
        free(env->gpu_names);
        env->gpu_names = buf_detach(&names);
    }
    free(out);
    free(smi);
}

static void candidates_add(char ***list, size_t *n, const char *path)
{
    char *real = fs_realpath(path);
    const char *key = real ? real : path;
    for (size_t i = 0; i < *n; i++) {
        char *other = fs_realpath((*list)[i]);
        bool same = !strcmp(other ? other : (*list)[i], key);
        free(other);
        if (same) {
            free(real);
            return;
        }
    }
    free(real);
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = xstrdup(path);
}

static void list_candidates(char ***list, size_t *n)
{
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "");
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *p = fs_join(dir, "python3");
        if (*dir == '/' && access(p, X_OK) == 0)
            candidates_add(list, n, p);
        free(p);
    }
    free(copy);
    if (access("/usr/bin/python3", X_OK) == 0)
        candidates_add(list, n, "/usr/bin/python3");
}

int exec_discover(const char *configured, struct pyenv *env, struct err *err)
{
    memset(env, 0, sizeof *env);
    if (configured && *configured) {
        if (probe(configured, env, err) < 0) {
            pyenv_free(env);
            return err_prefix(err, "exec.python");
        }
        const char *missing = missing_required(env);
        if (missing) {
            err_set(err, "exec.python: %s cannot import %s (needs numpy, pandas and scikit-learn; "
                         "mlestar installs nothing)", configured, missing);
            pyenv_free(env);
            return -1;
        }
        detect_hardware(env);
        return 0;
    }
    char **cands = NULL;
    size_t ncands = 0;
    struct buf tried = {0};
    int rc = -1;
    list_candidates(&cands, &ncands);
    for (size_t i = 0; i < ncands && rc < 0; i++) {
        struct err perr = {{0}};
        memset(env, 0, sizeof *env);
        const char *missing = NULL;
        if (probe(cands[i], env, &perr) == 0 && !(missing = missing_required(env))) {
            rc = 0;
            log_debug("exec: using %s (Python %s)", env->python, env->version);
            break;
        }
        buf_printf(&tried, "%s%s (%s)", tried.len ? ", " : "", cands[i],
                   missing ? "no " : perr.msg);
        if (missing)
            buf_puts(&tried, missing);
        pyenv_free(env);
    }
    if (rc < 0)
        err_set(err, "no Python 3 with numpy, pandas and scikit-learn found (tried: %s); install "
                     "them or set exec.python", ncands ? buf_str(&tried) : "no python3 on PATH");
    else
        detect_hardware(env);
    for (size_t i = 0; i < ncands; i++)
        free(cands[i]);
    free(cands);
    buf_free(&tried);
    return rc;
}

char *pyenv_describe(const struct pyenv *env)
{
    struct buf b = {0};
    buf_printf(&b, "Python %s at %s\n", env->version ? env->version : "?",
               env->python ? env->python : "?");
    buf_puts(&b, "Importable packages (nothing else can be installed): ");
    for (size_t i = 0; i < env->npackages; i++)
        buf_printf(&b, "%s%s %s", i ? ", " : "", env->packages[i].name, env->packages[i].version);
    if (!env->npackages)
        buf_puts(&b, "none");
    buf_printf(&b, "\nHardware: %d CPU core%s, %.1f GiB RAM, ", env->cores, env->cores == 1 ? "" : "s",
               (double)env->memory_bytes / (1024.0 * 1024 * 1024));
    if (env->gpus)
        buf_printf(&b, "%d GPU%s (%s)\n", env->gpus, env->gpus == 1 ? "" : "s", env->gpu_names);
    else
        buf_puts(&b, "no GPU\n");
    return buf_detach(&b);
}

void pyenv_free(struct pyenv *env)
{
    if (!env)
        return;
    free(env->python);
    free(env->version);
    for (size_t i = 0; i < env->npackages; i++) {
        free(env->packages[i].name);
        free(env->packages[i].version);
    }
    free(env->packages);
    free(env->gpu_names);
    memset(env, 0, sizeof *env);
}

static char *default_python;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void find_default(void)
{
    struct pyenv env;
    struct err err = {{0}};
    if (exec_discover(NULL, &env, &err) == 0) {
        default_python = env.python;
        env.python = NULL;
        pyenv_free(&env);
    } else {
        log_warn("exec: %s", err.msg);
    }
}

const char *exec_default_python(void)
{
    pthread_once(&default_once, find_default);
    return default_python;
}
