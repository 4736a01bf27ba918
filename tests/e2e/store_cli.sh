#!/usr/bin/env bash
# store_cli.sh - `mlestar runs` / `mlestar show` on folders that are not good
# journals: no folder, no runs, random bytes, an empty file, a journal from a
# newer mlestar (made with the sqlite3 tool). Each must be reported with the
# path and the reason, never crash (a crash exits with 128+signal).
# Journals with content are covered by tests/unit/store_cli_test.c.
set -euo pipefail
: "${MLESTAR_BIN:?set MLESTAR_BIN to the mlestar binary}"
command -v sqlite3 >/dev/null || { echo "store_cli: needs the sqlite3 tool (scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mlestar-e2e-store-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "store_cli: FAIL: $*" >&2; exit 1; }

# expect STATUS NEEDLE -- command...: exit status and a needle in stdout+stderr
expect() {
  local want=$1 needle=$2; shift 3
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" -eq "$want" ] || fail "\`$*\` exited $rc, expected $want: $out"
  grep -qF -- "$needle" <<<"$out" || fail "\`$*\` output lacks \"$needle\": $out"
}

expect 1 "is not a folder" -- "$MLESTAR_BIN" runs "$tmp/absent"
mkdir "$tmp/runs"
expect 0 "no runs in" -- "$MLESTAR_BIN" runs "$tmp/runs"

mkdir "$tmp/runs/noise" "$tmp/runs/empty" "$tmp/runs/newer" "$tmp/runs/foreign"
head -c 65536 /dev/urandom >"$tmp/runs/noise/run.db"
: >"$tmp/runs/empty/run.db"
sqlite3 "$tmp/runs/newer/run.db" "CREATE TABLE run (id INTEGER); PRAGMA user_version = 999;"
sqlite3 "$tmp/runs/foreign/run.db" "CREATE TABLE photos (id INTEGER);"

expect 0 "noise/run.db" -- "$MLESTAR_BIN" runs "$tmp/runs"
expect 0 "written by a newer mlestar" -- "$MLESTAR_BIN" runs "$tmp/runs"
expect 0 "holds no journal" -- "$MLESTAR_BIN" runs "$tmp/runs"
expect 0 "not an mlestar journal" -- "$MLESTAR_BIN" runs "$tmp/runs"

json=$("$MLESTAR_BIN" runs "$tmp/runs" --json)
/usr/bin/python3 - "$json" <<'PY' || fail "runs --json: $json"
import json, sys
rows = json.loads(sys.argv[1])
assert len(rows) == 4, rows
assert all("error" in r and "run.db" in r["error"] for r in rows), rows
PY

expect 1 "corrupt" -- "$MLESTAR_BIN" show "$tmp/runs/noise"
expect 1 "written by a newer mlestar" -- "$MLESTAR_BIN" show "$tmp/runs/newer" 1
expect 1 "no journal at $tmp/runs/run.db" -- "$MLESTAR_BIN" show "$tmp/runs"
expect 2 "expected RUN" -- "$MLESTAR_BIN" show

# nothing was created or changed by looking
[ ! -e "$tmp/runs/run.db" ] || fail "show created a journal"
[ "$(sqlite3 "$tmp/runs/newer/run.db" 'PRAGMA user_version')" = 999 ] || fail "a newer journal was modified"
[ ! -s "$tmp/runs/empty/run.db" ] || fail "an empty run.db was initialised by runs"
echo "store_cli: ok"
