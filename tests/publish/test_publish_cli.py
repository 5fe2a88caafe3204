"""`bundleops unit` and `bundleops publish` end to end, as each CI system runs them.

The project's unit tests run through the real `bundleops unit`; the integration reports come
from a real run in a workspace-shaped copy (see sample_project.integration_reports). Then
`bundleops publish` runs under each vendor's environment and the test reads what that CI
system would read: the job summary, the annotations, the logging commands, the report files.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.context import snapshots
from tests.publish.sample_project import integration_reports, write_project
from tests.support.console import run_bundleops

UNIT_FAILURE_ANNOTATION = "unit test tests.unit.test_ops::test_add_is_wrong failure: AssertionError: two and two make four"
# The regex docs/publishing.md gives for GitLab's `coverage:` keyword.
GITLAB_COVERAGE_REGEX = r"^bundleops coverage: (\d+\.\d+)%$"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project after `bundleops unit` and after `bundleops test` downloaded its reports."""
    base = tmp_path_factory.mktemp("reported")
    project = write_project(base / "repo")
    unit = run_bundleops(["unit", "--project-root", str(project)], cwd=base)
    assert unit.returncode == 1, unit.stdout + unit.stderr
    assert "two and two make four" in unit.stdout
    junit, cobertura, _ = integration_reports(project, base / "integration-run")
    downloaded = project / ".bundleops/reports/integration"
    downloaded.mkdir(parents=True)
    shutil.copy(junit, downloaded / "junit.xml")
    shutil.copy(cobertura, downloaded / "coverage.xml")
    return project


