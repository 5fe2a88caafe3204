"""JUnit merge and coverage re-rooting on reports produced by real pytest and coverage.py runs.

The integration reports come from a real run in a workspace-shaped copy of the project, moved
to the literal `/Workspace/Users/x/.bundle/p/staging/files` location as described in
`sample_project.integration_reports`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from coverage import Coverage, CoverageData

from bundleops.publish import coverage_merge, junit
from bundleops.publish.reroot import Rerooter
from tests.publish.sample_project import (
    INTEGRATION_EXECUTED, STATEMENTS, UNIT_EXECUTED, WORKSPACE_FILES, integration_reports, run_pytest, write_project,
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real unit run in the checkout and one real integration run in a workspace-shaped copy."""
    base = tmp_path_factory.mktemp("runs")
    project = write_project(base / "repo")
    unit = run_pytest(project, "tests/unit", base / "unit.xml", data_file=base / "unit.coverage")
    assert unit.returncode == 1, unit.stdout + unit.stderr  # one unit test fails on purpose
    subprocess.run([sys.executable, "-m", "coverage", "xml", f"--data-file={base / 'unit.coverage'}", "-o", str(base / "unit-coverage.xml")], cwd=project, check=True, capture_output=True)
    junit_xml, cobertura, data_file = integration_reports(project, base / "integration")
    for source, name in ((junit_xml, "integration.xml"), (cobertura, "integration-coverage.xml"), (data_file, "integration.coverage")):
        source.rename(base / name)
    return {"base": base, "project": project}


def test_merged_junit_keeps_suites_apart_and_counts_right(runs: dict[str, Path]) -> None:
    base = runs["base"]
    merged = junit.merge([junit.Report("unit", base / "unit.xml"), junit.Report("integration", base / "integration.xml")])
    out = base / "merged.xml"
    merged.write(str(out))

    totals = junit.totals(merged)
    assert (totals.tests, totals.failures, totals.errors, totals.skipped, totals.passed) == (5, 1, 0, 1, 3)
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.iter("testsuite")] == ["unit: pytest", "integration: pytest"]
    assert root.get("tests") == "5" and root.get("failures") == "1"

    failed = junit.failed_tests(merged, Rerooter(runs["project"]).reroot)
    assert len(failed) == 1
    assert failed[0].origin == "unit" and failed[0].name == "test_add_is_wrong"
    assert "two and two make four" in failed[0].message
    assert (failed[0].file, failed[0].line) == ("tests/unit/test_ops.py", 9)


def test_workspace_data_file_really_records_workspace_paths(runs: dict[str, Path]) -> None:
    data = CoverageData(basename=str(runs["base"] / "integration.coverage"))
    data.read()
    assert data.measured_files() == {f"{WORKSPACE_FILES}/src/calc/__init__.py", f"{WORKSPACE_FILES}/src/calc/ops.py"}


@pytest.mark.parametrize("integration_report", ["integration-coverage.xml", "integration.coverage"])
def test_coverage_rerooted_to_src_and_read_back_by_coverage_py(runs: dict[str, Path], integration_report: str) -> None:
    base, project = runs["base"], runs["project"]
    rerooter = Rerooter(project)
    combined = coverage_merge.combine([base / "unit-coverage.xml", base / integration_report], rerooter)
    assert combined.dropped == []
    assert combined.lines["src/calc/ops.py"] == UNIT_EXECUTED | INTEGRATION_EXECUTED

    out = base / f"out-{integration_report}"
    totals = coverage_merge.write(combined, project, out / "coverage.xml", out / ".coverage")
    assert (totals.lines_valid, totals.lines_covered) == (len(STATEMENTS), 8)
    assert totals.percent == pytest.approx(100 * 8 / 9)

    classes = {c.get("filename"): c for c in ET.parse(out / "coverage.xml").getroot().iter("class")}
    assert set(classes) == {"src/calc/__init__.py", "src/calc/ops.py"}
    hits = {int(line.get("number")): int(line.get("hits")) for line in classes["src/calc/ops.py"].iter("line")}
    assert set(hits) == STATEMENTS and {n for n, h in hits.items() if h == 0} == {13}

    cov = Coverage(data_file=str(out / ".coverage"), config_file=False)
    cov.load()
    assert cov.get_data().measured_files() == {str(project / "src/calc/__init__.py"), str(project / "src/calc/ops.py")}
    _, statements, _, missing, _ = cov.analysis2(str(project / "src/calc/ops.py"))
    assert set(statements) == STATEMENTS and missing == [13]
    report = subprocess.run([sys.executable, "-m", "coverage", "report", "-m", f"--data-file={out / '.coverage'}"], cwd=project, capture_output=True, text=True, check=True)
    assert re.search(r"^src/calc/ops\.py\s+9\s+1\s+89%\s+13$", report.stdout, re.MULTILINE), report.stdout


