#!/usr/bin/env bash
# The suite's scheduling of costly shared fixtures (tests/conftest.py, _SHARED_FIXTURE_GROUPS),
# side by side with pytest-xdist's plain `load`: the modules in those groups, run once each way,
# one after the other on this machine. Prints wall seconds and, where process accounting is
# available (root and the `acct` package: accton, dump-acct), the CPU seconds of every process
# that ended during the run, JVMs and the stand-in's forked workers included.
#
#   benchmarks/shared_fixtures.sh            # from the repository root, after scripts/setup --test
set -euo pipefail
cd "$(dirname "$0")/.."
modules=$(.venv/bin/python -c "from tests.conftest import _SHARED_FIXTURE_GROUPS as g; print(' '.join(sorted(g)))")
out=${OUT_DIR:-benchmarks/out}
mkdir -p "$out"

measure() {  # label, pytest options...
  local label=$1 accounting="" seconds status=0
  shift
  if command -v accton >/dev/null && command -v dump-acct >/dev/null && [ "$(id -u)" = 0 ]; then
    accounting=$(mktemp)
    accton "$accounting" >/dev/null
  fi
  SECONDS=0
  # shellcheck disable=SC2086 # the module paths are words
  .venv/bin/python -m pytest $modules -q -p no:cacheprovider "$@" >"$out/shared-fixtures-$label.log" 2>&1 || status=$?
  seconds=$SECONDS
  local cpu="n/a"
  if [ -n "$accounting" ]; then
    accton off >/dev/null
    cpu=$(dump-acct "$accounting" | awk -F'|' '{ticks += $3 + $4} END {printf "%.0f", ticks / 100}')
    rm -f "$accounting"
  fi
  printf '| %s | %d | %s | %d |\n' "$label" "$seconds" "$cpu" "$status"
}

printf '| scheduling | wall (s) | CPU (s) | exit |\n|---|---|---|---|\n'
measure "load (each worker makes each fixture it needs)" --dist load --maxschedchunk=2
measure "loadscope with the shared-fixture groups (the suite's)"
