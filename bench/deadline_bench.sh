#!/usr/bin/env bash
# Deadline benchmark (issue 14): runs the builtin planner on tasks with time
# limits and tabulates, per run: the limit, the wall time from start to
# summary, the overshoot, how far the method got (refinement steps that ran
# out of the L x T x K planned, ensemble rounds out of R), which submission
# stood (the full-data step or the fallback) and the score (graded with
# `mlestar grade` where the task has private answers, else the validation
# score).
#   usage: bench/deadline_bench.sh [-b BUILD_DIR] [-l "3 8 15"] [TASK_DIR...]
# Default tasks: every task in ../shared/tasks (when present) and the
# examples/ tasks. Limits are minutes. Output: a Markdown table on stdout;
# runs are kept under $DEADLINE_BENCH_DIR (default a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
limits="3 8 15"
while getopts "b:l:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    l) limits=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-l \"3 8 15\"] [TASK_DIR...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
bin=$build/mlestar
[ -x "$bin" ] || { echo "no $bin: build mlestar first (cmake -S . -B $build && cmake --build $build)" >&2; exit 2; }
tasks=("$@")
if [ ${#tasks[@]} -eq 0 ]; then
  [ -d ../shared/tasks ] && for t in ../shared/tasks/*/; do [ -f "$t/task.json" ] && tasks+=("${t%/}"); done
  for t in examples/*/; do tasks+=("${t%/}"); done
fi
out=${DEADLINE_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$out"
echo "runs in $out" >&2
echo "| task | limit | wall | overshoot | refinement steps | ensemble rounds | submission | score |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
for task in "${tasks[@]}"; do
  name=$(basename "$task")
  for m in $limits; do
    run="$out/$name-${m}m"
    rm -rf "$run"
    start=$(date +%s.%N)
    "$bin" run "$task" --provider builtin --time-limit "${m}m" --out "$run" >"$run.log" 2>&1 || true
    end=$(date +%s.%N)
    score=""
    if [ -f "$task/private/answers.csv" ] && [ -f "$run/final/submission.csv" ]; then
      score=$("$bin" grade "$task" "$run/final/submission.csv" --json 2>/dev/null |
              python3 -c 'import json,sys; print(json.load(sys.stdin).get("score", ""))' 2>/dev/null || true)
    fi
    python3 - "$run/run.db" "$name" "$m" "$start" "$end" "$score" <<'PY'
import json, os, sqlite3, sys
db_path, name, minutes, start, end, score = sys.argv[1:]
limit = float(minutes) * 60
wall = float(end) - float(start)
over = max(0.0, wall - limit)
row = {"refine": "-", "ensemble": "-", "sub": "none", "score": score or "-"}
if os.path.exists(db_path):
    db = sqlite3.connect(db_path)
    q = lambda sql: db.execute(sql).fetchall()
    pipe = json.loads(q("select settings from run")[0][0] or "{}").get("pipeline", {})
    lanes, outer, inner, rounds = (pipe.get("lanes", 2), pipe.get("outer_steps", 4), pipe.get("inner_steps", 4),
                                   pipe.get("ensemble_rounds", 5))
    ran = q("select count(distinct lane || '/' || outer_step || '/' || inner_step) from nodes where stage='refine'")[0][0]
    ens = len({k.split('/')[1] for (k,) in q("select node_key from nodes where stage='ensemble'")})
    row["refine"] = f"{ran}/{lanes * outer * inner}"
    row["ensemble"] = f"{ens}/{rounds}"
    subs = [json.loads(d) for (d,) in q("select data from events where type='submitted'")]
    if subs:
        row["sub"] = subs[-1].get("source", "full-data")
    if not score:
        best = q("select best_score from run")[0][0]
        row["score"] = f"{best:.5g} (validation)" if best is not None else "-"
print(f"| {name} | {minutes}m | {wall:.0f}s | {over:.0f}s ({100 * over / limit:.1f}%) | {row['refine']} | "
      f"{row['ensemble']} | {row['sub']} | {row['score']} |", flush=True)
PY
  done
done
