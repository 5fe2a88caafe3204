"""docs/local-workspace.md's walkthrough, run as written: its shell blocks, in real shells, with the
real console scripts (`bundleops`, and the `databricks` stand-in that `bundleops local-env` puts on
PATH), from `bundleops local-workspace` through `bundleops init` to `bundleops deploy`.

HOME is a scratch folder holding `src/bundleops` (a link to this clone), so the commands run
unchanged. The last block (integration tests on local Spark, `bundleops demo`) is covered by
tests/testrunner and tests/steps/test_demo.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.console import clean_environment
from tests.support.gotemplate import REPO

pytestmark = pytest.mark.integration

DOC = REPO / "docs" / "local-workspace.md"
SECTION = "## Your own project on the local workspace"


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[: section.index("\n## ", len(SECTION))]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def _newcomer_shell(home: Path) -> dict[str, str]:
    """A shell with nothing but the system PATH: the doc's own `export PATH=...` must bring bundleops."""
    env = clean_environment({"HOME": str(home)})
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return env


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not path.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.exists(), process.communicate(timeout=10)


def test_the_walkthrough_inits_validates_and_deploys_a_project_of_ones_own(tmp_path: Path) -> None:
    from databricks.sdk import WorkspaceClient

    first_shell, second_shell, _tests_and_demo = walkthrough_blocks()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bundleops").symlink_to(REPO)
    env = _newcomer_shell(tmp_path)
    workspace = subprocess.Popen(["bash", "-eu", "-c", first_shell], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
    try:
        info_file = tmp_path / "work" / ".bundleops" / "local-workspace" / "info.json"
        _wait_for(info_file, workspace)
        time.sleep(0.2)  # written in one call; let the writer close it
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", second_shell], env=env, capture_output=True, text=True, timeout=900, check=False)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        assert "Databricks CLI v1.13.0" in out
        assert f"created {tmp_path / 'work' / 'my_pipeline'}: bundle my_pipeline for github" in out
        assert "placeholders to replace" not in out  # every host and principal was given
        assert "Validation OK!" in out
        assert "bundle my_pipeline is valid for staging (databricks CLI 1.13.0)" in out
        assert "deployed my_pipeline to staging: my_pipeline_job=" in out
        assert "Traceback" not in out
        info = json.loads(info_file.read_text())
        client = WorkspaceClient(host=info["host"], client_id=info["client_id"], client_secret=info["client_secret"], auth_type="oauth-m2m")
        assert {job.settings.name for job in client.jobs.list()} == {"my_pipeline_job", "my_pipeline_test_job"}
        record = json.loads((tmp_path / "work" / "my_pipeline" / "test-results" / "deployment-staging.json").read_text())
        assert record["workspace_host"] == info["host"]
    finally:
        os.killpg(workspace.pid, signal.SIGINT)  # Ctrl-C in the first shell
        output, _ = workspace.communicate(timeout=60)
    assert workspace.returncode == 0, output
    assert not info_file.exists()
