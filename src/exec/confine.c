/* confine.c - the kernel's confinement of a script's whole process tree.
 *
 * The start-up hook (templates/sandbox/sitecustomize.py) only sees what
 * Python code does; a shell command, `python3 -S`, or libc through ctypes
 * walks around it. So the boundary is drawn by the kernel, in layers, the
 * strongest this machine allows (probed once per process, confine_probe()):
 *
 *   CONFINE_ROOT    mlestar is root: the script's child gets new mount, pid,
 *                   IPC (and network) namespaces; a new root (pivot_root)
 *                   built from read-only bind mounts of what the interpreter
 *                   needs, the task data read-only at the paths the input/
 *                   symlinks name, the attempt folder read-write, a private
 *                   size-limited /tmp and /dev/shm, a minimal /dev and /etc
 *                   (no shadow), a fresh /proc of the new pid namespace; then
 *                   the script runs as uid/gid 65534 with no groups;
 *   CONFINE_USERNS  not root, but user namespaces are allowed: the same new
 *                   root inside a user namespace where the caller's uid is
 *                   mapped to 65534 (its files stay the caller's on disk);
 *   CONFINE_LANDLOCK  no namespaces: Landlock alone allows reads of the same
 *                   paths and writes to the attempt folder only (no private
 *                   /tmp: writes there are refused; TMPDIR is ATTEMPT/tmp);
 *   CONFINE_NONE    neither: the start-up hook is all there is, and the
 *                   verdict says so.
 * On top of any of them: Landlock as a second layer where the kernel has it
 * (read-only rights on the read paths, all rights on the attempt folder and
 * the private /tmp), no capabilities, no_new_privs, and a seccomp filter
 * (built with libseccomp) that answers EPERM to ptrace, the mount family,
 * pivot_root, kexec, bpf, module loading, reboot, swap, the key ring,
 * unshare/setns and namespace flags of clone, perf_event_open and
 * process_vm_readv/writev, open_by_handle_at (and truncate(path) when the
 * UAPI header predates Landlock's truncate right: Debian 12's is Linux 6.1's);
 * clone3 gets ENOSYS, so libc falls back to clone, whose flags the filter
 * can see.
 *
 * The view is a list of entries (struct view_entry), prepared before fork:
 * the child (spawn.c) must not allocate. confine_enter() turns the list into
 * mounts and pivots (async-signal-safe), confine_restrict() drops ids and
 * capabilities and applies Landlock, confine_seccomp() loads the filter last
 * before execve. The probe runs the same confine_enter() on a tiny view in a
 * throw-away child, so a mode is only chosen where it really works.
 *
 * MLESTAR_SANDBOX_WITHOUT=namespaces,landlock,seccomp (a comma list) makes
 * the probe pretend the kernel lacks those layers: the tests use it to run
 * the fallback paths on a machine that has everything. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "task/task.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

#define SCRIPT_ID 65534u
#define TMPFS_OPTS "mode=1777,size=1g,nr_inodes=65536"
#define ROOT_OPTS "mode=0755,size=1m,nr_inodes=4096"

/* ---- Landlock rights, limited to what the header and the kernel know ---- */

#define LL_FILE_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE)
#define LL_READ (LL_FILE_READ | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_ABI1_ALL ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)

static unsigned long long ll_handled(int abi)
{
    unsigned long long all = 0;
    if (abi >= 1)
        all = LL_ABI1_ALL;
    if (abi >= 2)
        all |= LANDLOCK_ACCESS_FS_REFER;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3)
        all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
    if (abi >= 5)
        all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
#endif
    return all;
}

/* Rights that may be granted on a file (not a directory). */
static unsigned long long ll_file_rights(void)
{
    unsigned long long r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                           LANDLOCK_ACCESS_FS_READ_FILE;
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    r |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
    r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
#endif
    return r;
}

static const unsigned long long LL_ALL = ~0ULL; /* masked by ll_handled() */
static const unsigned long long LL_DEV = LANDLOCK_ACCESS_FS_READ_FILE |
                                         LANDLOCK_ACCESS_FS_WRITE_FILE
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
                                         | LANDLOCK_ACCESS_FS_IOCTL_DEV
#endif
    ;
