#!/usr/bin/env bash
# slurm_exec.sh - `mlestar exec` with exec.backend=slurm on the local
# cluster: the verdict comes back whole (status, score, submission, files
# read, refused reads of the private answers), a script over its timeout is
# reported as a timeout with no job left in squeue, and a job whose node
# side is killed (as a node failure would) is run once more and succeeds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
slurm_require
bin=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
# the attempt folders must be on a filesystem the nodes share: here, one node
work=$(mktemp -d /tmp/mlestar-slurm-exec.XXXXXX)
trap 'rm -rf "$work"' EXIT
task=$work/task
mkdir -p "$task/public" "$task/private"
printf 'Predict y from x.\n' > "$task/description.md"
printf 'id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n' > "$task/public/train.csv"
printf 'id,x\n5,0.7\n' > "$task/public/test.csv"
printf 'id,y\n5,0\n' > "$task/public/sample_submission.csv"
printf 'id,y\n5,SLURM-SECRET\n' > "$task/private/answers.csv"
export MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3}
export MLESTAR_EXEC_BACKEND=slurm

cat > "$work/good.py" <<PY
rows = open('input/train.csv').read().splitlines()
try:
    open('$task/private/answers.csv').read()
except PermissionError:
    print('refused')
open('final/submission.csv', 'w').write('id,y\n5,1\n')
print('Final Validation Performance: 0.625')
PY
"$bin" exec --json --keep "$work/a1" "$task" "$work/good.py" > "$work/good.json"
python3 - "$work/good.json" "$work/a1" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
a = sys.argv[2]
assert r["status"] == "ok" and r["exit_code"] == 0, r
assert r["has_score"] and abs(r["score"] - 0.625) < 1e-12, r
assert r["has_submission"] and r["submission_path"].endswith("final/submission.csv"), r
assert "train.csv" in r["files_read"], r
assert any("answers.csv" in f for f in r["files_blocked"]), r
assert "refused" in r["stdout_tail"], r
assert r["network_isolated"] is True, r
# it really ran as a job: the node side said where
job = json.load(open(os.path.join(a, ".slurm", "job.json")))
assert job["job_id"] > 0, job
assert os.path.exists(os.path.join(a, ".slurm", "result.json"))
print("ok: verdict round trip, job", job["job_id"])
PY
if grep -q SLURM-SECRET "$work/good.json" "$work/a1/stdout.txt"; then
  echo "FAIL: the private answers reached the script" >&2; exit 1
fi

# over its timeout: a timeout verdict, and nothing left behind
cat > "$work/hang.py" <<'PY'
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(300)
time.sleep(300)
PY
start=$(date +%s)
if "$bin" exec --timeout 3s --keep "$work/a2" "$task" "$work/hang.py" > "$work/hang.txt"; then
  echo "FAIL: a timed-out script must make mlestar exec exit non-zero" >&2; exit 1
fi
took=$(( $(date +%s) - start ))
grep -q "^status: *timeout" "$work/hang.txt" || { echo "FAIL: not reported as a timeout:"; cat "$work/hang.txt"; exit 1; }
[ "$took" -lt 30 ] || { echo "FAIL: the timeout took ${took}s"; exit 1; }
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$work/a2/.slurm/job.json")
if squeue -h -o %i | grep -qx "$id"; then
  echo "FAIL: job $id still in squeue after the timeout"; squeue; exit 1
fi
if pgrep -f "$work/a2" >/dev/null; then
  echo "FAIL: processes of the timed-out script survive"; pgrep -af "$work/a2"; exit 1
fi
echo "ok: timeout in ${took}s, job $id gone"

# the node side killed mid-run (what a node failure looks like from the
# login node): the job ends without a verdict and the script runs once more
cat > "$work/slow.py" <<'PY'
import time
time.sleep(4)
open('final/submission.csv', 'w').write('id,y\n5,1\n')
print('Final Validation Performance: 0.5')
PY
"$bin" exec --json --keep "$work/a3" "$task" "$work/slow.py" > "$work/slow.json" 2> "$work/slow.err" &
runner=$!
for _ in $(seq 300); do [ -s "$work/a3/.slurm/job.json" ] && break; sleep 0.05; done
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$work/a3/.slurm/job.json")
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$work/a3/.slurm/job.json")
sleep 0.5
kill -9 "$pid"
wait "$runner" || { echo "FAIL: the retried run failed"; cat "$work/slow.err" "$work/slow.json"; exit 1; }
second=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$work/a3/.slurm/job.json")
[ "$first" != "$second" ] || { echo "FAIL: no second job (job $first)"; exit 1; }
grep -q "once more" "$work/slow.err" || { echo "FAIL: the retry was not logged"; cat "$work/slow.err"; exit 1; }
python3 - "$work/slow.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok" and r["has_score"] and r["score"] == 0.5 and r["has_submission"], r
PY
echo "ok: job $first lost, job $second ran it again"
[ -z "$(slurm_jobs_of "$(basename "$work")")" ] || { echo "FAIL: jobs left:"; squeue; exit 1; }
echo "1 passed, 0 failed"
