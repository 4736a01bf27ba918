#!/usr/bin/env bash
# Crash safety: a builtin run is killed with SIGKILL at 20 random moments
# (mostly while scripts run), each time continued with `mlestar resume`;
# the last resume must finish with a final solution byte-identical to an
# uninterrupted run's, and no finished execution may have been run twice
# (every non-cached "script_finished" event names a distinct attempt).
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
kills=${RESUME_KILLS:-20}
tmp=$(mktemp -d)
cleanup() { pkill -9 -f "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
task=$src/examples/breast-cancer
opts=(-M 2 -T 1 -K 2 -L 2 -R 2 --time-limit 0 --seed 5)

"$bin" run "$task" --out "$tmp/ref" "${opts[@]}" >"$tmp/ref.log" 2>&1 || {
  echo "FAIL: reference run"; tail -30 "$tmp/ref.log"; exit 1; }

RANDOM=20261126
"$bin" run "$task" --out "$tmp/chain" "${opts[@]}" >"$tmp/chain.log" 2>&1 &
pid=$!
done_early=0
for i in $(seq 1 "$kills"); do
  # between 0.2 s and 2.5 s into this session
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + (r % 2300) / 1000 }')"
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && { done_early=1; break; }
  else
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  "$bin" resume "$tmp/chain" >>"$tmp/chain.log" 2>&1 &
  pid=$!
done
if [ "$done_early" = 0 ]; then
  wait "$pid" || { echo "FAIL: the last resume did not finish"; tail -40 "$tmp/chain.log"; exit 1; }
fi
echo "killed $i times"

cmp "$tmp/ref/final/solution.py" "$tmp/chain/final/solution.py" || {
  echo "FAIL: resumed run's final solution differs from the uninterrupted run's"; exit 1; }
cmp "$tmp/ref/final/submission.csv" "$tmp/chain/final/submission.csv" || {
  echo "FAIL: resumed run's submission differs"; exit 1; }
/usr/bin/python3 - "$tmp/chain/run.db" <<'PY'
import json, sqlite3, sys, collections
db = sqlite3.connect(sys.argv[1])
seen = collections.Counter()
for (data,) in db.execute("select data from events where type = 'script_finished'"):
    d = json.loads(data)
    if not d.get("cached"):
        seen[(d["area"], d["label"])] += 1
dups = [k for k, n in seen.items() if n > 1]
assert not dups, f"executions run twice: {dups}"
status, resumes = db.execute("select status, resumes from run").fetchone()
assert status == "finished", status
print(f"ok: {len(seen)} executions, none twice; {resumes} resumes")
PY
echo "1 passed, 0 failed"
