/* spawn.c - the two processes between mlestar and the script.
 *
 *   mlestar thread ── fork ──► sentinel ── clone ──► child ── execve ──► python
 *
 * The sentinel is a child subreaper (PR_SET_CHILD_SUBREAPER): every process
 * the script starts, even one that double-forks or calls setsid(), stays its
 * descendant, and the sentinel reaps them all. It reports the child's pid
 * and, when the child ends, its wait status through a pipe (struct
 * spawn_record), then keeps reaping until it has no children left and
 * exits. So mlestar only ever waits for its own direct child (the sentinel),
 * never with waitpid(-1), and another module's children are never stolen;
 * and when the sentinel has exited, nothing the script started is alive.
 * wait4() on the sentinel gives the CPU time of the whole tree.
 *
 * The sentinel moves the child into the run's cgroups while the child's
 * Python starts, and then writes one byte to the child's "gate" (fd 3 in
 * the child): the start-up hook reads it before any of the script runs, so
 * the script and everything it forks are inside the cgroups from its first
 * line, and the migration's cost (an RCU grace period on cgroup v1) is
 * hidden behind the interpreter's start-up instead of added to it.
 *
 * With namespaces (confine.c: as root, or in a user namespace) the child is
 * cloned into new mount, pid, IPC (and network) namespaces and becomes the
 * init of its pid namespace:
 *
 *   sentinel ── clone(NEW*) ──► init (pid 1) ── fork ──► script ── execve ──► python
 *
 * the init builds the new root and pivots into it, forks the script, moves
 * it into the cgroups and opens its gate (the same overlap with Python's
 * start-up), reports the script's wait status (SPAWN_SCRIPT_EXITED) and
 * exits, which makes the kernel kill everything left in the namespace.
 * Without namespaces the child itself becomes the script and the sentinel
 * moves it, as above.
 *
 * The script, before execve: its own process group (the init's, under a pid
 * namespace); dies with the sentinel (PR_SET_PDEATHSIG); a new network
 * namespace unless the network is allowed; rlimits (file size, core 0, and
 * address space / process count when there is no cgroup for them); default
 * signal dispositions; then confine_restrict(): the capability bounding set
 * emptied, uid/gid 65534 with no groups when mlestar is root, no
 * capabilities, no_new_privs, Landlock; stdin from /dev/null, stdout/stderr
 * to the runner's pipes, the gate on fd 3, every other descriptor closed;
 * last the seccomp filter.
 *
 * Both processes are forked from a multi-threaded program, so this file
 * only uses async-signal-safe calls after fork: no malloc, no stdio, no
 * locks. Everything is prepared by the caller in struct spawn_plan. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec_internal.h"

/* ---- helpers safe after fork ---- */

static void put(int fd, const char *s)
{
    ssize_t n = write(fd, s, strlen(s));
    (void)n;
}

static void put_int(int fd, long v)
{
    char digits[24];
    int i = (int)sizeof digits;
    bool neg = v < 0;
    unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u && i > 1);
    if (neg)
        digits[--i] = '-';
    ssize_t n = write(fd, digits + i, sizeof digits - (size_t)i);
    (void)n;
}

static void send_record(int fd, int kind, int value)
{
    struct spawn_record r = {kind, value};
    ssize_t n;
    do {
        n = write(fd, &r, sizeof r);
    } while (n < 0 && errno == EINTR);
}

static void close_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) < 0)
        for (int fd = first; fd < 4096; fd++)
            close(fd);
}

/* Closes every descriptor except those in keep[] (n small). */
static void close_all_but(int *keep, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    int next = 0;
    for (int i = 0; i < n; i++) {
        if (keep[i] < next)
            continue;
        if (keep[i] > next)
            syscall(SYS_close_range, (unsigned)next, (unsigned)keep[i] - 1, 0);
        next = keep[i] + 1;
    }
    close_from(next);
}

