"""The marker that ends a test run the CI job stopped waiting for before it began.

When a CI job is cancelled while its run-now is still unanswered, the run may start only after the
step has ended: nobody is left to cancel it. So the step writes this file into the run's own
report folder (unique per run-now: it carries the idempotency token), and the runner, before it
touches any data, ends at once when it finds it. Standard library only: the runner and `bundleops
test` share it, and nothing else of either.
"""

from __future__ import annotations

from pathlib import Path

FILE_NAME = "bundleops-cancelled.json"


def found_in(report_folder: Path) -> str | None:
    """The marker's text when the step that started this run left one, else None."""
    marker = report_folder / FILE_NAME
    return marker.read_text(encoding="utf-8") if marker.is_file() else None
