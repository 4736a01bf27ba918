#!/usr/bin/env bash
# What the model is told, through the real `openai` provider and the
# scripted local server (issue 16, items 1, 2, 5, 6, 12):
#   1. the system prompt gives the sandbox's per-script limits (threads =
#      cores / slots, memory = RAM / slots), not the machine's totals;
#   2. pipeline.subsample_rows = 0 reads "use all the training rows", never
#      "a random subsample of 0 rows";
#   5. the planner sees earlier plans best first, with score, change against
#      the base and run time;
#   6. earlier ablation summaries and refined blocks arrive as readable
#      sections (real newlines, fenced code), not as escaped JSON;
#  12. checks, extraction and summaries go out at temperature 0, code at the
#      configured temperature.
# Tiny synthetic scripts (the score is a variable the refined block sets) keep
# it to seconds.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
. "$src/tests/tools/scripted_llm.sh"
trap scripted_cleanup EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys
SCRIPT = '''import pandas as pd
train = pd.read_csv("./input/train.csv")
print(f"Training rows: {len(train)}")
bonus = 0.0
extra = 0.0
print(f"Final Validation Performance: {0.8 + bonus + extra:.4f}")
'''
SUBMIT = ("import os, shutil\nos.makedirs('final', exist_ok=True)\n"
          "shutil.copy('input/sample_submission.csv', 'final/submission.csv')\n"
          "print('Final Validation Performance: 0.5')\n")
