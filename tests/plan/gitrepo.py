"""Real git repositories for the plan's tests: a tmp folder, real commits, real `git clone --depth`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Mapping

IDENTITY = ("-c", "user.name=bundleops tests", "-c", "user.email=tests@bundleops.invalid", "-c", "commit.gpgsign=false")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *IDENTITY, *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def write(repo: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(repo: Path, files: Mapping[str, str], message: str = "change") -> str:
    """Write the files, commit everything, return the new commit's SHA."""
    write(repo, files)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return git(repo, "rev-parse", "HEAD")


def init(repo: Path, files: Mapping[str, str]) -> str:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    return commit(repo, files, "initial")


def bundle_file(name: str) -> str:
    return f"bundle:\n  name: {name}\ntargets:\n  dev: {{}}\n  staging: {{}}\n  prod: {{}}\n"
