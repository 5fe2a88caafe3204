"""The plan of a repository: its bundles, the ones this run selects, and each selected one's plan.

A repository whose root is its one bundle is planned exactly as before discovery existed: the
bundle is planned on every run, no git history is read. Otherwise each bundle is planned with
its own bundleops.yml (the file its steps will read with `--project-root`), the CI context read
once and completed with that file's defaults.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundleops import config as project_config
from bundleops.config import CONFIG_FILE, ProjectConfig
from bundleops.errors import BundleopsError
from bundleops.context.detect import with_project_defaults
from bundleops.context.model import CIContext
from bundleops.plan.changes import Changes, changes_for
from bundleops.plan.discovery import discover
from bundleops.plan.planner import Plan, make_plan
from bundleops.plan.selection import Candidate, Choice, is_under, select
from bundleops.plan.version_pin import moved_pin

SINGLE = "the repository's one bundle, at its root: planned on every run"


def bundle_key(project_root: str) -> str:
    """A name every CI system accepts in job, artifact, matrix and folder names: the project root
    with each character other than a letter, digit, `_` or `-` made a hyphen (`bundles/orders`
    -> `bundles-orders`); the root bundle is `root`."""
    return "root" if project_root == "." else re.sub(r"[^A-Za-z0-9_-]", "-", project_root)


def matrix_leg(key: str) -> str:
    """The key as an Azure Pipelines matrix leg name, which may hold only letters, digits and `_`,
    must start with a letter and be at most 100 characters (`bundles-orders` -> `bundles_orders`)."""
    leg = re.sub(r"[^A-Za-z0-9_]", "_", key)
    leg = leg if leg[:1].isalpha() else f"b_{leg}"
    return leg if len(leg) <= 100 else f"{leg[:91]}_{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class BundlePlan:
    project_root: str
    plan: Plan
    why: str
    # The bundle's own bundleops.yml, as its steps will read it.
    config: ProjectConfig

    @property
    def key(self) -> str:
        return bundle_key(self.project_root)

    def to_dict(self) -> dict[str, Any]:
        return {"project_root": self.project_root, "key": self.key, **self.plan.to_dict(), "why": self.why}


@dataclass(frozen=True)
class RepositoryPlan:
    """`plan`: the repository's own (its root bundleops.yml), the keys a single-bundle pipeline reads.
    `changes` is None when nothing was compared (one bundle at the root, or none)."""

    plan: Plan
    bundles: list[BundlePlan]
    not_selected: list[Choice]
    changes: Changes | None

    def to_dict(self) -> dict[str, Any]:
        fields = {**self.plan.to_dict(), "bundles": [bundle.to_dict() for bundle in self.bundles]}
        if self.changes is None:
            return fields
        return {
            **fields,
            "not_selected": [{"project_root": c.project_root, "why": c.why} for c in self.not_selected],
            "changes": {
                "since": self.changes.since,
                "base": self.changes.base,
                "head": self.changes.head,
                "files": None if self.changes.files is None else len(self.changes.files),
                "warning": self.changes.warning,
            },
        }


def plan_repository(root: Path, root_config: ProjectConfig, observed: CIContext, *, select_all: bool = False) -> RepositoryPlan:
    plan = make_plan(with_project_defaults(observed, root_config), root_config)
    folders = discover(root, root_config)
    if folders in ([], ["."]):
        return RepositoryPlan(plan, [BundlePlan(".", plan, SINGLE, root_config)] if folders else [], [], None)
    configs = {folder: root_config if folder == "." else project_config.load(root / folder) for folder in folders}
    changes = Changes(None, "--all: every bundle, nothing compared") if select_all else changes_for(root, observed)
    candidates = [Candidate(folder, tuple(configs[folder].depends_on)) for folder in folders]
    choices = select(candidates, changes, _everything(root, changes, folders))
    bundles = [_bundle_plan(c, observed, configs[c.project_root]) for c in choices if c.selected]
    _check_keys(folders)
    return RepositoryPlan(plan, bundles, [c for c in choices if not c.selected], changes)


def _check_keys(folders: list[str]) -> None:
    """Two bundles may not share a key (`a/b` and `a-b`) or a matrix leg (`a-b` and `a_b`): their CI
    jobs and report folders would collide."""
    seen: dict[str, str] = {}
    for folder in folders:
        key = bundle_key(folder)
        for name in dict.fromkeys((key, matrix_leg(key))):
            if name in seen:
                raise BundleopsError(
                    f"the bundles {seen[name]} and {folder} would share the CI name {name!r} (their jobs and report folders would collide)",
                    fix="rename one of the two folders",
                )
            seen[name] = folder


def _bundle_plan(choice: Choice, observed: CIContext, config: ProjectConfig) -> BundlePlan:
    """The promotion rules of the bundle's own bundleops.yml, on the context completed with its defaults."""
    return BundlePlan(choice.project_root, make_plan(with_project_defaults(observed, config), config), choice.why, config)


def _everything(root: Path, changes: Changes, folders: list[str]) -> str | None:
    """Why this change selects every bundle, or None when each bundle is judged by its own files."""
    if changes.files is None or changes.base is None or changes.head is None:
        return None
    if CONFIG_FILE in changes.files:
        return f"changed {CONFIG_FILE} at the repository root, which configures every bundle"
    # A pin inside a bundle (its own requirements) is that bundle's change, judged with its files.
    outside = [name for name in changes.files if not any(is_under(name, folder) for folder in folders)]
    pinned = moved_pin(root, changes.base, changes.head, outside)
    if pinned is not None:
        return f"changed bundleops' version pin in {pinned}, which every bundle runs with"
    return None