static const unsigned long long LL_PROC = LANDLOCK_ACCESS_FS_READ_FILE |
                                          LANDLOCK_ACCESS_FS_READ_DIR |
                                          LANDLOCK_ACCESS_FS_WRITE_FILE;

/* ---- the view: building the list (parent side, may allocate) ---- */

static void view_add(struct confine_plan *cp, enum view_kind kind, const char *path, const char *data,
                     unsigned long long ll)
{
    if (cp->nv == cp->cap) {
        cp->cap = cp->cap ? cp->cap * 2 : 64;
        cp->v = xrealloc(cp->v, cp->cap * sizeof *cp->v);
    }
    struct view_entry *e = &cp->v[cp->nv++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->path = xstrdup(path);
    e->data = data ? xstrdup(data) : NULL;
    e->ll_access = ll;
}

static bool path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return true;
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* True when a read-only entry already shows `path` (so a bind would add nothing). */
static bool ro_covered(const struct confine_plan *cp, const char *path)
{
    for (size_t i = 0; i < cp->nv; i++)
        if (cp->v[i].kind == VIEW_RO && path_under(path, cp->v[i].path))
            return true;
    return false;
}

static void add_ro(struct confine_plan *cp, const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || ro_covered(cp, path))
        return;
    view_add(cp, VIEW_RO, path, NULL, S_ISDIR(st.st_mode) ? LL_READ : LL_FILE_READ);
    cp->v[cp->nv - 1].is_dir = S_ISDIR(st.st_mode);
}

/* /bin, /lib...: the same symlink in the new root (merged /usr), else a bind. */
static void add_top_dir(struct confine_plan *cp, const char *path, bool ns)
{
    char target[4096];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        if (ns) {
            view_add(cp, VIEW_SYMLINK, path, target, 0);
        } else {
            char *real = fs_realpath(path);
            if (real)
                add_ro(cp, real);
            free(real);
        }
        return;
    }
    add_ro(cp, path);
}

/* An /etc entry: symlinks are re-made (their targets are under /usr), files
 * and folders bound read-only. Without namespaces the real file is allowed. */
static void add_etc(struct confine_plan *cp, const char *name, bool ns)
{
    char *path = fs_join("/etc", name);
    char target[4096];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n > 0 && ns) {
        target[n] = '\0';
        view_add(cp, VIEW_SYMLINK, path, target, 0);
    } else if (n > 0) {
        char *real = fs_realpath(path);
        if (real)
            add_ro(cp, real);
        free(real);
    } else {
        add_ro(cp, path);
    }
    free(path);
}

static const char ETC_PASSWD[] = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char ETC_GROUP[] = "root:x:0:\nnogroup:x:65534:\n";
static const char ETC_HOSTS[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n";

static void add_etc_view(struct confine_plan *cp, bool ns, bool network)
{
    static const char *const wanted[] = {
        "ld.so.cache", "localtime", "timezone", "alternatives", "matplotlibrc", "mime.types",
        "os-release", "debian_version", "fonts", NULL};
    static const char *const net_wanted[] = {"resolv.conf", "ssl", "ca-certificates", "gai.conf",
                                             "host.conf", "hosts", NULL};
    if (ns) {
        view_add(cp, VIEW_FILE, "/etc/passwd", ETC_PASSWD, 0);
        view_add(cp, VIEW_FILE, "/etc/group", ETC_GROUP, 0);
        view_add(cp, VIEW_FILE, "/etc/nsswitch.conf",
                 network ? "passwd: files\ngroup: files\nhosts: files dns\n"
                         : "passwd: files\ngroup: files\nhosts: files\n", 0);
        if (!network)
            view_add(cp, VIEW_FILE, "/etc/hosts", ETC_HOSTS, 0);
        view_add(cp, VIEW_DIRONLY, "/etc", NULL, LL_READ);
    } else {
        for (const char *const *n = (const char *const[]){"passwd", "group", "nsswitch.conf", "hosts",
                                                          NULL}; *n; n++)
            add_etc(cp, *n, false);
    }
    for (const char *const *n = wanted; *n; n++)
        add_etc(cp, *n, ns);
    if (network)
        for (const char *const *n = net_wanted; *n; n++)
            add_etc(cp, *n, ns);
    DIR *d = opendir("/etc"); /* python3, python3.11: Debian's interpreter configuration */
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, "python3", 7))
            add_etc(cp, e->d_name, ns);
    if (d)
        closedir(d);
}

