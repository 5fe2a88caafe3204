"""The history as a table (a terminal), Markdown (a job summary; every value as code) and JSON (other tools)."""

from __future__ import annotations

from typing import Sequence

from bundleops.history.dora import Dora
from bundleops.history.entry import SCHEMA, HistoryEntry
from bundleops.output import markdown as md
from bundleops.output.writers import inert_json

COLUMNS = ("finished (UTC)", "outcome", "commit", "PR", "author", "plan", "test", "run")


def _plan(entry: HistoryEntry) -> str:
    plan = entry.plan or {}
    return f"+{plan.get('add', 0)} ~{plan.get('change', 0)} -{plan.get('delete', 0)}" if plan else "-"


def _outcome(entry: HistoryEntry) -> str:
    return f"rolled back to {entry.restores[:12]}" if entry.outcome == "rolled_back" and entry.restores else entry.outcome


def _cells(entry: HistoryEntry) -> tuple[str, ...]:
    return (entry.finished_at, _outcome(entry), (entry.commit or "-")[:12], f"#{entry.pr_number}" if entry.pr_number else "-",
            entry.author or "-", _plan(entry), entry.test.result if entry.test else "-", entry.run_url or "-")


def table(entries: Sequence[HistoryEntry]) -> str:
    rows = [COLUMNS, *(tuple(md.visible(cell) for cell in _cells(entry)) for entry in entries)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def markdown(bundle: str, target: str, entries: Sequence[HistoryEntry]) -> str:
    header = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS)
    rows = "\n".join("| " + " | ".join(md.code(cell, cell=True) for cell in _cells(entry)) + " |" for entry in entries)
    return f"### bundleops history of {md.code(bundle)} on {md.code(target)}\n\n{header}\n{rows or '| ' + ' | '.join(['-'] * len(COLUMNS)) + ' |'}\n"


def as_json(bundle: str, target: str, entries: Sequence[HistoryEntry]) -> str:
    return inert_json({"schema": SCHEMA, "bundle": bundle, "target": target, "deployments": [entry.to_devlake() for entry in entries]})


def dora_text(figures: Dora) -> str:
    lines = [f"DORA figures from {figures.since:%Y-%m-%d %H:%M} to {figures.until:%Y-%m-%d %H:%M} UTC:"]
    lines += [f"  {figure.name}: {figure.value}\n    from {figure.basis}" for figure in figures.figures]
    if figures.failed_deploys:
        lines.append(f"  ({figures.failed_deploys} deploys failed and deployed nothing as planned: counted in no figure)")
    return "\n".join(lines)


def dora_markdown(figures: Dora) -> str:
    rows = "\n".join(f"| {figure.name} | {md.code(figure.value, cell=True)} | {md.code(figure.basis, cell=True)} |" for figure in figures.figures)
    return f"### DORA figures, {figures.since:%Y-%m-%d} to {figures.until:%Y-%m-%d}\n\n| figure | value | computed from |\n|---|---|---|\n{rows}\n"


def dora_json(figures: Dora) -> str:
    return inert_json({"since": figures.since.isoformat(), "until": figures.until.isoformat(), "failed_deploys": figures.failed_deploys,
                       "figures": {figure.name: {"value": figure.value, "basis": figure.basis} for figure in figures.figures}})
