#!/usr/bin/env bash
# Wall time of `.ci/run` (set-up included) on a clean clone, as CI runs it: for each git ref given
# (default: HEAD), clone this repository into a fresh folder with ../shared beside it, run
# `.ci/run`, and print one row per ref with its wall time and its ratio to the first ref, so a
# change's effect is a number measured side by side with its baseline.
#
#   benchmarks/suite.sh                 # HEAD only
#   benchmarks/suite.sh 435d3cf HEAD    # a baseline and the change, one after the other
#
# The clones share nothing with the working tree (their own .venv and node_modules); the caches a
# fresh CI machine also lacks (pip, npm) are kept, as a rerun on one machine keeps them. Each run's
# whole output, with pytest's slowest tests and time per folder, is kept in $OUT_DIR (default
# benchmarks/out/). Needs git; a run takes 10-45 minutes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/../shared" && pwd)
out_dir=${OUT_DIR:-$repo/benchmarks/out}
mkdir -p "$out_dir"
[ $# -gt 0 ] || set -- HEAD

printf '| ref | commit | .ci/run wall (s) | exit | ratio to %s |\n|---|---|---|---|---|\n' "$1"
first=""
for ref in "$@"; do
  commit=$(git -C "$repo" rev-parse --short "$ref")
  work=$(mktemp -d)
  git clone --quiet --no-hardlinks "$repo" "$work/main"
  git -C "$work/main" checkout --quiet "$commit"
  ln -s "$shared" "$work/shared"
  status=0
  SECONDS=0
  (cd "$work/main" && .ci/run) >"$out_dir/suite-$commit.log" 2>&1 || status=$?
  seconds=$SECONDS
  [ -n "$first" ] || first=$seconds
  printf '| %s | %s | %d | %s | %s |\n' "$ref" "$commit" "$seconds" "$status" "$(python3 -c "print(f'{$seconds / max($first, 1):.2f}')")"
  rm -rf "$work"
done
