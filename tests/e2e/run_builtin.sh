#!/usr/bin/env bash
# End to end on the builtin backend: `mlestar run` on the bundled example
# tasks (binary AUC, multi-class log loss, regression RMSE) with small
# pipeline settings; each run must end with exit 0, a valid submission that
# `mlestar grade` accepts, a sane score, and a journal that lists every
# stage of the method.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check_run() {
  local task=$1 bound=$2 better=$3
  local out=$tmp/$task
  "$bin" run "$src/examples/$task" --out "$out" -M 2 -T 1 -K 2 -L 2 -R 2 --time-limit 15m >"$tmp/$task.log" 2>&1 || {
    echo "FAIL: run on $task exited non-zero"; tail -40 "$tmp/$task.log"; exit 1; }
  [ -s "$out/final/submission.csv" ] || { echo "FAIL: $task: no submission"; exit 1; }
  [ -s "$out/final/solution.py" ] || { echo "FAIL: $task: no solution.py"; exit 1; }
  "$bin" grade "$src/examples/$task" "$out/final/submission.csv" --json >"$tmp/$task.grade.json" || {
    echo "FAIL: $task: grade rejected the submission"; cat "$tmp/$task.grade.json"; exit 1; }
  /usr/bin/python3 - "$tmp/$task.grade.json" "$bound" "$better" "$out/run.db" <<'PY'
import json, sqlite3, sys
g = json.load(open(sys.argv[1]))
bound, better = float(sys.argv[2]), sys.argv[3]
assert g["valid"], g
score = g["score"]
ok = score >= bound if better == "higher" else score <= bound
assert ok, f"score {score} not {better} than {bound}"
db = sqlite3.connect(sys.argv[4])
stages = {r[0] for r in db.execute("select stage from nodes")}
for s in ("candidate", "ablation", "refine", "submission"):
    assert s in stages, f"no {s} node in the journal: {stages}"
status = db.execute("select status from run").fetchone()[0]
assert status in ("finished", "budget"), status
print(f"ok: {sys.argv[1]}: score {score}")
PY
}

check_run breast-cancer 0.97 higher
check_run wine 0.30 lower
check_run diabetes 70 lower
echo "1 passed, 0 failed"
