#!/usr/bin/env bash
# The whole pipeline through the real `openai` provider, talking HTTP to the
# local test server (tests/tools/llm_test_server.py), which answers every
# stage with scripted, realistic replies chosen by the request's content:
#   - a candidate that fails (a typo) and is fixed by the debugger;
#   - a leaking candidate (a scaler fit before the split) that the leakage
#     checker catches and fixes before it runs;
#   - an extracted block that is not in the solution on the first try;
#   - a merge that makes the score worse (and is dropped);
#   - an ensemble round that fails, followed by one that works.
# The run must end with exit 0 and a valid submission, the journal must show
# each of the above, and the API key must appear nowhere on disk.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys

HEAD = '''import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
'''
LOAD = '''train = pd.read_csv("./input/train.csv")
X = train.drop(columns=["id", "benign"]); y = train["benign"]
'''
LEAKY = HEAD + '''from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
# LEAKY-SCALER
''' + LOAD + '''scaler = StandardScaler().fit(X)
X_scaled = scaler.transform(X)
X_tr, X_va, y_tr, y_va = train_test_split(X_scaled, y, test_size=0.25, random_state=0, stratify=y)
model = LogisticRegression(max_iter=2000).fit(X_tr, y_tr)
print(f"Final Validation Performance: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.6f}")
'''
LEAK_BLOCK = '''scaler = StandardScaler().fit(X)
X_scaled = scaler.transform(X)
X_tr, X_va, y_tr, y_va = train_test_split(X_scaled, y, test_size=0.25, random_state=0, stratify=y)'''
LEAK_FIX = '''X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_tr)
X_tr, X_va = scaler.transform(X_tr), scaler.transform(X_va)'''
FOREST = HEAD + '''from sklearn.ensemble import RandomForestClassifier
''' + LOAD + '''X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
model = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(X_tr, y_tr)
print(f"Final Validation Performance: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.6f}")
'''
FOREST_TYPO = FOREST.replace("model = RandomForestClassifier(", "model = RandomForestClassifer(")
WORSE_MERGE = HEAD + '''from sklearn.dummy import DummyClassifier
''' + LOAD + '''X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
model = DummyClassifier(strategy="prior").fit(X_tr, y_tr)
print(f"Final Validation Performance: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.6f}")
'''
ABLATION = '''print("Ablation result: full: 0.99")
print("Ablation result: without_scaling: 0.97")
'''
BLOCK = LOAD.rstrip("\n")
NEW_BLOCK = BLOCK + '''
X = X.assign(mean_radius_sq=X["mean_radius"] ** 2)'''
ENSEMBLE_BROKEN = '''# ENSEMBLE-BROKEN
raise RuntimeError("the ensemble script is broken")
'''
ENSEMBLE = HEAD + '''from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
from sklearn.preprocessing import StandardScaler
''' + LOAD + '''X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_tr)
p1 = LogisticRegression(max_iter=2000).fit(scaler.transform(X_tr), y_tr).predict_proba(scaler.transform(X_va))[:, 1]
p2 = RandomForestClassifier(n_estimators=50, random_state=0, n_jobs=1).fit(X_tr, y_tr).predict_proba(X_va)[:, 1]
print(f"Final Validation Performance: {roc_auc_score(y_va, (p1 + p2) / 2):.6f}")
'''
SUBMISSION = HEAD + '''import os
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
''' + LOAD + '''test = pd.read_csv("./input/test.csv")
X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_tr)
m = LogisticRegression(max_iter=2000).fit(scaler.transform(X_tr), y_tr)
print(f"Final Validation Performance: {roc_auc_score(y_va, m.predict_proba(scaler.transform(X_va))[:, 1]):.6f}")
scaler = StandardScaler().fit(X)
m = LogisticRegression(max_iter=2000).fit(scaler.transform(X), y)
os.makedirs("./final", exist_ok=True)
pred = m.predict_proba(scaler.transform(test.drop(columns=["id"])))[:, 1]
pd.DataFrame({"id": test["id"], "benign": pred}).to_csv("./final/submission.csv", index=False)
'''

def code(text):
    return {"reply": {"text": "Here is the script.\n```python\n" + text + "```\n", "input_tokens": 900, "output_tokens": 300}}

def jsonr(value):
    return {"reply": {"text": "```json\n" + json.dumps(value) + "\n```", "input_tokens": 700, "output_tokens": 100}}

def text(t):
    return {"reply": {"text": t, "input_tokens": 500, "output_tokens": 50}}

