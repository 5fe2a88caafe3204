"""Resolve `${...}` references across the configuration, as the real CLI does.

`${var.x}` is short for `${variables.x.value}`; every other reference is a path in the resolved
tree (`${bundle.target}`, `${workspace.file_path}`, `${workspace.current_user.short_name}`,
`${resources.jobs.a.name}`). `${resources.<type>.<key>.id}` only exists after a deploy, so it
stays as written until deploy passes the ids in. A string that is exactly one reference takes
the referenced value with its type (a complex variable stays a map); inside a longer string the
value is written as text.

Like the real CLI (bundle/config/mutator/resolve_variable_references.go, libs/dyn/dynvar), each
round looks references up in the configuration as it was when the round began, and a looked-up
string that holds references is resolved within the round; a looked-up map or list is put in
as it is, references and all, for the next round. After 11 rounds that all changed something,
resolution stops with the real CLI's warning (see `growing_references` for loops through maps).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from bundleops.localcli import suggest
from bundleops.localcli.diagnostics import Diagnostics

# A path segment as the real CLI's dynvar.BaseVarDef (`\p{L}+([-_]*[\p{L}\p{N}]+)*`): Unicode letters
# first (`${var.变量}`), then letters and digits, `-` and `_` only between them; written without
# nested quantifiers that could backtrack. An index follows a segment after the first.
_SEGMENT = r"[^\W\d_][^\W_]*(?:[-_]+[^\W_]+)*"
_INDEX = r"\[[0-9]+\]"
REFERENCE = re.compile(rf"\$\{{({_SEGMENT}(?:\.{_SEGMENT}(?:{_INDEX})*)*(?:{_INDEX})*)\}}")
MAX_ROUNDS = 11  # the real CLI's maxResolutionRounds
TOO_DEEP = "Variables references are too deep, stopping resolution after {rounds} rounds. Unresolved variables may remain."
_MISSING = object()


def _path_of(reference: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[[0-9]+\]", reference):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    if parts and parts[0] == "var":
        parts = ["variables", parts[1], "value", *parts[2:]] if len(parts) > 1 else parts
    return parts


def is_resource_id(reference: str) -> bool:
    parts = _path_of(reference)
    return len(parts) == 4 and parts[0] == "resources" and parts[3] == "id"


def _lookup(tree: Any, parts: list[str | int]) -> Any:
    node = tree
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


class _Resolver:
    def __init__(self, tree: dict[str, Any], resource_ids: Mapping[str, str], diagnostics: Diagnostics, left_out: set[str]) -> None:
        self.tree = tree
        self.left_out = left_out  # references left as written (growing_references)
        self.snapshot = tree  # the configuration as the current round began (see `round`)
        self.resource_ids = resource_ids
        self.diagnostics = diagnostics
        self.reported: set[str] = set()
        self.changed = False

    def _value(self, reference: str, where: str) -> Any:
        if reference in self.left_out:
            return _MISSING
        parts = _path_of(reference)
        if is_resource_id(reference) and _lookup(self.snapshot, parts[:3]) is not _MISSING:
            return self.resource_ids.get(reference, _MISSING)
        value = _lookup(self.snapshot, parts)
        if value is _MISSING and not (parts and parts[0] == "variables" and _lookup(self.snapshot, parts[:2]) is not _MISSING):
            if reference not in self.reported:
                self.reported.add(reference)
                options = suggest.suggestions(self.snapshot, parts, reference)
                self.diagnostics.error(f"reference does not exist: ${{{reference}}}", detail=suggest.detail(options))
        if isinstance(value, str) and REFERENCE.search(value):
            return self.string(value, where)  # a chain of strings resolves within the round (no loop: find_cycle)
        return value if value is _MISSING else copy.deepcopy(value)

    def string(self, text: str, where: str) -> Any:
        whole = REFERENCE.fullmatch(text)
        if whole:
            value = self._value(whole.group(1), where)
            if value is _MISSING:
                return text
            self.changed = True
            return value

        def substitute(match: re.Match[str]) -> str:
            value = self._value(match.group(1), where)
            if value is _MISSING:
                return match.group(0)
            rendered = _as_text(value)
            if rendered is None:
                self.diagnostics.error(f"cannot interpolate non-string value: ${{{match.group(1)}}}", path=where)
                return match.group(0)
            self.changed = True
            return rendered

        return REFERENCE.sub(substitute, text)

    def walk(self, node: Any, where: str) -> Any:
        if isinstance(node, dict):
            for key in list(node):
                node[key] = self.walk(node[key], f"{where}.{key}" if where else str(key))
            return node
        if isinstance(node, list):
            return [self.walk(item, f"{where}[{number}]") for number, item in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return self.string(node, where)
        return node

    def round(self, section: str | None = None) -> bool:
        """One round over the whole tree (or one section of it); whether any reference was replaced."""
        self.changed = False
        self.snapshot = copy.deepcopy(self.tree)
        if section is None:
            self.walk(self.tree, "")
        else:
            self.tree[section] = self.walk(self.tree[section], section)
        return self.changed


def _strings_with_references(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings_with_references(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for number, item in enumerate(node):
            yield from _strings_with_references(item, f"{where}[{number}]")
    elif isinstance(node, str) and REFERENCE.search(node):
        yield where, node


def _follow(tree: dict[str, Any], references: list[str], seen: list[str], acyclic: set[str], complex_values: bool) -> list[str] | None:
    """The chain from `seen` through `references` back to a reference already in it, if any;
    through looked-up maps and lists too when `complex_values`."""
    for reference in references:
        if reference in seen:
            return [*seen, reference]
        if reference in acyclic or is_resource_id(reference):
            continue
        value = _lookup(tree, _path_of(reference))
        if isinstance(value, str) or (complex_values and isinstance(value, (dict, list))):
            chain = _follow(tree, sorted(references_in(value)), [*seen, reference], acyclic, complex_values)
            if chain:
                return chain
        acyclic.add(reference)
    return None


def _cycle(tree: dict[str, Any], complex_values: bool, left_out: set[str]) -> list[str] | None:
    acyclic = set(left_out)
    fields = sorted(_strings_with_references(tree, ""), key=lambda item: (not item[0].startswith("variables."), item[0]))
    for where, text in fields:
        chain = _follow(tree, [found for found in REFERENCE.findall(text) if found not in left_out], [where], acyclic, complex_values)
        if chain:
            return chain
    return None


def find_cycle(tree: dict[str, Any]) -> str | None:
    """`variables.a.default -> var.b -> var.a -> var.b`, as the real CLI words a reference loop.

    Like the real CLI (libs/dyn/dynvar), it starts from each field that holds a reference (variables
    first, then in path order) and follows references depth first, so the first loop found, and
    so the message, is the same on every run. As dynvar, only a looked-up string is followed: a
    loop through a complex variable is no error (see `growing_references`).
    """
    chain = _cycle(tree, False, set())
    return " -> ".join(chain) if chain else None


def growing_references(tree: dict[str, Any]) -> set[str]:
    """The references of loops that pass through a map or list (`a: {hello: ${var.b}}`, `b: {hello:
    ${var.a}}`; acceptance variables/complex-cycle). The real CLI puts the looked-up map in each
    round, so the value doubles its depth every round until its 11 rounds run out and it warns
    (its resolve_variable_references.go: "output and time grow exponentially"). The stand-in
    leaves these references as written and gives the same warning."""
    growing: set[str] = set()
    while chain := _cycle(tree, True, growing):
        growing.update(chain[1:])
    return growing


def resolve(tree: dict[str, Any], diagnostics: Diagnostics, resource_ids: Mapping[str, str] | None = None) -> None:
    """Replace references in place, round after round, until a round changes nothing; a loop of
    string references is the real CLI's error and leaves the references as written."""
    cycle = find_cycle(tree)
    if cycle:
        diagnostics.error(f"cycle detected in field resolution: {cycle}")
        return
    resolver = _Resolver(tree, resource_ids or {}, diagnostics, growing_references(tree))
    errors = diagnostics.count("error")
    settled = any(not resolver.round() or diagnostics.count("error") > errors for _ in range(MAX_ROUNDS))
    if resolver.left_out or not settled:
        diagnostics.warning(TOO_DEEP.format(rounds=MAX_ROUNDS))


def resolve_section(tree: dict[str, Any], section: str) -> None:
    """Resolve references inside one top-level section ahead of the rest, as the real CLI resolves
    every section but `resources` first (bundle/phases/initialize.go): `presets` before they are
    checked and applied (`trigger_pause_status: ${var.x}` is checked as its value), `variables`
    before Python code reads their values. A reference that cannot be resolved yet stays as
    written for `resolve` to report once."""
    if not isinstance(tree.get(section), dict) or find_cycle(tree):
        return
    resolver = _Resolver(tree, {}, Diagnostics(), growing_references(tree))
    for _ in range(MAX_ROUNDS):
        if not resolver.round(section):
            return


def references_in(node: Any) -> set[str]:
    """Every reference left in `node` (used to order job creation by `${resources.jobs.x.id}`)."""
    if isinstance(node, dict):
        return set().union(*(references_in(value) for value in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(references_in(value) for value in node)) if node else set()
    if isinstance(node, str):
        return set(REFERENCE.findall(node))
    return set()
