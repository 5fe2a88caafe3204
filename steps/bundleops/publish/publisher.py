"""Merge the reports the earlier steps left, write them where every CI system reads them, and
show the result natively: job summary, failed-test annotations, step outputs.

| CI system | test results read from | coverage read from |
| --- | --- | --- |
| GitHub | job summary + `::error file=,line=` annotations (this step) | job summary |
| Azure | PublishTestResults@2 `test-results/junit.xml` | PublishCodeCoverageResults@2 `test-results/coverage.xml` |
| GitLab | `artifacts:reports:junit` `test-results/junit.xml` | `artifacts:reports:coverage_report` (cobertura) `test-results/coverage.xml` |
| Jenkins | `junit 'test-results/junit.xml'` | `recordCoverage` (COBERTURA) `test-results/coverage.xml` |
| Bitbucket | automatic: `test-results/**/*.xml` | the summary file `test-results/bundleops-summary.md` |
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output.redact import redact_file
from bundleops.output.writers import CIWriter, report_dir
from bundleops.publish import coverage_merge, junit, summary
from bundleops.publish.reroot import Rerooter

ORIGINS = ("unit", "integration")
DEFAULT_JUNIT = tuple(f".bundleops/reports/{origin}/junit.xml" for origin in ORIGINS)
DEFAULT_COVERAGE = tuple(f".bundleops/reports/{origin}/coverage.xml" for origin in ORIGINS)
COMBINED_DATA_FILE = ".bundleops/reports/combined.coverage"

CONSUMERS: dict[str, str] = {
    "github": "GitHub shows the job summary and the annotations above",
    "azure": "PublishTestResults@2 reads {junit}; PublishCodeCoverageResults@2 reads {coverage}",
    "gitlab": "GitLab reads {junit} (artifacts:reports:junit) and {coverage} (artifacts:reports:coverage_report, cobertura)",
    "jenkins": "Jenkins reads {junit} (junit) and {coverage} (recordCoverage, COBERTURA)",
    "bitbucket": "Bitbucket reads {junit} automatically (test-results/**/*.xml)",
    "local": "merged reports: {junit} and {coverage}",
}


@dataclass(frozen=True)
class Published:
    totals: junit.Totals
    failed: list[junit.FailedTest]
    coverage: coverage_merge.CoverageTotals | None
    junit_path: Path
    coverage_path: Path | None


def publish(out: CIWriter, project_root: Path, junit_patterns: Sequence[str] | None, coverage_patterns: Sequence[str] | None, *, max_annotations: int, target: str | None = None) -> Published:
    """Merge, write to the report folder, and show the result on the CI system this runs on."""
    if max_annotations < 0:
        raise BundleopsError(f"publish.max_annotations is {max_annotations}", fix="set publish.max_annotations in bundleops.yml to 0 or more")
    rerooter = Rerooter(project_root)
    reports = [junit.Report(_origin(path), path) for path in _inputs(project_root, junit_patterns, DEFAULT_JUNIT, "JUnit", "--junit")]
    coverage_inputs = _inputs(project_root, coverage_patterns, DEFAULT_COVERAGE, "coverage", "--coverage", required=False)
    if not junit_patterns:
        for missing in (path for path in DEFAULT_JUNIT if not (project_root / path).is_file()):
            out.info(f"{missing} not found (its step did not run here): published without it")
    out_dir = report_dir(out.environ)

    merged = junit.merge(reports)
    junit_path = out_dir / "junit.xml"
    junit_path.parent.mkdir(parents=True, exist_ok=True)
    merged.write(str(junit_path))
    redact_file(junit_path)  # the inputs may come from elsewhere (--junit), unredacted
    totals = junit.totals(merged)
    failed = junit.failed_tests(merged, rerooter.reroot)
    coverage_path = out_dir / "coverage.xml" if coverage_inputs else None
    coverage_totals, dropped = _coverage(out, coverage_inputs, rerooter, project_root, coverage_path)

    _annotate(out, failed, max_annotations)
    out.summary(summary.render(totals, junit.totals_by_origin(merged), failed, coverage_totals, dropped=dropped, target=target))
    out.set_output("tests_total", str(totals.tests))
    out.set_output("tests_failed", str(totals.failures + totals.errors))
    out.set_output("coverage_percent", f"{coverage_totals.percent:.2f}" if coverage_totals else "")
    out.info(f"bundleops tests: {totals.describe()}")
    if coverage_totals:
        # One fixed line, so GitLab's `coverage:` keyword can parse it (regex in docs/publishing.md).
        out.info(f"bundleops coverage: {coverage_totals.percent:.2f}%")
    out.info(CONSUMERS.get(out.vendor, CONSUMERS["local"]).format(junit=junit_path, coverage=coverage_path or "(no coverage)"))
    return Published(totals, failed, coverage_totals, junit_path, coverage_path)


def _coverage(out: CIWriter, inputs: Sequence[Path], rerooter: Rerooter, project_root: Path, xml_path: Path | None) -> tuple[coverage_merge.CoverageTotals | None, list[str]]:
    """Combine and write the coverage; warn about measured files that are not in the repository."""
    if xml_path is None:
        return None, []
    combined = coverage_merge.combine(inputs, rerooter)
    totals = coverage_merge.write(combined, project_root, xml_path, project_root / COMBINED_DATA_FILE)
    redact_file(xml_path)
    for path in combined.dropped[:5]:
        out.warning(f"coverage for {path} left out: no file of this repository matches it")
    return totals, combined.dropped


def _annotate(out: CIWriter, failed: Sequence[junit.FailedTest], limit: int) -> None:
    """One error annotation per failed test, on its file and line, up to `limit`."""
    for test in failed[:limit]:
        first_line = test.message.splitlines()[0] if test.message else test.kind
        out.error(f"{test.origin} test {test.classname}::{test.name} {test.kind}: {first_line}", file=test.file, line=test.line, title=f"{test.origin} test failed")
    if len(failed) > limit:
        out.warning(f"{len(failed) - limit} more failed tests are not annotated (limit publish.max_annotations={limit}); the job summary lists them")


def _origin(path: Path) -> str:
    """`unit` or `integration` for the reports the earlier steps wrote; the file's stem otherwise."""
    return path.parent.name if path.parent.name in ORIGINS else path.stem


def _inputs(project_root: Path, patterns: Sequence[str] | None, defaults: Sequence[str], kind: str, option: str, *, required: bool = True) -> list[Path]:
    """Files matching the patterns (relative to the project root); the earlier steps' reports by default."""
    if patterns:
        found: list[Path] = []
        for pattern in patterns:
            matches = sorted(glob.glob(pattern, root_dir=project_root, recursive=True))
            if not matches:
                raise BundleopsError(f"{option} {pattern}: no {kind} report matches (looked under {project_root})", fix=f"check the pattern, or the step that should have written the {kind} report", code=ExitCode.BAD_INPUT)
            found += [project_root / match for match in matches if (project_root / match) not in found]
        return found
    found = [project_root / path for path in defaults if (project_root / path).is_file()]
    if required and not found:
        raise BundleopsError(
            f"no {kind} report found: neither {' nor '.join(defaults)} exists under {project_root}",
            fix=f"run `bundleops unit` and/or `bundleops test` first, or name the reports with {option}",
            code=ExitCode.BAD_INPUT,
        )
    return found
