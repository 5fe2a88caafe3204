"""The pytest plugin of the runner: fixtures for the project's integration tests, and output checks.

- `spark`: the runner's SparkSession (the runtime's inside Databricks, local Spark elsewhere);
- `catalog`: the catalog of the run (`spark_catalog` on local Spark);
- `schema`: the run's temporary schema, which holds the mock tables;
- `table_name`: a function, mock table name -> its full `catalog.schema.table` name;
- `check_table`: a function, (table, checks as in checks.yml) -> fails the test naming each failed check.

Every `checks.yml` under the tests is collected as test items, one per check, named after table
and check (`orders.order_id: unique`), so each is its own JUnit case in the run's report. They
run after the test functions, because the tests (or the pipeline update a test starts) write
the tables the checks read.

pytest 9 deprecates session fixtures on plugin objects, so this is a module passed to
`pytest.main(plugins=[...])`; the runner sets the context with `activate` before and clears it
after, and a fixture used outside a runner run fails with an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

import pytest

from bundleops.errors import BundleopsError
from bundleops.testrunner import checks, checks_file

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Context:
    spark: "SparkSession"
    catalog: str
    schema: str
    tables: Mapping[str, str]  # mock table name -> full three-part name
    output_schema: str  # checks.yml's bare table names: a pipeline's schema (--output-schema), else `schema`


_active: Context | None = None


def activate(context: Context | None) -> None:
    global _active
    _active = context


def _context() -> Context:
    if _active is None:
        raise RuntimeError("the fixtures spark, catalog, schema, table_name and check_table, and output checks, exist only in a bundleops.testrunner run")
    return _active


@pytest.fixture(scope="session")
def spark() -> "SparkSession":
    return _context().spark


@pytest.fixture(scope="session")
def catalog() -> str:
    return _context().catalog


@pytest.fixture(scope="session")
def schema() -> str:
    return _context().schema


@pytest.fixture(scope="session")
def table_name() -> Callable[[str], str]:
    tables = dict(_context().tables)

    def lookup(name: str) -> str:
        if name not in tables:
            raise LookupError(f"no mock table {name!r}; the fixture files declare: {', '.join(sorted(tables)) or 'none'}")
        return tables[name]

    return lookup


@pytest.fixture(scope="session")
def check_table() -> Callable[[str, Mapping[str, Any]], None]:
    """The checks of checks.yml from a test: `check_table("orders", {"columns": {"order_id": {"unique": True}}})`.
    Same vocabulary, validation and queries as the file; for checks a test decides at run time."""
    context = _context()
    resolve = checks.resolver(context.catalog, context.schema)

    def check(table: str, spec: Mapping[str, Any]) -> None:
        try:
            declared = checks_file.parse_table("check_table()", 0, table, spec)
        except BundleopsError as error:
            pytest.fail(str(error), pytrace=False)
        failed = [(c, outcome) for c in declared if not (outcome := checks.run(context.spark, c, resolve)).passed]
        if failed:
            pytest.fail("\n".join(f"{c.name}: {outcome.message}" for c, outcome in failed), pytrace=False)

    return check


class CheckFailed(Exception):
    """A check found offending rows; its message is the whole report (no traceback to show)."""


class ChecksFile(pytest.File):
    """A `checks.yml`: one item per declared check. The runner's phase 1 has read every checks
    file under the tests already and refused a mistake (exit 2), so collecting it cannot fail."""

    def collect(self) -> Iterator["CheckItem"]:
        for check in checks_file.load_file(self.path):
            yield CheckItem.from_parent(self, name=check.name, check=check)


class CheckItem(pytest.Item):
    """One output check; a pass records what it checked as the case's property `checked`."""

    def __init__(self, *, check: checks_file.Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        context = _context()
        outcome = checks.run(context.spark, self.check, checks.resolver(context.catalog, context.output_schema))
        if not outcome.passed:
            raise CheckFailed(f"{self.check.name}: {outcome.message}")
        self.user_properties.append(("checked", outcome.message))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.check.name


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ChecksFile | None:
    if file_path.name in checks_file.FILE_NAMES:
        return ChecksFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Checks last (a stable sort keeps each group's order): they read what the tests wrote."""
    items.sort(key=lambda item: isinstance(item, CheckItem))
