#!/usr/bin/env bash
# Wall time of the example's integration-test run on local Spark (`bundleops test --local`: mock
# tables, pytest with coverage, clean-up, reports), side by side with the floor it cannot beat:
# starting and stopping a bare local SparkSession with the same settings. And the whole demo
# (both pipelines) for scale. Rerun: benchmarks/integration.sh (needs hyperfine: scripts/setup --test).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r steps/bundleops/shipped/examples/orders_pipeline "$work/project"
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "${OUT:-/dev/stdout}" \
  -n 'bare local SparkSession start + stop' \
  "$root/.venv/bin/python -c 'from pathlib import Path; from bundleops.testrunner.spark import local_session; local_session(Path(\"$work/warehouse\")).stop()'" \
  -n 'bundleops test --local (example)' \
  "$root/.venv/bin/bundleops test --local --project-root $work/project" \
  -n 'bundleops demo (both pipelines)' \
  "$root/.venv/bin/bundleops demo --output $work/demo"
