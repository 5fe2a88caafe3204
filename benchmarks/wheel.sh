#!/usr/bin/env bash
# Wall time of tests/wheel: build the wheel once, install it into clean virtualenvs (Python 3.10
# and 3.12 without extras, 3.12 with [local]) and run every command from their console scripts,
# the demo included; pytest's --durations shows where the time goes (installs, demo, staging flow).
# Rerun: benchmarks/wheel.sh (needs hyperfine and pyenv's 3.10 and 3.12: scripts/setup --test).
set -euo pipefail
cd "$(dirname "$0")/.."
hyperfine --runs "${RUNS:-1}" --show-output --export-markdown "${OUT:-/dev/stdout}" \
  -n 'pytest tests/wheel' \
  ".venv/bin/python -m pytest tests/wheel -q -p no:cacheprovider --durations=12"
