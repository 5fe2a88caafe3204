"""git as a subprocess for the plan: the plan layer reads history, it never writes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

_TIMEOUT_SECONDS = 60


def run_git(root: Path, *args: str) -> str | None:
    """git's output without the final newline, or None when git is missing, fails or hangs: the
    callers treat "git cannot say" as unknown changes, never as no changes."""
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.rstrip("\n") if result.returncode == 0 else None
