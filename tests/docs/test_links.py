"""Every relative link in the repository's Markdown points at a file that exists.

Docs are the first thing a project team reads; a dead link in a setup page is a support ticket.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SKIPPED_FOLDERS = {".venv", "node_modules", ".git", ".gitlab-ci-local"}


def markdown_files() -> list[Path]:
    return sorted(
        path for path in REPO_ROOT.rglob("*.md")
        if not SKIPPED_FOLDERS.intersection(path.relative_to(REPO_ROOT).parts) and "{{" not in str(path)
    )


def relative_targets(markdown: Path) -> list[str]:
    """Link targets that name a file of this repository (not a URL, not an in-page anchor)."""
    targets = []
    for target in LINK.findall(markdown.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


@pytest.mark.parametrize("markdown", markdown_files(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_relative_links_resolve(markdown: Path) -> None:
    missing = [target for target in relative_targets(markdown) if not (markdown.parent / target).exists()]
    assert not missing, f"{markdown.relative_to(REPO_ROOT)} links to missing files: {missing}"