static void add_dev_view(struct confine_plan *cp, bool ns)
{
    static const char *const devices[] = {"null", "zero", "full", "random", "urandom", NULL};
    if (ns) {
        view_add(cp, VIEW_TMPFS, "/dev", "mode=0755,size=64k,nr_inodes=256", 0);
        cp->v[cp->nv - 1].ro_after = true;
    }
    for (const char *const *n = devices; *n; n++) {
        char *path = fs_join("/dev", *n);
        if (fs_exists(path))
            view_add(cp, VIEW_DEV, path, NULL, LL_DEV);
        free(path);
    }
    DIR *d = opendir("/dev"); /* GPUs */
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, "nvidia", 6)) {
            char *path = fs_join("/dev", e->d_name);
            struct stat st;
            if (stat(path, &st) == 0 && S_ISCHR(st.st_mode))
                view_add(cp, VIEW_DEV, path, NULL, LL_DEV);
            free(path);
        }
    if (d)
        closedir(d);
    if (ns) {
        view_add(cp, VIEW_SYMLINK, "/dev/fd", "/proc/self/fd", 0);
        view_add(cp, VIEW_SYMLINK, "/dev/stdin", "/proc/self/fd/0", 0);
        view_add(cp, VIEW_SYMLINK, "/dev/stdout", "/proc/self/fd/1", 0);
        view_add(cp, VIEW_SYMLINK, "/dev/stderr", "/proc/self/fd/2", 0);
        view_add(cp, VIEW_TMPFS, "/dev/shm", TMPFS_OPTS, LL_ALL);
    } else if (fs_is_dir("/dev/shm")) {
        view_add(cp, VIEW_DIRONLY, "/dev/shm", NULL, LL_ALL); /* semaphores of multiprocessing */
    }
}

/* The task's data: the data folder, and the folders of files outside it. */
static void add_data_dir(struct confine_plan *cp, const char *dir, bool ns)
{
    if (ro_covered(cp, dir))
        return;
    size_t self_at = cp->nv;
    add_ro(cp, dir);
    if (cp->nv == self_at)
        return; /* not there */
    /* Answer-like names inside: covered (namespaces), or left out of the
     * Landlock rules by allowing the other entries one by one. */
    DIR *d = opendir(dir);
    struct dirent *e;
    bool hidden_seen = false;
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *path = fs_join(dir, e->d_name);
        if (task_name_is_hidden(e->d_name)) {
            hidden_seen = true;
            if (ns)
                view_add(cp, fs_is_dir(path) ? VIEW_HIDE_DIR : VIEW_HIDE_FILE, path, NULL, 0);
        }
        free(path);
    }
    if (hidden_seen && !ns) {
        /* Landlock: the folder itself only listable; its visible entries readable. */
        cp->v[self_at].ll_access = LANDLOCK_ACCESS_FS_READ_DIR;
        rewinddir(d);
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || task_name_is_hidden(e->d_name))
                continue;
            char *path = fs_join(dir, e->d_name);
            struct stat st;
            if (stat(path, &st) == 0)
                view_add(cp, VIEW_LLONLY, path, NULL, S_ISDIR(st.st_mode) ? LL_READ : LL_FILE_READ);
            free(path);
        }
    }
    if (d)
        closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folders holding task files that lie outside the data folder (archives
 * unpacked elsewhere, say): every distinct parent folder, realpath'd. */
static char **outside_dirs(const struct task *task, const char *data_real, size_t *n)
{
    char **dirs = NULL;
    *n = 0;
    for (size_t i = 0; task && i < task->nfiles; i++) {
        if (!task->files[i].abs_path)
            continue;
        char *real = fs_realpath(task->files[i].abs_path);
        if (!real)
            continue;
        if (data_real && path_under(real, data_real)) {
            free(real);
            continue;
        }
        char *slash = strrchr(real, '/');
        if (slash && slash != real)
            *slash = '\0';
        dirs = xrealloc(dirs, (*n + 1) * sizeof *dirs);
        dirs[(*n)++] = real;
    }
    if (*n > 1) {
        qsort(dirs, *n, sizeof *dirs, cmp_str);
        size_t out = 1;
        for (size_t i = 1; i < *n; i++) {
            if (!strcmp(dirs[i], dirs[out - 1]))
                free(dirs[i]);
            else
                dirs[out++] = dirs[i];
        }
        *n = out;
    }
    return dirs;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct view_entry *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return (int)x->kind - (int)y->kind;
}

