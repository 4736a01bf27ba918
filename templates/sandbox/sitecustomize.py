"""mlestar sandbox start-up hook.

mlestar writes this file as ATTEMPT/.sandbox/sitecustomize.py and puts that
folder first on PYTHONPATH, so Python imports it before the solution runs
(and again in every Python process the solution starts). It installs an
audit hook (PEP 578) that:

  * records the files the script opens, one line per distinct path, in
    $MLESTAR_SANDBOX_LOG (ATTEMPT/files_read.txt):
        R <tab> path    read
        W <tab> path    written
        BR <tab> path   read refused
        BW <tab> path   write refused
    Reads of the Python installation itself are not recorded;
  * refuses (PermissionError) reads outside the attempt folder, the task's
    data folders ($MLESTAR_SANDBOX_DATA) and the interpreter's own files,
    and any read under $MLESTAR_SANDBOX_DENY (the task's private entries:
    answers, private/, files named like solutions);
  * refuses writes, renames, deletions and new folders outside the attempt
    folder (its input/ view and this hook folder included), except /dev
    (and the private /tmp and /dev/shm when $MLESTAR_SANDBOX_PRIVATE_TMP=1);
  * when the kernel confines the script ($MLESTAR_SANDBOX_KERNEL=1), wraps
    open(), io.open() and os.open() to record what the kernel refused
    although the hook let it through:
        BR <tab> path <tab> ENOENT   (or EACCES, EPERM, EROFS, ...)
        BW <tab> path <tab> EROFS
    (ENOENT only for paths outside the attempt folder, the data and the
    interpreter's folders: what the confined root leaves out).

Before anything else it waits on the "gate" (fd $MLESTAR_SANDBOX_GATE_FD):
the runner writes "1" once this process sits in the run's cgroups (its
limits apply from the script's first line), "0" when that failed.

This hook is the audit log (files_read, the data-usage check) and gives
Python code a clear error; it is not the boundary: ctypes or a non-Python
subprocess steps around it. The boundary is the kernel's (namespaces and a
new root, Landlock, seccomp: src/exec/confine.c), set by the runner in C.
Keep it fast: it runs for every audit event.
"""
import os
import sys


def _mlestar_gate():
    fd = os.environ.pop("MLESTAR_SANDBOX_GATE_FD", None)
    if fd is None:
        return
    try:
        verdict = os.read(int(fd), 1)
        os.close(int(fd))
    except (OSError, ValueError):
        verdict = b""
    if verdict != b"1":
        sys.stderr.write("mlestar sandbox: the run's limits could not be applied; not running\n")
        sys.stderr.flush()
        os._exit(125)


_mlestar_gate()


