#!/usr/bin/env bash
# exec_escape.sh - every way out of the sandbox that issue 17 found, tried
# with `mlestar exec` and asserted refused by the kernel:
#   writes to /tmp (must land in the private /tmp only, never the host's),
#   /root, the task folder, another attempt's folder; reads of /etc/shadow,
#   a HOME-like folder's .bashrc (a marker made here, not the real /root),
#   another attempt's output, the task's private answers, and the same
#   through /proc/1/root; each by Python's open(), a shell (os.system), a
#   `python3 -S` and a `python3 -I` subprocess, and libc through ctypes;
#   plus symlink and hard-link tricks out of the attempt folder.
# It runs in every confinement the machine offers:
#   root            mount+pid namespaces, pivot_root, uid 65534, Landlock
#   root-landlock   MLESTAR_SANDBOX_WITHOUT=namespaces: Landlock only
#   nobody          as an unprivileged user (setpriv): user namespace
#   nobody-landlock as nobody, Landlock only
# and, as nobody with neither (MLESTAR_SANDBOX_WITHOUT=namespaces,landlock),
# checks only that the verdict says there is no filesystem confinement
# (the hook alone cannot stop a shell: README, "The sandbox").
# Modes the machine cannot offer are skipped with a message. KEEP=1 keeps
# the work folder for a look.
set -euo pipefail
bin=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
work=$(mktemp -d /tmp/mlestar-e2e-escape-XXXXXX)
tag=$$-$RANDOM
cleanup() {
  rm -rf "$work" "/tmp/mlestar-escape-$tag" "/tmp/mlestar-own-$tag" "/root/mlestar-escape-$tag" 2>/dev/null || true
}
trap cleanup EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "exec_escape: FAIL: $*" >&2; exit 1; }
export MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3}
chmod 755 "$work"

task=$work/task
home=$work/home
other=$work/other-attempt
mkdir -p "$task/public" "$task/private" "$home"
printf 'Predict y from x.\n' > "$task/description.md"
printf 'id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n' > "$task/public/train.csv"
printf 'id,x\n5,0.7\n' > "$task/public/test.csv"
printf 'id,y\n5,0\n' > "$task/public/sample_submission.csv"
printf 'id,y\n5,E2E-ANSWER-SECRET\n' > "$task/private/answers.csv"
printf 'export E2E-HOME-SECRET=1\n' > "$home/.bashrc"
cp "$bin" "$work/mlestar"
chmod -R a+rX "$work"   # world-readable: only the sandbox stands between a script and them

# Another attempt, with an output of its own.
printf 'open("final/other.txt", "w").write("E2E-OTHER-OUTPUT")\n' > "$work/other.py"
"$work/mlestar" exec --keep "$other" "$task" "$work/other.py" >/dev/null || fail "the other attempt did not run"
chmod -R a+rwX "$other"

shadow_line=$(head -n 1 /etc/shadow 2>/dev/null || true)

cat > "$work/escape.py" <<PY
import ctypes, os, subprocess, sys
TAG = "$tag"
TASK, HOME, OTHER = "$task", "$home", "$other"
reads = {
    "shadow": "/etc/shadow",
    "bashrc": HOME + "/.bashrc",
    "other-output": OTHER + "/final/other.txt",
    "answers": TASK + "/private/answers.csv",
    "proc1-shadow": "/proc/1/root/etc/shadow",
    "proc1-bashrc": "/proc/1/root" + HOME + "/.bashrc",
}
writes = {
    "tmp": "/tmp/mlestar-escape-" + TAG,
    "root": "/root/mlestar-escape-" + TAG,
    "task-data": TASK + "/public/pwn-" + TAG,
    "task-folder": TASK + "/pwn-" + TAG,
    "other-attempt": OTHER + "/pwn-" + TAG,
    "proc1-tmp": "/proc/1/root/tmp/mlestar-escape-" + TAG,
}
CHILD = r'''
import sys
for name, path in READS.items():
    try:
        print("READ", VECTOR, name, repr(open(path).read()[:200]))
    except OSError as e:
        print("HELD", VECTOR, name, e.errno)
for name, path in WRITES.items():
    try:
        open(path, "w").write("pwned " + VECTOR)
        print("WROTE", VECTOR, name)
    except OSError as e:
        print("HELD", VECTOR, name, e.errno)
'''
def child_code(vector):
    return "READS = %r\nWRITES = %r\nVECTOR = %r\n" % (reads, writes, vector) + CHILD

