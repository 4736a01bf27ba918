#!/usr/bin/env bash
# Pipeline concurrency benchmark (issue: "The MLE-STAR pipeline"):
# a default run (M4 T4 K4 L2 R5) through the real openai provider against
# the local test server, every reply delayed 2 s, every script sleeping 1 s.
# Reports the run's wall time against
#   - the critical path of its dependency graph: per lane, retrieval, then
#     the slowest candidate (generation, leakage check, run), then every
#     later step in order; lanes in parallel; then ensembling and
#     submission in order (computed from the latencies the journal records);
#   - running every step one after another (the sum of all latencies);
# and the orchestrator's peak memory (VmHWM of the mlestar process).
# With BACKEND slurm (exec.backend=slurm: each script one job on the
# cluster of scripts/slurm-up.sh) it also reports the cost per script of
# the backend: from the debug log, each script's time from submission to
# verdict less the script's own run time (local: the sandbox's set-up and
# wrap-up around the child, from exec's own timing line).
#   usage: bench/pipeline_bench.sh [BUILD_DIR] [BACKEND]   (default build/, local)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
backend=${2:-local}
bin=$build/mlestar
tmp=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys
SCRIPT = "import time\ntime.sleep(1)\na = 1\nb = 2\nc = 3\nd = 4\nprint(f'Final Validation Performance: {0.5 + (a + b + c + d) / 1000}')\n"
SUBMIT = "import shutil, time, os\ntime.sleep(1)\nos.makedirs('final', exist_ok=True)\nshutil.copy('input/sample_submission.csv', 'final/submission.csv')\nprint('Final Validation Performance: 0.51')\n"
ABLATION = "import time\ntime.sleep(1)\nprint('Ablation result: full: 0.51')\n"
def code(t): return {"reply": {"text": "```python\n" + t + "```"}, "delay_s": 2, "repeat": True}
def js(v): return {"reply": {"text": "```json\n" + json.dumps(v) + "\n```"}, "delay_s": 2, "repeat": True}
def tx(t): return {"reply": {"text": t}, "delay_s": 2, "repeat": True}
steps = [
    dict(match="machine-learning models that are recent", **js([{"model_name": f"m{i}", "example_code": "pass"} for i in range(4)])),
    dict(match="Write one simple, complete Python script", **code(SCRIPT)),
    dict(match="find the code block where the training", **js([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match="Merge the two solutions", **code(SCRIPT)),
    dict(match="uses all the information", **tx("All the provided information is used.")),
    dict(match="Write an ablation study", **code(ABLATION)),
    dict(match="Summarize what it found", **tx("Everything matters a little.")),
]
for block in ("a = 1", "a = 1", "b = 2", "b = 2", "c = 3", "c = 3", "d = 4", "d = 4"):
    steps.append(dict(match="pick the code block whose improvement", reply={"text": "```json\n" + json.dumps([{"code_block": block, "plan": "tweak " + block}]) + "\n```"}, delay_s=2))
steps += [
    dict(match="pick the code block whose improvement", **js([{"code_block": "d = 4", "plan": "tweak d"}])),
    dict(match="Propose a new plan", **tx("Try another value.")),
    dict(match="Implement the plan below as a new version", reply={"text": "```python\nX = 0\n```"}, delay_s=2, repeat=True, _placeholder=True),
    dict(match="Plan how to ensemble", **tx("Average them.")),
    dict(match="Implement the ensemble plan", **code(SCRIPT)),
    dict(match="Turn the solution below into the final submission", **code(SUBMIT)),
]
# implement: echo the block it was given (so the splice keeps every block for the next steps)
for s in steps:
    if s.pop("_placeholder", False):
        s.update(match=["Implement the plan below as a new version", "a = 1"], reply={"text": "```python\na = 1\n```"})
for letter, value in (("b", 2), ("c", 3), ("d", 4)):
    steps.insert(-4, dict(match=["Implement the plan below as a new version", f"{letter} = {value}"], reply={"text": f"```python\n{letter} = {value}\n```"}, delay_s=2, repeat=True))
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY

/usr/bin/python3 tests/tools/llm_test_server.py "$tmp/script.json" "$tmp/requests.jsonl" >"$tmp/port" 2>/dev/null &
server_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/port")

start=$(date +%s.%N)
OPENAI_API_KEY=sk-bench "$bin" run examples/breast-cancer --out "$tmp/run" --provider openai \
  --base-url "http://127.0.0.1:$port/v1" --model bench --slots 8 --set llm.max_inflight=16 \
  --time-limit 0 --set exec.backend="$backend" -v >"$tmp/run.log" 2>&1 &
pid=$!
hwm=0
while kill -0 "$pid" 2>/dev/null; do
  h=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
  [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
  sleep 0.2
done
wait "$pid" || { echo "the run failed:"; tail -30 "$tmp/run.log"; exit 1; }
end=$(date +%s.%N)

/usr/bin/python3 - "$tmp/run/run.db" "$start" "$end" "$hwm" <<'PY'
import sqlite3, sys, collections
db = sqlite3.connect(sys.argv[1])
wall = float(sys.argv[3]) - float(sys.argv[2])
hwm_mb = int(sys.argv[4]) / 1024
steps = []   # (position, seconds)
for call_id, lat in db.execute("select call_id, latency_s from llm_calls"):
    steps.append((call_id, lat or 0))
for key, w in db.execute("select exec_key, wall_s from executions"):
    steps.append((key.split(":")[0], w or 0))
serial = sum(s for _, s in steps)
lanes = collections.defaultdict(float)
cands = collections.defaultdict(lambda: collections.defaultdict(float))
tail = 0.0
for pos, s in steps:
    parts = pos.split("/")
    if parts[0].startswith("lane"):
        if len(parts) > 1 and (parts[1].startswith("cand") and "-" not in parts[1]):
            cands[parts[0]][parts[1]] += s
        elif len(parts) > 1 and parts[1].startswith("cand"):   # exec label "cand0-r0"
            cands[parts[0]][parts[1].split("-")[0]] += s
        else:
            lanes[parts[0]] += s
    else:
        tail += s
lane_paths = {l: lanes[l] + max(cands[l].values(), default=0) for l in set(lanes) | set(cands)}
critical = max(lane_paths.values()) + tail
print(f"steps recorded          {len(steps)} (LLM calls and script runs)")
print(f"wall time               {wall:8.1f} s")
print(f"critical path           {critical:8.1f} s   wall / critical = {wall / critical:.3f}  (target <= 1.15)")
print(f"one after another       {serial:8.1f} s   speed-up = {serial / wall:.2f}x")
print(f"orchestrator peak RSS   {hwm_mb:8.1f} MB  (target < 30 MB)")
PY

/usr/bin/python3 - "$tmp/run.log" "$backend" <<'PY'
import re, statistics, sys
text = open(sys.argv[1], errors="replace").read()
over = []
if sys.argv[2] == "slurm":
    for total, script in re.findall(r"slurm: job \d+ \(.*?\): \w+ in ([\d.]+) ms \(script ([\d.]+) ms\)", text):
        over.append(float(total) - float(script))
else:
    pat = r"workspace ([\d.]+) ms, cgroups ([\d.]+) ms, launch ([\d.]+) ms, run ([\d.]+) ms \(child ([\d.]+) ms\), wrap-up ([\d.]+) ms"
    for ws, cg, la, run, child, wrap in re.findall(pat, text):
        over.append(float(ws) + float(cg) + float(la) + float(run) + float(wrap) - float(child))
if over:
    over.sort()
    print(f"per-script overhead     {statistics.median(over):8.1f} ms median, {statistics.mean(over):.1f} ms mean, "
          f"{over[int(0.9 * (len(over) - 1))]:.1f} ms p90 over {len(over)} scripts ({sys.argv[2]} backend)")
PY
