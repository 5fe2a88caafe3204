"""`bundle.git`: where the bundle sits in its Git checkout, read as the real CLI reads it.

Real CLI: bundle/config/mutator/load_git_details.go. `actual_branch` is always the checked-out
branch; `branch`, `commit` and `origin_url` are filled only where the configuration left them
empty; `bundle_root_path` is the bundle's folder relative to the worktree root (`.` outside a
repository). Outside a repository, or with an unreadable `.git`, only `bundle_root_path` is set.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def details(root: Path) -> dict[str, str]:
    """What the checkout says: empty values are left out (the real CLI drops empty strings)."""
    worktree = _git(root, "rev-parse", "--show-toplevel")
    if not worktree:
        return {"bundle_root_path": "."}
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    found = {
        "actual_branch": branch,
        "commit": _git(root, "rev-parse", "--verify", "--quiet", "HEAD"),
        "origin_url": _git(root, "config", "--get", "remote.origin.url"),
        "bundle_root_path": Path(root).resolve().relative_to(Path(worktree).resolve()).as_posix(),
    }
    return {key: value for key, value in found.items() if value}


def apply(config: dict[str, Any], root: Path) -> None:
    """Fill `bundle.git` from the checkout, keeping what the configuration set."""
    configured = config["bundle"].get("git")
    git = dict(configured) if isinstance(configured, dict) else {}
    found = details(root)
    git["bundle_root_path"] = found["bundle_root_path"]
    if "actual_branch" in found:
        git["actual_branch"] = found["actual_branch"]
    for key, source in (("branch", "actual_branch"), ("commit", "commit"), ("origin_url", "origin_url")):
        if not git.get(key) and found.get(source):
            git[key] = found[source]
    config["bundle"]["git"] = git