# 1. Python's own open() (the hook sees these)
exec(child_code("python"))
sys.stdout.flush()
# 2. a shell
for name, path in reads.items():
    os.system("cat '%s' 2>/dev/null | sed 's/^/READ shell %s /' || true" % (path, name))
for name, path in writes.items():
    os.system("echo pwned > '%s' 2>/dev/null && echo WROTE shell %s" % (path, name))
# 3. python3 -S and python3 -I: no site, no hook
for flag in ("-S", "-I"):
    r = subprocess.run([sys.executable, flag, "-c", child_code(flag)], capture_output=True, text=True)
    print(r.stdout, r.stderr)
# 4. libc through ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
for name, path in reads.items():
    fd = libc.open(path.encode(), os.O_RDONLY, 0)
    if fd >= 0:
        buf = ctypes.create_string_buffer(200)
        n = libc.read(fd, buf, 199)
        print("READ ctypes", name, repr(buf.raw[:max(n, 0)]))
    else:
        print("HELD ctypes", name, ctypes.get_errno())
for name, path in writes.items():
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_CREAT, 0o644)
    if fd >= 0 and libc.write(fd, b"pwned ctypes", 12) == 12:
        print("WROTE ctypes", name)
    else:
        print("HELD ctypes", name, ctypes.get_errno())
# 5. links out of the attempt folder (the hook does not see os.symlink's target)
for name, path in (("symlink-bashrc", HOME + "/.bashrc"), ("symlink-other", OTHER + "/final/other.txt")):
    link = "working/" + name
    try:
        os.symlink(path, link)
    except OSError:
        pass
    os.system("cat '%s' 2>/dev/null | sed 's/^/READ link %s /' || true" % (link, name))
os.system("ln -s '%s' working/into-other 2>/dev/null; echo pwned > working/into-other/pwn-link-%s 2>/dev/null && echo WROTE link into-other" % (OTHER, TAG))
os.system("ln '%s/.bashrc' working/hard-bashrc 2>/dev/null && cat working/hard-bashrc | sed 's/^/READ hardlink bashrc /'" % HOME)
os.system("ln '%s/public/train.csv' working/hard-train 2>/dev/null && echo pwned >> working/hard-train && echo WROTE hardlink train" % TASK)
# 6. truncating another attempt's output by path (Landlock's truncate right, or seccomp)
other_out = (OTHER + "/final/other.txt").encode()
print("WROTE ctypes truncate" if libc.truncate(other_out, ctypes.c_long(0)) == 0 else
      "HELD ctypes truncate %d" % ctypes.get_errno())
os.system("truncate -s 0 '%s/final/other.txt' 2>/dev/null && echo WROTE shell truncate" % OTHER)
# the private /tmp works, and is the script's own
os.system("echo mine > /tmp/mlestar-own-" + TAG + " && cat /tmp/mlestar-own-" + TAG + " | sed 's/^/TMP-OWN /'")
print("ESCAPE-SUITE-DONE")
PY
chmod a+r "$work/escape.py"

