"""A developer's shell: branch and commit from git, the event is `manual`.

The plan never sends a local run beyond dev, and the prod guard refuses it: a laptop has no
approval, no audit trail and no clean checkout.
"""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

from bundleops.context.model import CIContext


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None


def from_git(cwd: Path) -> CIContext:
    branch = _git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd)
    try:
        author = getpass.getuser()
    except (KeyError, OSError):
        author = None
    return CIContext(vendor="local", event="manual", branch=branch, sha=_git(["rev-parse", "HEAD"], cwd), author=author)
