"""Which project file defines a configuration key, so a finding points where the fix goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT_FILE = "databricks.yml"


def _load(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


def _has(document: dict[str, Any], keys: list[str]) -> bool:
    node: Any = document
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def defining_file(project_root: Path, key: str) -> str:
    """The file (relative to the project) whose YAML holds `key` (dotted), databricks.yml when none does."""
    root = _load(project_root / ROOT_FILE)
    keys = key.split(".")
    candidates = [project_root / ROOT_FILE]
    for pattern in root.get("include") or []:
        candidates.extend(sorted(project_root.glob(str(pattern))))
    for candidate in candidates:
        if _has(_load(candidate), keys):
            return candidate.relative_to(project_root).as_posix()
    return ROOT_FILE
