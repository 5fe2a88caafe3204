"""The string values of a resolved configuration, each with its dotted path (list items as `[i]`)."""

from __future__ import annotations

from typing import Any, Iterator


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf: the rules look at values wherever the CLI put them, and name each by its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node
