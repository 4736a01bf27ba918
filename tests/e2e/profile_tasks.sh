#!/usr/bin/env bash
# profile_tasks.sh - `mlestar profile --json` on the bundled examples and,
# when the folder exists, on ../shared/tasks: the JSON must parse and name
# the right id, target and train-target columns, submission format and
# problem type; private files must never appear. Then the Markdown bound,
# the --data-dir/--goal shape, and the error cases (exit 1, path named).
set -euo pipefail
: "${MLESTAR_BIN:?set MLESTAR_BIN to the mlestar binary}"
: "${MLESTAR_SOURCE_DIR:?set MLESTAR_SOURCE_DIR to the source folder}"
PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/mlestar-e2e-profile-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "profile_tasks: FAIL: $*" >&2; exit 1; }

# check DIR IDS TARGETS TRAIN_TARGETS FORMAT PROBLEM (lists comma-separated)
check() {
  local dir=$1
  [ -d "$dir" ] || return 0
  "$MLESTAR_BIN" profile "$dir" --json >"$tmp/out.json" 2>"$tmp/err.txt" ||
    fail "profile $dir exited $?: $(cat "$tmp/err.txt")"
  "$PY" - "$tmp/out.json" "$@" <<'PYEOF' || fail "profile $dir: wrong JSON (see above)"
import json, sys
path, _dir, ids, targets, train_targets, fmt, problem = sys.argv[1:8]
p = json.load(open(path))
def want(key, value):
    if p[key] != value:
        print(f"{_dir}: {key} = {p[key]!r}, expected {value!r}", file=sys.stderr)
        sys.exit(1)
want("id_columns", ids.split(","))
want("target_columns", targets.split(","))
want("train_targets", train_targets.split(","))
want("submission_format", fmt)
want("problem", problem)
roles = [f["role"] for f in p["files"]]
assert roles[:3] == ["train", "test", "sample_submission"], roles
for f in p["files"]:
    assert "private" not in f["path"] and "answers" not in f["path"], f["path"]
    for c in f["columns"]:
        assert 0.0 <= c["missing"] <= 1.0 and c["distinct"] >= 0, c
assert p["target"]["column"] == train_targets.split(",")[0], p["target"]
PYEOF
}

ex="$MLESTAR_SOURCE_DIR/examples"
check "$ex/breast-cancer" id benign benign values binary
check "$ex/diabetes" id progression progression values regression
check "$ex/wine" id class_0,class_1,class_2 cultivar class_probs multiclass

shared="$MLESTAR_SOURCE_DIR/../shared/tasks"
if [ -d "$shared" ]; then
  check "$shared/spaceship-titanic" PassengerId Transported Transported values binary
  check "$shared/detecting-insults-in-social-commentary" Comment,Date Insult Insult values binary
  check "$shared/house-prices" Id SalePrice SalePrice values regression
  nomad="$shared/nomad2018-predict-transparent-conductors"
  check "$nomad" id formation_energy_ev_natom,bandgap_energy_ev \
    formation_energy_ev_natom,bandgap_energy_ev values multi_regression
  if [ -d "$nomad" ]; then
    "$MLESTAR_BIN" profile "$nomad" --json >"$tmp/nomad.json"
    "$PY" - "$tmp/nomad.json" <<'PYEOF' || fail "nomad: geometry groups missing"
import json, sys
p = json.load(open(sys.argv[1]))
groups = {g["pattern"]: g for g in p["groups"]}
assert groups["train/*/geometry.xyz"]["count"] > 2000, groups
assert groups["test/*/geometry.xyz"]["count"] > 200, groups
PYEOF
  fi
else
  echo "profile_tasks: $shared absent, shared tasks skipped"
fi

# Markdown: the detected lines, and the byte bound
out=$("$MLESTAR_BIN" profile "$ex/wine" --max-bytes 1500)
grep -q "^class values: 0, 1, 2$" <<<"$out" || fail "no class values line: $out"
grep -q "^metric: multiclass_logloss (task.json)$" <<<"$out" || fail "no metric line: $out"
md=$(sed -n '/^# Data profile/,$p' <<<"$out")
[ "${#md}" -le 1500 ] || fail "markdown is ${#md} bytes, bound 1500"

# no task folder: --data-dir with --goal, flags for metric and direction
mkdir -p "$tmp/data"
printf 'a,label\n1,x\n2,y\n' >"$tmp/data/train.csv"
printf 'a\n3\n' >"$tmp/data/test.csv"
out=$("$MLESTAR_BIN" profile --data-dir "$tmp/data" --goal "Predict label" --metric accuracy --direction higher)
grep -q "^metric: accuracy (flag)$" <<<"$out" || fail "flag metric not shown: $out"
grep -q "^direction: higher is better (flag)$" <<<"$out" || fail "flag direction not shown: $out"
# settings from the environment or a config file name their origin
printf '[task]\ndirection = lower\n' >"$tmp/settings.ini"
out=$(MLESTAR_TASK_METRIC=rmse "$MLESTAR_BIN" profile --config "$tmp/settings.ini" \
  --data-dir "$tmp/data" --goal "Predict label")
grep -qxF "metric: rmse (environment (MLESTAR_TASK_METRIC))" <<<"$out" || fail "env metric origin not shown: $out"
grep -qxF "direction: lower is better (config file $tmp/settings.ini)" <<<"$out" ||
  fail "config direction origin not shown: $out"

# errors: exit 1 with the path and the reason
expect_fail() {
  local needle=$1; shift
  local rc=0 msg
  msg=$("$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 1 ] || fail "\`$*\` exited $rc, expected 1: $msg"
  grep -qF -- "$needle" <<<"$msg" || fail "\`$*\`: message lacks \"$needle\": $msg"
}
expect_fail "does not exist" "$MLESTAR_BIN" profile "$tmp/absent"
expect_fail "no task description" "$MLESTAR_BIN" profile "$tmp/data"
mkdir -p "$tmp/bad/public"
echo x >"$tmp/bad/description.md"
printf 'id,a,y\n1,2,3\n' >"$tmp/bad/public/train.csv"
printf 'id,a\n1,2\n' >"$tmp/bad/public/test.csv"
printf 'id,nothing\n1,0\n' >"$tmp/bad/public/sample_submission.csv"
expect_fail "sample_submission.csv" "$MLESTAR_BIN" profile "$tmp/bad"
rc=0; "$MLESTAR_BIN" profile >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "profile without a task exited $rc, expected 2"
echo "profile_tasks: ok"
