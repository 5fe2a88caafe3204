"""The job summary: the same Markdown on every CI system (GitHub job summary, Azure build summary,
a Markdown file in the report folder elsewhere), so a reviewer sees one picture everywhere."""

from __future__ import annotations

from typing import Sequence

from bundleops.output import markdown as md
from bundleops.publish.coverage_merge import CoverageTotals
from bundleops.publish.junit import FailedTest, Totals

MESSAGE_LIMIT = 1200  # characters of a failure message shown in the summary


def render(overall: Totals, by_origin: dict[str, Totals], failed: Sequence[FailedTest], coverage: CoverageTotals | None, *, dropped: Sequence[str] = (), max_failed: int = 50, target: str | None = None) -> str:
    heading = f"## Test results: {md.code(target)}" if target else "## Test results"
    lines = [heading, "", _headline(overall), "", "| origin | tests | passed | failed | errors | skipped | time |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = {md.code(origin or "tests", cell=True): t for origin, t in by_origin.items()}
    for origin, t in {**rows, "**total**": overall}.items():
        lines.append(f"| {origin} | {t.tests} | {t.passed} | {t.failures} | {t.errors} | {t.skipped} | {t.time:.1f}s |")
    if failed:
        lines += ["", f"### Failed tests ({len(failed)})", "", *failed_entries(failed, max_failed)]
    lines += ["", "## Coverage", ""]
    if coverage is None:
        lines.append("No coverage report was found.")
    else:
        lines.append(f"**{coverage.percent:.2f}%** of lines covered ({coverage.lines_covered} of {coverage.lines_valid}), unit and integration combined.")
    if dropped:
        shown = ", ".join(md.code(path) for path in dropped[:5])
        more = f" and {len(dropped) - 5} more" if len(dropped) > 5 else ""
        lines += ["", f"{len(dropped)} measured file(s) are not in this repository and were left out: {shown}{more}."]
    return "\n".join(lines) + "\n"


def _headline(t: Totals) -> str:
    icon = "❌" if t.failures or t.errors else "✅"
    return f"{icon} **{t.tests} tests**: {t.passed} passed, {t.failures} failed, {t.errors} errors, {t.skipped} skipped"


def failed_entries(failed: Sequence[FailedTest], limit: int = 50) -> list[str]:
    """Each failed test as a list item with its message in a fence; at most `limit`, then how many more."""
    lines = [line for test in failed[:limit] for line in _failed_entry(test)]
    if len(failed) > limit:
        lines.append(f"… and {len(failed) - limit} more; see test-results/junit.xml.")
    return lines


def _failed_entry(test: FailedTest) -> list[str]:
    where = f" at {md.code(f'{test.file}:{test.line}')}" if test.file and test.line else (f" in {md.code(test.file)}" if test.file else "")
    title = f"- **{md.code(test.origin or 'tests')}** {test.kind}: {md.code(f'{test.classname}::{test.name}')}{where}"
    message = test.message if len(test.message) <= MESSAGE_LIMIT else test.message[:MESSAGE_LIMIT] + " …"
    return [title, "", *md.fenced(message, indent="  "), ""]
