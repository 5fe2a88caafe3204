"""Diagnostics as the real CLI prints them: `Error: ...` / `Warning: ...` on stderr.

Below the summary, `at <path>` names the configuration value when the real CLI names it, and
`in <file>:<line>:<column>` says where that value was written (see locations.py); a diagnostic
about a value the real CLI only locates (run_as, a preset) gives `locate` instead of `path`.

The real CLI keeps going after most configuration problems so that one `validate` run shows
all of them (and `validate -o json` can still print the configuration); only problems that make
the rest meaningless stop it. `Diagnostics` collects the former, `CliError` is the latter.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Literal, TextIO

from bundleops.localcli.locations import Locations

Severity = Literal["error", "warning", "recommendation"]


class CliError(Exception):
    """A failure that stops the command; printed as `Error: <message>` and exit code 1."""


class ConfigFileError(CliError):
    """A configuration file the real CLI refuses to load, with where in it (a duplicate YAML merge
    key). Printed as a located diagnostic; `validate` then has no configuration to describe, so its
    text is the tally alone (acceptance validate/duplicate_yaml_merge_key)."""

    def __init__(self, summary: str, location: str) -> None:
        super().__init__(summary)
        self.diagnostic = Diagnostic("error", summary, location=location)


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    summary: str
    detail: str = ""
    path: str = ""
    location: str = ""
    locate: str = ""

    def render(self, locations: Locations | None = None) -> str:
        lines = [f"{self.severity.capitalize()}: {self.summary}"]
        for number, path in enumerate(self.path.splitlines()):
            lines.append(f"  {'at' if number == 0 else '  '} {path}")
        located = self.locate or self.path
        where = self.location or (locations.value(located) if locations is not None and located else "")
        for number, location in enumerate(where.splitlines()):
            lines.append(f"  {'in' if number == 0 else '  '} {location}")
        if self.detail:
            lines.extend(["", self.detail])
        return "\n".join(lines) + "\n"


@dataclass
class Diagnostics:
    items: list[Diagnostic] = field(default_factory=list)
    locations: Locations = field(default_factory=Locations)
    # Set by an error the real CLI reports before it resolves the workspace (an invalid
    # bundle.engine): its text block then has no Workspace lines (acceptance validate/invalid-engine-*).
    before_workspace: bool = False

    def error(self, summary: str, *, detail: str = "", path: str = "", location: str = "", locate: str = "") -> None:
        self.items.append(Diagnostic("error", summary, detail, path, location, locate))

    def warning(self, summary: str, *, detail: str = "", path: str = "", location: str = "", locate: str = "") -> None:
        self.items.append(Diagnostic("warning", summary, detail, path, location, locate))

    def recommendation(self, summary: str, *, detail: str = "", locate: str = "") -> None:
        self.items.append(Diagnostic("recommendation", summary, detail, locate=locate))

    def count(self, severity: Severity) -> int:
        return sum(1 for item in self.items if item.severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count("error") > 0

    def first_error(self) -> str:
        return next(item.summary for item in self.items if item.severity == "error")

    def print(self, stream: TextIO = sys.stderr) -> None:
        for item in self.items:
            stream.write(item.render(self.locations) + "\n")

    def tally(self) -> str:
        """`Found 1 error and 1 warning` as the text output ends with; empty when there is nothing."""
        parts = []
        for severity in ("error", "warning", "recommendation"):
            number = self.count(severity)
            if number:
                parts.append(f"{number} {severity}{'' if number == 1 else 's'}")
        if not parts:
            return ""
        return "Found " + (" and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}")
