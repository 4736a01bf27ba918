#!/usr/bin/env bash
# slurm_bench.sh - `mlestar bench --slurm` on the local cluster: two
# task x seed runs go out as one array job (two tasks of the same job id),
# each run's row is graded into the same tables as a local bench, and
# nothing is left in squeue.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
slurm_require
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d /tmp/mlestar-slurm-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3}

"$bin" bench --slurm "$src/examples/breast-cancer" --seeds 2 --jobs 2 --out "$tmp/b" \
  -M 2 -T 1 -K 1 -L 1 -R 1 --time-limit 5m > "$tmp/bench.md" 2> "$tmp/bench.log" || {
  echo "FAIL: bench --slurm exited non-zero"; tail -30 "$tmp/bench.log"; exit 1; }
python3 - "$tmp/b" <<'PY'
import json, os, re, sys
b = sys.argv[1]
r = json.load(open(os.path.join(b, "results.json")))
runs = r["runs"]
assert len(runs) == 2, runs
for row in runs:
    assert row["valid"], row
    assert row["score"] >= 0.95, row
jobs = set()
for seed in (0, 1):
    d = os.path.join(b, "breast-cancer", f"seed{seed}")
    assert open(os.path.join(d, "agent.exit")).read().strip() == "0", d
    m = re.search(r"== mlestar bench --slurm: job (\d+)", open(os.path.join(d, "agent.log")).read())
    assert m, d
    jobs.add(m.group(1))
assert len(jobs) == 2, jobs  # two array tasks, each its own job id
print("ok: 2 runs, array tasks", sorted(jobs))
PY
grep -q "submitted as Slurm array job" "$tmp/bench.log" || { echo "FAIL: no array job in the log"; cat "$tmp/bench.log"; exit 1; }
grep -q "valid submission" "$tmp/bench.md" || { echo "FAIL: no table"; cat "$tmp/bench.md"; exit 1; }
if squeue -h -o '%j' | grep -q "mlestar-bench:b$"; then echo "FAIL: array tasks left"; squeue; exit 1; fi
echo "1 passed, 0 failed"
