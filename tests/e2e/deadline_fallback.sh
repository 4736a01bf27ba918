#!/usr/bin/env bash
# The time limit is a hard deadline, and the fallback submission stands when
# the full-data step cannot finish. Through the real `openai` provider and the
# local test server: one candidate is fast (it scores and writes its test
# predictions); every other script the "model" writes is deliberately slow: it
# starts a detached child in a new session, ignores SIGTERM and sleeps. The run
# must end within its limit + 10% with exit 0, the fast candidate's predictions
# as the submission (event "submitted", source "fallback", with the reason),
# and no process left behind by any script.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
marker="mlestar-deadline-marker-$$-$RANDOM"
. "$src/tests/tools/scripted_llm.sh"
cleanup() { pkill -KILL -f "$marker" 2>/dev/null || true; scripted_cleanup; }
trap cleanup EXIT
limit=60

/usr/bin/python3 - "$tmp/script.json" "$marker" <<'PY'
import json, sys
marker = sys.argv[2]
FAST = '''import os
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
X = train.drop(columns=["id", "benign"]); y = train["benign"]
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X_tr, y_tr)
print(f"Final Validation Performance: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.6f}")
os.makedirs("./final", exist_ok=True)
pred = model.predict_proba(test.drop(columns=["id"]))[:, 1]
pd.DataFrame({"id": test["id"], "benign": pred}).to_csv("./final/submission.csv", index=False)
'''
SLOW = '''import signal
import subprocess
import sys
import time
# SLOW-SCRIPT
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)  # MARKER"], start_new_session=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(1000)
'''.replace("MARKER", marker)

def code(text):
    return {"reply": {"text": "```python\n" + text + "```\n", "input_tokens": 900, "output_tokens": 300}}

def jsonr(value):
    return {"reply": {"text": "```json\n" + json.dumps(value) + "\n```", "input_tokens": 700, "output_tokens": 100}}

def text(t):
    return {"reply": {"text": t, "input_tokens": 500, "output_tokens": 50}}

steps = [
    dict(match="List 2 machine-learning models", **jsonr([
        {"model_name": "logistic regression", "example_code": "LogisticRegression().fit(X, y)"},
        {"model_name": "random forest", "example_code": "RandomForestClassifier().fit(X, y)"}])),
    dict(match=["Write one simple, complete Python script", "Model: logistic"], **code(FAST)),
    dict(match="find the code block where the training",
         **jsonr([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match="uses all the information the task provides", **text("All the provided information is used.")),
    dict(match="Summarize what it found", **text("Nothing ran.")),
    dict(match="pick the code block whose improvement",
         **jsonr([{"code_block": "X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)",
                   "plan": "Use a larger validation split."}])),
    dict(match="Propose a new plan", **text("Try again.")),
    dict(match="Plan how to ensemble", **text("Average them.")),
    # every other script: slow
    dict(**code(SLOW)),
]
for s in steps:
    s["repeat"] = True
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY

scripted_start "$tmp/script.json"

start=$(date +%s.%N)
OPENAI_API_KEY=sk-test "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" --provider openai \
  --base-url "http://127.0.0.1:$port/v1" --model test-model -M 2 -T 1 -K 1 -L 1 -R 1 \
  --set pipeline.debug_rounds=1 --set pipeline.regenerations=0 --time-limit ${limit}s >"$tmp/run.log" 2>&1 || {
  echo "FAIL: the run exited non-zero"; tail -40 "$tmp/run.log"; exit 1; }
end=$(date +%s.%N)
scripted_assert_no_collision
wall=$(python3 -c "print(round($end - $start, 1))")
echo "wall time ${wall}s for a ${limit}s limit"
python3 -c "import sys; sys.exit(0 if $wall <= $limit * 1.10 else 1)" || {
  echo "FAIL: the run took ${wall}s, more than its ${limit}s limit + 10%"; tail -30 "$tmp/run.log"; exit 1; }

sleep 1
if pgrep -f "$marker" >/dev/null; then
  echo "FAIL: processes started by the scripts outlived the run:"; pgrep -af "$marker"; exit 1
fi

"$bin" grade "$src/examples/breast-cancer" "$tmp/run/final/submission.csv" >/dev/null || {
  echo "FAIL: the submission does not grade"; exit 1; }
grep -q "the fallback" "$tmp/run.log" || { echo "FAIL: the summary does not say the fallback was submitted"; tail -20 "$tmp/run.log"; exit 1; }

/usr/bin/python3 - "$tmp/run/run.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
subs = [json.loads(r[0]) for r in q("select data from events where type='submitted'")]
assert len(subs) == 1 and subs[0]["source"] == "fallback" and subs[0]["why"], subs
fast = q("select id from nodes where stage='candidate' and status='ok'")
assert fast and subs[0]["node"] == fast[0][0], (subs, fast)
final = q("select status from nodes where stage='submission'")
assert all(s[0] != "ok" for s in final), f"the slow full-data step cannot have worked: {final}"
timeouts = q("select count(*) from executions where status='timeout'")[0][0]
assert timeouts >= 1, "no script was stopped at its deadline"
code = open(sys.argv[1].replace("run.db", "final/solution.py")).read()
assert "SLOW-SCRIPT" not in code and "LogisticRegression" in code, "final/solution.py is not the fallback's script"
print("ok: the run ended on time with the fallback submission")
PY
echo "1 passed, 0 failed"
