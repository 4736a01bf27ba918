/* cgroup.c - one memory cgroup and one pids cgroup per run, where allowed.
 *
 * Why: RLIMIT_AS counts address space, not memory (numpy and torch reserve
 * far more than they touch), and RLIMIT_NPROC is per user and ignored for
 * root. A memory cgroup limits what the script's processes really use, and
 * the kernel OOM-kills inside it; a pids cgroup bounds processes + threads;
 * and either lists every process of the run, including children that left
 * the process group with setsid(), so the runner can kill them all.
 *
 * Where: under the cgroup this process already belongs to (read from
 * /proc/self/cgroup and /proc/self/mountinfo), as `mlestar-<pid>-<n>`, so a
 * run never escapes the limits of whatever started mlestar. cgroup v1
 * controllers are used when mounted (this is what hybrid hosts mount);
 * otherwise cgroup v2, when our own cgroup already delegates memory / pids
 * to its children (mlestar never moves itself to make that possible).
 * Anything not writable is left out quietly, and the caller falls back to
 * rlimits. Folders left by a crashed mlestar (pid no longer alive) are
 * emptied and removed the first time the bases are looked up.
 *
 * Thread-safe: the bases are found once (pthread_once); each run owns its
 * folders. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

struct cg_base {
    char *dir;        /* where run folders are created; NULL = unusable */
    int version;
    atomic_bool broken; /* a mkdir failed: stop trying */
};

static struct cg_base mem_base, pids_base;
static pthread_once_t bases_once = PTHREAD_ONCE_INIT;
static atomic_long run_seq;

/* ---- finding the bases ---- */

static bool has_token(const char *list, const char *token, char sep)
{
    size_t tl = strlen(token);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == tl && !strncmp(p, token, tl))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* Our own path in the hierarchy of `controller` ("" = the v2 line). */
static char *own_cgroup_path(const char *controller)
{
    char *text = NULL;
    if (fs_read_file("/proc/self/cgroup", 1 << 20, &text, NULL, NULL) < 0)
        return NULL;
    char *found = NULL, *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        if ((*controller && has_token(ctrls, controller, ',')) ||
            (!*controller && !strncmp(line, "0:", 2) && !*ctrls))
            found = xstrdup(c2 + 1);
    }
    free(text);
    return found;
}

/* Mount point and mount root of the hierarchy holding `controller`
 * (v1), or of cgroup2 when controller is "". */
static bool find_mount(const char *controller, char **mnt, char **root)
{
    char *text = NULL;
    if (fs_read_file("/proc/self/mountinfo", 4 << 20, &text, NULL, NULL) < 0)
        return false;
    bool ok = false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && !ok;
         line = strtok_r(NULL, "\n", &save)) {
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        char fstype[32], source[256], opts[1024], mroot[1024], mpoint[1024];
        if (sscanf(dash + 3, "%31s %255s %1023s", fstype, source, opts) < 2)
            continue;
        if (sscanf(line, "%*s %*s %*s %1023s %1023s", mroot, mpoint) != 2)
            continue;
        bool match = *controller ? !strcmp(fstype, "cgroup") && has_token(opts, controller, ',')
                                 : !strcmp(fstype, "cgroup2");
        if (match) {
            *mnt = xstrdup(mpoint);
            *root = xstrdup(mroot);
            ok = true;
        }
    }
    free(text);
    return ok;
}

static char *hierarchy_dir(const char *controller)
{
    char *mnt = NULL, *root = NULL, *own = NULL, *dir = NULL;
    if (!find_mount(controller, &mnt, &root) || !(own = own_cgroup_path(controller)))
        goto out;
    const char *rel = own;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0 && !strncmp(own, root, rl))
        rel = own + rl;
    dir = fs_join(mnt, rel);
    if (!fs_is_dir(dir)) {
        free(dir);
        dir = NULL;
    }
out:
    free(mnt);
    free(root);
    free(own);
    return dir;
}

static bool file_has_token(const char *path, const char *token)
{
    char *text = NULL;
    if (fs_read_file(path, 4096, &text, NULL, NULL) < 0)
        return false;
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    bool yes = has_token(text, token, ' ');
    free(text);
    return yes;
}

