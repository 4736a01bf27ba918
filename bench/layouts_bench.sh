#!/usr/bin/env bash
# Data-layout benchmark (issue 13): the builtin planner with a time limit
# (default 8 minutes) on tasks in layouts other than flat CSV, against a
# prior-only baseline (class frequencies of the training labels, or 0.5 AUC
# for a constant), both graded with `mlestar grade` on the private answers.
#   usage: bench/layouts_bench.sh [-b BUILD_DIR] [-l MINUTES]
# Tasks:
#   records-json     fixture (tests/fixtures/make_fixtures.py): JSON array
#                    of records, free text + numbers + boolean + nested
#   digits-images    fixture at --scale 2: 32 px PNGs in zip archives,
#                    labels in a CSV, no feature column (the CNN's case)
#   features-images  fixture at --scale 2: 16 numeric features beside an
#                    image folder, one probability column per class
#   insults-json     detecting-insults-in-social-commentary (../shared,
#                    when present) rewritten as JSON records with a nested
#                    object: a real text task in the JSON layout
# Output: a Markdown table on stdout; runs are kept under
# $LAYOUTS_BENCH_DIR (default a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
minutes=8
while getopts "b:l:" opt; do
  case $opt in
    b) build=$OPTARG ;;
    l) minutes=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-l MINUTES]" >&2; exit 2 ;;
  esac
done
bin=$build/mlestar
[ -x "$bin" ] || { echo "no $bin: build mlestar first" >&2; exit 2; }
root=${LAYOUTS_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$root"
echo "layouts bench: runs under $root" >&2

/usr/bin/python3 tests/fixtures/make_fixtures.py "$root/fix" --scale 2 \
  --only records-json,digits-images,features-images >/dev/null
tasks=("$root/fix/records-json" "$root/fix/digits-images" "$root/fix/features-images")
insults=../shared/tasks/detecting-insults-in-social-commentary
if [ -d "$insults" ]; then
  /usr/bin/python3 - "$insults" "$root/fix/insults-json" <<'PY'
import json, os, shutil, sys
import pandas as pd
src, dst = sys.argv[1:]
os.makedirs(os.path.join(dst, "public"), exist_ok=True)
os.makedirs(os.path.join(dst, "private"), exist_ok=True)
def records(df):
    out = []
    for row in df.to_dict("records"):
        rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        rec["meta"] = {"has_date": rec.get("Date") is not None, "length": len(rec["Comment"])}
        out.append(rec)
    return out
for name in ("train", "test"):
    df = pd.read_csv(os.path.join(src, "public", f"{name}.csv"), dtype={"Date": str})
    with open(os.path.join(dst, "public", f"{name}.json"), "w") as fh:
        json.dump(records(df), fh)
shutil.copy(os.path.join(src, "public", "sample_submission_null.csv"), os.path.join(dst, "public"))
shutil.copy(os.path.join(src, "private", "answers.csv"), os.path.join(dst, "private"))
task = json.load(open(os.path.join(src, "task.json")))
task["id"] = task["name"] = "insults-json"
json.dump(task, open(os.path.join(dst, "task.json"), "w"), indent=2)
text = open(os.path.join(src, "description.md")).read()
open(os.path.join(dst, "description.md"), "w").write(
    text + "\n\n(This copy ships train.json / test.json: the same rows as JSON records.)\n")
PY
  tasks+=("$root/fix/insults-json")
fi

# The prior-only baseline: constant predictions from the training labels.
prior_submission() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import glob, json, os, sys
import numpy as np, pandas as pd
task, out = sys.argv[1:]
meta = json.load(open(os.path.join(task, "task.json")))
pub = os.path.join(task, "public")
sample = pd.read_csv(os.path.join(pub, os.path.basename(meta["sample_submission"])))
targets = meta["target_columns"]
tables = [p for p in glob.glob(os.path.join(pub, "train*")) if p.endswith((".csv", ".json"))]
tables = [p for p in tables if "labels" not in p] or glob.glob(os.path.join(pub, "*labels*.csv"))
path = tables[0]
train = pd.read_json(path) if path.endswith(".json") else pd.read_csv(path)
sub = sample.copy()
if all(t in train.columns for t in targets):
    for t in targets:
        y = train[t]
        if meta["metric"] == "accuracy":
            sub[t] = y.mode()[0]
        else:
            sub[t] = float(pd.to_numeric(y).mean())
else:  # one probability column per class: the class column is the train column holding those names
    col = next(c for c in train.columns if set(train[c].astype(str)) >= set(targets) - {""})
    freq = train[col].astype(str).value_counts(normalize=True)
    for t in targets:
        sub[t] = float(freq.get(t, 0.0))
sub.to_csv(out, index=False)
PY
}

score_of() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["score"])' "$1"; }

echo "| task (layout) | metric | mlestar (test) | prior only | wall | submission | final models |"
echo "|---|---|---:|---:|---:|---|---|"
for task in "${tasks[@]}"; do
  name=$(basename "$task")
  run=$root/run-$name
  rm -rf "$run"
  t0=$(date +%s)
  "$bin" run "$task" --provider builtin --time-limit "${minutes}m" --out "$run" >"$root/$name.log" 2>&1 || true
  wall=$(( $(date +%s) - t0 ))
  metric=$(/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["metric"], "(lower)" if m["lower_is_better"] else "(higher)")' "$task/task.json")
  score=none
  if [ -s "$run/final/submission.csv" ] && "$bin" grade "$task" "$run/final/submission.csv" --json >"$root/$name.grade.json" 2>/dev/null; then
    score=$(score_of "$root/$name.grade.json")
  fi
  prior_submission "$task" "$root/$name.prior.csv"
  "$bin" grade "$task" "$root/$name.prior.csv" --json >"$root/$name.prior.json"
  prior=$(score_of "$root/$name.prior.json")
  source=$(grep -o 'valid; [a-z -]*' "$root/$name.log" | head -1 | sed 's/valid; //')
  models=$(grep -o '"block":"model","snippets":\[[^]]*' "$run/final/solution.py" 2>/dev/null |
           grep -o '"name":"[a-z_]*"' | sed 's/"name":"//; s/"//' | sort | uniq | paste -sd+ -)
  echo "| $name | $metric | $score | $prior | ${wall}s | ${source:-none} | ${models:-?} |"
done
