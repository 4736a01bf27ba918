#!/usr/bin/env bash
# profile_bench.sh - speed and memory of `mlestar profile` against pandas.
#
# Generates a mixed-type CSV of at least 1 GB (bench/gen_profile_csv.py:
# integers, floats, categories, quoted free text with commas, quotes and
# newlines, timestamps, missing cells), then runs, one run each, on the same
# file:
#   mlestar profile --data-dir DIR --goal bench --json
#   pandas read_csv + describe(include="all") + nunique()
# under /usr/bin/time -v, and reports wall time and peak RSS of both. Fails
# (exit 1) unless mlestar is at least 20x faster and peaks at 64 MB or less.
# The generated file is deleted at the end. Not a test: run it by hand.
#
# Usage: bench/profile_bench.sh [SIZE_MB]   (default 1100)
# Env:   MLESTAR_BIN (default build/mlestar), BENCH_DIR (default a temp folder)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${MLESTAR_BIN:-$root/build/mlestar}
size_mb=${1:-1100}
py=/usr/bin/python3
[ -x "$bin" ] || { echo "profile_bench: no mlestar binary at $bin (build it, or set MLESTAR_BIN)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "profile_bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
"$py" -c 'import pandas' 2>/dev/null || { echo "profile_bench: $py has no pandas" >&2; exit 1; }

work=${BENCH_DIR:-$(mktemp -d /tmp/mlestar-bench-XXXXXX)}
mkdir -p "$work/data"
trap 'rm -rf "$work/data" "$work"/*.time "$work"/pandas_describe.py; rmdir "$work" 2>/dev/null || true' EXIT
csv=$work/data/train.csv

echo "generating $size_mb MB of CSV in $csv ..."
"$py" "$here/gen_profile_csv.py" "$csv" "$size_mb"
bytes=$(stat -c %s "$csv")
echo "file: $bytes bytes, $(wc -l <"$csv") lines"

cat >"$work/pandas_describe.py" <<'PYEOF'
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
described = df.describe(include="all")
distinct = df.nunique()
print(len(df), described.shape, int(distinct.sum()))
PYEOF

# warm the page cache so both tools read from memory
cat "$csv" >/dev/null

measure() { # NAME OUTFILE -- command...
  local name=$1 out=$2; shift 3
  /usr/bin/time -v "$@" >/dev/null 2>"$out" || { echo "$name failed:"; tail -20 "$out"; exit 1; }
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure mlestar "$work/mlestar.time" -- "$bin" profile --data-dir "$work/data" --goal bench --json
measure pandas "$work/pandas.time" -- "$py" "$work/pandas_describe.py" "$csv"

wall() { # /usr/bin/time's h:mm:ss or m:ss.ss -> seconds
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$1"
}
rss() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
m_wall=$(wall "$work/mlestar.time"); p_wall=$(wall "$work/pandas.time")
m_rss=$(rss "$work/mlestar.time"); p_rss=$(rss "$work/pandas.time")
cpu() { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$1"; }
m_cpu=$(cpu "$work/mlestar.time"); p_cpu=$(cpu "$work/pandas.time")

printf '%-8s %10s %12s %10s\n' tool "wall (s)" "peak RSS" "cpu (s)"
printf '%-8s %10.2f %9d MB %10.2f\n' mlestar "$m_wall" $((m_rss / 1024)) "$m_cpu"
printf '%-8s %10.2f %9d MB %10.2f\n' pandas "$p_wall" $((p_rss / 1024)) "$p_cpu"
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (2 cores: other work slows both tools)"
speedup=$(awk -v a="$p_wall" -v b="$m_wall" 'BEGIN {printf "%.1f", a / b}')
echo "speed-up: ${speedup}x on $((bytes / 1024 / 1024)) MB"
ok=1
awk -v s="$speedup" 'BEGIN {exit !(s >= 20)}' || { echo "FAIL: less than 20x faster"; ok=0; }
[ "$m_rss" -le $((64 * 1024)) ] || { echo "FAIL: peak RSS above 64 MB"; ok=0; }
[ "$ok" -eq 1 ] && echo "profile_bench: ok"
[ "$ok" -eq 1 ]