static int write_text(const char *dir, const char *file, const char *value)
{
    char *path = fs_join(dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* cgroup v2: usable when our cgroup delegates the controller already. */
static char *v2_base(const char *controller)
{
    char *dir = hierarchy_dir("");
    if (!dir)
        return NULL;
    char *ctl = fs_join(dir, "cgroup.subtree_control");
    bool ok = file_has_token(ctl, controller);
    free(ctl);
    if (!ok) {
        free(dir);
        return NULL;
    }
    return dir;
}

static void kill_and_remove(const char *dir);

/* Removes mlestar-<pid>-<n> folders whose mlestar is gone. */
static void sweep_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid;
        long seq;
        if (sscanf(e->d_name, "mlestar-%ld-%ld", &pid, &seq) != 2 || pid <= 0)
            continue;
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *dir = fs_join(base, e->d_name);
        kill_and_remove(dir);
        free(dir);
    }
    closedir(d);
}

static void find_base(struct cg_base *b, const char *controller)
{
    b->dir = hierarchy_dir(controller);
    b->version = 1;
    if (!b->dir) {
        b->dir = v2_base(controller);
        b->version = 2;
    }
    if (b->dir) {
        sweep_stale(b->dir);
        log_debug("exec: %s cgroups under %s (v%d)", controller, b->dir, b->version);
    } else {
        log_debug("exec: no usable %s cgroup", controller);
    }
}

static void find_bases(void)
{
    find_base(&mem_base, "memory");
    find_base(&pids_base, "pids");
}

/* ---- one run ---- */

