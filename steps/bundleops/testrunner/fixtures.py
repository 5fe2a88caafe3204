"""The project's mock-table files: `tests/integration/fixtures/*.yml` (format in docs/testrunner.md).

```yaml
tables:
  orders:                         # table name (created in the run's temporary schema)
    columns:                      # column name: Spark SQL type, in table order
      order_id: BIGINT
      amount: DECIMAL(10,2)
    rows:                         # inline rows: lists in column order, or mappings by column
      - [1, "19.99"]
      - {order_id: 2, amount: null}
  customers:
    columns: {customer_id: STRING, country: STRING}
    csv: customers.csv            # or rows from a CSV beside the file (header row = column names)
```

Values are given as text and cast to the column type by Spark (ANSI casts, so `"abc"` for a
BIGINT fails the mock-data phase instead of silently becoming NULL). Every mistake in a file is
a BundleopsError naming the file, the table and the key, because a data engineer fixes the file,
not the runner.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bundleops.errors import BundleopsError, ExitCode

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_KEYS = {"columns", "rows", "csv"}


@dataclass(frozen=True)
class MockTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column name, Spark SQL type)
    rows: tuple[tuple[str | None, ...], ...]  # text values in column order; None is NULL
    source: str  # the file (and table) it came from, for error messages


def load_dir(directory: Path) -> list[MockTable]:
    """All mock tables of `directory/*.yml` and `*.yaml`, files in name order; no folder, no tables."""
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    tables: list[MockTable] = []
    seen: dict[str, str] = {}
    for path in files:
        for table in load_file(path):
            if table.name.lower() in seen:
                _fail(table.source, f"table {table.name!r} is also declared in {seen[table.name.lower()]}", "give each mock table one declaration")
            seen[table.name.lower()] = table.source
            tables.append(table)
    return tables


def load_file(path: Path) -> list[MockTable]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        _fail(str(path), f"not valid YAML ({exc})", "fix the YAML syntax at the line named")
    if not isinstance(data, dict) or set(data) != {"tables"} or not isinstance(data["tables"], dict):
        _fail(str(path), "expected a mapping with one key, `tables:`, mapping table names to tables", "see docs/testrunner.md for the format")
    return [_table(path, name, spec) for name, spec in data["tables"].items()]


def _table(path: Path, name: Any, spec: Any) -> MockTable:
    where = f"{path}: table {name!r}"
    if not isinstance(name, str) or not _NAME.match(name):
        _fail(where, "a table name must be letters, digits and underscores", "rename the table")
    if not isinstance(spec, dict) or not set(spec) <= _TABLE_KEYS:
        _fail(where, f"expected keys from {sorted(_TABLE_KEYS)}, got {sorted(spec) if isinstance(spec, dict) else type(spec).__name__}", "see docs/testrunner.md")
    columns = _columns(where, spec.get("columns"))
    if "rows" in spec and "csv" in spec:
        _fail(where, "has both `rows` and `csv`", "keep one of them")
    if "csv" in spec:
        rows = _csv_rows(where, path.parent, spec["csv"], columns)
    else:
        rows = _inline_rows(where, spec.get("rows") or [], columns)
    return MockTable(name=name, columns=columns, rows=rows, source=where)


def _columns(where: str, columns: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(columns, dict) or not columns:
        _fail(where, "`columns` must map each column name to a Spark SQL type", "e.g. `columns: {order_id: BIGINT, amount: DECIMAL(10,2)}`")
    result = []
    for column, sql_type in columns.items():
        if not isinstance(column, str) or not _NAME.match(column):
            _fail(where, f"column name {column!r} must be letters, digits and underscores", "rename the column")
        if not isinstance(sql_type, str) or not sql_type.strip() or ";" in sql_type:
            _fail(where, f"column {column!r} needs a Spark SQL type, got {sql_type!r}", "e.g. STRING, BIGINT, DECIMAL(10,2), TIMESTAMP, ARRAY<STRING>")
        result.append((column, sql_type.strip()))
    return tuple(result)


def _inline_rows(where: str, rows: Any, columns: tuple[tuple[str, str], ...]) -> tuple[tuple[str | None, ...], ...]:
    if not isinstance(rows, list):
        _fail(where, "`rows` must be a list of rows", "write each row as a list in column order or a mapping by column name")
    names = [c for c, _ in columns]
    result = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            unknown = sorted(set(map(str, row)) - set(names))
            if unknown:
                _fail(where, f"row {number} names unknown columns {unknown}", f"use the declared columns: {names}")
            values = [row.get(name) for name in names]
        elif isinstance(row, list):
            if len(row) != len(names):
                _fail(where, f"row {number} has {len(row)} values for {len(names)} columns", f"give one value per column, in order: {names}")
            values = row
        else:
            _fail(where, f"row {number} is a {type(row).__name__}", "write a row as a list in column order or a mapping by column name")
        result.append(tuple(_text(where, number, v) for v in values))
    return tuple(result)


def _text(where: str, number: int, value: Any) -> str | None:
    """YAML scalars as the text Spark casts from; nested values are refused (write them as text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if hasattr(value, "isoformat"):  # YAML dates and timestamps
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    _fail(where, f"row {number} holds a {type(value).__name__}", "write the value as text Spark can cast to the column type, e.g. \"2026-11-01\" or \"19.99\"")


def _csv_rows(where: str, folder: Path, name: Any, columns: tuple[tuple[str, str], ...]) -> tuple[tuple[str | None, ...], ...]:
    if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
        _fail(where, f"`csv` must name a file beside the fixture file, got {name!r}", "e.g. `csv: customers.csv`")
    path = folder / name
    if not path.is_file():
        _fail(where, f"CSV file {path} does not exist", "create it or fix the `csv:` name")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        names = [c for c, _ in columns]
        if header != names:
            _fail(f"{where} ({path})", f"CSV header {header} differs from the declared columns {names}", "make the header row list the declared columns in order")
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != len(names):
                _fail(f"{where} ({path})", f"line {number} has {len(row)} fields for {len(names)} columns", "fix that line")
            rows.append(tuple(value if value != "" else None for value in row))
    return tuple(rows)


def _fail(where: str, problem: str, fix: str):
    raise BundleopsError(f"mock data {where}: {problem}", fix=fix, code=ExitCode.BAD_INPUT)
