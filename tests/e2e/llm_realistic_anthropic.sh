#!/usr/bin/env bash
# A run whose replies imitate a real model, through the real `anthropic`
# provider (Messages wire format) and the scripted local server (issue 16,
# items 3, 7, 8, and the "done when" run):
#   - retrieval answers first with JSON cut off mid-string; the parse error
#     must go back to the model in a second turn (7);
#   - the candidate comes wrapped in prose and Markdown, imports lightgbm
#     (not installed) and leaks twice (an imputer fit on train+test, a scaler
#     fit on train+validation); the leakage check names both blocks, the
#     second inside a ```python fence in the JSON string. Each fix must get
#     its own call (3), both must be placed (8), then the debugger replaces
#     lightgbm;
#   - the refined variant's leakage check first names a block that is not in
#     the script: the check is asked again, no fix is asked for it (8);
#   - extraction first offers the whole script as "the block", then a fenced
#     block: the first is refused with the reason, the second unwrapped (8).
# The run must end with a submission that grades, and `mlestar show` must
# list every recovery.
set -euo pipefail
bin=${MLESTAR_BIN:?}
src=${MLESTAR_SOURCE_DIR:?}
tmp=$(mktemp -d)
. "$src/tests/tools/scripted_llm.sh"
trap scripted_cleanup EXIT

/usr/bin/python3 - "$tmp/script.json" <<'PY'
import json, sys
HEAD = '''import os
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
'''
LOAD = '''train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
print(f"Training rows: {len(train)}")
X = train.drop(columns=["id", "benign"])
y = train["benign"]
X_test = test.drop(columns=["id"])
'''
LEAK1 = '''imputer = SimpleImputer(strategy="median").fit(pd.concat([X, X_test]))
X, X_test = imputer.transform(X), imputer.transform(X_test)'''
FIX1 = '''imputer = SimpleImputer(strategy="median").fit(X)
X, X_test = imputer.transform(X), imputer.transform(X_test)'''
SPLIT = '''X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
'''
LEAK2 = '''scaler = StandardScaler().fit(np.vstack([X_tr, X_va]))
X_tr, X_va, X_test = scaler.transform(X_tr), scaler.transform(X_va), scaler.transform(X_test)'''
FIX2 = '''scaler = StandardScaler().fit(X_tr)
X_tr, X_va, X_test = scaler.transform(X_tr), scaler.transform(X_va), scaler.transform(X_test)'''
def model(lib):
    if lib == "lightgbm":
        return '''import lightgbm as lgb
model = lgb.LGBMClassifier(n_estimators=100, learning_rate=0.1, n_jobs=1).fit(X_tr, y_tr)
'''
    return '''from sklearn.ensemble import HistGradientBoostingClassifier
model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=0).fit(X_tr, y_tr)
'''
TAIL = '''print(f"Final Validation Performance: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.6f}")
os.makedirs("./final", exist_ok=True)
pd.DataFrame({"id": test["id"], "benign": model.predict_proba(X_test)[:, 1]}).to_csv("./final/submission.csv", index=False)
'''
def script(leak1, leak2, lib):
    return HEAD + LOAD + "# impute\n" + leak1 + "\n" + SPLIT + "# scale\n" + leak2 + "\n" + model(lib) + TAIL
CANDIDATE = script(LEAK1, LEAK2, "lightgbm")
FIXED = script(FIX1, FIX2, "sklearn")
BLOCK = "model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=0).fit(X_tr, y_tr)"
NEW_BLOCK = "# REFINED: a smaller learning rate, more rounds\nmodel = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=0).fit(X_tr, y_tr)"
SUBMIT = FIXED.replace('print(f"Final Validation', 'model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(np.vstack([X_tr, X_va]), pd.concat([y_tr, y_va]))\nprint(f"Final Validation')

def reply(t): return {"reply": {"text": t, "input_tokens": 900, "output_tokens": 300}}
def md(t, prose="Here is a complete solution."):
    return reply(prose + "\n\n```python\n" + t + "```\n\nIt trains the model, prints the validation AUC and "
                 "writes the submission. Let me know if you want changes!")
def js(v): return reply("Sure! Here is the JSON:\n```json\n" + json.dumps(v, indent=2) + "\n```")

