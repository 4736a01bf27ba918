#!/usr/bin/env bash
# Crash safety during an LLM call: the orchestrator is killed with SIGKILL
# while a request to the (slow, local) openai-compatible server is in
# flight. `mlestar resume` must finish the run, re-send only the call that
# never got its answer, and answer every finished call from the journal.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; pkill -9 -f "$tmp" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys
SCRIPT = "a = 1\nprint(f'Final Validation Performance: {0.5 + a / 100}')\n"
SUBMIT = ("import os, shutil\nos.makedirs('final', exist_ok=True)\n"
          "shutil.copy('input/sample_submission.csv', 'final/submission.csv')\n"
          "print('Final Validation Performance: 0.5')\n")
def step(match, text, **kw):
    return dict(match=match, reply={"text": text}, delay_s=1.5, repeat=True, **kw)
def code(t): return "```python\n" + t + "```"
steps = [
    step("machine-learning models that are recent", "```json\n" + json.dumps([{"model_name": "m", "example_code": "pass"}]) + "\n```"),
    step("Write one simple, complete Python script", code(SCRIPT)),
    step("Write an ablation study", code("print('Ablation result: full: 0.51')\n")),
    step("Summarize what it found", "Nothing to see."),
    step("pick the code block whose improvement", "```json\n" + json.dumps([{"code_block": "a = 1", "plan": "use 2"}]) + "\n```"),
    step("Implement the plan below", code("a = 2\n")),
    step("Turn the solution below into the final submission", code(SUBMIT)),
]
json.dump(steps, open(sys.argv[1], "w"))
PY
/usr/bin/python3 "$src/tests/tools/llm_test_server.py" "$tmp/script.json" "$tmp/requests.jsonl" >"$tmp/port" 2>/dev/null &
server_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/port")
args=(--provider openai --base-url "http://127.0.0.1:$port/v1" --model slow -M 1 -T 1 -K 1 -L 1 -R 0
      --set pipeline.leakage_check=false --set pipeline.usage_check=false --time-limit 0)

OPENAI_API_KEY=sk-test "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" "${args[@]}" >"$tmp/run.log" 2>&1 &
pid=$!
# the third request is the first refinement-stage call: kill while it waits
for _ in $(seq 600); do
  [ -f "$tmp/requests.jsonl" ] && [ "$(wc -l <"$tmp/requests.jsonl")" -ge 3 ] && break
  sleep 0.05
done
sleep 0.3
kill -0 "$pid" 2>/dev/null || { echo "FAIL: the run ended before it could be killed"; exit 1; }
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
before=$(wc -l <"$tmp/requests.jsonl")

OPENAI_API_KEY=sk-test "$bin" resume "$tmp/run" >>"$tmp/run.log" 2>&1 || {
  echo "FAIL: resume did not finish"; tail -30 "$tmp/run.log"; exit 1; }
[ -s "$tmp/run/final/submission.csv" ] || { echo "FAIL: no submission after resume"; exit 1; }

/usr/bin/python3 - "$tmp/run/run.db" "$tmp/requests.jsonl" "$before" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sent = sum(1 for _ in open(sys.argv[2]))
before = int(sys.argv[3])
calls = db.execute("select count(*) from llm_calls where error_code = 0").fetchone()[0]
# every recorded call was sent exactly once, plus the one killed in flight
assert sent == calls + 1, f"{sent} requests for {calls} recorded calls"
assert before >= 3
status = db.execute("select status, resumes from run").fetchone()
assert status == ("finished", 1), status
print(f"ok: {sent} requests, {calls} calls recorded, the killed call re-sent once")
PY
echo "1 passed, 0 failed"
