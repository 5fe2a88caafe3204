"""Branch (condition) coverage carried from the input Cobertura reports into the combined one.

coverage.py writes the combined report from line data; the inputs' `condition-coverage="50% (1/2)"`
per line is then added back, with the class, package and report branch rates recomputed, so
SonarQube's condition coverage and GitLab's and Jenkins' branch columns survive the merge.
Cobertura says how many conditions of a line were covered, not which, so two inputs covering
one branch each count as 1/2, never 2/2: a lower bound, never an overstatement.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

_COUNTS = re.compile(r"\((\d+)/(\d+)\)")


def parse_condition_coverage(value: str | None) -> tuple[int, int] | None:
    """`"50% (1/2)"` -> (1, 2); None when absent or malformed."""
    match = _COUNTS.search(value or "")
    if not match or int(match.group(2)) == 0:
        return None
    return int(match.group(1)), int(match.group(2))


def add_conditions(xml_path: Path, conditions: dict[str, dict[int, tuple[int, int]]]) -> None:
    """Mark the lines with known conditions as branches in the Cobertura report and recompute the rates."""
    if not any(conditions.values()):
        return
    tree = ET.parse(xml_path)
    root = tree.getroot()
    report_counts = [0, 0]  # covered, valid
    for package in root.iter("package"):
        package_counts = [0, 0]
        for cls in package.iter("class"):
            known = conditions.get(cls.get("filename") or "", {})
            class_counts = [0, 0]
            for line in cls.iter("line"):
                counted = known.get(int(line.get("number", "0")))
                if counted:
                    covered, total = counted
                    line.set("branch", "true")
                    line.set("condition-coverage", f"{round(100 * covered / total)}% ({covered}/{total})")
                    class_counts[0] += covered
                    class_counts[1] += total
            _set_rate(cls, class_counts)
            package_counts = [a + b for a, b in zip(package_counts, class_counts)]
        _set_rate(package, package_counts)
        report_counts = [a + b for a, b in zip(report_counts, package_counts)]
    _set_rate(root, report_counts)
    root.set("branches-covered", str(report_counts[0]))
    root.set("branches-valid", str(report_counts[1]))
    tree.write(xml_path, encoding="utf-8", xml_declaration=True)


def _set_rate(element: ET.Element, counts: list[int]) -> None:
    covered, valid = counts
    element.set("branch-rate", f"{covered / valid:.4g}" if valid else "0")
