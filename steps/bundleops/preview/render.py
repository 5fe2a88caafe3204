"""A plan as a reviewer reads it: counts per action, then per resource the fields that change, old → new.

The same plan is shown in places with different size limits (a GitHub step summary holds 1 MiB, a
GitHub comment 65,536 characters, a GitLab note 1,000,000): `markdown(plan,
limit)` always keeps the counts and every destructive resource, then adds resources, most severe
first, while they fit, and ends with a line that says how many were left out and where the whole
plan is. Values are cut to `VALUE_CHARS` characters, a field whose name says secret (password,
token, ...) is never shown, and registered secrets are masked (bundleops.output.redact) before
the text leaves the process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bundleops.output import markdown as md
from bundleops.output.redact import SECRET_NAME_PATTERN, redact_for_file
from bundleops.preview.plan_json import BundlePlan, FieldChange, PlanEntry

VALUE_CHARS = 80
FIELDS_PER_RESOURCE = 40
ABSENT = "—"
SECRET_VALUE = "(secret: not shown)"
CLOSING_RESERVE = 400  # bytes kept free for the line that says what was cut


@dataclass(frozen=True)
class Rendered:
    markdown: str
    shown: int  # resources with a section of their own
    omitted: int  # resources left out to stay within the limit


def heading(plan: BundlePlan) -> str:
    """`Plan: 1 to add, 2 to change, 1 to delete, 4 unchanged`, the CLI's own words."""
    counts = plan.counts()
    return f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['delete']} to delete, {counts['unchanged']} unchanged"


def value_text(path: str, value: Any) -> str:
    """A field's value on one line: JSON, invisible characters as escapes, cut to VALUE_CHARS; a
    secret-named field's value is never shown."""
    if value is None:
        return ABSENT
    if secret_path(path):
        return SECRET_VALUE
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return md.shorten(md.visible(text), VALUE_CHARS)


def secret_path(path: str) -> bool:
    """`spark_env_vars.DB_PASSWORD`, `...parameters.api_token`: the last name in the path says secret."""
    last = path.replace("]", "").replace("[", ".").split(".")[-1].strip("'\"").upper()
    return bool(SECRET_NAME_PATTERN.search(last))


def _change_row(change: FieldChange) -> str:
    cells = (change.path, value_text(change.path, change.before), value_text(change.path, change.new))
    return "| " + " | ".join(md.code(cell, cell=True) for cell in cells) + " |"


def resource_section(entry: PlanEntry) -> str:
    """A resource's action, why when it is destructive, and its changed fields (at most FIELDS_PER_RESOURCE)."""
    named = f" ({md.code(value_text('name', entry.name))})" if entry.name else ""
    lines = [f"#### {md.code(entry.label)}{named}: {entry.action}"]
    if entry.destructive:
        lines.append(f"\n**Destructive** ({entry.action}): {entry.why(md.code)}.")
    changes = entry.shown_changes()
    if changes:
        lines += ["", "| field | old | new |", "|---|---|---|"]
        lines += [_change_row(change) for change in changes[:FIELDS_PER_RESOURCE]]
        if len(changes) > FIELDS_PER_RESOURCE:
            lines.append(f"\n… and {len(changes) - FIELDS_PER_RESOURCE} more changed fields (in the plan file).")
    return "\n".join(lines) + "\n"


def counts_table(plan: BundlePlan) -> str:
    rows = [f"| {action} | {count} |" for action, count in plan.per_action().items()]
    return "\n".join(["| action | resources |", "|---|---|", *rows]) + "\n"


def markdown(plan: BundlePlan, *, title: str, verdict: str, limit: int, plan_path: str, where: str) -> Rendered:
    """The summary within `limit` UTF-8 bytes (`where` names whose limit it is, for the line that says
    what was cut). `title` and `verdict` are Markdown: pull-request text in them is already code."""
    head = [f"### {title}", "", f"**{heading(plan)}** ({plan.engine} engine, CLI {plan.cli_version or 'unknown'})", "", verdict, "", counts_table(plan)]
    changed = plan.changed()
    sections = [redact_for_file(resource_section(entry)) for entry in changed]
    text = md.cut(redact_for_file("\n".join(head)), limit)
    used = _size(text) + CLOSING_RESERVE
    kept: list[int] = []
    # Destructive resources first: they are what the reviewer must see; the rest while they fit.
    for index in sorted(range(len(changed)), key=lambda index: (not changed[index].destructive, index)):
        if used + _size(sections[index]) + 1 <= limit:
            kept.append(index)
            used += _size(sections[index]) + 1
    body = "\n".join([text, *(sections[index] for index in sorted(kept))])
    omitted = len(changed) - len(kept)
    if omitted:
        body += (f"\n_{omitted} of {len(changed)} changed resources are not shown here: {where} holds {limit:,} bytes. "
                 f"The whole plan is in `{plan_path}`._\n")
    return Rendered(md.cut(body, limit), len(kept), omitted)


def text_lines(plan: BundlePlan) -> list[str]:
    """The plan for the log: one line per changed resource, then its changed fields indented."""
    lines = []
    for entry in plan.changed():
        lines.append(f"{entry.action} {entry.label}" + (f"  (destructive: {entry.why()})" if entry.destructive else ""))
        for change in entry.shown_changes()[:FIELDS_PER_RESOURCE]:
            lines.append(f"    {change.path}: {value_text(change.path, change.before)} → {value_text(change.path, change.new)}")
    return [*lines, heading(plan)]


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
