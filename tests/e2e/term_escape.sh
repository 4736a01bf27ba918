#!/usr/bin/env bash
# term_escape.sh - names from the task's files never reach the terminal raw:
# a CSV header holding ESC sequences is shown by `mlestar profile` with its
# control bytes as \xNN, and so is a file name a script read, in the verdict
# of `mlestar exec`.
set -euo pipefail
bin=${MLESTAR_BIN:?MLESTAR_BIN must point at the mlestar binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
task=$work/task
mkdir -p "$task/public"
printf 'Predict y.\n' > "$task/description.md"
printf 'id,x\033[2J\033]0;pwned\007,y\n1,2,3\n2,3,4\n' > "$task/public/train.csv"
printf 'id,x\033[2J\033]0;pwned\007\n3,2\n' > "$task/public/test.csv"
printf 'id,y\n3,0\n' > "$task/public/sample_submission.csv"
printf 'x\n' > "$task/public/notes"$'\033'"[31m.txt"
"$bin" profile "$task" > "$work/profile.txt"
if grep -q $'\033' "$work/profile.txt"; then echo "profile printed a raw ESC" >&2; exit 1; fi
grep -qF 'x\x1b[2J\x1b]0;pwned\x07' "$work/profile.txt"
cat > "$work/read.py" <<'PY'
import os
for name in os.listdir('input'):
    open('input/' + name).read()
PY
MLESTAR_EXEC_PYTHON=${MLESTAR_EXEC_PYTHON:-/usr/bin/python3} "$bin" exec "$task" "$work/read.py" > "$work/exec.txt"
if grep -q $'\033' "$work/exec.txt"; then echo "exec printed a raw ESC" >&2; exit 1; fi
grep -qF 'notes\x1b[31m.txt' "$work/exec.txt"
echo "term_escape: ok"
