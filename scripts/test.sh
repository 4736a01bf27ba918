#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds mlestar
# from scratch twice (a normal build and one with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs the ctest suite on both (see below).
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only tests with a ctest label (unit, e2e, fuzz, slurm)
# The slurm tests need the local single-node cluster: when run as root this
# script starts it (scripts/slurm-up.sh) and stops it at the end if it was
# not running before; where it cannot start, those tests skip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
build() {
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

build build
build build-asan -DMLESTAR_SANITIZE=ON

# the cluster, for the slurm label (ASan+UBSan build only, like e2e)
started_slurm=0
if [ "$(id -u)" -eq 0 ] && command -v srun >/dev/null 2>&1 &&
   ! sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
  if scripts/slurm-up.sh; then
    started_slurm=1
  else
    echo "== the local Slurm cluster did not start: the slurm tests will skip"
  fi
fi
stop_slurm() { if [ "$started_slurm" = 1 ]; then scripts/slurm-down.sh || true; fi; }
trap stop_slurm EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# Unit and fuzz-corpus tests run in both builds; the end-to-end tests (real
# agent runs, minutes each) run once, in the sanitizer build, so the
# orchestrator does its real work under ASan+UBSan. So do the slurm tests.
echo "== unit and fuzz-corpus tests, normal build"
(cd build && ctest --output-on-failure -j "$jobs" -LE 'e2e|slurm' "$@") || status=1
# every data layout end to end in the normal build too (the Python side is the same; the
# orchestrator is built without instrumentation, as users run it)
if [ $# -eq 0 ]; then
  echo "== data layouts end to end, normal build"
  (cd build && ctest --output-on-failure -R '^e2e_run_layouts$') || status=1
fi
echo "== all tests, ASan+UBSan build"
(cd build-asan && ctest --output-on-failure -j "$jobs" "$@") || status=1
exit $status