@pytest.fixture
def project(reported: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so one vendor's files never satisfy another's assertions."""
    return Path(shutil.copytree(reported, tmp_path / "repo"))


def test_unit_writes_relative_reports(reported: Path) -> None:
    root = ET.parse(reported / ".bundleops/reports/unit/coverage.xml").getroot()
    assert [s.text for s in root.iter("source")] == ["src"]
    assert {c.get("filename") for c in root.iter("class")} == {"calc/__init__.py", "calc/ops.py"}
    suite = ET.parse(reported / ".bundleops/reports/unit/junit.xml").getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")


def test_unit_without_tests_folder_is_bad_input(tmp_path: Path) -> None:
    result = run_bundleops(["unit", "--project-root", str(tmp_path)])
    assert result.returncode == 2
    assert "no tests/unit folder" in result.stderr and "fix:" in result.stderr


def test_unit_passes_when_tests_pass(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    test_file = project / "tests/unit/test_ops.py"
    test_file.write_text(test_file.read_text().replace("add(2, 2) == 5", "add(2, 2) == 4"))
    result = run_bundleops(["unit", "--project-root", str(project)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / ".bundleops/reports/unit/junit.xml").is_file()


def _merged_files_are_right(project: Path) -> None:
    junit = ET.parse(project / "test-results/junit.xml").getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("skipped")) == ("5", "1", "1")
    assert [s.get("name") for s in junit.iter("testsuite")] == ["unit: pytest", "integration: pytest"]
    coverage = ET.parse(project / "test-results/coverage.xml").getroot()
    assert {c.get("filename") for c in coverage.iter("class")} == {"src/calc/__init__.py", "src/calc/ops.py"}
    assert (coverage.get("lines-valid"), coverage.get("lines-covered")) == ("9", "8")


def test_github_summary_annotations_and_outputs(project: Path, tmp_path: Path) -> None:
    env = snapshots.environment("github", "pull_request", tmp_path)
    env.update(GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"), GITHUB_OUTPUT=str(tmp_path / "output"))
    env["BUNDLEOPS_TRACE_FILE"] = str(tmp_path / "trace.jsonl")
    result = run_bundleops(["publish", "--target", "staging"], env=env, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    _merged_files_are_right(project)
    assert [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()] == [{"step": "publish", "target": "staging", "vendor": "github", "bundle": "."}]

    assert f"::error file=tests/unit/test_ops.py,line=9,title=unit test failed::{UNIT_FAILURE_ANNOTATION}" in result.stdout.splitlines()
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## Test results: `staging`\n")
    assert "❌ **5 tests**: 3 passed, 1 failed, 0 errors, 1 skipped" in summary
    assert "| `unit` | 2 | 1 | 1 | 0 | 0 |" in summary and "| `integration` | 3 | 2 | 0 | 0 | 1 |" in summary
    assert "`tests.unit.test_ops::test_add_is_wrong` at `tests/unit/test_ops.py:9`" in summary
    assert "two and two make four" in summary
    assert "**88.89%** of lines covered (8 of 9)" in summary
    outputs = (tmp_path / "output").read_text()
    assert re.search(r"tests_total<<(\S+)\n5\n\1\n", outputs) and re.search(r"coverage_percent<<(\S+)\n88.89\n\1\n", outputs)
    assert not (project / "test-results/bundleops-summary.md").exists()  # GitHub has a native summary


def test_github_annotations_are_capped(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    (project / "tests/unit/test_many.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', range(3))\ndef test_broken(n):\n    assert n < 0, f'case {n}'\n"
    )
    (project / "bundleops.yml").write_text("publish:\n  max_annotations: 2\n")
    assert run_bundleops(["unit", "--project-root", str(project)]).returncode == 1
    env = snapshots.environment("github", "push_default", tmp_path)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    result = run_bundleops(["publish"], env=env, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 2
    assert "::warning::2 more failed tests are not annotated (limit publish.max_annotations=2)" in result.stdout
    assert "### Failed tests (4)" in (tmp_path / "summary.md").read_text()


def test_azure_logging_commands_and_task_files(project: Path, tmp_path: Path) -> None:
    result = run_bundleops(["publish"], env=snapshots.environment("azure", "pull_request", tmp_path), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    _merged_files_are_right(project)
    lines = result.stdout.splitlines()
    assert f"##vso[task.logissue type=error;sourcepath=tests/unit/test_ops.py;linenumber=9]{UNIT_FAILURE_ANNOTATION}" in lines
    summary_file = project / "test-results/bundleops-summary.md"
    assert f"##vso[task.uploadsummary]{summary_file}" in lines
    assert "**88.89%** of lines covered" in summary_file.read_text()
    assert "##vso[task.setvariable variable=tests_failed;isOutput=true]1" in lines
    assert "PublishTestResults@2 reads test-results/junit.xml; PublishCodeCoverageResults@2 reads test-results/coverage.xml" in lines


@pytest.mark.parametrize("vendor", ["gitlab", "jenkins", "bitbucket"])
def test_file_based_vendors(vendor: str, project: Path, tmp_path: Path) -> None:
    result = run_bundleops(["publish"], env=snapshots.environment(vendor, "pull_request", tmp_path), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    _merged_files_are_right(project)
    assert "ERROR: tests/unit/test_ops.py:9: " + UNIT_FAILURE_ANNOTATION in result.stderr
    assert "**88.89%** of lines covered" in (project / "test-results/bundleops-summary.md").read_text()
    assert "tests_total=5\n" in (project / "test-results/bundleops.env").read_text()
    match = re.search(GITLAB_COVERAGE_REGEX, result.stdout, re.MULTILINE)
    assert match and match.group(1) == "88.89"


def test_bitbucket_counts_each_test_once(project: Path, tmp_path: Path) -> None:
    """Bitbucket parses every XML under test-results/ (3 levels deep): only the merged report has tests."""
    assert run_bundleops(["publish"], env=snapshots.environment("bitbucket", "push_default", tmp_path), cwd=project).returncode == 0
    cases = [case for path in (project / "test-results").rglob("*.xml") for case in ET.parse(path).getroot().iter("testcase")]
    assert len(cases) == 5


def test_publish_reads_a_coverage_data_file_and_explicit_globs(project: Path, tmp_path: Path) -> None:
    _, _, data_file = integration_reports(project, tmp_path / "again")
    result = run_bundleops(["publish", "--junit", ".bundleops/reports/*/junit.xml", "--coverage", str(data_file)], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    coverage = ET.parse(project / "test-results/coverage.xml").getroot()
    assert (coverage.get("lines-valid"), coverage.get("lines-covered")) == ("9", "7")  # integration alone


def test_publish_without_reports_is_bad_input(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    result = run_bundleops(["publish"], cwd=project)
    assert result.returncode == 2
    assert "no JUnit report found" in result.stderr and "bundleops unit" in result.stderr
    result = run_bundleops(["publish", "--junit", "nothing/*.xml"], cwd=project)
    assert result.returncode == 2 and "--junit nothing/*.xml: no JUnit report matches" in result.stderr


def test_workspace_paths_outside_the_repository_are_reported(project: Path) -> None:
    report = project / ".bundleops/reports/integration/coverage.xml"
    report.write_text(report.read_text().replace('filename="src/calc/__init__.py"', 'filename="src/calc/generated.py"'))
    result = run_bundleops(["publish"], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "coverage for /Workspace/Users/x/.bundle/p/staging/files/src/calc/generated.py left out" in result.stderr
    assert "`/Workspace/Users/x/.bundle/p/staging/files/src/calc/generated.py`" in (project / "test-results/bundleops-summary.md").read_text()


def test_unit_collection_error_is_bad_input(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    (project / "tests/unit/test_broken.py").write_text("import calc.missing_module\n")
    result = run_bundleops(["unit", "--project-root", str(project)])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pytest could not run tests/unit (pytest exit code 2" in result.stderr
    assert "No module named 'calc.missing_module'" in result.stdout


def test_publish_with_unit_reports_only(project: Path) -> None:
    shutil.rmtree(project / ".bundleops/reports/integration")
    result = run_bundleops(["publish"], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ".bundleops/reports/integration/junit.xml not found (its step did not run here): published without it" in result.stdout
    junit = ET.parse(project / "test-results/junit.xml").getroot()
    assert [s.get("name") for s in junit.iter("testsuite")] == ["unit: pytest"]
    coverage = ET.parse(project / "test-results/coverage.xml").getroot()
    assert (coverage.get("lines-valid"), coverage.get("lines-covered")) == ("9", "4")  # unit alone: 1 2 5 12