def test_integration_coverage_alone_has_the_integration_lines(runs: dict[str, Path]) -> None:
    combined = coverage_merge.combine([runs["base"] / "integration.coverage"], Rerooter(runs["project"]))
    assert combined.lines["src/calc/ops.py"] == INTEGRATION_EXECUTED


@pytest.mark.parametrize(("recorded", "expected"), [
    (f"{WORKSPACE_FILES}/src/calc/ops.py", "src/calc/ops.py"),
    ("/Workspace/Shared/.bundle/p/prod/files/src/calc/ops.py", "src/calc/ops.py"),
    ("/Users/x/.bundle/p/staging/files/src/calc/ops.py", "src/calc/ops.py"),
    ("/Workspace/Repos/team/p/src/calc/ops.py", "src/calc/ops.py"),
    ("dbfs:/tmp/ci/1234/src/calc/ops.py", "src/calc/ops.py"),
    ("/dbfs/tmp/ci/1234/src/calc/ops.py", "src/calc/ops.py"),
    ("/local_disk0/tmp/repo/src/calc/ops.py", "src/calc/ops.py"),
    ("src\\calc\\ops.py", "src/calc/ops.py"),
    ("./src/calc/ops.py", "src/calc/ops.py"),
    ("calc/ops.py", "src/calc/ops.py"),  # relative to the source folder
    ("ops.py", "src/calc/ops.py"),  # the only ops.py in the project
    ("calc/__init__.py", "src/calc/__init__.py"),
    (f"{WORKSPACE_FILES}/src/calc/gone.py", None),
    ("/usr/lib/python3/site-packages/requests/api.py", None),
])
def test_reroot_layouts(tmp_path: Path, recorded: str, expected: str | None) -> None:
    assert Rerooter(write_project(tmp_path)).reroot(recorded) == expected


def test_bundle_layout_wins_over_a_copy_inside_the_project(tmp_path: Path) -> None:
    """A workspace state folder inside the checkout holds a copy of src/: the bundle layout, not the copy, is the answer."""
    project = write_project(tmp_path / "repo")
    copy = project / "state/workspace/Users/x/.bundle/p/staging/files/src/calc"
    copy.mkdir(parents=True)
    (copy / "ops.py").write_text("")
    assert Rerooter(project).reroot(str(copy / "ops.py")) == "src/calc/ops.py"
    assert Rerooter(project).reroot("/tmp/state/workspace/Users/x/.bundle/p/staging/files/src/calc/ops.py") == "src/calc/ops.py"


