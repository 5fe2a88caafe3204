"""The pytest plugin of the runner: fixtures for the project's integration tests.

- `spark`: the runner's SparkSession (the runtime's inside Databricks, local Spark elsewhere);
- `catalog`: the catalog of the run (`spark_catalog` on local Spark);
- `schema`: the run's temporary schema, which holds the mock tables;
- `table_name`: a function, mock table name -> its full `catalog.schema.table` name.

pytest 9 deprecates session fixtures on plugin objects, so this is a module passed to
`pytest.main(plugins=[...])`; the runner sets the context with `activate` before and clears it
after, and a fixture used outside a runner run fails with an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class Context:
    spark: "SparkSession"
    catalog: str
    schema: str
    tables: Mapping[str, str]  # mock table name -> full three-part name


_active: Context | None = None


def activate(context: Context | None) -> None:
    global _active
    _active = context


def _context() -> Context:
    if _active is None:
        raise RuntimeError("the fixtures spark, catalog, schema and table_name exist only in a bundleops.testrunner run")
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
