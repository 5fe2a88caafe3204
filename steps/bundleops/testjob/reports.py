"""The run's JUnit and coverage reports, from its report folder (a volume) to the project.

They go to `.bundleops/reports/integration/`, where `bundleops publish` merges them into
`test-results/`. They stay out of `test-results/` themselves: Bitbucket reads every JUnit file
under that folder, and would count the integration tests twice.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

REPORT_DIR = ".bundleops/reports/integration"
FILES = ("junit.xml", "coverage.xml")


@dataclass(frozen=True)
class Totals:
    tests: int
    failures: int
    errors: int
    skipped: int

    @property
    def failed(self) -> int:
        return self.failures + self.errors

    def describe(self) -> str:
        return f"{self.tests} tests, {self.failures} failed, {self.errors} errors, {self.skipped} skipped"


def clear(project_root: Path) -> Path:
    """An empty report folder, so a report from an earlier run can never be published as this one's."""
    folder = project_root / REPORT_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def download(client: WorkspaceClient, remote_folder: str, local_folder: Path) -> list[Path]:
    from databricks.sdk.errors import NotFound

    found = []
    for name in FILES:
        try:
            content = client.files.download(f"{remote_folder}/{name}").contents.read()
        except NotFound:
            continue
        (local_folder / name).write_bytes(content)
        found.append(local_folder / name)
    return found


def totals(junit: Path) -> Totals | None:
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = list(root.iter("testcase"))
    failures = sum(1 for case in cases if case.find("failure") is not None)
    errors = sum(1 for case in cases if case.find("error") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    return Totals(len(cases), failures, errors, skipped)
