# lib.sh - sourced by the tests of the slurm backend (tests/slurm/*.sh).
#
# slurm_require: makes sure the single-node cluster of scripts/slurm-up.sh
# answers (starting it when run as root; it is idempotent), or skips the
# test with exit code 77 and a message saying why. scripts/test.sh starts
# the cluster before the suite and stops it after.
# slurm_jobs_of WORD: ids of mlestar's jobs in squeue whose name holds WORD
# (job names end with the attempt folder's last path components, so the
# name of a test's temporary folder tells its jobs from other tests').

slurm_require() {
  local src=${MLESTAR_SOURCE_DIR:?}
  export PATH=$PATH:/usr/sbin
  if ! command -v srun >/dev/null 2>&1; then
    echo "SKIP: Slurm's tools are not installed (scripts/install-deps.sh installs slurm-wlm and munge)"
    exit 77
  fi
  if ! sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
    if [ "$(id -u)" -ne 0 ] || ! "$src/scripts/slurm-up.sh" >/tmp/mlestar-slurm-up.$$ 2>&1; then
      echo "SKIP: the local Slurm cluster cannot start here: $(tail -n 3 /tmp/mlestar-slurm-up.$$ 2>/dev/null)"
      rm -f /tmp/mlestar-slurm-up.$$
      exit 77
    fi
    rm -f /tmp/mlestar-slurm-up.$$
  fi
}

slurm_jobs_of() {
  squeue -h -o '%i %j' | awk -v w="$1" 'index($2, "mlestar:") == 1 && index($2, w) {print $1}' | tr '\n' ' '
}
