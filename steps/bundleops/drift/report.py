"""The drift check's report: log lines, Markdown (the job summary, the issue) and a JSON file.

Values edited in a UI and job names are untrusted text: every one goes through
bundleops.output.markdown (inline code, escapes) in Markdown, and through the preview's
`value_text` (one line, cut, a secret-named field never shown) everywhere. The JSON keeps values
as the plan has them, except secret-named fields, and is written through the redaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bundleops.drift.classify import CHANGED, KINDS, NO_HISTORY, PENDING, TITLES, Drift, Finding
from bundleops.output import markdown as md
from bundleops.output.redact import redact_for_file, write_redacted
from bundleops.preview import render
from bundleops.preview.plan_json import FieldChange

SCHEMA = "bundleops.drift/v1"
COLUMNS = {CHANGED: ("deployed", "workspace now"), PENDING: ("deployed", "checkout")}


@dataclass(frozen=True)
class Subject:
    """What was checked: the bundle, its target, the checkout's commit, the deploy compared with."""

    bundle: str
    target: str  # the bundle's own target name
    label: str  # `prod`, or `prod (bundle target production)`
    commit: str | None
    deployed_commit: str | None
    deployed_at: str | None
    run_url: str | None = None

    def compared_with(self) -> str:
        if self.deployed_at is None:
            return NO_HISTORY
        return f"the last deploy in the target's history: commit {(self.deployed_commit or '-')[:12]} at {self.deployed_at}"


def _values(finding: Finding, change: FieldChange) -> tuple[Any, Any]:
    """The two values a reader compares: deployed -> workspace for an edit, deployed -> checkout for a pending change."""
    return (change.old, change.remote) if finding.kind == CHANGED else (change.before, change.new)


def _shown(change: FieldChange, value: Any) -> str:
    return render.value_text(change.path, value)


def verdict(drift: Drift) -> str:
    """One sentence for the log, the summary and the issue."""
    if drift.drifted:
        names = ", ".join(drift.drifted_resources())
        return f"drift found: {len(drift.drifted_resources())} resource(s) changed or deleted in the workspace outside a deploy ({names})"
    return "no drift: the workspace matches the last deploy" + ("" if drift.history_known else f" ({NO_HISTORY})")


def text_lines(drift: Drift) -> list[str]:
    """The log: one line per finding, its fields indented, then the verdict."""
    lines = []
    for kind in KINDS:
        for finding in drift.of(kind):
            named = f" ({render.value_text('name', finding.name)})" if finding.name else ""
            lines.append(f"{TITLES[kind]}: {finding.resource}{named}: {finding.note}")
            for change in finding.fields[: render.FIELDS_PER_RESOURCE]:
                before, after = _values(finding, change)
                lines.append(f"    {change.path}: {_shown(change, before)} → {_shown(change, after)}")
    return [*lines, verdict(drift)]


def _section(finding: Finding) -> str:
    named = f" ({md.code(render.value_text('name', finding.name))})" if finding.name else ""
    lines = [f"##### {md.code(finding.resource)}{named}", "", f"{finding.note} (the next deploy: {finding.action})."]  # bundleops' own words
    if finding.fields:
        left, right = COLUMNS[finding.kind]
        lines += ["", f"| field | {left} | {right} |", "|---|---|---|"]
        for change in finding.fields[: render.FIELDS_PER_RESOURCE]:
            cells = (change.path, *(_shown(change, value) for value in _values(finding, change)))
            lines.append("| " + " | ".join(md.code(cell, cell=True) for cell in cells) + " |")
        if len(finding.fields) > render.FIELDS_PER_RESOURCE:
            lines.append(f"\n… and {len(finding.fields) - render.FIELDS_PER_RESOURCE} more fields (in the report file).")
    return "\n".join(lines) + "\n"


def markdown(drift: Drift, subject: Subject, *, limit: int, report_path: str) -> str:
    """The report within `limit` UTF-8 bytes: the verdict and the counts always, then the sections, drift first."""
    counts = drift.counts()
    head = [
        f"### bundleops drift: {md.code(subject.bundle)} {md.code(subject.label)}",
        "",
        f"**{'Drift found' if drift.drifted else 'No drift'}**: {md.code(verdict(drift))}",
        "",
        f"Checked {md.code((subject.commit or 'the checkout')[:12])} against {md.code(subject.compared_with())}.",
        "",
        "| resources | count |",
        "|---|---|",
        *(f"| {TITLES[kind]} | {counts[kind]} |" for kind in KINDS),
        "",
    ]
    text = redact_for_file("\n".join(head))
    used = len(text.encode("utf-8")) + render.CLOSING_RESERVE
    parts, left_out = [text], 0
    for kind in KINDS:
        sections = [redact_for_file(_section(finding)) for finding in drift.of(kind)]
        if not sections:
            continue
        title = f"#### {TITLES[kind][0].upper()}{TITLES[kind][1:]}\n"
        for section in [title, *sections]:
            size = len(section.encode("utf-8")) + 1
            if used + size > limit:
                left_out += section is not title
                continue
            parts.append(section)
            used += size
    if left_out:
        parts.append(f"_{left_out} resource section(s) are not shown here (the limit is {limit:,} bytes): the whole report is in `{report_path}`._\n")
    if subject.run_url:
        parts.append(f"Run: {md.code(subject.run_url)}\n")
    return md.cut("\n".join(parts), limit)


def _field(finding: Finding, change: FieldChange) -> dict[str, Any]:
    before, after = _values(finding, change)
    hidden = render.secret_path(change.path)
    name = "workspace" if finding.kind == CHANGED else "checkout"
    return {"path": change.path, "deployed": render.SECRET_VALUE if hidden else before, name: render.SECRET_VALUE if hidden else after}


def document(drift: Drift, subject: Subject) -> dict[str, Any]:
    """The JSON report (docs/drift.md): the verdict, the counts, and each finding with its fields."""
    return {
        "schema": SCHEMA,
        "bundle": subject.bundle,
        "target": subject.target,
        "checked_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": subject.commit,
        "compared_with": {"commit": subject.deployed_commit, "deployed_at": subject.deployed_at} if subject.deployed_at else None,
        "drifted": drift.drifted,
        "counts": drift.counts(),
        "resources": [
            {"resource": finding.resource, "name": finding.name, "kind": finding.kind, "drift": finding.drift, "action": finding.action,
             "note": finding.note, "fields": [_field(finding, change) for change in finding.fields]}
            for kind in KINDS for finding in drift.of(kind)
        ],
    }


def write(directory: Path, drift: Drift, subject: Subject) -> Path:
    path = directory / f"drift-{subject.target}.json"
    write_redacted(path, json.dumps(document(drift, subject), indent=2, default=str) + "\n")
    return path