static void set_limit(int resource, long long value)
{
    struct rlimit rl = {(rlim_t)value, (rlim_t)value};
    setrlimit(resource, &rl);
}

static void reset_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void fail_child(const struct spawn_plan *p, const char *what, int e)
{
    int fd = p->err_w;
    put(fd, "mlestar sandbox: ");
    put(fd, what);
    put(fd, " failed: errno ");
    put_int(fd, e);
    put(fd, "\n");
    _exit(127);
}

/* Moves fd to 10 or above (keeping it close-on-exec), so the dup2() onto
 * 0..3 below can never clobber another descriptor of the plan. */
static int lift(const struct spawn_plan *p, int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    if (high < 0)
        fail_child(p, "arranging descriptors", errno);
    return high;
}

static bool with_namespaces(const struct spawn_plan *p)
{
    return p->confine->mode == CONFINE_ROOT || p->confine->mode == CONFINE_USERNS;
}

/* The script's process: limits, ids, Landlock, descriptors, seccomp, exec.
 * gate_fd >= 0: the hook waits on it (fd 3) before the script's first line. */
static void script_main(const struct spawn_plan *p, int gate_fd)
{
    set_limit(RLIMIT_CORE, 0);
    if (p->rlimit_fsize > 0)
        set_limit(RLIMIT_FSIZE, p->rlimit_fsize);
    if (p->rlimit_as > 0)
        set_limit(RLIMIT_AS, p->rlimit_as);
    if (p->rlimit_nproc > 0)
        set_limit(RLIMIT_NPROC, p->rlimit_nproc);
    reset_signals();
    const char *what = "";
    int e = confine_restrict(p->confine, &what);
    if (e)
        fail_child(p, what, e);
    if (chdir(p->cwd) < 0)
        fail_child(p, "entering the attempt folder", errno);
    int in = lift(p, p->devnull), out = lift(p, p->out_w), errfd = lift(p, p->err_w);
    int gate = gate_fd >= 0 ? lift(p, gate_fd) : -1;
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0 || (gate >= 0 && dup2(gate, 3) < 0))
        fail_child(p, "redirecting output", errno);
    close_from(gate >= 0 ? 4 : 3);
    if ((e = confine_seccomp(p->confine)) != 0)
        fail_child(p, "loading the seccomp filter", e);
    execve(p->python, p->argv, p->envp);
    e = errno;
    put(2, "mlestar sandbox: cannot execute ");
    put(2, p->python);
    put(2, ": errno ");
    put_int(2, e);
    put(2, "\n");
    _exit(127);
}

static void join_cgroups_and_open_gate(const struct spawn_plan *p, pid_t child);

/* The init of the script's pid namespace (namespace modes): builds the new
 * root, forks the script, moves it into the run's cgroups while its Python
 * starts (a pid written to cgroup.procs is read in the writer's pid
 * namespace), opens its gate, reports the script's wait status and exits,
 * which makes the kernel kill whatever is left in the namespace. It is not
 * dumpable, so the script (same uid under a user namespace) cannot reach it
 * through /proc. Never returns. */
static void init_main(const struct spawn_plan *p)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char *what = "";
    int e = confine_enter(p->confine, &what);
    if (e)
        fail_child(p, what, e);
    prctl(PR_SET_DUMPABLE, 0);
    pid_t script = fork();
    if (script < 0)
        fail_child(p, "starting the script", errno);
    if (script == 0)
        script_main(p, p->gate_r);
    join_cgroups_and_open_gate(p, script);
    int keep[] = {p->status_w};
    close_all_but(keep, 1);
    static const int ignored[] = {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU, SIGTERM};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        signal(ignored[i], SIG_IGN);
    for (;;) {
        int status;
        pid_t w = waitpid(-1, &status, 0);
        if (w == script) {
            send_record(p->status_w, SPAWN_SCRIPT_EXITED, status);
            _exit(0);
        }
        if (w < 0 && errno == ECHILD)
            _exit(0);
    }
}

