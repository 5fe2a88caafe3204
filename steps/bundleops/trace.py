"""A record of which step ran on which bundle with which target, for the cross-vendor conformance suite.

When BUNDLEOPS_TRACE_FILE names a file, every step appends one JSON line to it as it starts;
the suite compares these traces across the five CI systems and with `bundleops plan`. The bundle
is its project root relative to the folder the step runs in (the checkout), so a repository of
many bundles shows which bundles each CI system ran.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

TRACE_ENV = "BUNDLEOPS_TRACE_FILE"


def record(step: str, target: str | None, vendor: str, project_root: Path = Path(".")) -> None:
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    bundle = Path(os.path.relpath(project_root.resolve(), Path.cwd().resolve())).as_posix()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"step": step, "target": target, "vendor": vendor, "bundle": bundle}) + "\n")


def read(path: Path) -> list[dict[str, str | None]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