steps = [
    # retrieval
    dict(match="List 2 machine-learning models", **jsonr([
        {"model_name": "logistic regression", "example_code": "LogisticRegression().fit(X, y)"},
        {"model_name": "random forest", "example_code": "RandomForestClassifier().fit(X, y)"}])),
    # candidates: the logistic one leaks, the forest one has a typo
    dict(match=["Write one simple, complete Python script", "Model: logistic"], **code(LEAKY)),
    dict(match=["Write one simple, complete Python script", "Model: random forest"], **code(FOREST_TYPO)),
    # leakage: caught in the leaky script, fixed block returned
    dict(match=["find the code block where the training", "LEAKY-SCALER"],
         **jsonr([{"code_block": LEAK_BLOCK, "leakage_status": "Yes Data Leakage"}])),
    dict(match=["find the code block where the training"],
         **jsonr([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match="leaks information from validation or test data", **code(LEAK_FIX)),
    # the debugger: the typo is fixed; the broken ensemble stays broken
    dict(match=["The script below failed", "RandomForestClassifer"], **code(FOREST)),
    dict(match=["The script below failed", "ENSEMBLE-BROKEN"], **code(ENSEMBLE_BROKEN)),
    # a merge that makes things worse
    dict(match="Merge the two solutions", **code(WORSE_MERGE)),
    dict(match="uses all the information the task provides", **text("All the provided information is used.")),
    # refinement: ablation, summary, extraction (wrong, then right), plans
    dict(match="Write an ablation study", **code(ABLATION)),
    dict(match="Summarize what it found", **text("Scaling helps: 0.99 against 0.97 without it.")),
    dict(match=["pick the code block whose improvement", "Copy the block exactly"],
         **jsonr([{"code_block": BLOCK, "plan": "Add the squared mean radius as a feature."}])),
    dict(match="pick the code block whose improvement",
         **jsonr([{"code_block": "X = load_everything()\nX = X * 2", "plan": "Something."}])),
    dict(match="Propose a new plan to improve the code block", **text("Also try the squared feature again.")),
    dict(match="Implement the plan below as a new version of the code block", **code(NEW_BLOCK)),
    # ensembles: the first round fails, the second works
    dict(match=["Plan how to ensemble", "failed to run"], **text("Rank average the two solutions.")),
    dict(match="Plan how to ensemble", **text("Average the predictions of the solutions.")),
    dict(match=["Implement the ensemble plan", "Rank average"], **code(ENSEMBLE)),
    dict(match="Implement the ensemble plan", **code(ENSEMBLE_BROKEN)),
    # submission
    dict(match="Turn the solution below into the final submission", **code(SUBMISSION)),
]
for s in steps:
    s["repeat"] = True
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY

/usr/bin/python3 "$src/tests/tools/llm_test_server.py" "$tmp/script.json" "$tmp/requests.jsonl" >"$tmp/port" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -1 "$tmp/port")
key="sk-test-SECRET-$RANDOM$RANDOM"

OPENAI_API_KEY=$key "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" --provider openai \
  --base-url "http://127.0.0.1:$port/v1" --model test-model -M 2 -T 1 -K 2 -L 2 -R 2 \
  --set pipeline.debug_rounds=1 --set pipeline.regenerations=0 --time-limit 20m >"$tmp/run.log" 2>&1 || {
  echo "FAIL: the run exited non-zero"; tail -40 "$tmp/run.log"; exit 1; }

if grep -q "two different prompts resolve to one journal key" "$tmp/run.log"; then
  echo "FAIL: a call id was reused for a different prompt"; exit 1
fi
"$bin" grade "$src/examples/breast-cancer" "$tmp/run/final/submission.csv" >/dev/null || {
  echo "FAIL: the submission does not grade"; exit 1; }

if grep -rqa "$key" "$tmp/run" "$tmp/run.log"; then
  echo "FAIL: the API key was written to the run folder or the log"; exit 1
fi
grep -q "x-api-key\|authorization" "$tmp/requests.jsonl" || { echo "FAIL: the key never reached the server"; exit 1; }

/usr/bin/python3 - "$tmp/run/run.db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
# the typo candidate failed and its debug child worked
failed = q("select id from nodes where stage='candidate' and status='failed' and code like '%RandomForestClassifer%'")
assert failed, "no failed typo candidate"
fixed = q("select status from nodes where stage='debug' and parent_id=?", failed[0][0])
assert fixed and fixed[0][0] == "ok", f"the debugger did not fix the candidate: {fixed}"
# the leak was caught: the leaky candidate ran with the fixed block
events = [r[0] for r in q("select type from events")]
assert "leakage_found" in events, "the leak was not reported"
leaky = q("select code from nodes where stage='candidate' and code like '%LEAKY-SCALER%'")
assert leaky and "StandardScaler().fit(X_tr)" in leaky[0][0] and "StandardScaler().fit(X)\n" not in leaky[0][0], \
    "the leaky candidate ran unfixed"
# the first extraction was unusable, the retry worked
calls = [r[0] for r in q("select call_id from llm_calls where stage='extract'")]
assert any("#retry1" in c for c in calls), f"no extraction retry: {calls}"
assert q("select 1 from nodes where stage='refine' and block_after like '%mean_radius_sq%'"), "no refinement ran"
# the worse merge was dropped
merges = [json.loads(r[0]) for r in q("select data from events where type='merge'")]
assert merges and all(not m["kept"] for m in merges), f"merge kept: {merges}"
# the first ensemble round failed, a later one worked
ens = dict(q("select node_key, status from nodes where stage='ensemble'"))
assert ens.get("ensemble/r0") == "failed" and ens.get("ensemble/r1") == "ok", ens
# usage was accounted
usage = json.loads(q("select usage from run")[0][0])
assert usage["llm"], usage
status = q("select status from run")[0][0]
assert status == "finished", status
print("ok: every scripted situation was handled")
PY
echo "1 passed, 0 failed"
