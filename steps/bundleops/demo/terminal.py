"""A step's log as the imitated CI would show it, for a terminal or a pipe.

Why the steps keep speaking their CI's language: the demo's point is that each step runs as in
that CI's job, so they run with its variables and write its log commands (bundleops.output.writers:
GitLab's section escape codes, GitHub's `::group::`, Azure's `##[group]`). A CI's log viewer turns
those into folded sections and annotations; a terminal would print them raw. So the demo reads
each step's output line by line and does what the CI's viewer does:
- a section or group start becomes a `== title` heading; its end, nothing;
- an error or warning annotation becomes an `ERROR:` / `WARNING:` line, as on the CIs without them;
- commands a viewer acts on and never shows (GitHub's `::add-mask::`, Azure's `##vso[...]`) are
  dropped. This matters: `::add-mask::` carries the secret to hide, written past bundleops'
  redaction because the runner hides the line itself; printed raw it would show the secret.
- text GitHub is told to show verbatim (between `::stop-commands::TOKEN` and `::TOKEN::`) is
  shown verbatim, its markers dropped.
Only the imitated CI's own commands are read; every other line passes unchanged.
"""

from __future__ import annotations

import re
from typing import Callable

Render = Callable[["re.Match[str]"], "str | None"]

_GITHUB_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_AZURE_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%3B", ";"), ("%5D", "]"), ("%AZP25", "%"))


def _unescape(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in escapes:
        text = text.replace(escaped, plain)
    return text


def _heading(title: str) -> str:
    return f"\n== {title}"


def _github_annotation(match: re.Match[str]) -> str:
    properties = dict(part.split("=", 1) for part in (match["properties"] or "").split(",") if "=" in part)
    where = _unescape(properties.get("file", ""), _GITHUB_DATA)
    where += f":{properties['line']}" if where and "line" in properties else ""
    return f"{match['kind'].upper()}: " + (f"{where}: " if where else "") + _unescape(match["data"], _GITHUB_DATA)


def _azure_issue(match: re.Match[str]) -> str:
    properties = dict(part.split("=", 1) for part in match["properties"].split(";") if "=" in part)
    where = _unescape(properties.get("sourcepath", ""), _AZURE_DATA)
    where += f":{properties['linenumber']}" if where and "linenumber" in properties else ""
    return f"{properties.get('type', 'error').upper()}: " + (f"{where}: " if where else "") + _unescape(match["data"], _AZURE_DATA)


RULES: dict[str, list[tuple[re.Pattern[str], Render]]] = {
    "gitlab": [
        (re.compile(r"\x1b\[0Ksection_start:\d+:[^\r]*\r\x1b\[0K(?P<title>.*)"), lambda m: _heading(m["title"])),
        (re.compile(r"\x1b\[0Ksection_end:\d+:[^\r]*\r\x1b\[0K"), lambda m: None),
    ],
    "github": [
        (re.compile(r"::group::(?P<title>.*)"), lambda m: _heading(_unescape(m["title"], _GITHUB_DATA))),
        (re.compile(r"::endgroup::"), lambda m: None),
        (re.compile(r"::add-mask::.*"), lambda m: None),
        (re.compile(r"::(?P<kind>error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<data>.*)"), _github_annotation),
    ],
    "azure": [
        (re.compile(r"##\[group\](?P<title>.*)"), lambda m: _heading(_unescape(m["title"], _AZURE_DATA))),
        (re.compile(r"##\[endgroup\]"), lambda m: None),
        (re.compile(r"##vso\[task\.logissue (?P<properties>[^\]]*)\](?P<data>.*)"), _azure_issue),
        (re.compile(r"##vso\[.*"), lambda m: None),
    ],
}
_STOP_COMMANDS = re.compile(r"::stop-commands::(?P<token>.+)")


class TerminalLog:
    """One step's output, line by line, as `vendor`'s log viewer shows it (None: nothing to show)."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.rules = RULES.get(vendor, [])
        self._verbatim_until: str | None = None

    def line(self, text: str) -> str | None:
        if self._verbatim_until is not None:
            if text == self._verbatim_until:
                self._verbatim_until = None
                return None
            return text
        if self.vendor == "github":
            stop = _STOP_COMMANDS.fullmatch(text)
            if stop:
                self._verbatim_until = f"::{stop['token']}::"
                return None
        for pattern, render in self.rules:
            match = pattern.fullmatch(text)
            if match:
                return render(match)
        return text
