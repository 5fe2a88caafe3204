"""The run's JUnit and coverage reports, from its report folder (a volume) to the project.

They go to `.bundleops/reports/integration/`, where `bundleops publish` merges them into
`test-results/`. They stay out of `test-results/` themselves: Bitbucket reads every JUnit file
under that folder, and would count the integration tests twice.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.output.redact import redact_file
from bundleops.publish.junit import Totals

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

REPORT_DIR = ".bundleops/reports/integration"
FILES = ("junit.xml", "coverage.xml")


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
        redact_file(local_folder / name)  # written in the workspace, where bundleops' redaction did not run
        found.append(local_folder / name)
    return found


def totals(junit: Path) -> Totals | None:
    """The report's counts (from its test cases), or None when it is not readable JUnit."""
    from bundleops.errors import BundleopsError
    from bundleops.publish.junit import Report, merge
    from bundleops.publish.junit import totals as counted

    try:
        return counted(merge([Report("integration", junit)]))
    except BundleopsError:
        return None
