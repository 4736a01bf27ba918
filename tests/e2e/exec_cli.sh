#!/usr/bin/env bash
# exec_cli.sh - `mlestar exec` end to end: a good script (score, submission,
# data read through input/), a failing one (exit code 1), a reader of the
# private answers (refused), and a hung one (timeout, nothing left running).
set -euo pipefail
bin=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
task=$work/task
mkdir -p "$task/public" "$task/private"
printf 'Predict y from x.\n' > "$task/description.md"
printf 'id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n' > "$task/public/train.csv"
printf 'id,x\n5,0.7\n' > "$task/public/test.csv"
printf 'id,y\n5,0\n' > "$task/public/sample_submission.csv"
printf 'id,y\n5,E2E-SECRET\n' > "$task/private/answers.csv"
export MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3}

cat > "$work/good.py" <<'PY'
rows = open('input/train.csv').read().splitlines()
open('final/submission.csv', 'w').write('id,y\n5,1\n')
print('Final Validation Performance: 0.75')
PY
"$bin" exec --json --keep "$work/a1" "$task" "$work/good.py" > "$work/good.json"
python3 - "$work/good.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok" and r["exit_code"] == 0, r
assert r["has_score"] and abs(r["score"] - 0.75) < 1e-12, r
assert r["has_submission"] and r["submission_path"].endswith("final/submission.csv"), r
assert "train.csv" in r["files_read"], r
assert r["network_isolated"] is True, r
PY
test -f "$work/a1/final/submission.csv"

printf 'raise SystemExit(4)\n' > "$work/bad.py"
if "$bin" exec "$task" "$work/bad.py" > "$work/bad.txt"; then
  echo "a failing script must make mlestar exec exit non-zero" >&2; exit 1
fi
grep -q "failed (exit code 4)" "$work/bad.txt"

cat > "$work/peek.py" <<PY
import subprocess
try:
    print(open('$task/private/answers.csv').read())
except PermissionError:
    print('refused')
print(subprocess.run(['cat', '$task/private/answers.csv'], capture_output=True, text=True).stdout)
PY
"$bin" exec --json "$task" "$work/peek.py" > "$work/peek.json"
if grep -q E2E-SECRET "$work/peek.json"; then
  echo "the private answers reached the script" >&2; exit 1
fi
grep -q refused "$work/peek.json"

cat > "$work/hang.py" <<'PY'
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(120)
time.sleep(120)
PY
start=$(date +%s)
if "$bin" exec --timeout 1s --set exec.grace=0.2s --keep "$work/a4" "$task" "$work/hang.py" > "$work/hang.txt"; then
  echo "a hung script must fail" >&2; exit 1
fi
grep -q "status:       timeout" "$work/hang.txt"
[ $(( $(date +%s) - start )) -lt 20 ]
# (the bracket keeps grep from matching its own command line)
if grep -l "$work/a4/solution[.]py" /proc/[0-9]*/cmdline 2>/dev/null | grep -q .; then
  echo "processes of the hung script survived" >&2; exit 1
fi
# Real ML code inside the confined root: BLAS, joblib's process pool (semaphores
# in /dev/shm, CPU quotas), multiprocessing, xgboost and torch where installed.
cat > "$work/ml.py" <<'PY'
import importlib.util, multiprocessing, numpy as np, pandas as pd
from sklearn.ensemble import RandomForestClassifier
X = np.random.RandomState(0).rand(200, 4); y = (X[:, 0] > 0.5).astype(int)
print("rf", RandomForestClassifier(n_estimators=8, n_jobs=2, random_state=0).fit(X, y).score(X, y))
with multiprocessing.Pool(2) as pool:
    print("pool", pool.map(abs, [-1, -2]))
if importlib.util.find_spec("xgboost"):
    import xgboost
    print("xgb", xgboost.XGBClassifier(n_estimators=3).fit(X, y).predict(X[:2]))
if importlib.util.find_spec("torch"):
    import torch
    print("torch", torch.ones(2).sum().item())
print("Final Validation Performance: 1")
PY
"$bin" exec --json "$task" "$work/ml.py" > "$work/ml.json"
python3 - "$work/ml.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok", r["stderr_tail"]
assert "rf 0." in r["stdout_tail"] or "rf 1.0" in r["stdout_tail"], r
assert "pool [1, 2]" in r["stdout_tail"], r
PY

# exec.python naming a venv: its prefix is bound into the confined root.
if "$MLESTAR_EXEC_PYTHON" -m venv --system-site-packages --without-pip "$work/venv" 2>/dev/null; then
  printf 'import sys, sklearn\nprint("prefix", sys.prefix)\n' > "$work/venv.py"
  "$bin" exec --json --set exec.python="$work/venv/bin/python" "$task" "$work/venv.py" > "$work/venv.json"
  python3 - "$work/venv.json" "$work/venv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok" and ("prefix " + sys.argv[2]) in r["stdout_tail"], r
PY
fi
echo "exec_cli: ok"
