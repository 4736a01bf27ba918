#!/usr/bin/env bash
# profile_bench.sh - speed and memory of `mlestar profile` against pandas.
#
# Generates a mixed-type CSV of at least 1 GB (bench/gen_profile_csv.py:
# integers, floats, categories, quoted free text with commas, quotes and
# newlines, timestamps, missing cells), then runs, on the same file, RUNS
# times each and alternating (so that a busy spell of a shared machine hits
# both tools alike):
#   mlestar profile --data-dir DIR --goal bench --json
#   pandas read_csv + describe(include="all") + nunique()
# under /usr/bin/time -v, and reports every run and the medians of wall
# time, CPU time and peak RSS. Checks that both counted the same rows. Fails
# (exit 1) unless mlestar's median wall time is at least 20x below pandas'
# and its peak RSS is at most 64 MB in every run. The generated file is
# deleted at the end. Not a test: run it by hand, on an otherwise idle
# machine.
#
# Usage: bench/profile_bench.sh [SIZE_MB]   (default 1100)
# Env:   MLESTAR_BIN (default build/mlestar), BENCH_DIR (default a temp folder),
#        RUNS (default 3)
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
trap 'rm -rf "$work/data" "$work"/*.time "$work"/*.time.stdout "$work"/pandas_describe.py; rmdir "$work" 2>/dev/null || true' EXIT
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

runs=${RUNS:-3}
wall() { # /usr/bin/time's h:mm:ss or m:ss.ss -> seconds
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$1"
}
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%d", $2 / 1024}' "$1"; }
cpu() { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$1"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
measure() { # NAME OUTFILE -- command...
  local name=$1 out=$2; shift 3
  /usr/bin/time -v "$@" >"$out.stdout" 2>"$out" || { echo "$name failed:"; tail -20 "$out"; exit 1; }
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%-8s %4s %10s %10s %10s\n' tool run "wall (s)" "cpu (s)" "peak RSS"
for i in $(seq "$runs"); do
  measure mlestar "$work/m$i.time" -- "$bin" profile --data-dir "$work/data" --goal bench --json
  measure pandas "$work/p$i.time" -- "$py" "$work/pandas_describe.py" "$csv"
  for tool in m p; do
    name=$([ $tool = m ] && echo mlestar || echo pandas)
    printf '%-8s %4d %10.2f %10.2f %7d MB\n' "$name" "$i" "$(wall "$work/$tool$i.time")" \
      "$(cpu "$work/$tool$i.time")" "$(rss_mb "$work/$tool$i.time")"
  done
done
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (2 cores: other work slows both tools)"

m_rows=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["rows"])' "$work/m1.time.stdout")
p_rows=$(cut -d' ' -f1 "$work/p1.time.stdout")
[ "$m_rows" = "$p_rows" ] || { echo "FAIL: mlestar counted $m_rows rows, pandas $p_rows"; exit 1; }

m_wall=$(for i in $(seq "$runs"); do wall "$work/m$i.time"; done | median)
p_wall=$(for i in $(seq "$runs"); do wall "$work/p$i.time"; done | median)
m_cpu=$(for i in $(seq "$runs"); do cpu "$work/m$i.time"; done | median)
p_cpu=$(for i in $(seq "$runs"); do cpu "$work/p$i.time"; done | median)
m_rss=$(for i in $(seq "$runs"); do rss_mb "$work/m$i.time"; echo; done | sort -n | tail -1)
p_rss=$(for i in $(seq "$runs"); do rss_mb "$work/p$i.time"; echo; done | median)
printf 'median   %10.2f %10.2f (mlestar: %s rows; peak RSS max %d MB)\n' "$m_wall" "$m_cpu" "$m_rows" "$m_rss"
printf 'median   %10.2f %10.2f (pandas: %s rows; peak RSS median %d MB)\n' "$p_wall" "$p_cpu" "$p_rows" "$p_rss"
speedup=$(awk -v a="$p_wall" -v b="$m_wall" 'BEGIN {printf "%.1f", a / b}')
echo "speed-up: ${speedup}x in median wall time ($(awk -v a="$p_cpu" -v b="$m_cpu" 'BEGIN {printf "%.1f", a / b}')x in CPU time) on $((bytes / 1024 / 1024)) MB"
ok=1
awk -v s="$speedup" 'BEGIN {exit !(s >= 20)}' || { echo "FAIL: less than 20x faster"; ok=0; }
[ "$m_rss" -le 64 ] || { echo "FAIL: peak RSS above 64 MB"; ok=0; }
[ "$ok" -eq 1 ] && echo "profile_bench: ok"
[ "$ok" -eq 1 ]
