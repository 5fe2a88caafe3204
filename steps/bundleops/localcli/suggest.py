"""The real CLI's `did you mean` for a reference to nothing (libs/dyn/suggest.go and visit.go).

The lookup stops at the first key a map lacks; the keys of that map within edit distance 2 of
it, nearest first, are offered as whole references with that one key replaced
(`${var.hst}` -> `${var.host}`).
"""

from __future__ import annotations

from typing import Any

MAX_DISTANCE = 2


def distance(first: str, second: str) -> int:
    """Levenshtein edit distance."""
    previous = list(range(len(second) + 1))
    for row, left in enumerate(first, start=1):
        current = [row]
        for column, right in enumerate(second, start=1):
            current.append(min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (left != right)))
        previous = current
    return previous[-1]


def _failed_key(tree: Any, parts: list[str | int]) -> tuple[str, list[str]] | None:
    """The first missing key along `parts` and the keys of the map that lacks it."""
    node = tree
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node:
                return part, [str(key) for key in node]
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return None


def suggestions(tree: Any, parts: list[str | int], reference: str) -> list[str]:
    """References to offer instead of `reference` (whose resolved path is `parts`)."""
    failed = _failed_key(tree, parts)
    if failed is None:
        return []
    key, siblings = failed
    near = sorted((distance(key, sibling), number, sibling) for number, sibling in enumerate(siblings))
    pieces = reference.split(".")
    return [".".join(sibling if piece == key else piece for piece in pieces) for gap, _, sibling in near if gap <= MAX_DISTANCE]


def detail(options: list[str]) -> str:
    """The diagnostic's detail below `reference does not exist: ...`, empty without options."""
    if not options:
        return ""
    header = "did you mean:" if len(options) == 1 else "did you mean one of:"
    return "\n".join([header, *(f"  ${{{option}}}" for option in options)])
