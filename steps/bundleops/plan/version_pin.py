"""Did this change move bundleops' own version? Then every bundle runs with the new release.

The pin lives where scripts/release moves it in a project: the CI file's reference to the
templates (GitHub `uses: …/bundleops/…@vX`, GitLab `include: … ref: vX`, Azure
`ref: refs/tags/vX`, Jenkins `@Library('bundleops@vX')`, Bitbucket `bundleops:vX:`) and the pip
pin (`bundleops==X`). Only added or removed lines of those files are read, so editing another
job of the CI file selects nothing by itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from bundleops.plan.git import run_git
from bundleops.plan.globs import matches

# The CI files and the Python requirements of the repository (the caller leaves out files inside a bundle).
PIN_FILES = (
    ".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "**/*.gitlab-ci.yml", "**/azure-pipelines*.yml",
    "**/Jenkinsfile*", "bitbucket-pipelines.yml", "**/requirements*.txt", "**/constraints*.txt", "pyproject.toml",
)
_VERSION = r"v?\d+(?:\.\d+)*"
PIN_LINE = re.compile(
    "|".join((
        rf"\bbundleops(?:\[[\w,\s-]+\])?\s*(?:===?|~=|>=|<=|!=)",  # pip
        rf"[\w.-]+/bundleops/[^@\s]*@{_VERSION}",  # GitHub uses:
        rf"^\s*(?:-\s*)?ref:\s*['\"]?(?:refs/tags/)?{_VERSION}['\"]?\s*$",  # GitLab include, Azure repositories
        rf"@Library\(\s*['\"]bundleops@",  # Jenkins
        rf"\bbundleops:{_VERSION}:",  # Bitbucket imports
    ))
)


def pin_files(files: Iterable[str]) -> list[str]:
    return [name for name in files if any(matches(pattern, name) for pattern in PIN_FILES)]


def moved_pin(root: Path, base: str, head: str, files: Iterable[str]) -> str | None:
    """The first changed file whose added or removed lines pin bundleops, or None."""
    candidates = pin_files(files)
    if not candidates:
        return None
    diff = run_git(root, "diff", "-U0", "--no-color", "--no-renames", "--relative", base, head, "--", *candidates) or ""
    current = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else current
        elif line.startswith("--- "):
            current = line[6:] if line.startswith("--- a/") else current
        elif line[:1] in ("+", "-") and current and PIN_LINE.search(line[1:]):
            return current
    return None
