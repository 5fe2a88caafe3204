"""Expectations, Databricks' data quality rules for a pipeline's datasets, enforced locally.

Open-source `pyspark.pipelines` has no `expect*`: Databricks adds them. A pipeline update of the
local workspace gives the module its `dp` is (`from pyspark import pipelines as dp`) the six
`DECORATORS` (pipeline_graph.dp_functions), so the same source runs unchanged, and SQL `CONSTRAINT name EXPECT (cond) [ON
VIOLATION DROP ROW | FAIL UPDATE]` becomes the same `Expectation`. As Databricks documents them:
`expect` keeps every row and counts violations, `expect_or_drop` drops violating rows and counts
them, `expect_or_fail` fails the update naming the expectation and the dataset. A row passes when
its condition is true; false or NULL is a violation (the row a `WHERE` would not keep).

A decorator goes between the dataset decorator and the function (`@dp.materialized_view` above
`@dp.expect(...)`): it records the rule on the function, which the registry reads when the
dataset's flow is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from bundleops.localworkspace.pipeline_errors import ExpectationFailed

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

ATTRIBUTE = "__bundleops_expectations__"
ACTIONS = ("allow", "drop", "fail")


@dataclass(frozen=True)
class Expectation:
    name: str
    condition: str  # a SQL boolean expression
    action: str  # allow | drop | fail


def expectations_of(func: Callable[..., Any]) -> list[Expectation]:
    return list(getattr(func, ATTRIBUTE, []))


def _decorator(rules: dict[str, str], action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def attach(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func):
            raise TypeError("an expectation decorator goes below the dataset decorator (@dp.materialized_view / @dp.table), "
                            "directly above the function it checks")
        # decorators apply bottom-up: put this one's rules first, so the rules keep the source's order
        setattr(func, ATTRIBUTE, [*(Expectation(name, condition, action) for name, condition in rules.items()), *expectations_of(func)])
        return func

    return attach


def expect(description: str, constraint: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Keep violating rows; count them."""
    return _decorator({description: constraint}, "allow")


def expect_or_drop(description: str, constraint: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Drop violating rows; count them."""
    return _decorator({description: constraint}, "drop")


def expect_or_fail(description: str, constraint: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Fail the update on the first violating row."""
    return _decorator({description: constraint}, "fail")


def expect_all(expectations: dict[str, str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return _decorator(expectations, "allow")


def expect_all_or_drop(expectations: dict[str, str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return _decorator(expectations, "drop")


def expect_all_or_fail(expectations: dict[str, str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return _decorator(expectations, "fail")


DECORATORS = {function.__name__: function for function in (expect, expect_or_drop, expect_or_fail, expect_all, expect_all_or_drop, expect_all_or_fail)}


@dataclass
class Tally:
    """Passed and failed rows per expectation of one flow, summed over its batches."""

    dataset: str
    rules: list[Expectation]
    passed: dict[str, int]
    failed: dict[str, int]
    dropped: int = 0

    @classmethod
    def of(cls, dataset: str, rules: list[Expectation]) -> Tally:
        return cls(dataset, rules, {rule.name: 0 for rule in rules}, {rule.name: 0 for rule in rules})

    def data_quality(self) -> dict[str, Any]:
        """`details.flow_progress.data_quality` of the flow's event, as Databricks' event log has it."""
        return {"dropped_records": self.dropped, "expectations": [
            {"name": rule.name, "dataset": self.dataset, "passed_records": self.passed[rule.name], "failed_records": self.failed[rule.name]}
            for rule in self.rules]}


def enforce(frame: DataFrame, tally: Tally, flow: str) -> DataFrame:
    """Count each rule's violations in `frame` (one aggregation), fail on an `expect_or_fail`
    violation, and return the rows to write (without those an `expect_or_drop` rule rejects).
    `frame` is evaluated twice: the caller persists it when that is costly."""
    from pyspark.sql import functions as F

    if not tally.rules:
        return frame
    passes = {rule.name: F.coalesce(F.expr(rule.condition), F.lit(False)) for rule in tally.rules}
    keep = F.lit(True)
    for rule in tally.rules:
        if rule.action == "drop":
            keep = keep & passes[rule.name]
    counts = frame.select(F.count(F.lit(1)).alias("rows"), F.sum(F.when(keep, 0).otherwise(1)).alias("dropped"),
                          *[F.sum(F.when(passing, 0).otherwise(1)).alias(f"f{i}") for i, passing in enumerate(passes.values())]).first()
    rows = int(counts["rows"])
    for index, rule in enumerate(tally.rules):
        failed = int(counts[f"f{index}"] or 0)
        tally.failed[rule.name] += failed
        tally.passed[rule.name] += rows - failed
        if rule.action == "fail" and failed:
            raise ExpectationFailed(f"Flow '{flow}' failed to meet the expectation '{rule.name}' ({rule.condition}) of table {tally.dataset}: "
                                    f"{failed} of {rows} record(s) violate it, and it is an expect_or_fail expectation (ON VIOLATION FAIL UPDATE)")
    tally.dropped += int(counts["dropped"] or 0)
    return frame.where(keep)
