"""Which project files the sync skips: `.gitignore` rules at the bundle root, `sync.exclude`, `.git/`, `.databricks/`.

A minimal gitignore matcher (the real CLI reads every nested `.gitignore` too; this one reads
the root file only): `#` comments, `!` negation, a trailing `/` for folders only, a `/` inside
the pattern anchors it to the root, `*`, `?` and `**`. A path is skipped when it or one of its
folders matches, the last matching rule deciding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ALWAYS_SKIPPED = (".git/", ".databricks/")


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    negated: bool
    folders_only: bool


def _regex(pattern: str, anchored: bool) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out))


def parse(lines: list[str]) -> list[Rule]:
    rules = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        folders_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        rules.append(Rule(_regex(line.lstrip("/"), anchored), negated, folders_only))
    return rules


class Matcher:
    def __init__(self, root: Path, excludes: list[str], *, gitignore: bool = True) -> None:
        """`gitignore=False`: the `excludes` patterns alone (what wins over `sync.include`)."""
        ignore_file = root / ".gitignore"
        lines = ignore_file.read_text(encoding="utf-8").splitlines() if gitignore and ignore_file.is_file() else []
        self.rules = parse([*(ALWAYS_SKIPPED if gitignore else ()), *lines, *excludes])

    def _matches(self, relative: str, is_folder: bool) -> bool:
        skipped = False
        for rule in self.rules:
            if rule.folders_only and not is_folder:
                continue
            if rule.pattern.fullmatch(relative):
                skipped = not rule.negated
        return skipped

    def folder_skipped(self, relative: str) -> bool:
        """True when the folder `relative` (posix, from the root) or one of its parents is ignored."""
        parts = relative.split("/")
        return any(self._matches("/".join(parts[:depth]), True) for depth in range(1, len(parts) + 1))

    def skipped(self, relative: str) -> bool:
        """True when the file `relative` or one of its folders is ignored."""
        folder = relative.rpartition("/")[0]
        return (bool(folder) and self.folder_skipped(folder)) or self._matches(relative, False)
