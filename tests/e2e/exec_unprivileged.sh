#!/usr/bin/env bash
# exec_unprivileged.sh - the sandbox's fallback path: `mlestar exec` run as
# an unprivileged user (nobody, through setpriv), where it can create no
# cgroups, as on many shared machines and clusters, and (with
# MLESTAR_SANDBOX_WITHOUT=namespaces,landlock, the machine pretending to
# lack them) neither namespaces nor Landlock. Then the memory limit must
# come from RLIMIT_AS (a hog fails, reported as out of memory), the network
# is not isolated and says so (warning and verdict), the timeout still ends
# the whole process tree, and the start-up hook still refuses reads of the
# task's private answers. Where user namespaces work (the default path as
# nobody), the network is isolated and the verdict names the layers; the
# escapes themselves are tests/e2e/exec_escape.sh.
# Skipped unless run as root with setpriv available (it needs to drop to
# another user).
set -euo pipefail
bin=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
  echo "exec_unprivileged: skipped (needs root, setpriv and a nobody user)"
  exit 0
fi
work=$(mktemp -d /tmp/mlestar-e2e-unpriv-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "exec_unprivileged: FAIL: $*" >&2; exit 1; }

task=$work/task
mkdir -p "$task/public" "$task/private" "$work/home"
printf 'Predict y from x.\n' > "$task/description.md"
printf 'id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n' > "$task/public/train.csv"
printf 'id,x\n5,0.7\n' > "$task/public/test.csv"
printf 'id,y\n5,0\n' > "$task/public/sample_submission.csv"
printf 'id,y\n5,E2E-SECRET\n' > "$task/private/answers.csv"
cp "$bin" "$work/mlestar"   # the build folder may not be reachable by nobody

cat > "$work/good.py" <<'PY'
rows = open('input/train.csv').read().splitlines()
open('final/submission.csv', 'w').write('id,y\n5,1\n')
print('Final Validation Performance: 0.75')
PY
cat > "$work/spy.py" <<PY
try:
    print('READ', open('$task/private/answers.csv').read())
except OSError:
    print('refused')
PY
cat > "$work/hog.py" <<'PY'
x = bytearray(1500 * 1024 * 1024)
print('allocated', len(x))
PY
cat > "$work/hang.py" <<'PY'
import subprocess, time
subprocess.Popen(['sleep', '300'])
time.sleep(300)
PY
cat > "$work/ml.py" <<'PY'
import multiprocessing, numpy as np
from sklearn.ensemble import RandomForestClassifier
X = np.random.RandomState(0).rand(200, 4); y = (X[:, 0] > 0.5).astype(int)
print("rf", RandomForestClassifier(n_estimators=8, n_jobs=2, random_state=0).fit(X, y).score(X, y))
with multiprocessing.Pool(2) as pool:
    print("pool", pool.map(abs, [-1, -2]))
PY
chown nobody "$work/home"
chmod -R a+rX "$work"
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups "$work/mlestar" --version >/dev/null 2>&1; then
  echo "exec_unprivileged: skipped (nobody cannot run a binary from $work, e.g. /tmp is noexec)"
  exit 0
fi

# as_nobody SCRIPT ARGS... : mlestar exec --json as nobody; the verdict in $work/out.json
as_nobody() {
  local script=$1; shift
  HOME=$work/home MLESTAR_EXEC_PYTHON=/usr/bin/python3 MLESTAR_SANDBOX_WITHOUT=${without-namespaces,landlock} \
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$work/mlestar" exec --json "$@" "$task" "$work/$script" >"$work/out.json" 2>"$work/err.txt" || true
  [ -s "$work/out.json" ] || fail "$script: no verdict: $(cat "$work/err.txt")"
}
verdict() { # PYTHON-ASSERTION about r (the verdict)
  /usr/bin/python3 -c "import json; r = json.load(open('$work/out.json')); assert $1, r"
}

as_nobody good.py
verdict 'r["status"] == "ok" and r["has_score"] and r["score"] == 0.75 and r["has_submission"]'
verdict 'r["network_isolated"] is False and r["memory_cgroup"] is False'
verdict 'r["fs_confined"] is False and "no filesystem confinement" in r["confinement"]'
grep -q "scripts CAN reach the network" "$work/err.txt" || fail "no warning that the network is open"

without="" as_nobody good.py   # the machine's own best: a user namespace where allowed
if grep -q '"confinement": "user-ns' "$work/out.json"; then
  verdict 'r["status"] == "ok" and r["network_isolated"] is True and r["fs_confined"] is True'
  without="" as_nobody spy.py
  verdict 'r["status"] == "ok" and "refused" in r["stdout_tail"] and "E2E-SECRET" not in r["stdout_tail"]'
  without="" as_nobody ml.py   # BLAS, joblib workers and multiprocessing inside the user namespace
  verdict 'r["status"] == "ok" and "rf " in r["stdout_tail"] and "pool [1, 2]" in r["stdout_tail"]'
fi

as_nobody hog.py --memory 300M
verdict 'r["status"] == "oom" and r["oom_killed"] and "MemoryError" in r["stderr_tail"]'

start=$(date +%s)
as_nobody hang.py --timeout 3s
verdict 'r["status"] == "timeout" and r["timed_out"]'
[ $(( $(date +%s) - start )) -lt 30 ] || fail "the timeout took too long"
sleep 0.5
if pgrep -u nobody -f "sleep 300" >/dev/null; then
  pkill -u nobody -f "sleep 300" || true
  fail "a child of the timed-out script is still running"
fi

as_nobody spy.py
verdict 'r["status"] == "ok" and "refused" in r["stdout_tail"] and "E2E-SECRET" not in r["stdout_tail"]'
verdict 'any(p.endswith("private/answers.csv") for p in r["files_blocked"])'
echo "exec_unprivileged: ok"
