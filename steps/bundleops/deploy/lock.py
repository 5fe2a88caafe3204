"""A held deploy lock, read from the CLI's message, and whether it is old enough to take over.

The CLI says `deploy lock acquired by <user> at <Go time>.` and exits 1, like every other
failure; a CI job killed mid-deploy leaves its lock behind, and the next deploy would fail
until someone passes --force-lock. bundleops takes over only a lock older than
`deploy.lock_takeover_minutes`, and says so loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_HELD = re.compile(r"deploy lock acquired by (?P<user>.+?) at (?P<date>\d{4}-\d{2}-\d{2}) (?P<clock>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)? (?P<offset>[+-]\d{4})")


@dataclass(frozen=True)
class HeldLock:
    holder: str
    acquired: datetime

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(timezone.utc)) - self.acquired

    def describe(self, now: datetime | None = None) -> str:
        minutes = int(self.age(now).total_seconds() // 60)
        return f"held by {self.holder} since {self.acquired:%Y-%m-%d %H:%M:%S} UTC ({minutes} min ago)"


def held_lock(stderr: str) -> HeldLock | None:
    match = _HELD.search(stderr)
    if not match:
        return None
    fraction = (match.group("fraction") or ".0")[1:7].ljust(6, "0")
    stamp = f"{match.group('date')}T{match.group('clock')}.{fraction}{match.group('offset')}"
    return HeldLock(match.group("user"), datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(timezone.utc))


def is_stale(lock: HeldLock, takeover_minutes: int, now: datetime | None = None) -> bool:
    return lock.age(now) > timedelta(minutes=takeover_minutes)
