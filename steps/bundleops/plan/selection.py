"""Which bundles a change selects, and why (or why not), in words a reviewer can check against the diff.

A bundle is selected by a changed file under its folder, or by one matching a `depends_on:` entry
of its bundleops.yml (Atlantis' `when_modified`). Some changes select every bundle: `--all`,
changes git cannot tell (see bundleops.plan.changes), the root bundleops.yml, bundleops' own
version pin. The first reason found is given, so a `why` always names one file or one rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bundleops.plan.changes import Changes
from bundleops.plan.globs import matches


@dataclass(frozen=True)
class Candidate:
    """A discovered bundle: its folder relative to the repository root and its `depends_on:` globs."""

    project_root: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    project_root: str
    selected: bool
    why: str


def select(candidates: Sequence[Candidate], changes: Changes, everything: str | None = None) -> list[Choice]:
    """One choice per candidate, in order; `everything` (a reason) or unknown changes select them all."""
    if everything is not None or changes.files is None:
        return [Choice(c.project_root, True, everything or changes.since) for c in candidates]
    files = changes.files
    return [_choose(candidate, files, changes.since) for candidate in candidates]


def is_under(path: str, folder: str) -> bool:
    return folder == "." or path == folder or path.startswith(folder + "/")


def _choose(candidate: Candidate, files: Sequence[str], since: str) -> Choice:
    inside = next((name for name in files if is_under(name, candidate.project_root)), None)
    if inside is not None:
        return Choice(candidate.project_root, True, f"changed {inside}")
    for pattern in candidate.depends_on:
        hit = next((name for name in files if matches(pattern, name)), None)
        if hit is not None:
            return Choice(candidate.project_root, True, f"changed {hit}, which its depends_on {pattern!r} names")
    declared = f" nor matches its depends_on ({', '.join(candidate.depends_on)})" if candidate.depends_on else ""
    return Choice(
        candidate.project_root, False, f"none of the {len(files)} files changed since {since} is under {candidate.project_root}/{declared}"
    )
