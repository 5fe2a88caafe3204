"""The run's JUnit and coverage reports, from its report folder (a volume) to the project.

They go to `.bundleops/reports/integration/`, where `bundleops publish` merges them into
`test-results/`. They stay out of `test-results/` themselves: Bitbucket reads every JUnit file
under that folder, and would count the integration tests twice.

Each download is a retried `Calls.call`, and a report must parse as XML before it is written:
a body cut off in transit is fetched again instead of being published as the run's result.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from bundleops.output.redact import redact_file
from bundleops.publish.junit import FailedTest, Totals
from bundleops.workspace_calls import Calls

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


def download(client: WorkspaceClient, calls: Calls, remote_folder: str, local_folder: Path) -> list[Path]:
    """The reports the run wrote (a missing one is skipped); BundleopsError when one cannot be fetched intact."""
    found = []
    for name in FILES:
        remote = f"{remote_folder}/{name}"
        content = calls.call(f"GET fs/files{remote}", lambda: _intact(client, remote), retry_on=(ElementTree.ParseError,))
        if content is None:
            continue
        (local_folder / name).write_bytes(content)
        redact_file(local_folder / name)  # written in the workspace, where bundleops' redaction did not run
        found.append(local_folder / name)
    return found


def _intact(client: WorkspaceClient, remote: str) -> bytes | None:
    """The file's bytes once they parse as XML; None when the run did not write it."""
    from databricks.sdk.errors import NotFound

    try:
        content = client.files.download(remote).contents.read()
    except NotFound:
        return None
    ElementTree.fromstring(content)
    return content


def read(junit: Path | None) -> tuple[Totals | None, list[FailedTest]]:
    """The report's counts (from its test cases: the project's tests, and a runner phase only when
    it failed for a reason no test shows) and its failed and errored test cases; (None, []) when
    there is no report or it is not readable JUnit."""
    from bundleops.errors import BundleopsError
    from bundleops.publish.junit import Report, failed_tests, merge, totals

    if junit is None:
        return None, []
    try:
        document = merge([Report("integration", junit)])
    except BundleopsError:
        return None, []
    return totals(document), failed_tests(document, lambda _recorded: None)


def first_line(test: FailedTest) -> str:
    """`classname::name: <the first line of its message>`, for a console line."""
    message = next((line.strip() for line in (test.message or test.text).splitlines() if line.strip()), test.kind)
    return f"{test.classname}::{test.name}: {message[:200]}"