/* When the attempt folder lies inside a read-only folder of the view (a run
 * folder inside the data, say), the branch toward it is covered by an empty
 * tmpfs, so other attempts and the journal stay out of sight. */
static void cover_attempt_branch(struct confine_plan *cp, const char *attempt)
{
    for (size_t i = 0; i < cp->nv; i++) {
        const struct view_entry *e = &cp->v[i];
        if (e->kind != VIEW_RO || !e->is_dir || !path_under(attempt, e->path) ||
            !strcmp(attempt, e->path))
            continue;
        size_t base = strlen(e->path);
        const char *rest = attempt + base + (base > 1);
        const char *slash = strchr(rest, '/');
        if (!slash)
            continue; /* directly inside: its siblings are that folder's own entries */
        char *branch = xstrndup(attempt, (size_t)(slash - attempt));
        view_add(cp, VIEW_TMPFS, branch, "mode=0755,size=16k,nr_inodes=64", 0);
        cp->v[cp->nv - 1].ro_after = true;
        free(branch);
        return;
    }
}

/* Folders made inside a private tmpfs only to hold mount points (a task or
 * attempt folder under /tmp) would be writable by the script under a user
 * namespace, whose uid owns them: each topmost one is sealed at the end by a
 * recursive read-only bind onto itself (the mounts inside keep their own
 * flags). Writes to the tmpfs itself stay possible. */
static void seal_scaffolds(struct confine_plan *cp)
{
    size_t n = cp->nv;
    for (size_t t = 0; t < n; t++) {
        if (cp->v[t].kind != VIEW_TMPFS || cp->v[t].ro_after)
            continue;
        const char *base = cp->v[t].path;
        size_t blen = strlen(base);
        for (size_t i = 0; i < n; i++) {
            const char *p = cp->v[i].path;
            if (i == t || !path_under(p, base) || !strcmp(p, base))
                continue;
            const char *slash = strchr(p + blen + 1, '/');
            char *top = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
            bool seen = false; /* a mount point of its own needs no seal */
            for (size_t k = 0; k < cp->nv && !seen; k++)
                seen = !strcmp(cp->v[k].path, top);
            if (!seen)
                view_add(cp, VIEW_SEAL, top, NULL, 0);
            free(top);
        }
    }
}

static void prefix_destinations(struct confine_plan *cp)
{
    for (size_t i = 0; i < cp->nv; i++) {
        struct view_entry *e = &cp->v[i];
        e->dst = cp->new_root ? xasprintf("%s%s", cp->new_root, e->path) : xstrdup(e->path);
    }
}

/* Whether every folder above path lets others through (o+x): without a new
 * root, uid 65534 must walk the real path to the attempt folder. */
static bool reachable_by_others(const char *path)
{
    char *copy = xstrdup(path);
    bool ok = true;
    for (char *slash = strrchr(copy, '/'); ok && slash && slash != copy; slash = strrchr(copy, '/')) {
        *slash = '\0';
        struct stat st;
        ok = stat(copy, &st) == 0 && (st.st_mode & S_IXOTH);
    }
    free(copy);
    return ok;
}