# check MODE WHO VERDICT.json STDOUT: nothing got out
check() {
  local mode=$1 out=$2 json=$3
  grep -q "ESCAPE-SUITE-DONE" "$out" || fail "$mode: the escape script did not finish: $(tail -c 2000 "$out")"
  for secret in E2E-HOME-SECRET E2E-OTHER-OUTPUT E2E-ANSWER-SECRET; do
    if grep -q "$secret" "$out"; then
      fail "$mode: read $secret: $(grep "$secret" "$out" | head -3)"
    fi
  done
  if [ -n "$shadow_line" ] && grep -qF "$shadow_line" "$out"; then fail "$mode: read /etc/shadow"; fi
  # (a write to /tmp is fine where it lands in the private /tmp: the host check below decides)
  if grep "^WROTE" "$out" | grep -qv " tmp$"; then
    fail "$mode: a write got out: $(grep '^WROTE' "$out" | grep -v ' tmp$' | head -5)"
  fi
  for f in "/tmp/mlestar-escape-$tag" "/root/mlestar-escape-$tag" "$task/public/pwn-$tag" \
           "$task/pwn-$tag" "$other/pwn-$tag" "$other/pwn-link-$tag" "/tmp/mlestar-own-$tag"; do
    [ ! -e "$f" ] || fail "$mode: $f was written on the host"
  done
  [ "$(cat "$other/final/other.txt")" = E2E-OTHER-OUTPUT ] || fail "$mode: the other attempt's output changed"
  cmp -s "$task/public/train.csv" <(printf 'id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n') ||
    fail "$mode: the task data changed"
  local held
  held=$(grep -c "^HELD" "$out" || true)
  [ "$held" -ge 36 ] || fail "$mode: only $held attempts were refused (expected every one): $(head -c 3000 "$out")"
  /usr/bin/python3 - "$json" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
mode = sys.argv[2]
assert r["status"] == "ok", r
assert r["fs_confined"] is True, r
c = r["confinement"]
assert "seccomp" in c and "uid 65534" in c, c
if mode in ("root", "nobody"):
    assert "pivot_root" in c and "pid-ns" in c, c
    assert "TMP-OWN mine" in open(r["stdout_path"]).read(), "the private /tmp did not work"
else:
    assert "landlock" in c and "pivot_root" not in c, c
assert any(p.endswith("/etc/shadow") for p in r["files_blocked"]), r["files_blocked"]
assert r["writes_blocked"], r
PY
  echo "exec_escape: $mode: every escape refused ($held attempts; $(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['confinement'])" "$json"))"
}

# run MODE [runner...]: the escape script in attempt folder $work/att-MODE
run() {
  local mode=$1; shift
  local att=$work/att-$mode
  "$@" "$work/mlestar" exec --json --keep "$att" "$task" "$work/escape.py" >"$work/$mode.json" 2>"$work/$mode.err" || true
  [ -s "$work/$mode.json" ] || fail "$mode: no verdict: $(cat "$work/$mode.err")"
  cp "$att/stdout.txt" "$work/$mode.out"
}

have_landlock() { grep -q "landlock" "$1"; }

if [ "$(id -u)" = 0 ]; then
  run root env
  if grep -q '"confinement": "mount-ns' "$work/root.json"; then check root "$work/root.out" "$work/root.json"
  else echo "exec_escape: root: skipped (no namespaces here: $(grep confinement "$work/root.json"))"; fi
  run root-landlock env MLESTAR_SANDBOX_WITHOUT=namespaces
  if have_landlock "$work/root-landlock.json"; then check root-landlock "$work/root-landlock.out" "$work/root-landlock.json"
  else echo "exec_escape: root-landlock: skipped (no Landlock here)"; fi
else
  echo "exec_escape: root modes skipped (not root)"
fi

as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$home")
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
   setpriv --reuid=nobody --regid=nogroup --clear-groups "$work/mlestar" --version >/dev/null 2>&1; then
  chmod 777 "$work"   # nobody makes its attempt folders here
  run nobody "${as_nobody[@]}"
  if grep -q '"confinement": "user-ns' "$work/nobody.json"; then check nobody "$work/nobody.out" "$work/nobody.json"
  else echo "exec_escape: nobody: skipped (no user namespaces here: $(grep confinement "$work/nobody.json"))"; fi
  run nobody-landlock "${as_nobody[@]}" MLESTAR_SANDBOX_WITHOUT=namespaces
  if have_landlock "$work/nobody-landlock.json"; then check nobody-landlock "$work/nobody-landlock.out" "$work/nobody-landlock.json"
  else echo "exec_escape: nobody-landlock: skipped (no Landlock here)"; fi
  run nobody-none "${as_nobody[@]}" MLESTAR_SANDBOX_WITHOUT=namespaces,landlock
  /usr/bin/python3 - "$work/nobody-none.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["fs_confined"] is False, r
assert "no filesystem confinement" in r["confinement"], r["confinement"]
PY
  grep -q "^HELD python answers" "$work/nobody-none.out" || fail "nobody-none: the hook did not refuse Python's own read"
  echo "exec_escape: nobody-none: the verdict says there is no filesystem confinement"
else
  echo "exec_escape: unprivileged modes skipped (needs root, setpriv, a nobody user and an exec-able $work)"
fi
echo "exec_escape: ok"
