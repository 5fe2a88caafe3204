"""Run the stand-in as CI would: the `databricks` shim in a subprocess with DATABRICKS_* env."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import standin


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The test process's environment without any DATABRICKS_*/BUNDLE_VAR_* leaking in, plus `extra`."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith(("DATABRICKS_", "BUNDLE_VAR_"))}
    return {**kept, **extra}


def databricks(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [standin.databricks(), *args],
        cwd=cwd, env=clean_env(env), capture_output=True, text=True, timeout=120, check=False,
    )
