"""Map a path recorded where the tests ran (a Databricks workspace, DBFS, a runner) to the repository.

Coverage measured inside the workspace names files like
`/Workspace/Users/dev@x.com/.bundle/orders_pipeline/staging/files/src/orders/load.py`.
SonarQube, GitLab and Azure only show coverage for paths that exist in the checkout, so each
recorded path becomes a path relative to the project root, or is dropped with a warning.

Two passes, both checked against the files that really are in the project:
1. the known deployment layouts (RULES): a bundle's synced `files/` folder (wherever a copy of
   it sits), a Databricks Repo, the local workspace's folder (`BUNDLEOPS_LOCAL_WORKSPACE_ROOT`);
   then paths already relative to, or inside, the project;
2. otherwise the longest trailing part of the path that names a project file, which covers
   DBFS copies (`/dbfs/...`, `dbfs:/...`), `/tmp/...` and `/local_disk0/...` checkouts, and
   bundles with a custom `workspace.root_path`; and for a relative path (a report relative to
   a source folder, `pkg/mod.py` for `src/pkg/mod.py`), the one project file ending with it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Mapping

from bundleops.mounts import WORKSPACE_ROOT_ENV

# Folders never part of the analysed sources: walking them would be slow and could match wrongly.
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".bundleops", ".databricks", ".tox", ".mypy_cache", ".pytest_cache"})


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]


RULES: tuple[Rule, ...] = (
    # `databricks bundle deploy` syncs to <root_path>/files; the default root_path is
    # /Workspace/Users/<user>/.bundle/<bundle>/<target> (or /Workspace/Shared/.bundle/...).
    # Matched anywhere in the path: copies of a deployed tree keep that layout (the local
    # workspace's folder, a DBFS or /tmp copy), and `.bundle/<b>/<t>/files/` is specific enough.
    Rule("bundle files", re.compile(r"^(?:.*/)?\.bundle/[^/]+/[^/]+/files/(?P<rel>.+)$")),
    # Databricks Repos: /Workspace/Repos/<user or folder>/<repo>/...
    Rule("Databricks Repo", re.compile(r"^/Workspace/Repos/[^/]+/[^/]+/(?P<rel>.+)$")),
)


def normalise(recorded: str) -> str:
    """One spelling per location: `dbfs:/x` is `/dbfs/x`, Windows separators become `/`."""
    path = recorded.replace("\\", "/")
    if path.startswith("dbfs:/"):
        path = "/dbfs/" + path[len("dbfs:/"):].lstrip("/")
    return path


def workspace_spellings(path: str) -> tuple[str, ...]:
    """Workspace paths are also written without `/Workspace` (`/Users/...`, `/Repos/...`)."""
    if path.startswith(("/Users/", "/Repos/", "/Shared/")):
        return (path, "/Workspace" + path)
    return (path,)


class Rerooter:
    """Re-roots recorded paths onto one project checkout."""

    def __init__(self, project_root: Path, environ: Mapping[str, str] | None = None) -> None:
        self.project_root = project_root.resolve()
        self.files = frozenset(project_files(self.project_root))
        self.by_name: dict[str, list[str]] = {}
        for rel in self.files:
            self.by_name.setdefault(PurePosixPath(rel).name, []).append(rel)
        environ = os.environ if environ is None else environ
        local_root = environ.get(WORKSPACE_ROOT_ENV)
        self.local_workspace_root = Path(local_root).resolve().as_posix() if local_root else None

    def reroot(self, recorded: str) -> str | None:
        """The project-relative POSIX path for a recorded path, or None when no project file matches."""
        path = normalise(recorded)
        if self.local_workspace_root and path.startswith(self.local_workspace_root + "/"):
            path = "/Workspace" + path[len(self.local_workspace_root):]
        for spelling in workspace_spellings(path):
            for rule in RULES:
                match = rule.pattern.match(spelling)
                if match and match.group("rel") in self.files:
                    return match.group("rel")
        if not path.startswith("/"):
            # Already relative (coverage's relative_files): relative to the project root.
            candidate = PurePosixPath(path).as_posix()
            if candidate in self.files:
                return candidate
        else:
            inside = self._inside_project(path)
            if inside:
                return inside
        return self._longest_suffix(path) or self._unique_completion(path)

    def _inside_project(self, path: str) -> str | None:
        root = self.project_root.as_posix()
        if path.startswith(root + "/"):
            rel = path[len(root) + 1:]
            return rel if rel in self.files else None
        return None

    def _longest_suffix(self, path: str) -> str | None:
        parts = [p for p in path.split("/") if p and p != "."]
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in self.files:
                return candidate
        return None

    def _unique_completion(self, path: str) -> str | None:
        """The one project file ending with a relative recorded path (a report relative to a source folder)."""
        if path.startswith("/"):
            return None
        tail = "/" + PurePosixPath(path).as_posix()
        matches = [f for f in self.by_name.get(PurePosixPath(path).name, ()) if f.endswith(tail)]
        return matches[0] if len(matches) == 1 else None


def project_files(root: Path) -> Iterable[str]:
    """Every file under the project root, as POSIX paths relative to it, skipping tool folders."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        rel_dir = Path(directory).relative_to(root).as_posix()
        for name in filenames:
            yield name if rel_dir == "." else f"{rel_dir}/{name}"