def _mlestar_sandbox():
    root = os.environ.get("MLESTAR_SANDBOX_ROOT")
    if not root:
        return
    sep = os.sep
    realpath = os.path.realpath
    abspath = os.path.abspath

    def as_dir(path):
        path = realpath(path)
        return path if path.endswith(sep) else path + sep

    def env_dirs(name):
        return [as_dir(p) for p in os.environ.get(name, "").split(os.pathsep) if p]

    root_dir = as_dir(root)
    hook_dir = as_dir(os.path.dirname(abspath(__file__)))
    input_dir = root_dir + "input" + sep
    data_dirs = env_dirs("MLESTAR_SANDBOX_DATA")
    deny_dirs = env_dirs("MLESTAR_SANDBOX_DENY")

    system = set()
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              os.path.dirname(sys.executable or "")):
        if p:
            system.add(as_dir(p))
            system.add(abspath(p).rstrip(sep) + sep)
    for p in sys.path:
        if p and os.path.isabs(p) and not p.startswith(hook_dir):
            system.add(as_dir(p))
    interp_dirs = tuple(sorted(system))
    for p in ("/usr", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev", "/opt/conda",
              "/var/lib/dpkg", "/run/nvidia", "/usr/local"):
        system.add(p + sep)
    home = os.path.expanduser("~")
    if home and home != "~":
        for sub in (".cache", ".config/matplotlib", ".local/lib", ".keras", ".pyenv", ".fonts",
                    ".local/share/fonts"):
            system.add(os.path.join(home, sub) + sep)
    system = tuple(sorted(d for d in system if d != sep))
    data_dirs = tuple(data_dirs)
    deny_dirs = tuple(deny_dirs)
    writable = (root_dir, "/dev/")
    if os.environ.get("MLESTAR_SANDBOX_PRIVATE_TMP") == "1":
        writable = writable + ("/tmp/", "/dev/shm/")
    not_writable = (input_dir, hook_dir)
    my_pid = str(os.getpid())

    log_fd = -1
    log_path = os.environ.get("MLESTAR_SANDBOX_LOG")
    if log_path:
        try:
            log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            log_fd = -1
    seen = set()

    def record(kind, path, detail=None):
        key = kind + "\t" + path
        if key in seen or log_fd < 0:
            return
        seen.add(key)
        line = key.replace("\n", "\\n") + ("\t" + detail if detail else "") + "\n"
        try:
            os.write(log_fd, line.encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    def to_str(path):
        if isinstance(path, int) or path is None:
            return None
        try:
            path = os.fspath(path)
        except TypeError:
            return None
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return abspath(path) if path else None

    def secret_proc_file(path):
        # /proc/<other pid>/environ, cmdline, mem...: another process's secrets.
        parts = path.split(sep)
        return (len(parts) > 3 and parts[1] == "proc" and parts[2].isdigit()
                and parts[2] != my_pid and parts[3] in ("environ", "mem", "cmdline", "maps"))

    def read_allowed(path):
        """Returns (allowed, record_it)."""
        if (path.startswith(system) and not path.startswith(root_dir)
                and not path.startswith(deny_dirs)):
            # Installation files: no symlink games possible without write access.
            if path.startswith("/proc/") and secret_proc_file(path):
                return False, True
            return True, False
        real = realpath(path)
        probe = real + sep
        if probe.startswith(root_dir):
            return True, True
        if probe.startswith(deny_dirs):
            return False, True
        if probe.startswith(data_dirs):
            return True, True
        if probe.startswith(system) and not secret_proc_file(real):
            return True, False
        return False, True

    def write_allowed(path):
        real = realpath(path) + sep
        if real.startswith(not_writable) or (path + sep).startswith(not_writable):
            return False
        return real.startswith(writable)

    def deny(what, path):
        raise PermissionError(
            13, "mlestar sandbox: %s %s is not allowed: scripts may read only ./input/ "
            "(the task data), their own folder and the Python installation, and may write "
            "only inside their own folder (e.g. ./final/, ./working/)" % (what, path), path)

    def check_read(path):
        allowed, rec = read_allowed(path)
        if not allowed:
            record("BR", path)
            deny("reading", path)
        if rec:
            record("R", path)

    def check_write(path):
        if not write_allowed(path):
            record("BW", path)
            deny("writing", path)
        record("W", path)

    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    write_events = {
        "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
        "os.replace": (0, 1), "os.symlink": (1,), "os.link": (1,), "os.truncate": (0,),
        "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,),
        "shutil.move": (0, 1), "shutil.copyfile": (1,), "shutil.copytree": (1,),
    }
    list_events = ("os.listdir", "os.scandir", "glob.glob")
    watched = frozenset(("open",) + list_events + tuple(write_events))

    def hook(event, args):
        if event not in watched:
            return
        if event == "open":
            path = to_str(args[0])
            if path is None:
                return
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else 0
            if isinstance(mode, str):
                writing = any(c in mode for c in "wax+")
            else:
                writing = bool((flags or 0) & write_flags)
            if writing:
                check_write(path)
            else:
                check_read(path)
        elif event in list_events:
            path = to_str(args[0] if args and args[0] is not None else ".")
            if path is not None:
                if event == "glob.glob":
                    path = os.path.dirname(path) or path
                allowed, _ = read_allowed(path)
                if not allowed:
                    record("BR", path)
                    deny("listing", path)
        else:
            for i in write_events[event]:
                if i < len(args):
                    path = to_str(args[i])
                    if path is not None:
                        check_write(path)

    sys.addaudithook(hook)

    if os.environ.get("MLESTAR_SANDBOX_KERNEL") != "1":
        return
    import builtins
    import errno as errnos
    import io
    refusals = frozenset((errnos.EACCES, errnos.EPERM, errnos.EROFS, errnos.EXDEV, errnos.ENOENT,
                          errnos.ELOOP))
    inside = (root_dir,) + data_dirs + interp_dirs

    def note_refusal(path, writing, err):
        if err.errno not in refusals:
            return
        path = to_str(path)
        if path is None:
            return
        if err.errno == errnos.ENOENT and (path + sep).startswith(inside):
            return
        record("BW" if writing else "BR", path, errnos.errorcode.get(err.errno, "?"))

    def mode_writes(mode, flags):
        if isinstance(mode, str):
            return any(c in mode for c in "wax+")
        return bool((flags or 0) & write_flags)

    def wrap_open(real):
        def open(file, mode="r", *args, **kwargs):
            try:
                return real(file, mode, *args, **kwargs)
            except OSError as err:
                note_refusal(file, mode_writes(mode, 0), err)
                raise
        open.__doc__ = real.__doc__
        open.__wrapped__ = real
        return open

    def wrap_os_open(real):
        def open(path, flags, *args, **kwargs):
            try:
                return real(path, flags, *args, **kwargs)
            except OSError as err:
                note_refusal(path, mode_writes(None, flags), err)
                raise
        open.__doc__ = real.__doc__
        open.__wrapped__ = real
        return open

    io.open = builtins.open = wrap_open(io.open)
    os.open = wrap_os_open(os.open)


_mlestar_sandbox()
del _mlestar_sandbox, _mlestar_gate