static char *summary_text(const struct confine_plan *cp)
{
    struct buf b = {0};
    if (cp->mode == CONFINE_ROOT)
        buf_puts(&b, "mount-ns+pivot_root, pid-ns");
    else if (cp->mode == CONFINE_USERNS)
        buf_puts(&b, "user-ns+mount-ns+pivot_root, pid-ns");
    if (cp->landlock_abi > 0)
        buf_printf(&b, "%slandlock v%d", b.len ? ", " : "", cp->landlock_abi);
    if (cp->seccomp)
        buf_printf(&b, "%sseccomp", b.len ? ", " : "");
    if (cp->mode == CONFINE_ROOT || cp->drop_uid)
        buf_printf(&b, "%suid %u", b.len ? ", " : "", cp->uid);
    else if (cp->mode == CONFINE_USERNS)
        buf_printf(&b, "%suid %u (mapped to %u)", b.len ? ", " : "", cp->uid, (unsigned)geteuid());
    else if (geteuid() == 0)
        buf_printf(&b, "%suid 0 without capabilities (uid %u could not reach the attempt folder or "
                       "the data: a folder above them is not o+x)", b.len ? ", " : "", cp->uid);
    else
        buf_printf(&b, "%suid %u", b.len ? ", " : "", (unsigned)geteuid());
    if (cp->mode == CONFINE_NONE && cp->landlock_abi == 0)
        buf_puts(&b, "; no filesystem confinement (no namespaces, no Landlock): the start-up hook "
                     "only, which a subprocess or ctypes can bypass");
    else if (cp->mode == CONFINE_LANDLOCK)
        buf_puts(&b, "; no namespaces: no private /tmp, host /proc");
    return buf_detach(&b);
}

int confine_plan_build(struct confine_plan *cp, const struct confine_input *in, struct err *err)
{
    (void)err;
    const struct confine_caps *caps = confine_probe();
    memset(cp, 0, sizeof *cp);
    cp->mode = caps->mode;
    cp->landlock_abi = caps->landlock_abi;
    cp->seccomp = caps->seccomp;
    cp->gid = cp->uid = SCRIPT_ID;
    bool ns = cp->mode == CONFINE_ROOT || cp->mode == CONFINE_USERNS;
    cp->drop_uid = geteuid() == 0 && cp->mode != CONFINE_USERNS;
    if (cp->drop_uid && !ns &&
        (!reachable_by_others(in->attempt) || (in->data_real && !reachable_by_others(in->data_real))))
        cp->drop_uid = false; /* the real paths are walked: keep uid 0, without capabilities */
    if (cp->mode == CONFINE_USERNS) {
        cp->uid_map = xasprintf("%u %u 1\n", SCRIPT_ID, (unsigned)geteuid());
        cp->gid_map = xasprintf("%u %u 1\n", SCRIPT_ID, (unsigned)getegid());
    }
    if (ns)
        cp->new_root = xstrdup(in->new_root);
    size_t nout = 0;
    char **out = outside_dirs(in->task, in->data_real, &nout);
    struct buf paths = {0};
    if (in->data_real)
        buf_puts(&paths, in->data_real);
    for (size_t i = 0; i < nout; i++)
        buf_printf(&paths, "%s%s", paths.len ? ":" : "", out[i]);
    cp->data_paths = buf_detach(&paths);
    bool fs_layer = ns || cp->landlock_abi > 0;
    if (fs_layer) {
        add_ro(cp, "/usr");
        for (const char *const *t = (const char *const[]){"/bin", "/sbin", "/lib", "/lib32", "/lib64",
                                                          "/libx32", NULL}; *t; t++)
            add_top_dir(cp, *t, ns);
        add_etc_view(cp, ns, in->network);
        add_dev_view(cp, ns);
        if (ns) {
            view_add(cp, VIEW_PROC, "/proc", NULL, LL_PROC);
            view_add(cp, VIEW_TMPFS, "/tmp", TMPFS_OPTS, LL_ALL);
        } else {
            view_add(cp, VIEW_DIRONLY, "/proc", NULL, LL_PROC);
        }
        add_ro(cp, "/sys/devices/system/cpu");
        add_ro(cp, "/sys/devices/system/node");
        if (!ns)
            add_ro(cp, "/sys/fs/cgroup"); /* CPU quotas (joblib reads them; without them, open fails) */
        for (size_t i = 0; in->pyroots && i < in->pyroots->ndirs; i++)
            add_ro(cp, in->pyroots->dirs[i]);
        if (in->data_real)
            add_data_dir(cp, in->data_real, ns);
        for (size_t i = 0; i < nout; i++)
            add_data_dir(cp, out[i], ns);
        view_add(cp, VIEW_RW, in->attempt, NULL, LL_ALL);
        if (ns) {
            cover_attempt_branch(cp, in->attempt);
            view_add(cp, VIEW_RO, in->input_dir, NULL, 0);
            cp->v[cp->nv - 1].is_dir = true;
            view_add(cp, VIEW_RO, in->hook_dir, NULL, 0);
            cp->v[cp->nv - 1].is_dir = true;
        }
        qsort(cp->v, cp->nv, sizeof *cp->v, cmp_entry);
        if (ns)
            seal_scaffolds(cp);
        prefix_destinations(cp);
    }
    for (size_t i = 0; i < nout; i++)
        free(out[i]);
    free(out);
    cp->summary = summary_text(cp);
    return 0;
}

