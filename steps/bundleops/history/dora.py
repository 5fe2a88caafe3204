"""DORA's four figures from a target's history alone, each with what it was computed from.

Definitions (DORA's, made exact for what the history holds):
- deployment frequency: deploys that succeeded (changes and rollbacks) in the window, per day and per week;
- lead time for changes: per commit a deploy brought to the target for the first time, its commit
  time to that deploy's finish; the median over those commits (a rollback brings no change);
- change failure rate: deploys of changes that failed in production, over all deploys of changes;
  a deploy failed in production when its post-deploy test failed, or when the next deploy after
  it is a rollback;
- time to restore: per failed deploy, its finish to the finish of the next deploy that undid the
  failure (a rollback, or a deploy whose test did not fail); the median.
A deploy that failed (`outcome: failed`) deployed nothing as planned: it is counted apart, in no figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Sequence

from bundleops.history.entry import HistoryEntry, parse_time


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    basis: str  # what the figure was computed from, in words


@dataclass(frozen=True)
class Dora:
    since: datetime
    until: datetime
    figures: tuple[Figure, ...]
    failed_deploys: int


def compute(entries: Sequence[HistoryEntry], since: datetime, until: datetime) -> Dora:
    window = [entry for entry in entries if since <= entry.finished <= until]
    deploys = [entry for entry in window if entry.succeeded]
    changes = [entry for entry in deploys if entry.outcome == "deployed"]
    failures = [entry for entry in changes if failed_in_production(entry, window)]
    return Dora(since, until, (
        _frequency(deploys, since, until),
        _lead_time(changes),
        Figure("change failure rate", _percent(len(failures), len(changes)),
               f"{len(failures)} of {len(changes)} deploys of changes failed in production "
               f"(a failed post-deploy test, or the next deploy is a rollback){_listing(failures)}"),
        _time_to_restore(failures, window),
    ), sum(1 for entry in window if entry.outcome == "failed"))


def failed_in_production(entry: HistoryEntry, entries: Sequence[HistoryEntry]) -> bool:
    if entry.test is not None and entry.test.result == "failed":
        return True
    following = _next_deploy(entry, entries)
    return following is not None and following.outcome == "rolled_back"


def _next_deploy(entry: HistoryEntry, entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    return next((later for later in entries if later.succeeded and later.finished > entry.finished), None)


def _restored_by(entry: HistoryEntry, entries: Sequence[HistoryEntry]) -> HistoryEntry | None:
    """The first later deploy that undid the failure: a rollback, or a change whose test did not fail."""
    return next((later for later in entries if later.succeeded and later.finished > entry.finished
                 and (later.outcome == "rolled_back" or later.test is None or later.test.result != "failed")), None)


def _frequency(deploys: list[HistoryEntry], since: datetime, until: datetime) -> Figure:
    days = max((until - since).total_seconds() / 86400, 1 / 24)
    per_day = len(deploys) / days
    return Figure("deployment frequency", f"{per_day:.2f} per day ({per_day * 7:.1f} per week)",
                  f"{len(deploys)} deploys that succeeded ({sum(1 for e in deploys if e.outcome == 'rolled_back')} of them rollbacks) in {days:.1f} days")


def _lead_time(changes: list[HistoryEntry]) -> Figure:
    seen: set[str] = set()
    waits: list[timedelta] = []
    unknown = 0
    for entry in changes:
        for change in entry.changes:
            if change.commit in seen:
                continue
            seen.add(change.commit)
            committed = parse_time(change.time)
            if committed is None:
                unknown += 1
            else:
                waits.append(entry.finished - committed)
    basis = f"{len(waits)} commits, each from its commit time to the finish of the deploy that brought it"
    if unknown:
        basis += f" ({unknown} without a commit time left out)"
    return Figure("lead time for changes", describe(median(waits)) if waits else "n/a", basis)


def _time_to_restore(failures: list[HistoryEntry], window: list[HistoryEntry]) -> Figure:
    spans = []
    for entry in failures:
        restored = _restored_by(entry, window)
        if restored is not None:
            spans.append(restored.finished - entry.finished)
    open_failures = len(failures) - len(spans)
    basis = f"{len(spans)} failures, each from the failed deploy's finish to the finish of the deploy that restored the target"
    if open_failures:
        basis += f" ({open_failures} not restored yet)"
    return Figure("time to restore", describe(median(spans)) if spans else "n/a", basis)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _listing(entries: list[HistoryEntry]) -> str:
    return ": " + ", ".join((entry.commit or "-")[:12] for entry in entries) if entries else ""


def describe(span: timedelta) -> str:
    """A duration as a person reads it: 42 s, 12.5 min, 3.2 h, 4.1 d."""
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
