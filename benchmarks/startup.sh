#!/usr/bin/env bash
# Start-up cost of the light commands, side by side with a bare interpreter and with what
# importing databricks-sdk would cost. Rerun: benchmarks/startup.sh (needs hyperfine: scripts/setup --test).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
hyperfine --warmup 2 --runs "${RUNS:-15}" --export-markdown "${OUT:-/dev/stdout}" \
  -n 'python -c pass' "$OLDPWD/$py -c pass" \
  -n 'bundleops plan' "$OLDPWD/.venv/bin/bundleops plan" \
  -n 'bundleops context' "$OLDPWD/.venv/bin/bundleops context" \
  -n 'python -c "import databricks.sdk"' "$OLDPWD/$py -c 'import databricks.sdk'"
