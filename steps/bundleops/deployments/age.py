"""Which pull-request deployments the sweep removes: those past the age, and those a newer one of the same pull request replaced.

Pure functions over the records (no workspace, no clock of their own), so the rules are tested
on their own and the sweep's report says exactly why each folder goes or stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bundleops.deployments.store import Found
from bundleops.errors import BundleopsError, ExitCode

UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
DURATION = re.compile(r"([0-9]{1,6})([mhdw])")
DURATION_FIX = "give a whole number and a unit: m (minutes), h (hours), d (days) or w (weeks), for example 30m, 12h, 7d, 2w"


def parse_duration(text: str, option: str = "--older-than") -> timedelta:
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise BundleopsError(f"{option} {text!r} is not a duration", fix=DURATION_FIX, code=ExitCode.BAD_INPUT)
    amount = int(match.group(1))
    if amount == 0:
        what = "would remove the deployments of every open pull request" if option == "--older-than" else "is an empty window"
        raise BundleopsError(f"{option} {text!r} {what}", fix=DURATION_FIX, code=ExitCode.BAD_INPUT)
    return amount * UNITS[match.group(2)]


def describe_age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 24 else f"{hours:.1f} h"


@dataclass(frozen=True)
class Decision:
    found: Found
    remove: bool
    reason: str


def decide(found: list[Found], now: datetime, older_than: timedelta) -> list[Decision]:
    """One decision per folder, in folder order. Only folders with a record of ours are ever removed."""
    newest: dict[int, Found] = {}
    for item in found:
        if item.is_ours and item.pr_number is not None:
            current = newest.get(item.pr_number)
            if current is None or (item.deployed_at, item.name) > (current.deployed_at, current.name):
                newest[item.pr_number] = item
    return [_decide_one(item, now, older_than, newest) for item in found]


def _decide_one(item: Found, now: datetime, older_than: timedelta, newest: dict[int, Found]) -> Decision:
    if not item.is_ours or item.deployed_at is None or item.pr_number is None:
        return Decision(item, False, "no deployment record of bundleops: left alone")
    age = now - item.deployed_at
    latest = newest[item.pr_number]
    if latest is not item:
        return Decision(item, True, f"replaced by {latest.name}, a newer deployment of PR #{item.pr_number} ({latest.record and latest.record.get('deployed_at')})")
    if age > older_than:
        return Decision(item, True, f"PR #{item.pr_number}, deployed {describe_age(age)} ago: older than {describe_age(older_than)}")
    return Decision(item, False, f"PR #{item.pr_number}, deployed {describe_age(age)} ago: kept")