void confine_plan_free(struct confine_plan *cp)
{
    for (size_t i = 0; i < cp->nv; i++) {
        free(cp->v[i].path);
        free(cp->v[i].dst);
        free(cp->v[i].data);
    }
    free(cp->v);
    free(cp->new_root);
    free(cp->uid_map);
    free(cp->gid_map);
    free(cp->summary);
    free(cp->data_paths);
    memset(cp, 0, sizeof *cp);
}

/* ---- the child side: async-signal-safe from here on ---- */

/* mkdir -p of path (absolute). Returns 0 or an errno. */
static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return errno;
        buf[i] = c;
    }
    return 0;
}

static int mkdir_parent(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    return mkdir_p(buf);
}

static int make_file(const char *path, const char *content)
{
    int e = mkdir_parent(path);
    if (e)
        return e;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return errno == EEXIST ? 0 : errno;
    if (content) {
        size_t len = strlen(content);
        if (write(fd, content, len) != (ssize_t)len) {
            close(fd);
            return EIO;
        }
    }
    close(fd);
    return 0;
}

/* Remounts a bind read-only, keeping the flags a user namespace may not drop. */
static int remount_ro(const char *dst)
{
    struct statfs sf;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
    if (statfs(dst, &sf) == 0) {
        if (sf.f_flags & ST_NOEXEC)
            flags |= MS_NOEXEC;
        if (sf.f_flags & ST_NOATIME)
            flags |= MS_NOATIME;
        if (sf.f_flags & ST_NODIRATIME)
            flags |= MS_NODIRATIME;
        if (sf.f_flags & ST_RELATIME)
            flags |= MS_RELATIME;
    }
    return mount(NULL, dst, NULL, flags, NULL) < 0 ? errno : 0;
}

static int bind(const char *src, const char *dst, bool is_dir, bool ro)
{
    int e = is_dir ? mkdir_p(dst) : make_file(dst, NULL);
    if (e)
        return e;
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        return errno;
    return ro ? remount_ro(dst) : 0;
}

