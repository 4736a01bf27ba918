#!/usr/bin/env bash
# exec_bench.sh - overhead of one sandboxed run over a bare `python3 -c pass`
# (target: under 20 ms) and the throughput of the pool on short scripts.
#
# Builds bench/exec_bench.c against the static libraries of a build folder
# (default: build/; set BUILD_DIR), e.g.
#   cmake -S . -B build && cmake --build build --target ms_exec
#   BUILD_DIR=build bench/exec_bench.sh [PYTHON] [RUNS] [POOL_JOBS] [SLOTS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$src/build}
if [ ! -f "$build/libms_exec.a" ]; then
  cmake --build "$build" --target ms_exec >/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=gnu17 -D_GNU_SOURCE -I"$src/src" -o "$out/exec_bench" "$here/exec_bench.c" \
  "$build/libms_exec.a" "$build/libms_task.a" "$build/libms_util.a" "$build/libms_assets.a" \
  -ljansson -linih -lseccomp -lpthread -lm
"$out/exec_bench" "${1:-/usr/bin/python3}" "${2:-30}" "${3:-40}" "${4:-$(nproc)}"