/* The child without namespaces: never returns. */
static void child_main(const struct spawn_plan *p, pid_t sentinel)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != sentinel)
        _exit(127);
    if (p->new_netns && unshare(CLONE_NEWNET) < 0)
        fail_child(p, "isolating the network (unshare CLONE_NEWNET)", errno);
    script_main(p, p->gate_r);
}

/* Puts the child into the run's cgroups, then opens its gate: "1" when it
 * is in every one, "0" (the hook then exits 125) when a move failed. The
 * move costs an RCU grace period on cgroup v1 (several ms); doing it here
 * while the child's Python starts up hides most of it, and the hook keeps
 * the script from running before it is done. */
static void join_cgroups_and_open_gate(const struct spawn_plan *p, pid_t child)
{
    char digits[24];
    int i = (int)sizeof digits;
    unsigned long u = (unsigned long)child;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u && i > 0);
    const char *verdict = "1";
    for (int k = 0; k < 2; k++) {
        if (p->cg_fds[k] < 0)
            continue;
        if (write(p->cg_fds[k], digits + i, sizeof digits - (size_t)i) < 0) {
            int e = errno;
            put(p->err_w, "mlestar sandbox: moving the script into its cgroup failed: errno ");
            put_int(p->err_w, e);
            put(p->err_w, "\n");
            verdict = "0";
        }
    }
    ssize_t n = write(p->gate_w, verdict, 1);
    (void)n;
    close(p->gate_w);
    close(p->gate_r);
}

/* The sentinel: never returns. */
static void sentinel_main(const struct spawn_plan *p, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    static const int ignored[] = {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        signal(ignored[i], SIG_IGN);
    int wanted[] = {0, 1, 2, p->out_w, p->err_w, p->devnull, p->status_w, p->gate_r, p->gate_w,
                    p->cg_fds[0], p->cg_fds[1]};
    int keep[sizeof wanted / sizeof wanted[0]];
    int nkeep = 0;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (wanted[i] >= 0)
            keep[nkeep++] = wanted[i];
    close_all_but(keep, nkeep);

    pid_t self = getpid();
    long flags = 0;
    if (with_namespaces(p))
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (p->new_netns ? CLONE_NEWNET : 0) |
                (p->confine->mode == CONFINE_USERNS ? CLONE_NEWUSER : 0);
    pid_t child = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (child < 0) {
        send_record(p->status_w, SPAWN_FORK_FAILED, errno);
        _exit(1);
    }
    if (child == 0) {
        if (flags)
            init_main(p);
        child_main(p, self);
    }
    setpgid(child, child);
    if (flags) { /* the init moves the script and opens the gate */
        close(p->gate_w);
        close(p->gate_r);
        for (int k = 0; k < 2; k++)
            if (p->cg_fds[k] >= 0)
                close(p->cg_fds[k]);
    } else {
        join_cgroups_and_open_gate(p, child);
    }
    send_record(p->status_w, SPAWN_STARTED, child);
    for (;;) {
        int status;
        pid_t w = waitpid(-1, &status, __WALL);
        if (w == child)
            send_record(p->status_w, SPAWN_EXITED, status);
        else if (w < 0 && errno == ECHILD)
            break;
    }
    _exit(0);
}

pid_t spawn_sentinel(const struct spawn_plan *plan, struct err *err)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return err_sys(err, errno, "cannot fork the sandbox");
    if (pid == 0)
        sentinel_main(plan, parent);
    return pid;
}

/* ---- probing network isolation ---- */

static bool netns_ok;
static pthread_once_t netns_once = PTHREAD_ONCE_INIT;

static void probe_netns(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    netns_ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
               WEXITSTATUS(status) == 0;
}

bool spawn_netns_supported(void)
{
    pthread_once(&netns_once, probe_netns);
    return netns_ok;
}