static int mount_entry(const struct view_entry *e)
{
    int err;
    switch (e->kind) {
    case VIEW_RO:
        return bind(e->path, e->dst, e->is_dir, true);
    case VIEW_RW:
        return bind(e->path, e->dst, true, false);
    case VIEW_HIDE_DIR:
        return mount("tmpfs", e->dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     "size=4k,mode=000") < 0 ? errno : 0;
    case VIEW_HIDE_FILE:
        return mount("/dev/null", e->dst, NULL, MS_BIND, NULL) < 0 ? errno : 0;
    case VIEW_TMPFS:
        if ((err = mkdir_p(e->dst)) != 0)
            return err;
        return mount("tmpfs", e->dst, "tmpfs", MS_NOSUID | MS_NODEV, e->data) < 0 ? errno : 0;
    case VIEW_SYMLINK:
        if ((err = mkdir_parent(e->dst)) != 0)
            return err;
        return symlink(e->data, e->dst) < 0 && errno != EEXIST ? errno : 0;
    case VIEW_FILE:
        return make_file(e->dst, e->data);
    case VIEW_DEV:
        if ((err = make_file(e->dst, NULL)) != 0)
            return err;
        return mount(e->path, e->dst, NULL, MS_BIND, NULL) < 0 ? errno : 0;
    case VIEW_PROC:
        if ((err = mkdir_p(e->dst)) != 0)
            return err;
        return mount("proc", e->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? errno : 0;
    case VIEW_DIRONLY:
        return mkdir_p(e->dst);
    case VIEW_LLONLY:
    case VIEW_SEAL:
        return 0;
    }
    return 0;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    size_t len = strlen(text);
    int e = write(fd, text, len) == (ssize_t)len ? 0 : errno ? errno : EIO;
    close(fd);
    return e;
}

int confine_enter(const struct confine_plan *cp, const char **what)
{
    int e;
    if (cp->mode != CONFINE_ROOT && cp->mode != CONFINE_USERNS)
        return 0;
    if (cp->mode == CONFINE_USERNS) {
        *what = "mapping the user namespace";
        if ((e = write_text("/proc/self/setgroups", "deny")) != 0 ||
            (e = write_text("/proc/self/uid_map", cp->uid_map)) != 0 ||
            (e = write_text("/proc/self/gid_map", cp->gid_map)) != 0)
            return e;
    }
    *what = "making the mounts private";
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return errno;
    *what = "mounting the new root";
    if ((e = mkdir_p(cp->new_root)) != 0)
        return e;
    if (mount("tmpfs", cp->new_root, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_OPTS) < 0)
        return errno;
    for (size_t i = 0; i < cp->nv; i++) {
        *what = cp->v[i].path;
        if ((e = mount_entry(&cp->v[i])) != 0)
            return e;
    }
    for (size_t i = 0; i < cp->nv; i++)
        if (cp->v[i].ro_after) {
            *what = cp->v[i].path;
            if ((e = remount_ro(cp->v[i].dst)) != 0)
                return e;
        }
    for (size_t i = 0; i < cp->nv; i++)
        if (cp->v[i].kind == VIEW_SEAL) {
            *what = cp->v[i].path;
            if (mount(cp->v[i].dst, cp->v[i].dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return errno;
            if ((e = remount_ro(cp->v[i].dst)) != 0)
                return e;
        }
    *what = "pivot_root";
    if (chdir(cp->new_root) < 0)
        return errno;
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return errno;
    if (umount2(".", MNT_DETACH) < 0)
        return errno;
    if (chdir("/") < 0)
        return errno;
    *what = "making the new root read-only";
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return errno;
    return 0;
}

static int landlock_apply(const struct confine_plan *cp, const char **what)
{
    unsigned long long handled = ll_handled(cp->landlock_abi);
    struct landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.handled_access_fs = handled;
    *what = "creating the Landlock ruleset";
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0)
        return errno;
    for (size_t i = 0; i < cp->nv; i++) {
        const struct view_entry *e = &cp->v[i];
        if (!e->ll_access)
            continue;
        int fd = open(e->path, O_PATH | O_CLOEXEC);
        if (fd < 0)
            continue; /* not there: nothing to allow */
        struct stat st;
        unsigned long long access = e->ll_access & handled;
        if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
            access &= ll_file_rights();
        struct landlock_path_beneath_attr rule = {.allowed_access = access, .parent_fd = fd};
        long rc = access ? syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) : 0;
        int saved = errno;
        close(fd);
        if (rc < 0) {
            *what = e->path;
            close(rs);
            return saved;
        }
    }
    *what = "entering the Landlock domain";
    long rc = syscall(SYS_landlock_restrict_self, rs, 0);
    int saved = errno;
    close(rs);
    return rc < 0 ? saved : 0;
}

int confine_restrict(const struct confine_plan *cp, const char **what)
{
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
            break;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (cp->drop_uid) {
        *what = "dropping to uid 65534";
        if (setgroups(0, NULL) < 0 || setresgid(cp->gid, cp->gid, cp->gid) < 0 ||
            setresuid(cp->uid, cp->uid, cp->uid) < 0)
            return errno;
    }
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    syscall(SYS_capset, &hdr, data);
    *what = "setting no_new_privs";
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno;
    if (cp->landlock_abi > 0 && cp->nv > 0)
        return landlock_apply(cp, what);
    return 0;
}

/* ---- seccomp: the filter is compiled once, before any fork ---- */

static struct sock_filter *bpf_code;
static unsigned short bpf_len;

static bool build_seccomp(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return false;
    static const char *const denied[] = {
        "ptrace", "mount", "umount2", "pivot_root", "kexec_load", "kexec_file_load", "bpf",
        "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "keyctl",
        "add_key", "request_key", "unshare", "setns", "perf_event_open", "process_vm_readv",
        "process_vm_writev", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "chroot", "open_by_handle_at",
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
        /* the UAPI header predates Landlock's truncate right: without it,
         * truncate(path) outside the attempt folder would be allowed */
        "truncate",
#endif
        NULL};
    bool ok = true;
    for (const char *const *n = denied; *n && ok; n++) {
        int nr = seccomp_syscall_resolve_name(*n);
        if (nr != __NR_SCMP_ERROR)
            ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) == 0;
    }
    static const unsigned long ns_flags[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET,
                                             CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP};
    for (size_t i = 0; ok && i < sizeof ns_flags / sizeof ns_flags[0]; i++)
        ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i])) == 0;
    int clone3 = seccomp_syscall_resolve_name("clone3");
    if (ok && clone3 != __NR_SCMP_ERROR)
        ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0) == 0;
    int fd = ok ? memfd_create("mlestar-seccomp", MFD_CLOEXEC) : -1;
    if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        if (size > 0 && size % (off_t)sizeof(struct sock_filter) == 0 &&
            size / (off_t)sizeof(struct sock_filter) < 65536) {
            bpf_code = xmalloc((size_t)size);
            if (pread(fd, bpf_code, (size_t)size, 0) == size)
                bpf_len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
        }
    }
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return bpf_len > 0;
}

