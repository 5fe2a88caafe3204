"""The bundle's YAML files as the project wrote them: which files, which targets, where a key is written.

Read with PyYAML alone (no CLI, no SDK), so a step can check its target before it starts the
CLI, and a policy finding can point at the file and line to change. The CLI stays the judge
of what the bundle means; this module only reads what is written, and gives up quietly (None)
on a file it cannot parse, because the CLI reports that better.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml

# The root file names the CLI looks for, in its order.
ROOT_FILE_NAMES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")
# The target a bundle without `targets` is deployed to.
IMPLICIT_TARGET = "default"
_KEY_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


@dataclass(frozen=True)
class Written:
    """Where a key is written: a project-relative file, a 1-based line, and the text of its value
    when that is a scalar (None for a mapping or a list)."""

    file: str
    line: int
    text: str | None = None


@dataclass(frozen=True)
class BundleFiles:
    """The root file and its includes, in the CLI's order, each as a YAML node tree (lines kept)."""

    root_file: str
    documents: tuple[tuple[str, yaml.MappingNode], ...]

    @classmethod
    def read(cls, project_root: Path) -> BundleFiles | None:
        """The project's bundle files, or None without a root file or when the root file does not parse."""
        root_file = next((name for name in ROOT_FILE_NAMES if (project_root / name).is_file()), None)
        root = _compose(project_root / root_file) if root_file else None
        if root_file is None or root is None:
            return None
        documents = [(root_file, root)]
        for relative in _included(project_root, _child(root, "include")):
            node = _compose(project_root / relative)
            if node is not None and relative != root_file:
                documents.append((relative, node))
        return cls(root_file, tuple(documents))

    def target_names(self) -> list[str]:
        """The targets the bundle defines, in the order written; `default` when it defines none."""
        names: list[str] = []
        for _, document in self.documents:
            targets = _child(document, "targets")
            if isinstance(targets, yaml.MappingNode):
                names += [key.value for key, _ in targets.value if key.value not in names]
        return names or [IMPLICIT_TARGET]

    def find(self, key: str) -> Written | None:
        """Where the dotted `key` (list items as `[i]`) is written: the first file that writes it."""
        return self._find(_KEY_PART.findall(key))

    def nearest(self, key: str) -> Written | None:
        """Where `key` is written or, when it is not, its closest written parent (a derived or default value)."""
        parts = _KEY_PART.findall(key)
        return next((found for length in range(len(parts), 0, -1) if (found := self._find(parts[:length]))), None)

    def _find(self, parts: list[str]) -> Written | None:
        for file, document in self.documents:
            written = _descend(document, parts)
            if written is not None:
                position, value = written
                return Written(file, position.start_mark.line + 1, str(value.value) if isinstance(value, yaml.ScalarNode) else None)
        return None


def _compose(path: Path) -> yaml.MappingNode | None:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return node if isinstance(node, yaml.MappingNode) else None


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    """The value node of `name` in a mapping node."""
    for key, value in _pairs(node):
        if key.value == name:
            return value
    return None


def _pairs(node: yaml.Node | None) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        yield from node.value


def _descend(node: yaml.Node, parts: list[str]) -> tuple[yaml.Node, yaml.Node] | None:
    """The node that writes the last part (a mapping key, or a list item) and its value."""
    found: yaml.Node | None = None
    for part in parts:
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
                return None
            node = found = node.value[index]
            continue
        pair = next(((key, value) for key, value in _pairs(node) if key.value == part), None)
        if pair is None:
            return None
        found, node = pair
    return (found, node) if found is not None else None


def _included(project_root: Path, patterns: yaml.Node | None) -> list[str]:
    """The files the `include` globs name, relative to the project, as the CLI expands them."""
    if not isinstance(patterns, yaml.SequenceNode):
        return []
    files: list[str] = []
    for pattern in patterns.value:
        if isinstance(pattern, yaml.ScalarNode):
            for match in sorted(glob.glob(str(pattern.value), root_dir=project_root, recursive=True)):
                relative = Path(match).as_posix()
                if relative.endswith((".yml", ".yaml")) and relative not in files:
                    files.append(relative)
    return files
