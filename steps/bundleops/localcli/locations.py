"""Where each configuration value was written, for the `in <file>:<line>:<column>` line of a diagnostic.

The real CLI keeps a location on every value it loads and prints the one of the value a
diagnostic is about (a map's location is that of its first key; an empty value's is just after
its key's colon). The stand-in's configuration is plain dicts, so the locations live beside it,
by configuration path (`resources.jobs.x.tasks[0].run_if`), read from the YAML node tree of each
loaded file. A value a target overrides is found under `targets.<target>.` first, as the
override is the value the real CLI keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


def _mark(relative: str, node: yaml.Node) -> str:
    return f"{relative}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


@dataclass
class Locations:
    """Value and key locations by configuration path; the first file to write a path wins."""

    target: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def add_node(self, node: yaml.Node, relative: str) -> None:
        """Record the locations of one YAML file's node tree, as composed (named as the CLI names
        the file, relative to the root)."""
        self._walk(node, "", relative, set())

    def update(self, other: Locations) -> None:
        """Add another file's locations; a path already known keeps its first location."""
        for path, location in other.values.items():
            self.values.setdefault(path, location)
        for path, location in other.keys.items():
            self.keys.setdefault(path, location)

    def _walk(self, node: yaml.Node, path: str, relative: str, seen: set[int]) -> None:
        # An aliased node is walked once: a YAML alias bomb must not make this step explode.
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else str(key.value)
                self.keys.setdefault(child, _mark(relative, key))
                self.values.setdefault(child, _mark(relative, value))
                self._walk(value, child, relative, seen)
        elif isinstance(node, yaml.SequenceNode):
            for number, item in enumerate(node.value):
                child = f"{path}[{number}]"
                self.values.setdefault(child, _mark(relative, item))
                self._walk(item, child, relative, seen)

    def _find(self, table: dict[str, str], path: str) -> str:
        if self.target is not None and not path.startswith("targets."):
            overridden = table.get(f"targets.{self.target}.{path}")
            if overridden:
                return overridden
        return table.get(path, "")

    def value(self, path: str) -> str:
        """`file:line:column` of the value at `path`, or "" when no file wrote it."""
        return self._find(self.values, path)

    def key(self, path: str) -> str:
        """`file:line:column` of the key that names `path` (where the real CLI puts an unknown field)."""
        return self._find(self.keys, path)
