"""Work done once per test run, whichever pytest-xdist worker asks first.

Session fixtures are per worker under pytest-xdist, so a costly thing every worker needs (the
wheel, a vendor pipeline several tests read) would be made once per worker. Instead, the first
worker to ask makes it in a folder all workers share, holding a lock; the others wait on the lock
(an event, not a timed poll) and read what it left. Without xdist the folder is the session's own.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """`name` under the run's base folder: xdist gives each worker `<run>/popen-gwN`, so the run's
    folder is its parent; a plain run has no workers and keeps its own."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (created if missing) across processes; the kernel
    releases it if the holder dies, so a crashed worker never blocks the others."""
    with open(lock_file, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