def test_reroot_through_the_local_workspace_folder(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    local_root = tmp_path / "state" / "workspace"
    rerooter = Rerooter(project, environ={"BUNDLEOPS_LOCAL_WORKSPACE_ROOT": str(local_root)})
    assert rerooter.reroot(f"{local_root}/Users/x/.bundle/p/staging/files/src/calc/ops.py") == "src/calc/ops.py"


def test_not_junit_is_bad_input(tmp_path: Path) -> None:
    from bundleops.errors import BundleopsError, ExitCode

    bad = tmp_path / "junit.xml"
    bad.write_text("<not-closed", encoding="utf-8")
    with pytest.raises(BundleopsError) as caught:
        junit.merge([junit.Report("unit", bad)])
    assert caught.value.code == ExitCode.BAD_INPUT and str(bad) in str(caught.value)


def test_failure_located_through_a_workspace_traceback(tmp_path: Path) -> None:
    """A workspace run's traceback names /Workspace paths; the annotation must land on the repository file."""
    project = write_project(tmp_path / "repo")
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest" tests="1" failures="1" errors="0" skipped="0">'
        '<testcase classname="tests.integration.test_scale" name="test_scale">'
        '<failure message="assert [3] == [3, 6]">'
        f"{WORKSPACE_FILES}/src/calc/ops.py:8: in scale\n"
        f"{WORKSPACE_FILES}/tests/integration/test_scale.py:7: AssertionError"
        "</failure></testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    failed = junit.failed_tests(junit.merge([junit.Report("integration", report)]), Rerooter(project).reroot)
    assert [(f.origin, f.file, f.line, f.message) for f in failed] == [("integration", "tests/integration/test_scale.py", 7, "assert [3] == [3, 6]")]


def test_collection_error_is_an_error_not_a_failure(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    (project / "tests/unit/test_broken.py").write_text("import calc.missing_module\n", encoding="utf-8")
    result = run_pytest(project, "tests/unit", tmp_path / "unit.xml")
    assert result.returncode == 2  # pytest: interrupted by a collection error
    merged = junit.merge([junit.Report("unit", tmp_path / "unit.xml")])
    assert junit.totals(merged).errors == 1
    failed = junit.failed_tests(merged, Rerooter(project).reroot)
    assert [(f.kind, f.file) for f in failed] == [("error", "tests/unit/test_broken.py")]


def test_coverage_of_files_not_in_the_repository_gives_an_empty_report(runs: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other-repo"
    (other / "lib").mkdir(parents=True)
    (other / "lib" / "x.py").write_text("X = 1\n", encoding="utf-8")
    combined = coverage_merge.combine([runs["base"] / "integration-coverage.xml"], Rerooter(other))
    assert combined.lines == {} and f"{WORKSPACE_FILES}/src/calc/ops.py" in combined.dropped
    totals = coverage_merge.write(combined, other, tmp_path / "coverage.xml", tmp_path / ".coverage")
    assert (totals.percent, totals.lines_valid) == (0.0, 0)
    assert ET.parse(tmp_path / "coverage.xml").getroot().tag == "coverage"


def test_branch_conditions_survive_the_merge(tmp_path: Path) -> None:
    """Both runs measure branches: the `for` on line 7 is 0/2 in the unit run, 2/2 in the integration run."""
    project = write_project(tmp_path / "repo")
    reports = {}
    for origin in ("unit", "integration"):
        data = tmp_path / f"{origin}.coverage"
        run_pytest(project, f"tests/{origin}", tmp_path / f"{origin}.xml", data_file=data, branch=True)
        reports[origin] = tmp_path / f"{origin}-coverage.xml"
        subprocess.run([sys.executable, "-m", "coverage", "xml", f"--data-file={data}", "-o", str(reports[origin])], cwd=project, check=True, capture_output=True)

    def line_7(report: Path) -> dict[str, str]:
        ops = next(c for c in ET.parse(report).getroot().iter("class") if c.get("filename").endswith("ops.py"))
        return next(line for line in ops.iter("line") if line.get("number") == "7").attrib

    assert line_7(reports["unit"])["condition-coverage"] == "0% (0/2)"
    rerooter = Rerooter(project)
    for inputs, expected, rate in (([reports["unit"]], "0% (0/2)", "0"), (list(reports.values()), "100% (2/2)", "1")):
        out = tmp_path / f"combined-{len(inputs)}"
        coverage_merge.write(coverage_merge.combine(inputs, rerooter), project, out / "coverage.xml", out / ".coverage")
        assert line_7(out / "coverage.xml")["condition-coverage"] == expected
        root = ET.parse(out / "coverage.xml").getroot()
        assert (root.get("branches-valid"), root.get("branch-rate")) == ("2", rate)


def test_ambiguous_relative_path_is_not_guessed(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    (project / "lib/calc").mkdir(parents=True)
    (project / "lib/calc/ops.py").write_text("")
    assert Rerooter(project).reroot("calc/ops.py") is None
    assert Rerooter(project).reroot(f"{WORKSPACE_FILES}/lib/calc/ops.py") == "lib/calc/ops.py"
