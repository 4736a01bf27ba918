#!/usr/bin/env bash
# slurm_run.sh - `mlestar run` with exec.backend=slurm on the local cluster:
# a builtin run on examples/breast-cancer ends with a valid submission and
# every script it ran was a job (each attempt folder has the job's files);
# a run interrupted with Ctrl-C (SIGINT) while a job runs leaves no job
# behind in squeue.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
slurm_require
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d /tmp/mlestar-slurm-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3}

out=$tmp/run
"$bin" run "$src/examples/breast-cancer" --out "$out" --set exec.backend=slurm \
  -M 2 -T 1 -K 1 -L 1 -R 1 --time-limit 5m > "$tmp/run.log" 2>&1 || {
  echo "FAIL: the run exited non-zero"; tail -40 "$tmp/run.log"; exit 1; }
[ -s "$out/final/submission.csv" ] || { echo "FAIL: no submission"; exit 1; }
"$bin" grade "$src/examples/breast-cancer" "$out/final/submission.csv" --json > "$tmp/grade.json" || {
  echo "FAIL: grade rejected the submission"; cat "$tmp/grade.json"; exit 1; }
python3 - "$tmp/grade.json" "$out" <<'PY'
import json, os, sqlite3, sys
g = json.load(open(sys.argv[1]))
assert g["valid"] and g["score"] >= 0.95, g
out = sys.argv[2]
db = sqlite3.connect(os.path.join(out, "run.db"))
dirs = [r[0] for r in db.execute("select attempt_dir from executions")]
assert dirs, "no executions in the journal"
for d in dirs:
    job = json.load(open(os.path.join(d, ".slurm", "job.json")))
    assert job["job_id"] > 0, (d, job)
    assert os.path.exists(os.path.join(d, ".slurm", "result.json")), d
print(f"ok: score {g['score']}, {len(dirs)} scripts, each a Slurm job")
PY

# Ctrl-C while a job runs: the run ends "interrupted" and no job is left
out2=$tmp/cancel
"$bin" run "$src/examples/breast-cancer" --out "$out2" --set exec.backend=slurm \
  -M 2 -T 1 -K 1 -L 1 -R 1 --time-limit 5m > "$tmp/cancel.log" 2>&1 &
runner=$!
seen=""
for _ in $(seq 600); do
  seen=$(slurm_jobs_of "$(basename "$tmp")/cancel")
  [ -n "$seen" ] && break
  sleep 0.05
done
[ -n "$seen" ] || { echo "FAIL: no job of the run appeared in squeue"; tail -20 "$tmp/cancel.log"; kill -9 $runner; exit 1; }
kill -INT "$runner"
rc=0; wait "$runner" || rc=$?
left=$(slurm_jobs_of "$(basename "$tmp")/cancel")
[ -z "$left" ] || { echo "FAIL: jobs left after Ctrl-C: $left"; squeue; exit 1; }
status=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select status from run").fetchone()[0])' "$out2/run.db")
[ "$status" = interrupted ] || { echo "FAIL: run status $status (exit $rc), expected interrupted"; tail -20 "$tmp/cancel.log"; exit 1; }
echo "ok: Ctrl-C during job(s) $seen: run interrupted (exit $rc), no job left"
echo "1 passed, 0 failed"
