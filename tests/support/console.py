"""Run the real `bundleops` console script in a clean environment, as a CI job would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Mapping, Sequence

BIN = Path(sys.executable).parent
# Variables a CI runner or a developer's shell may have set; a test decides its own CI context.
INHERITED = ("HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME", "PYENV_ROOT")


def clean_environment(extra: Mapping[str, str] | None = None, bin_dir: Path = BIN) -> dict[str, str]:
    """PATH with a virtualenv (by default this one) first, a few harmless basics, nothing CI-specific."""
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_bundleops(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 120,
                  stdout: int | IO[str] = subprocess.PIPE, bin_dir: Path = BIN) -> subprocess.CompletedProcess[str]:
    """`bundleops ARGS` from the virtualenv whose bin/ is `bin_dir` (by default the one running the
    tests); stdout is captured unless the test hands its own (e.g. a pipe it closed)."""
    return subprocess.run(
        [str(bin_dir / "bundleops"), *args],
        env=clean_environment(env, bin_dir),
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
