"""Combine coverage from the unit run and the workspace run into one report about the checkout.

Inputs are Cobertura XML (what `bundleops unit` and the in-workspace test runner write) or
coverage.py data files (`.coverage`, SQLite). Each recorded path is re-rooted onto the project
(see reroot.py); the executed lines of every input are unioned in a coverage.py data file, and
coverage.py itself writes the Cobertura report from the project's own sources. So statements,
exclusions and percentages are computed once, by coverage.py, against the code SonarQube and
the CI system will show, whatever machine measured them.

Branches: coverage.py cannot combine line data with arc data, and a Cobertura report has no
arcs, only "n of m conditions" per line. So the lines are combined by coverage.py, and the
conditions are added to its report afterwards (see branches.py): per line, the best input's
count, a lower bound of the true union.
"""

from __future__ import annotations

import contextlib
import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from bundleops.errors import BundleopsError, ExitCode
from bundleops.publish import branches
from bundleops.publish.reroot import Rerooter

SQLITE_HEADER = b"SQLite format 3\x00"
EMPTY_COBERTURA = (
    '<?xml version="1.0" ?>\n<coverage lines-valid="0" lines-covered="0" line-rate="0" branches-valid="0" '
    'branches-covered="0" branch-rate="0" complexity="0" version="bundleops"><sources/><packages/></coverage>\n'
)


@dataclass(frozen=True)
class Measured:
    """One measured file of one input, before re-rooting."""

    candidates: list[str]  # the paths it may have had where it ran, most specific first
    executed: set[int] = field(default_factory=set)
    conditions: dict[int, tuple[int, int]] = field(default_factory=dict)  # line -> (covered, total)


@dataclass
class Combined:
    """Executed lines and branch conditions per project-relative file, and the recorded paths no project file matched."""

    lines: dict[str, set[int]] = field(default_factory=dict)
    conditions: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CoverageTotals:
    percent: float
    lines_covered: int
    lines_valid: int


def combine(paths: Iterable[Path], rerooter: Rerooter) -> Combined:
    combined = Combined()
    for path in paths:
        for measured in _recorded(path):
            rel = next((r for r in map(rerooter.reroot, measured.candidates) if r), None)
            if rel is None:
                if measured.candidates[0] not in combined.dropped:
                    combined.dropped.append(measured.candidates[0])
                continue
            combined.lines.setdefault(rel, set()).update(measured.executed)
            known = combined.conditions.setdefault(rel, {})
            for line, (covered, total) in measured.conditions.items():
                known[line] = max(known.get(line, (0, total)), (covered, total))
    return combined


def _recorded(path: Path) -> list[Measured]:
    """Each measured file of one input."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BundleopsError(f"{path}: cannot read the coverage report ({exc})", fix="check the path", code=ExitCode.BAD_INPUT) from None
    if header == SQLITE_HEADER:
        return _from_data_file(path)
    return _from_cobertura(path)


def _from_data_file(path: Path) -> list[Measured]:
    from coverage import CoverageData
    from coverage.exceptions import CoverageException

    data = CoverageData(basename=str(path))
    try:
        data.read()
        return [Measured([name], set(data.lines(name) or ())) for name in sorted(data.measured_files())]
    except CoverageException as exc:
        raise BundleopsError(f"{path}: not a readable coverage.py data file ({exc})", fix="pass a .coverage file or a Cobertura coverage.xml", code=ExitCode.BAD_INPUT) from None


def _from_cobertura(path: Path) -> list[Measured]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise BundleopsError(f"{path}: not valid XML ({exc})", fix="pass the Cobertura coverage.xml that `coverage xml` wrote", code=ExitCode.BAD_INPUT) from None
    if root.tag != "coverage":
        raise BundleopsError(
            f"{path}: root element is <{root.tag}>, expected Cobertura's <coverage>",
            fix="pass a Cobertura XML report (`coverage xml`) or a .coverage data file",
            code=ExitCode.BAD_INPUT,
        )
    sources = [(s.text or "").strip().replace("\\", "/") for s in root.iter("source") if (s.text or "").strip()]
    measured: dict[str, Measured] = {}
    for cls in root.iter("class"):
        filename = (cls.get("filename") or "").replace("\\", "/")
        if not filename:
            continue
        entry = measured.setdefault(filename, Measured([posixpath.join(source, filename) for source in sources] + [filename]))
        for line in cls.iter("line"):
            number, hits = line.get("number"), line.get("hits")
            if not (number and number.isdigit()):
                continue
            if hits and hits.isdigit() and int(hits) > 0:
                entry.executed.add(int(number))
            counted = branches.parse_condition_coverage(line.get("condition-coverage"))
            if line.get("branch") == "true" and counted:
                entry.conditions[int(number)] = max(entry.conditions.get(int(number), counted), counted)
    return list(measured.values())


def write(combined: Combined, project_root: Path, xml_path: Path, data_path: Path) -> CoverageTotals:
    """Write the combined coverage.py data file and, from it, the Cobertura report with relative paths."""
    from coverage import Coverage, CoverageData
    from coverage.exceptions import NoDataError

    project_root = project_root.resolve()
    xml_path, data_path = xml_path.resolve(), data_path.resolve()
    data_path.parent.mkdir(parents=True, exist_ok=True)
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    data_path.unlink(missing_ok=True)
    data = CoverageData(basename=str(data_path))
    # Absolute checkout paths, so plain `coverage report` in the checkout reads the file back; the
    # Cobertura report names files relative to the working directory (the project root) anyway,
    # with the project root as its <source>.
    data.add_lines({str(project_root / rel): sorted(lines) for rel, lines in sorted(combined.lines.items())})
    data.write()
    with contextlib.chdir(project_root):  # class filenames are relative to the working directory
        cov = Coverage(data_file=str(data_path), config_file=False)
        cov.set_option("report:ignore_errors", True)
        cov.load()
        try:
            percent = cov.xml_report(outfile=str(xml_path))
        except NoDataError:  # nothing measured matched the repository: an empty report, not a crash
            percent = 0.0
            xml_path.write_text(EMPTY_COBERTURA, encoding="utf-8")
    branches.add_conditions(xml_path, combined.conditions)
    root = ET.parse(xml_path).getroot()
    return CoverageTotals(percent=percent, lines_covered=int(root.get("lines-covered", "0")), lines_valid=int(root.get("lines-valid", "0")))
