"""`bundle.git`: where the bundle sits in its Git checkout, read as the real CLI reads it.

Real CLI: bundle/config/mutator/load_git_details.go. `actual_branch` is always the checked-out
branch; `branch`, `commit` and `origin_url` are filled only where the configuration left them
empty; `bundle_root_path` is the bundle's folder relative to the worktree root, the nearest
folder up with a `.git` (`.` outside a repository). Outside a repository, or with an unreadable
`.git`, only `bundle_root_path` is set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bundleops.localcli.diagnostics import Diagnostics


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def _dot_git_folder(root: Path) -> Path | None:
    """The nearest folder from the bundle root up that holds a `.git` (libs/folders FindDirWithLeaf)."""
    return next((folder for folder in (root.resolve(), *root.resolve().parents) if (folder / ".git").exists()), None)


def unreadable(root: Path) -> str | None:
    """Why the real CLI cannot read the checkout's `.git`, for a `.git` file without a `gitdir:`
    line (libs/git/worktree.go readGitDir); None when it can (or there is no checkout)."""
    folder = _dot_git_folder(root)
    if folder is None or not (folder / ".git").is_file():
        return None
    lines = (folder / ".git").read_text(encoding="utf-8", errors="replace").splitlines()
    named = [value.strip() for name, separator, value in (line.partition(": ") for line in lines) if separator and name == "gitdir"]
    if named and named[-1]:  # the last `gitdir:` line counts, as in readGitDir
        return None
    return f'expected "{folder / ".git"}" to contain a line with "gitdir: [...]"'


def details(root: Path) -> dict[str, str]:
    """What the checkout says: empty values are left out (the real CLI drops empty strings)."""
    worktree = _git(root, "rev-parse", "--show-toplevel")
    if not worktree:
        folder = _dot_git_folder(root)
        return {"bundle_root_path": Path(root).resolve().relative_to(folder).as_posix() if folder else "."}
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    found = {
        "actual_branch": branch,
        "commit": _git(root, "rev-parse", "--verify", "--quiet", "HEAD"),
        "origin_url": _git(root, "config", "--get", "remote.origin.url"),
        "bundle_root_path": Path(root).resolve().relative_to(Path(worktree).resolve()).as_posix(),
    }
    return {key: value for key, value in found.items() if value}


def apply(config: dict[str, Any], root: Path, diagnostics: Diagnostics) -> None:
    """Fill `bundle.git` from the checkout, keeping what the configuration set. An unreadable `.git`
    is the real CLI's `Warn:` line at once (its log.Warnf) and an error (its file set cannot read the
    checkout either; acceptance git-metadata, "a malformed .git", git-permerror)."""
    problem = unreadable(root)
    if problem:
        sys.stderr.write(f"Warn: failed to read .git: {problem}\n")
        diagnostics.error(problem)
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


def drop_empty(config: dict[str, Any]) -> None:
    """After references resolve: a `bundle.git` field that resolved to "" is left out, as the real
    CLI's typed configuration omits empty strings. So `branch: ${var.b}` with `b: ""` shows no
    branch; it is not filled from the checkout either, as that happened while it still held the
    reference (acceptance variables/git-branch, target prod)."""
    git = config["bundle"].get("git")
    if isinstance(git, dict):
        for key in [key for key, value in git.items() if value == ""]:
            del git[key]
