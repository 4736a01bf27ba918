#!/usr/bin/env bash
# grade_tasks.sh - `mlestar grade` on real tasks and the bundled examples.
#
#  - the sample submissions of ../shared/tasks score their known values
#    (spaceship 0.50345, insults 0.5, nomad2018 0.21174, house-prices 0.37071);
#  - a submission built from private/answers.csv scores the best value and,
#    where there are thresholds, wins gold;
#  - a noisy submission scores what scikit-learn computes for it (when
#    /usr/bin/python3 has sklearn);
#  - broken submissions are invalid (exit 1) with a reason, bad usage exits 2;
#  - the bundled examples (thresholds null) grade their sample and a perfect
#    submission.
# Skips the shared tasks cleanly when $MLESTAR_SOURCE_DIR/../shared/tasks is absent.
set -u

BIN=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
SRC=${MLESTAR_SOURCE_DIR:?MLESTAR_SOURCE_DIR must point at the source tree}
TASKS="$SRC/../shared/tasks"
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/mlestar-e2e-grade-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# grade TASK FILE -> prints the score field from --json ("null" when invalid)
score_of() {
    "$BIN" grade "$1" "$2" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("null" if d["score"] is None else "%.5f" % d["score"])'
}

expect_score() { # task file want label
    local got
    got=$(score_of "$1" "$2")
    if [ "$got" = "$3" ]; then echo "ok: $4 = $got"; else fail "$4: got $got, want $3"; fi
}

expect_exit() { # want_status label cmd...
    local want=$1 label=$2
    shift 2
    "$@" > "$WORK/out.txt" 2>&1
    local got=$?
    if [ "$got" = "$want" ]; then echo "ok: $label (exit $got)"; else fail "$label: exit $got, want $want: $(cat "$WORK/out.txt")"; fi
}

