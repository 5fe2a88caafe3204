"""A scratch copy of this repository: what a release would commit, in a git tree of its own.

The release command edits files and refuses a dirty tree, so its tests run it on a copy, never on
the working tree. The copy holds what git tracks or would track (untracked files that are not
ignored), so a test sees the working tree's changes before they are committed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RELEASE = Path("scripts") / "release"
GIT_IDENTITY = ["-c", "user.name=bundleops tests", "-c", "user.email=tests@bundleops.invalid"]


def repository_files(root: Path = REPO_ROOT) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root, capture_output=True, text=True, check=True
    )
    return sorted(name for name in listed.stdout.split("\0") if name and (root / name).is_file())


def copy_repository(destination: Path) -> Path:
    """The repository's files under `destination`, committed in a fresh git repository (a clean tree)."""
    for name in repository_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    git(destination, "init", "--quiet")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "scratch copy")
    return destination


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_IDENTITY, *args], cwd=root, capture_output=True, text=True, check=True).stdout


def release(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`scripts/release ARGS` of the copy at `root`, run as a user runs it (its own interpreter line)."""
    return subprocess.run([str(root / RELEASE), *args], cwd=root, capture_output=True, text=True, timeout=120)
