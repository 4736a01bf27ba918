#!/usr/bin/env bash
# Installs, with apt-get, everything mlestar's build, its tests and the
# Python solutions it generates need. Idempotent: packages already present
# are skipped, and apt-get update runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev libssl-dev libjansson-dev libsqlite3-dev libinih-dev libcmocka-dev libseccomp-dev libarchive-dev
  sqlite3
  clang libclang-rt-14-dev
  python3 python3-numpy python3-pandas python3-sklearn python3-scipy python3-xgboost
  python3-pil
  # an optimised BLAS for numpy, scipy, sklearn and torch: Debian's default libblas3 is the
  # reference implementation, about 25 times slower on a matrix product
  libopenblas0-pthread
  # the slurm backend's tests run a real single-node cluster (scripts/slurm-up.sh);
  # small (about 14 MB installed), so always
  slurm-wlm munge
)
# PyTorch and torchvision for the solutions (the builtin planner's small CNN for image tasks, torch_mlp,
# models written by an LLM): installed where Debian has them (apt-cache policy shows a candidate), about
# 170 packages and 30 s on a Debian mirror. MLESTAR_WITH_TORCH=0 leaves them out; without them
# everything works: the offline planner uses pixel features (PIL, or a zlib PNG decoder) instead and
# says so in its scripts' output.
if [ "${MLESTAR_WITH_TORCH:-1}" = 1 ]; then
  for p in python3-torch python3-torchvision; do
    # (the policy is read whole first: with pipefail, grep -q closing the pipe early would make
    # apt-cache's SIGPIPE fail the test even when a candidate exists)
    policy=$(apt-cache policy "$p" 2>/dev/null || true)
    if grep -q 'Candidate: [0-9]' <<<"$policy"; then
      PACKAGES+=("$p")
    else
      echo "install-deps: $p is not available from this system's apt sources; continuing without it" >&2
    fi
  done
fi
# Headless Chromium for the report's browser test (large: opt-in; .ci/run sets it)
if [ "${MLESTAR_WITH_BROWSER:-0}" = 1 ]; then
  PACKAGES+=(chromium)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
