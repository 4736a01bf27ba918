#!/usr/bin/env bash
# The test command of the README: installs what is needed, builds mlestar
# from scratch twice (a normal build and one with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs the whole ctest suite on both.
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only tests with a ctest label (unit, e2e, fuzz)
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

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
echo "== tests, normal build"
(cd build && ctest --output-on-failure -j "$jobs" "$@") || status=1
echo "== tests, ASan+UBSan build"
(cd build-asan && ctest --output-on-failure -j "$jobs" "$@") || status=1
exit $status
