#!/usr/bin/env bash
# The search-time subsample survives debugging (issue 16, item 9), through
# the real `openai` provider and the scripted local server: the implement
# and debug prompts forbid removing it; a refined variant fails, and the
# debugger's first fix "solves" it by training on every row (its `Training
# rows:` line says 426 with pipeline.subsample_rows = 200). That fix must be
# rejected, its reason sent to the debugger, and the second fix, which keeps
# the subsample, accepted.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
. "$src/tests/tools/scripted_llm.sh"
trap scripted_cleanup EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys
def script(x, subsample=True, fail=False):
    s = 'import pandas as pd\ntrain = pd.read_csv("./input/train.csv")\n'
    if subsample:
        s += 'if len(train) > 200:\n    train = train.sample(n=200, random_state=0)\n'
    s += 'print(f"Training rows: {len(train)}")\n'
    s += f'x = {x}\n'
    if fail:
        s += 'raise ValueError("VARIANT-FAILS")\n'
    return s + 'print(f"Final Validation Performance: {0.8 + x / 1000:.6f}")\n'
SUBMIT = ("import os, shutil\nos.makedirs('final', exist_ok=True)\n"
          "shutil.copy('input/sample_submission.csv', 'final/submission.csv')\n"
          "print('Final Validation Performance: 0.5')\n")
def code(t): return {"reply": {"text": "```python\n" + t + "```"}}
def js(v): return {"reply": {"text": "```json\n" + json.dumps(v) + "\n```"}}
def text(t): return {"reply": {"text": t}}
steps = [
    dict(match="machine-learning models that are recent", **js([{"model_name": "m", "example_code": "pass"}])),
    dict(match="Write one simple, complete Python script", **code(script(1))),
    dict(match="Write an ablation study", **code("print('Ablation result: full: 0.801')\n")),
    dict(match="Summarize what it found", **text("x matters.")),
    dict(match="pick the code block whose improvement", **js([{"code_block": "x = 1", "plan": "raise x"}])),
    dict(match="Implement the plan below", **code('x = 2\nraise ValueError("VARIANT-FAILS")\n')),
    dict(match=["The script below failed", "more than the search"], **code(script(2))),
    dict(match=["The script below failed", "VARIANT-FAILS"], **code(script(2, subsample=False))),
    dict(match="Turn the solution below into the final submission", **code(SUBMIT)),
]
for s in steps:
    s["repeat"] = True
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY
scripted_start "$tmp/script.json"

OPENAI_API_KEY=sk-test "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" --provider openai \
  --base-url "http://127.0.0.1:$port/v1" --model test-model -M 1 -T 1 -K 1 -L 1 -R 0 \
  --set pipeline.subsample_rows=200 --set pipeline.leakage_check=false --set pipeline.usage_check=false \
  --set pipeline.debug_rounds=2 --set pipeline.regenerations=0 --time-limit 0 >"$tmp/run.log" 2>&1 || {
  echo "FAIL: the run exited non-zero"; tail -30 "$tmp/run.log"; exit 1; }
scripted_assert_no_collision

/usr/bin/python3 - "$tmp/run/run.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
failures = []
def check(ok, what):
    if not ok:
        failures.append(what)
req = dict(q("select call_id, request from llm_calls where error_code = 0"))
rule = "Do not remove or enlarge the random"
check(rule in req.get("lane0/t0/k0/implement#0", ""), "9: the implement prompt does not forbid removing the subsample")
check(rule in req.get("lane0/t0/k0/debug1", ""), "9: the debug prompt does not forbid removing the subsample")
nodes = {k: (s, c) for k, s, c in q("select node_key, status, code from nodes")}
full = nodes.get("lane0/t0/k0/debug1")
check(full and "train.sample" not in full[1] and full[0] == "failed",
      f"9: the fix that trains on every row was not rejected: {full and full[0]}")
check("more than the search's subsample allows" in req.get("lane0/t0/k0/debug2", ""),
      "9: the rejection was not explained to the debugger")
kept = nodes.get("lane0/t0/k0/debug2")
check(kept and kept[0] == "ok" and "train.sample" in kept[1], f"9: the fix that keeps the subsample was not accepted: {kept}")
rec = [json.loads(r[0]) for r in q("select data from events where type='recovery'")]
check(any(r["kind"] == "subsample_rejected" for r in rec), f"9: no subsample_rejected recovery event: {rec}")
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok: the fix that dropped the subsample was rejected, the one that kept it accepted")
PY
echo "1 passed, 0 failed"
