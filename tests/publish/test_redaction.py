"""A unit test whose assertion shows an environment secret: no piece of it in any file or on the console.

The real `bundleops unit` runs the project's failing test (pytest prints the value whole in the
diff and elided, `'dose9ffd-4b2...1c48178acc420'`, in the assertion line and the short summary),
then the real `bundleops publish` merges the reports and annotates the failure on GitHub.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.context import snapshots
from tests.publish.sample_project import write_project
from tests.support.console import run_bundleops

SECRET = "dose9ffd-4b2a-4c7e-9a1c-1c48178acc420"  # 36 characters, as in issue 11
SECRET_TEST = '''\
import os


def test_token_is_the_expected_one():
    assert os.environ["ORDERS_API_TOKEN"] == "expected-token-value"


def test_token_repeated():
    assert os.environ["ORDERS_API_TOKEN"] * 2 == "x"
'''


def leaked_pieces(text: str) -> list[str]:
    """Every 8-character window of the secret found in text, and its first or last 4 characters next to an ellipsis."""
    windows = {SECRET[i : i + 8] for i in range(len(SECRET) - 7)}
    elided = {SECRET[:4] + dots for dots in ("…", "...")} | {dots + SECRET[-4:] for dots in ("…", "...")}
    return sorted(piece for piece in windows | elided if piece in text)


@pytest.mark.parametrize("verbosity", ["", "-vv"])
def test_secret_in_a_failing_assertion_stays_out_of_every_file_and_the_console(tmp_path: Path, verbosity: str) -> None:
    project = write_project(tmp_path / "repo")
    (project / "tests/unit/test_secret.py").write_text(SECRET_TEST, encoding="utf-8")
    env = snapshots.environment("github", "push_other", tmp_path)
    env.update(
        ORDERS_API_TOKEN=SECRET,
        PYTEST_ADDOPTS=verbosity,
        GITHUB_STEP_SUMMARY=str(project / "ci/summary.md"),
        GITHUB_OUTPUT=str(project / "ci/outputs"),
    )
    (project / "ci").mkdir()

    unit = run_bundleops(["unit"], env=env, cwd=project)
    assert unit.returncode == 1, unit.stdout + unit.stderr
    assert "test_token_is_the_expected_one" in unit.stdout and "***" in unit.stdout
    publish = run_bundleops(["publish"], env=env, cwd=project)
    assert publish.returncode == 0, publish.stdout + publish.stderr

    # The annotation still shows the failure, with the value masked.
    assert "::error file=tests/unit/test_secret.py,line=5,title=unit test failed::unit test tests.unit.test_secret::test_token_is_the_expected_one failure: AssertionError: assert '***' == 'expected-token-value'" in publish.stdout
    assert "test_token_repeated failure: AssertionError: assert '***" in publish.stdout  # -vv shows it whole: '******'

    # pytest wrote the value into its JUnit report: whole in the diff, elided in the message.
    junit = (project / ".bundleops/reports/unit/junit.xml").read_text(encoding="utf-8")
    assert "assert &apos;***&apos; == &apos;expected-token-value&apos;" in junit or "assert '***' == 'expected-token-value'" in junit
    for name, text in {"unit console": unit.stdout + unit.stderr, "publish console": publish.stdout + publish.stderr}.items():
        assert leaked_pieces(text) == [], name
    written = [path for path in project.rglob("*") if path.is_file() and not path.name.endswith((".pyc", ".coverage"))]
    assert project / "test-results/junit.xml" in written and project / "ci/summary.md" in written
    for path in written:
        assert leaked_pieces(path.read_bytes().decode("utf-8", "replace")) == [], path