steps = [
    # 7: cut-off JSON, then (error sent back) a complete list
    dict(match=["machine-learning models that are recent", "could not be used"],
         **js([{"model_name": "LightGBM", "example_code": "import lightgbm as lgb\nlgb.LGBMClassifier().fit(X, y)"}])),
    dict(match="machine-learning models that are recent",
         **reply('```json\n[{"model_name": "LightGBM", "example_code": "import lightgbm as lgb\\nlgb.LGBMClass')),
    dict(match="Write one simple, complete Python script", **md(CANDIDATE)),
    # leakage: the candidate leaks twice (second block fenced inside the JSON)
    dict(match=["find the code block where the training", "pd.concat([X, X_test])"],
         **js([{"code_block": LEAK1, "leakage_status": "Yes Data Leakage"},
               {"code_block": "```python\n" + LEAK2 + "\n```", "leakage_status": "Yes Data Leakage"}])),
    # the refined variant: first a block that is not in the script, then clean
    dict(match=["find the code block where the training", "REFINED", "cannot be used"],
         **js([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match=["find the code block where the training", "REFINED"],
         **js([{"code_block": "X = preprocess(X)\nX_test = preprocess(X_test)", "leakage_status": "Yes Data Leakage"}])),
    dict(match="find the code block where the training", **js([{"code_block": "", "leakage_status": "No Data Leakage"}])),
    dict(match=["leaks information from validation or test", "pd.concat([X, X_test])"], **md(FIX1, "Fixed block:")),
    dict(match=["leaks information from validation or test", "np.vstack"], **md(FIX2, "Fixed block:")),
    # the debugger: lightgbm is not installed
    dict(match=["The script below failed", "import lightgbm"],
         **md(FIXED, "lightgbm is not installed; HistGradientBoostingClassifier from scikit-learn does the same job.")),
    dict(match="uses all the information the task provides", **reply("All the provided information is used.")),
    dict(match="Write an ablation study", **md("print('Ablation result: full: 0.99')\nprint('Ablation result: fewer_rounds: 0.98')\n")),
    dict(match="Summarize what it found", **reply("The model configuration matters most (0.99 vs 0.98).")),
    # 8: the whole script as "the block", then a fenced block
    dict(match=["pick the code block whose improvement", "whole solution"],
         **js([{"code_block": "```python\n" + BLOCK + "\n```", "plan": "Use more rounds with a smaller learning rate."}])),
    dict(match="pick the code block whose improvement",
         **js([{"code_block": FIXED, "plan": "Improve everything."}])),
    dict(match="Implement the plan below", **md(NEW_BLOCK + "\n", "The new block:")),
    dict(match="Turn the solution below into the final submission", **md(SUBMIT)),
]
for s in steps:
    s["repeat"] = True
json.dump(steps, open(sys.argv[1], "w"), indent=1)
PY
scripted_start "$tmp/script.json"

ANTHROPIC_API_KEY=sk-ant-test "$bin" run "$src/examples/breast-cancer" --out "$tmp/run" --provider anthropic \
  --base-url "http://127.0.0.1:$port" --model claude-test -M 1 -T 1 -K 1 -L 1 -R 0 \
  --set pipeline.debug_rounds=2 --set pipeline.regenerations=0 --time-limit 0 >"$tmp/run.log" 2>&1 || {
  echo "FAIL: the run exited non-zero"; tail -30 "$tmp/run.log"; exit 1; }
scripted_assert_no_collision
"$bin" grade "$src/examples/breast-cancer" "$tmp/run/final/submission.csv" >/dev/null || {
  echo "FAIL: the submission does not grade"; exit 1; }
"$bin" show "$tmp/run" >"$tmp/show.txt"

/usr/bin/python3 - "$tmp/run/run.db" "$tmp/requests.jsonl" "$tmp/show.txt" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
failures = []
def check(ok, what):
    if not ok:
        failures.append(what)
calls = [r[0] for r in q("select call_id from llm_calls where error_code = 0")]

# 7. the parse error went back to the model, with its own bad reply
retrieve = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[2])
            if "machine-learning models that are recent" in l]
second = [b for b in retrieve if len(b["messages"]) == 3]
check(second and second[0]["messages"][1]["role"] == "assistant" and "LGBMClass" in json.dumps(second[0]["messages"][1])
      and "could not be used" in json.dumps(second[0]["messages"][2]),
      f"7: no second retrieval turn carrying the bad reply and the parse error ({len(retrieve)} requests)")
check(q("select 1 from nodes where stage='candidate' and model_name='LightGBM'"), "7: the retried model list was not used")

# 3. one call per leakage fix, both fixes in the script that ran
fixes = sorted(c for c in calls if c.startswith("lane0/cand0/leakage_fix"))
check(fixes == ["lane0/cand0/leakage_fix0", "lane0/cand0/leakage_fix1"], f"3: leakage fix calls {fixes}")
ran = q("select code from nodes where node_key='lane0/cand0'")[0][0]
check("SimpleImputer(strategy=\"median\").fit(X)\n" in ran and "StandardScaler().fit(X_tr)" in ran
      and "pd.concat([X, X_test])" not in ran and "np.vstack" not in ran,
      "3/8: the candidate did not run with both leaks fixed")
# the debugger replaced the missing package
dbg = q("select status, code from nodes where stage='debug' and node_key like 'lane0/cand0/debug%'")
check(dbg and dbg[-1][0] == "ok" and "lightgbm" not in dbg[-1][1], f"the lightgbm import was not debugged: {dbg}")

# 8. a leaky block that is not in the script: asked again, never "fixed"
check("lane0/t0/k0/leakage_check#retry1" in calls, "8: the variant's leakage check was not asked again")
check(not [c for c in calls if c.startswith("lane0/t0/k0/leakage_fix")], "8: a fix was asked for a block not in the script")
# 8. the whole script is refused, the fenced block unwrapped
ext = q("select call_id, request from llm_calls where stage='extract' and error_code=0 order by id")
check([c for c, _ in ext] == ["lane0/t0/extract#0", "lane0/t0/extract#retry1"], f"8: extraction calls {[c for c, _ in ext]}")
check(len(ext) > 1 and "whole solution" in ext[-1][1], "8: the retry does not say the block was the whole script")
blk = q("select block_before from nodes where stage='refine'")
check(blk and blk[0][0].startswith("model = HistGradientBoostingClassifier(max_iter=100") and "```" not in blk[0][0],
      f"8: the refined block is not the unwrapped one: {blk}")

# show lists every recovery
show = open(sys.argv[3]).read()
for what in ("debug fix", "reply_reparsed", "leakage_fixed", "leakage_check_asked_again", "fence_stripped",
             "block_placed_on_retry"):
    check(what in show, f"show does not list the recovery '{what}'")
check(q("select status from run")[0][0] == "finished", "the run did not finish")
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    print(show[show.find("recoveries"):])
    sys.exit(1)
print("ok: a realistic run recovered from every scripted fault")
PY
echo "1 passed, 0 failed"
