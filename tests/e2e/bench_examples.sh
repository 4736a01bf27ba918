#!/usr/bin/env bash
# bench_examples.sh - `mlestar bench` end to end on the bundled examples with
# the builtin provider and a small pipeline:
#  1. breast-cancer, diabetes and a broken copy of breast-cancer (no
#     train.csv), two runs at once: exit 0, the three result files, the two
#     examples graded valid, the broken task an invalid row with its reason;
#  2. the same command again runs nothing (agent logs and results unchanged);
#  3. Ctrl-C (SIGINT) during a run: exit 1, the run's journal "interrupted"
#     and no result.json; `--resume --out` continues it with `mlestar resume`
#     and grades it; a second bench on a folder in use is refused;
#  4. usage errors exit 2.
set -euo pipefail
: "${MLESTAR_BIN:?set MLESTAR_BIN to the mlestar binary}"
: "${MLESTAR_SOURCE_DIR:?set MLESTAR_SOURCE_DIR to the source tree}"
PY=/usr/bin/python3

tmp=$(mktemp -d /tmp/mlestar-e2e-bench-XXXXXX)
bench_pid=
cleanup() {
  [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "bench_examples: FAIL: $*" >&2; exit 1; }

ex="$MLESTAR_SOURCE_DIR/examples"
small=(--provider builtin -M 2 -T 1 -K 1 -L 1 -R 0 --time-limit 5m)
cp -r "$ex/breast-cancer" "$tmp/broken"
rm "$tmp/broken/public/train.csv"

# 1. a bench of three tasks, one broken
rc=0
"$MLESTAR_BIN" bench "$ex/breast-cancer" "$ex/diabetes" "$tmp/broken" "${small[@]}" --seeds 1 --jobs 2 \
  --out "$tmp/b1" >"$tmp/b1.out" 2>"$tmp/b1.err" || rc=$?
[ "$rc" -eq 0 ] || fail "bench exited $rc: $(cat "$tmp/b1.err")"
for f in results.md results.csv results.json settings.ini bench.json; do
  [ -s "$tmp/b1/$f" ] || fail "no $f in the bench folder"
done
cmp -s "$tmp/b1.out" "$tmp/b1/results.md" || fail "the printed table differs from results.md"
$PY - "$tmp/b1" <<'PY' || fail "results.json: $(cat "$tmp/b1/results.json")"
import csv, json, os, sys
d = sys.argv[1]
res = json.load(open(os.path.join(d, "results.json")))
runs = {r["task"]: r for r in res["runs"]}
assert sorted(runs) == ["breast-cancer", "broken", "diabetes"], runs
for t in ("breast-cancer", "diabetes"):
    r = runs[t]
    assert r["done"] and r["valid"] and r["status"] in ("finished", "budget"), r
    assert isinstance(r["score"], float), r
    assert os.path.exists(os.path.join(r["run_dir"], "result.json")), r
    assert os.path.exists(os.path.join(r["run_dir"], "run.db")), r
    assert r["wall_s"] > 0, r
assert runs["diabetes"]["metric"] == "rmse" and runs["diabetes"]["direction"] == "lower"
assert runs["breast-cancer"]["metric"] == "auc" and 0.5 < runs["breast-cancer"]["score"] <= 1
b = runs["broken"]
assert b["done"] and not b["valid"] and b["score"] is None, b
assert "train" in b["invalid_reason"], b
agg = res["aggregates"]
assert agg["graded"] == 3 and agg["valid_submission"]["count"] == 2, agg
assert abs(agg["valid_submission"]["se"] - ((2/3) * (1/3) / 3) ** 0.5) < 1e-9, agg
rows = list(csv.DictReader(open(os.path.join(d, "results.csv"))))
assert [r["task"] for r in rows] == ["breast-cancer", "diabetes", "broken"], rows
assert [r["valid"] for r in rows] == ["true", "true", "false"], rows
md = open(os.path.join(d, "results.md")).read()
assert "| valid submission | 66.7 | 27.2 | 2/3 |" in md, md
PY
grep -q -- "--seed 0" "$tmp/b1/diabetes/seed0/agent.log" || fail "agent.log does not show the agent's command"

echo "bench_examples: part 1 done after ${SECONDS}s" >&2
# 2. the same bench again: nothing runs
sums() { md5sum "$tmp"/b1/*/seed0/agent.log "$tmp"/b1/*/seed0/result.json; }
before=$(sums)
rc=0
"$MLESTAR_BIN" bench "$ex/breast-cancer" "$ex/diabetes" "$tmp/broken" "${small[@]}" --seeds 1 --jobs 2 \
  --out "$tmp/b1" >"$tmp/b1b.out" 2>"$tmp/b1b.err" || rc=$?
[ "$rc" -eq 0 ] || fail "second bench exited $rc: $(cat "$tmp/b1b.err")"
grep -q "0 to start, 0 to resume, 0 to grade, 3 graded before" "$tmp/b1b.err" ||
  fail "second bench did not skip everything: $(cat "$tmp/b1b.err")"
[ "$(sums)" = "$before" ] || fail "the second bench changed agent logs or results"
grep -q "| valid submission | 66.7 | 27.2 | 2/3 |" "$tmp/b1b.out" || fail "second table: $(cat "$tmp/b1b.out")"

# 3. interrupted, then resumed
"$MLESTAR_BIN" bench "$ex/diabetes" "${small[@]}" -M 1 --out "$tmp/b2" >"$tmp/b2.out" 2>"$tmp/b2.err" &
bench_pid=$!
for _ in $(seq 1 600); do
  [ -e "$tmp/b2/diabetes/seed0/run.db" ] && break
  sleep 0.1
done
[ -e "$tmp/b2/diabetes/seed0/run.db" ] || fail "the agent never started: $(cat "$tmp/b2.err")"
rc=0
"$MLESTAR_BIN" bench "$ex/diabetes" "${small[@]}" --out "$tmp/b2" >"$tmp/lock.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "another mlestar bench is running" "$tmp/lock.out" ||
  fail "a second bench on the same folder was not refused ($rc): $(cat "$tmp/lock.out")"
sleep 2
kill -INT "$bench_pid"
rc=0
wait "$bench_pid" || rc=$?
bench_pid=
[ "$rc" -eq 1 ] || fail "interrupted bench exited $rc, expected 1: $(cat "$tmp/b2.err")"
[ ! -e "$tmp/b2/diabetes/seed0/result.json" ] || fail "an interrupted run was graded"
grep -q "| diabetes | 0 | interrupted |" "$tmp/b2/results.md" || fail "results.md: $(cat "$tmp/b2/results.md")"
"$MLESTAR_BIN" runs "$tmp/b2/diabetes" 2>&1 | grep -q interrupted || fail "the journal is not marked interrupted"
rc=0
"$MLESTAR_BIN" bench --resume --out "$tmp/b2" >"$tmp/b2r.out" 2>"$tmp/b2r.err" || rc=$?
[ "$rc" -eq 0 ] || fail "resumed bench exited $rc: $(cat "$tmp/b2r.err")"
grep -q "1 to resume" "$tmp/b2r.err" || fail "the run was not resumed: $(cat "$tmp/b2r.err")"
grep -q " resume $tmp/b2/diabetes/seed0" "$tmp/b2/diabetes/seed0/agent.log" || fail "agent.log shows no resume"
$PY - "$tmp/b2/diabetes/seed0/result.json" <<'PY' || fail "resumed result: $(cat "$tmp/b2/diabetes/seed0/result.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["done"] and r["valid"] and r["score"] is not None, r
PY

echo "bench_examples: part 3 done after ${SECONDS}s" >&2
# 4. usage errors
expect_usage() {
  local rc=0
  "$MLESTAR_BIN" bench "$@" >"$tmp/usage.out" 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "\`bench $*\` exited $rc, expected 2: $(cat "$tmp/usage.out")"
}
expect_usage "$tmp/absent-task" --out "$tmp/b3"
expect_usage "$ex/diabetes" --seeds 0 --out "$tmp/b3"
expect_usage "$ex/diabetes" --jobs many --out "$tmp/b3"
expect_usage --resume
mkdir "$tmp/other" && cp -r "$ex/diabetes" "$tmp/other/diabetes"
expect_usage "$ex/diabetes" "$tmp/other/diabetes" --out "$tmp/b3"
[ ! -e "$tmp/b3" ] || fail "a bench with bad usage created its folder"
echo "bench_examples: ok"