static char *make_run_dir(struct cg_base *b, const char *name)
{
    if (!b->dir || atomic_load(&b->broken))
        return NULL;
    char *dir = fs_join(b->dir, name);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        if (!atomic_exchange(&b->broken, true))
            log_debug("exec: cannot create cgroup %s (%s); using rlimits", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

static int open_procs(const char *dir)
{
    char *path = fs_join(dir, "cgroup.procs");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    return fd;
}

static bool set_memory(const char *dir, int version, long long bytes)
{
    if (bytes <= 0)
        return true;
    char value[32];
    snprintf(value, sizeof value, "%lld", bytes);
    if (version == 2) {
        write_text(dir, "memory.swap.max", "0");
        return write_text(dir, "memory.max", value) == 0;
    }
    if (write_text(dir, "memory.limit_in_bytes", value) < 0)
        return false;
    write_text(dir, "memory.memsw.limit_in_bytes", value); /* absent without swap accounting */
    return true;
}

static bool set_pids(const char *dir, long max_procs)
{
    char value[32];
    if (max_procs > 0)
        snprintf(value, sizeof value, "%ld", max_procs);
    else
        snprintf(value, sizeof value, "max");
    return write_text(dir, "pids.max", value) == 0;
}

void cgroup_setup(struct exec_cgroup *cg, long long memory_bytes, long max_procs)
{
    memset(cg, 0, sizeof *cg);
    cg->join_fds[0] = cg->join_fds[1] = -1;
    pthread_once(&bases_once, find_bases);
    char name[64];
    snprintf(name, sizeof name, "mlestar-%ld-%ld", (long)getpid(), atomic_fetch_add(&run_seq, 1));

    cg->mem_dir = make_run_dir(&mem_base, name);
    cg->mem_version = mem_base.version;
    if (cg->mem_dir && !set_memory(cg->mem_dir, cg->mem_version, memory_bytes)) {
        rmdir(cg->mem_dir);
        free(cg->mem_dir);
        cg->mem_dir = NULL;
    }
    bool shared = cg->mem_dir && pids_base.dir && mem_base.dir && mem_base.version == 2 &&
                  pids_base.version == 2 && !strcmp(mem_base.dir, pids_base.dir);
    cg->pids_dir = shared ? xstrdup(cg->mem_dir) : make_run_dir(&pids_base, name);
    cg->pids_version = pids_base.version;
    if (cg->pids_dir && !set_pids(cg->pids_dir, max_procs)) {
        if (!shared)
            rmdir(cg->pids_dir);
        free(cg->pids_dir);
        cg->pids_dir = NULL;
    }
    if (cg->mem_dir)
        cg->join_fds[0] = open_procs(cg->mem_dir);
    if (cg->pids_dir && !(shared && cg->mem_dir))
        cg->join_fds[1] = open_procs(cg->pids_dir);
}

void cgroup_close_join(struct exec_cgroup *cg)
{
    for (int i = 0; i < 2; i++) {
        if (cg->join_fds[i] >= 0)
            close(cg->join_fds[i]);
        cg->join_fds[i] = -1;
    }
}

static int signal_dir(const char *dir, int sig)
{
    char *path = fs_join(dir, "cgroup.procs");
    char *text = NULL;
    int found = 0;
    if (fs_read_file(path, 16 << 20, &text, NULL, NULL) == 0) {
        for (char *p = text; *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pid > 0) {
                kill((pid_t)pid, sig);
                found++;
            }
            p = end;
            while (*p == '\n')
                p++;
        }
    }
    free(text);
    free(path);
    return found;
}

int cgroup_signal_all(const struct exec_cgroup *cg, int sig)
{
    int found = 0;
    if (cg->pids_dir)
        found += signal_dir(cg->pids_dir, sig);
    if (cg->mem_dir && !(cg->pids_dir && !strcmp(cg->mem_dir, cg->pids_dir)))
        found += signal_dir(cg->mem_dir, sig);
    return found;
}

static long long read_ll(const char *dir, const char *file)
{
    char *path = fs_join(dir, file);
    char *text = NULL;
    long long v = -1;
    if (fs_read_file(path, 4096, &text, NULL, NULL) == 0)
        v = atoll(text);
    free(text);
    free(path);
    return v;
}

/* The value of `key N` in a flat-keyed file (memory.events, oom_control). */
static long long read_key(const char *dir, const char *file, const char *key)
{
    char *path = fs_join(dir, file);
    char *text = NULL;
    long long v = -1;
    if (fs_read_file(path, 65536, &text, NULL, NULL) == 0) {
        size_t kl = strlen(key);
        for (char *line = text; line && *line;) {
            if (!strncmp(line, key, kl) && line[kl] == ' ')
                v = atoll(line + kl + 1);
            line = strchr(line, '\n');
            if (line)
                line++;
        }
    }
    free(text);
    free(path);
    return v;
}

long long cgroup_peak_memory(const struct exec_cgroup *cg)
{
    if (!cg->mem_dir)
        return -1;
    return read_ll(cg->mem_dir, cg->mem_version == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
}

bool cgroup_oom_killed(const struct exec_cgroup *cg)
{
    if (!cg->mem_dir)
        return false;
    if (cg->mem_version == 2)
        return read_key(cg->mem_dir, "memory.events", "oom_kill") > 0;
    return read_key(cg->mem_dir, "memory.oom_control", "oom_kill") > 0;
}

/* rmdir, retrying briefly: the last processes may still be on their way out. */
static void remove_dir(const char *dir)
{
    for (int i = 0; i < 200; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return;
        if (errno != EBUSY)
            break;
        usleep(5000);
    }
    log_warn("exec: cannot remove cgroup %s: %s", dir, strerror(errno));
}

static void kill_and_remove(const char *dir)
{
    for (int i = 0; i < 50 && signal_dir(dir, SIGKILL) > 0; i++)
        usleep(2000);
    remove_dir(dir);
}

void cgroup_destroy(struct exec_cgroup *cg)
{
    cgroup_close_join(cg);
    bool shared = cg->mem_dir && cg->pids_dir && !strcmp(cg->mem_dir, cg->pids_dir);
    if (cg->mem_dir)
        remove_dir(cg->mem_dir);
    if (cg->pids_dir && !shared)
        remove_dir(cg->pids_dir);
    free(cg->mem_dir);
    free(cg->pids_dir);
    cg->mem_dir = cg->pids_dir = NULL;
}