int confine_seccomp(const struct confine_plan *cp)
{
    if (!cp->seccomp || !bpf_len)
        return 0;
    struct sock_fprog prog = {.len = bpf_len, .filter = bpf_code};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? errno : 0;
}

/* ---- the probe ---- */

static struct confine_caps caps;
static pthread_once_t caps_once = PTHREAD_ONCE_INIT;

static bool without(const char *layer)
{
    const char *list = getenv("MLESTAR_SANDBOX_WITHOUT");
    if (!list)
        return false;
    size_t n = strlen(layer);
    for (const char *p = list; (p = strstr(p, layer)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* Builds a tiny new root in a throw-away child with the mode's namespaces. */
static bool try_mode(enum confine_mode mode, const char *scratch)
{
    struct confine_plan cp = {.mode = mode, .uid = SCRIPT_ID, .gid = SCRIPT_ID};
    if (mode == CONFINE_USERNS) {
        cp.uid_map = xasprintf("%u %u 1\n", SCRIPT_ID, (unsigned)geteuid());
        cp.gid_map = xasprintf("%u %u 1\n", SCRIPT_ID, (unsigned)getegid());
    }
    cp.new_root = xstrdup(scratch);
    view_add(&cp, VIEW_PROC, "/proc", NULL, 0);
    view_add(&cp, VIEW_TMPFS, "/tmp", TMPFS_OPTS, 0);
    add_ro(&cp, "/usr");
    add_dev_view(&cp, true);
    qsort(cp.v, cp.nv, sizeof *cp.v, cmp_entry);
    prefix_destinations(&cp);
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (mode == CONFINE_USERNS ? CLONE_NEWUSER : 0);
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        const char *what = "";
        _exit(confine_enter(&cp, &what) == 0 && access("/usr", R_OK) == 0 ? 0 : 1);
    }
    int status = 0;
    bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0;
    confine_plan_free(&cp);
    return ok;
}

static void probe(void)
{
    caps.mode = CONFINE_NONE;
    long abi = without("landlock") ? -1
                                   : syscall(SYS_landlock_create_ruleset, NULL, 0,
                                             LANDLOCK_CREATE_RULESET_VERSION);
    caps.landlock_abi = abi > 0 ? (int)abi : 0;
    caps.seccomp = !without("seccomp") && build_seccomp();
    if (!without("namespaces")) {
        const char *tmp = getenv("TMPDIR");
        char *scratch = xasprintf("%s/mlestar-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(scratch)) {
            if (geteuid() == 0 && try_mode(CONFINE_ROOT, scratch))
                caps.mode = CONFINE_ROOT;
            else if (try_mode(CONFINE_USERNS, scratch))
                caps.mode = CONFINE_USERNS;
            rmdir(scratch);
        }
        free(scratch);
    }
    if (caps.mode == CONFINE_NONE && caps.landlock_abi > 0)
        caps.mode = CONFINE_LANDLOCK;
    if (caps.mode == CONFINE_NONE)
        log_warn("exec: neither namespaces nor Landlock are available here: scripts are confined "
                 "only by the Python start-up hook, which a subprocess or ctypes can bypass");
}

const struct confine_caps *confine_probe(void)
{
    pthread_once(&caps_once, probe);
    return &caps;
}