# ---- the bundled examples (no thresholds) ----
for ex in "$SRC"/examples/*/; do
    ex=${ex%/}
    name=$(basename "$ex")
    [ -f "$ex/task.json" ] || continue
    expect_exit 0 "$name sample grades" "$BIN" grade "$ex" "$ex/public/sample_submission.csv"
    grep -q "no medal thresholds" "$WORK/out.txt" || fail "$name: verdict lacks 'no medal thresholds': $(cat "$WORK/out.txt")"
    best=$("$PY" -c 'import json,sys; print("1.00000" if not json.load(open(sys.argv[1]))["lower_is_better"] else "0.00000")' "$ex/task.json")
    expect_score "$ex" "$ex/private/answers.csv" "$best" "$name perfect submission"
done

if [ ! -d "$TASKS" ]; then
    echo "skipped: no shared tasks at $TASKS"
    [ "$failures" -eq 0 ] && exit 0 || exit 1
fi

# ---- known scores of the sample submissions ----
expect_score "$TASKS/spaceship-titanic" "$TASKS/spaceship-titanic/public/sample_submission.csv" 0.50345 "spaceship sample"
expect_score "$TASKS/detecting-insults-in-social-commentary" \
    "$TASKS/detecting-insults-in-social-commentary/public/sample_submission_null.csv" 0.50000 "insults sample"
expect_score "$TASKS/nomad2018-predict-transparent-conductors" \
    "$TASKS/nomad2018-predict-transparent-conductors/public/sample_submission.csv" 0.21174 "nomad2018 sample"
expect_score "$TASKS/house-prices" "$TASKS/house-prices/public/sample_submission.csv" 0.37071 "house-prices sample"

# ---- perfect submissions built from the answers (columns of the sample, shuffled rows) ----
for t in spaceship-titanic detecting-insults-in-social-commentary nomad2018-predict-transparent-conductors house-prices; do
    dir="$TASKS/$t"
    sample=$(ls "$dir"/public/sample_submission*.csv | head -1)
    "$PY" - "$dir/private/answers.csv" "$sample" "$WORK/$t-perfect.csv" <<'EOF'
import sys
import pandas as pd
answers = pd.read_csv(sys.argv[1], keep_default_na=False, dtype=str)
columns = list(pd.read_csv(sys.argv[2], nrows=0).columns)
answers[columns].sample(frac=1.0, random_state=1).to_csv(sys.argv[3], index=False)
EOF
    best=$("$PY" -c 'import json,sys; print("1.00000" if not json.load(open(sys.argv[1]))["lower_is_better"] else "0.00000")' "$dir/task.json")
    expect_score "$dir" "$WORK/$t-perfect.csv" "$best" "$t perfect submission"
    "$BIN" grade "$dir" "$WORK/$t-perfect.csv" | grep -q -E "gold medal|no medal thresholds" \
        || fail "$t perfect: neither gold nor a task without thresholds"
done

# ---- noisy submissions against scikit-learn ----
if "$PY" -c 'import sklearn' 2>/dev/null; then
    "$PY" - "$TASKS" "$WORK" <<'EOF' > "$WORK/noisy.txt"
import json, sys
import numpy as np
import pandas as pd
from sklearn import metrics
tasks, work = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)

def save(name, frame):
    path = f"{work}/{name}-noisy.csv"
    frame.to_csv(path, index=False)
    return path

a = pd.read_csv(f"{tasks}/spaceship-titanic/private/answers.csv")
sub = a[["PassengerId", "Transported"]].copy()
flip = rng.random(len(sub)) < 0.2
sub.loc[flip, "Transported"] = ~sub.loc[flip, "Transported"]
print("spaceship-titanic", save("spaceship", sub), "%.5f" % round(metrics.accuracy_score(a["Transported"], sub["Transported"]), 5))

a = pd.read_csv(f"{tasks}/detecting-insults-in-social-commentary/private/answers.csv", keep_default_na=False)
score = np.clip(a["Insult"].astype(float) * 0.3 + rng.random(len(a)) * 0.7, 0, 1).round(2)
sub = pd.DataFrame({"Insult": score, "Date": a["Date"], "Comment": a["Comment"]}).sample(frac=1.0, random_state=3)
print("detecting-insults-in-social-commentary", save("insults", sub), "%.5f" % round(metrics.roc_auc_score(a["Insult"], score), 5))

a = pd.read_csv(f"{tasks}/nomad2018-predict-transparent-conductors/private/answers.csv")
cols = ["formation_energy_ev_natom", "bandgap_energy_ev"]
sub = a[["id"] + cols].copy()
for c in cols:
    sub[c] = np.abs(sub[c] * rng.lognormal(0, 0.2, len(sub)))
val = np.mean([np.sqrt(metrics.mean_squared_log_error(a[c], sub[c])) for c in cols])
print("nomad2018-predict-transparent-conductors", save("nomad", sub), "%.5f" % round(val, 5))

a = pd.read_csv(f"{tasks}/house-prices/private/answers.csv")
sub = a[["Id", "SalePrice"]].copy()
sub["SalePrice"] = sub["SalePrice"] * rng.lognormal(0, 0.15, len(sub))
val = np.sqrt(metrics.mean_squared_error(np.log(a["SalePrice"]), np.log(sub["SalePrice"])))
print("house-prices", save("house", sub), "%.5f" % round(val, 5))
EOF
    while read -r t file want; do
        expect_score "$TASKS/$t" "$file" "$want" "$t noisy submission vs sklearn"
    done < "$WORK/noisy.txt"
else
    echo "skipped: noisy submissions (no sklearn in $PY)"
fi

# ---- invalid submissions and usage ----
ST="$TASKS/spaceship-titanic"
head -100 "$ST/public/sample_submission.csv" > "$WORK/short.csv"
expect_exit 1 "short submission is invalid" "$BIN" grade "$ST" "$WORK/short.csv"
grep -q "invalid submission" "$WORK/out.txt" || fail "short: no reason printed: $(cat "$WORK/out.txt")"
sed 's/,False$/,0/' "$ST/public/sample_submission.csv" > "$WORK/ints.csv"
expect_exit 1 "0/1 instead of True/False is invalid" "$BIN" grade "$ST" "$WORK/ints.csv"
grep -q "must be True or False" "$WORK/out.txt" || fail "ints: $(cat "$WORK/out.txt")"
expect_exit 1 "missing submission is invalid" "$BIN" grade "$ST" "$WORK/none.csv"
expect_exit 1 "task without task.json cannot be graded" "$BIN" grade "$WORK" "$ST/public/sample_submission.csv"
expect_exit 2 "one argument is bad usage" "$BIN" grade "$ST"
"$BIN" grade "$ST" "$WORK/short.csv" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["valid"] is False and d["score"] is None and "rows" in d["invalid_reason"], d' \
    && echo "ok: invalid --json" || fail "invalid --json"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all grade checks passed"
