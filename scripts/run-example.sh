#!/usr/bin/env bash
# The README's main job: installs what is needed, builds mlestar, and runs
# the agent with the offline builtin backend on the bundled example task
# (examples/breast-cancer, made from Debian's scikit-learn data). No API key.
# The paper's defaults (M=4 T=4 K=4 L=2 R=5) within an 8-minute budget.
# Extra arguments go to `mlestar run` and win (e.g. --time-limit 20m).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
[ -f examples/breast-cancer/public/train.csv ] || /usr/bin/python3 scripts/make-example-tasks.py examples
exec build/mlestar run examples/breast-cancer --provider builtin --time-limit 8m "$@"
