"""An executable `databricks` that runs this stand-in with the current Python interpreter.

Tests and `bundleops demo` put its folder first on PATH so `bundleops validate|deploy|test` find
a `databricks` CLI exactly as they would on a CI runner.
"""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path


def write_shim(directory: Path) -> Path:
    """Write `<directory>/databricks` (a POSIX shell script) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "databricks"
    path.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m bundleops.localcli "$@"\n', encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path