def code(t): return {"reply": {"text": "Here it is:\n```python\n" + t + "```\n"}}
def js(v): return {"reply": {"text": "```json\n" + json.dumps(v) + "\n```"}}
def text(t): return {"reply": {"text": t}}
steps = [
    dict(match="machine-learning models that are recent", **js([{"model_name": "baseline", "example_code": "pass"}])),
    dict(match="Write one simple, complete Python script", **code(SCRIPT)),
    dict(match="find the code block where the training", **js([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match="uses all the information the task provides", **text("All the provided information is used.")),
    dict(match="Write an ablation study", **code("print('Ablation result: full: 0.8')\n")),
    dict(match="Summarize what it found", **text("SUMMARY-LINE-1: the bonus matters.\nSUMMARY-LINE-2: nothing else.")),
    # t1 extraction (the solution then holds bonus = 0.1), else t0
    dict(match=["pick the code block whose improvement", "bonus = 0.1"],
         **js([{"code_block": "extra = 0.0", "plan": "PLAN-D raise extra"}])),
    dict(match="pick the code block whose improvement", **js([{"code_block": "bonus = 0.0", "plan": "PLAN-A small bonus"}])),
    # planners: t1 blocks say extra, t0 ones bonus
    dict(match=["Propose a new plan", "extra = 0.0", "PLAN-E"], **text("PLAN-F extra again")),
    dict(match=["Propose a new plan", "extra = 0.0"], **text("PLAN-E extra twice")),
    dict(match=["Propose a new plan", "PLAN-B"], **text("PLAN-C negative bonus")),
    dict(match="Propose a new plan", **text("PLAN-B big bonus")),
    dict(match=["Implement the plan below", "PLAN-A"], **code("bonus = 0.05\n")),
    dict(match=["Implement the plan below", "PLAN-B"], **code("bonus = 0.1\n")),
    dict(match=["Implement the plan below", "PLAN-C"], **code("bonus = -0.02\n")),
    dict(match=["Implement the plan below", "PLAN-D"], **code("extra = 0.01\n")),
    dict(match=["Implement the plan below", "PLAN-E"], **code("extra = 0.02\n")),
    dict(match=["Implement the plan below", "PLAN-F"], **code("extra = 0.03\n")),
    dict(match="Turn the solution below into the final submission", **code(SUBMIT)),
]
for s in steps:
    s["repeat"] = True
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY
scripted_start "$tmp/script.json"

OPENAI_API_KEY=sk-test "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" --provider openai \
  --base-url "http://127.0.0.1:$port/v1" --model test-model -M 1 -T 2 -K 3 -L 1 -R 0 \
  --set exec.slots=2 --set pipeline.subsample_rows=0 --set llm.temperature=0.7 --time-limit 0 \
  >"$tmp/run.log" 2>&1 || { echo "FAIL: the run exited non-zero"; tail -30 "$tmp/run.log"; exit 1; }
scripted_assert_no_collision

/usr/bin/python3 - "$tmp/run/run.db" "$tmp/requests.jsonl" <<'PY'
import json, os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
calls = {}
for call_id, req in db.execute("select call_id, request from llm_calls where error_code = 0"):
    calls[call_id] = json.loads(req)["messages"]
def user(call_id):
    assert call_id in calls, f"no call {call_id}: {sorted(calls)}"
    return "\n".join(m["content"] for m in calls[call_id] if m["role"] == "user")
failures = []
def check(ok, what):
    if not ok:
        failures.append(what)

# 1. resources: the per-script limits, not the machine's
system = calls["lane0/cand0/candidate"][0]["content"]
cores = os.cpu_count()
threads = max(1, cores // 2)
mem = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2
want_mem = f"{mem / 2**30:.1f} GiB of memory"
check(f"with {threads} CPU thread(s) and {want_mem}" in system, f"1: system prompt lacks the per-script limits "
      f"({threads} threads, {want_mem}): {system[:900]}")
total = f"{2 * mem / 2**30:.1f} GiB"
check(total not in system and f"{cores} CPU core" not in system,
      "1: the system prompt still shows the machine's totals")

# 2. subsample_rows = 0
cand = user("lane0/cand0/candidate")
check("Use all the training rows (no subsampling)." in cand, "2: the candidate prompt does not say to use all rows")
check("subsample of 0" not in cand and "more than 0 rows" not in cand, "2: the candidate prompt renders a 0-row subsample")

# 5. plans: best first, delta against the base, run time
plan = user("lane0/t0/k2/plan")
i_b, i_a = plan.find("PLAN-B big bonus"), plan.find("PLAN-A small bonus")
check(0 <= i_b < i_a, f"5: plans are not best first: {plan[plan.find('Earlier plans'):][:700]}")
check("Base solution: score 0.8" in plan, "5: the base score is missing")
check("+0.1 against the base: better" in plan and "+0.05 against the base: better" in plan,
      "5: the change against the base is missing")
check("Run time: " in plan, "5: the run time is missing")

# 6. readable sections
abl = user("lane0/t1/ablation/ablation")
check("## Ablation study 1\nSUMMARY-LINE-1: the bonus matters.\nSUMMARY-LINE-2: nothing else." in abl,
      "6: the earlier ablation summary is not a readable section")
check("\\n" not in abl.split("# Solution")[0], "6: escaped newlines reach the ablation prompt")
ext = user("lane0/t1/extract#0")
check("## Refined block 1\n```python\nbonus = 0.0\n```" in ext, f"6: refined blocks are not fenced sections: "
      f"{ext[ext.find('refined before'):][:300]}")

# 12. temperature per stage, as sent on the wire
temps = {}
for line in open(sys.argv[2]):
    body = json.loads(json.loads(line)["body"])
    text = json.dumps(body["messages"])
    for marker, stage in (("Summarize what it found", "summarize"), ("pick the code block whose", "extract"),
                          ("find the code block where the training", "leakage_check"),
                          ("uses all the information the task", "usage"),
                          ("Write one simple, complete Python", "candidate"), ("Propose a new plan", "plan"),
                          ("Implement the plan below", "implement")):
        if marker in text:
            temps.setdefault(stage, set()).add(body.get("temperature"))
for stage in ("summarize", "extract", "leakage_check", "usage"):
    check(temps.get(stage) == {0}, f"12: {stage} sent at temperature {temps.get(stage)}, not 0")
for stage in ("candidate", "plan", "implement"):
    check(temps.get(stage) == {0.7}, f"12: {stage} sent at temperature {temps.get(stage)}, not the configured 0.7")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok: resources, subsample text, ranked plans, readable sections, temperatures")
PY
echo "1 passed, 0 failed"
