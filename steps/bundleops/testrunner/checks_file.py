"""Output checks as declared: `tests/integration/checks.yml`, read and validated strictly.

```yaml
tables:
  daily_revenue:                   # a table of the run's schema; or schema.table, catalog.schema.table
    row_count: {min: 1, max: 1000}
    row_count_ratio: {to: orders, min: 0.1, max: 1}   # rows here / rows in `to`
    unique: [order_date, country]  # a key of several columns
    only_declared_columns: true    # no column beyond those under `columns`
    columns:
      country:
        type: STRING
        not_null: true
        accepted_values: [DE, FR, unknown]
      revenue: {accepted_range: {min: 0}}
      customer_id: {relationships: {to: customers, field: customer_id}}
      loaded_at: {freshness: {max_age: 24h}}
```

The vocabulary is dbt's generic tests (`unique`, `not_null`, `accepted_values`, `relationships`,
dbt_utils' `accepted_range`) so a data engineer reads it without a manual. A check that is
misspelt and silently skipped is worse than none, so every unknown key, a duplicate key and a
wrong value is a BundleopsError naming the file, the line and the fix; the runner reads these
files in phase 1, before any schema exists. Nothing here touches Spark: checks.py runs them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from bundleops.errors import BundleopsError, ExitCode

FILE_NAMES = ("checks.yml", "checks.yaml")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
Scalar = str | int | float | bool | date


@dataclass(frozen=True)
class Check:
    """One check: one test case, named `<table>.<column>: <kind>` or `<table>: <kind>`."""

    table: str  # as written: table, schema.table or catalog.schema.table
    kind: str
    columns: tuple[str, ...]  # the column(s) it is about; () for a table check
    options: Mapping[str, Any]  # the validated arguments of the kind
    source: str  # `file:line`, where it is declared

    @property
    def name(self) -> str:
        if not self.columns:
            return f"{self.table}: {self.kind}"
        about = self.columns[0] if len(self.columns) == 1 else "(" + ", ".join(self.columns) + ")"
        return f"{self.table}.{about}: {self.kind}"


class _Map(dict):
    """A YAML mapping that remembers its line and each key's line, for messages."""

    line: int = 0
    key_lines: dict


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings keep lines and refuse duplicate keys (PyYAML keeps the last one)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line, result.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain name", key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def find_files(tests: Path) -> list[Path]:
    """Every checks file under the tests folder, in path order (none when `tests` is a file)."""
    if not tests.is_dir():
        return []
    return sorted(p for name in FILE_NAMES for p in tests.rglob(name) if p.is_file())


def load_tree(tests: Path) -> list[Check]:
    """The checks of every checks file under `tests`; a mistake anywhere raises BundleopsError."""
    return [check for path in find_files(tests) for check in load_file(path)]


def load_file(path: Path) -> list[Check]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        where = _at(str(path), error.problem_mark.line + 1 if error.problem_mark else 0)
        _fail(where, f"not valid YAML: {' '.join(filter(None, (error.context, error.problem)))}", "fix the YAML at that line (a key appears once per mapping)")
    except yaml.YAMLError as error:
        _fail(str(path), f"not valid YAML ({' '.join(str(error).split())})", "fix the YAML")
    if not isinstance(data, _Map) or set(data) != {"tables"} or not isinstance(data["tables"], _Map):
        _fail(f"{path}:{getattr(data, 'line', 1)}", "expected a mapping with one key, `tables:`, mapping table names to their checks", "see docs/testrunner.md, Output checks")
    tables: _Map = data["tables"]
    return [check for name, spec in tables.items() for check in parse_table(str(path), tables.key_lines[name], name, spec)]


def parse_table(file: str, line: int, table: Any, spec: Any) -> list[Check]:
    """The checks of one table's declaration; `file` and `line` say where it is written (line 0:
    none, as for the `check_table` fixture, which validates its spec here too)."""
    where = f"{_at(file, line)}: table {table!r}"
    if not isinstance(table, str) or not all(_NAME.match(part) for part in table.split(".")) or table.count(".") > 2:
        _fail(where, "a table is `name`, `schema.name` or `catalog.schema.name` of letters, digits and underscores", "fix the table name")
    spec = _mapping(where, spec, "the table's checks")
    checks: list[Check] = []
    for key, value in spec.items():
        source = _at(file, _line(spec, key, line))
        at = f"{source}: table {table!r}"
        if key == "columns":
            checks += _columns(file, at, table, value, _line(spec, key, line))
        elif key in TABLE_CHECKS:
            options = TABLE_CHECKS[key](at, value)
            if key == "only_declared_columns":  # it compares against the columns declared beside it
                options = {"columns": tuple(spec.get("columns") or ())}
            checks.append(Check(table, key, _table_columns(key, value), options, source))
        else:
            _unknown(at, key, "table key", ["columns", *TABLE_CHECKS])
    if spec.get("only_declared_columns") and not isinstance(spec.get("columns"), dict):
        _fail(where, "`only_declared_columns` needs the columns listed under `columns`", "list every column under `columns:`")
    return checks


def _columns(file: str, where: str, table: str, columns: Any, line: int) -> list[Check]:
    columns = _mapping(where, columns, "`columns` (column name -> its checks)")
    checks: list[Check] = []
    for column, spec in columns.items():
        column_line = _line(columns, column, line)
        at = f"{_at(file, column_line)}: table {table!r}, column {column!r}"
        if not isinstance(column, str) or not _NAME.match(column):
            _fail(at, "a column name is letters, digits and underscores", "fix the column name")
        spec = _mapping(at, spec if spec is not None else {}, "the column's checks, e.g. `{not_null: true, unique: true}`")
        for kind, value in spec.items():
            source = _at(file, _line(spec, kind, column_line))
            check_at = f"{source}: table {table!r}, column {column!r}"
            if kind not in COLUMN_CHECKS:
                _unknown(check_at, kind, "column check", list(COLUMN_CHECKS))
            checks.append(Check(table, kind, (column,), COLUMN_CHECKS[kind](check_at, value), source))
    return checks


def _table_columns(kind: str, value: Any) -> tuple[str, ...]:
    """A table-level `unique` is about its key columns; the other table checks about no column."""
    return tuple(value) if kind == "unique" else ()


# ---- the arguments of each kind: (where, value) -> options, or BundleopsError


def _flag(where: str, value: Any) -> Mapping[str, Any]:
    if value is not True:
        _fail(where, f"expected `true`, got {value!r}", "write `true`, or remove the check")
    return {}


def _type(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, str) or not value.strip() or ";" in value:
        _fail(where, f"`type` needs a Spark SQL type, got {value!r}", "e.g. STRING, BIGINT, \"DECIMAL(10,2)\", TIMESTAMP")
    return {"type": value.strip()}


def _accepted_values(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, list) or not value or not all(isinstance(v, Scalar) for v in value):
        _fail(where, f"`accepted_values` needs a non-empty list of values, got {value!r}", "e.g. `accepted_values: [completed, shipped]`")
    return {"values": tuple(value)}


def _accepted_range(where: str, value: Any) -> Mapping[str, Any]:
    value = _mapping(where, value, "`accepted_range`")
    _keys(where, value, "accepted_range", required=(), optional=("min", "max"))
    if not value or not all(isinstance(v, Scalar) and not isinstance(v, bool) for v in value.values()):
        _fail(where, f"`accepted_range` needs `min`, `max` or both as numbers, dates or text, got {dict(value)!r}", "e.g. `accepted_range: {min: 0, max: 1000}`")
    if isinstance(value.get("min"), (int, float)) and isinstance(value.get("max"), (int, float)) and value["min"] > value["max"]:
        _fail(where, f"`accepted_range` has min {value['min']} above max {value['max']}", "swap them")
    return dict(value)


def _relationships(where: str, value: Any) -> Mapping[str, Any]:
    value = _mapping(where, value, "`relationships`")
    _keys(where, value, "relationships", required=("to",), optional=("field",))
    if not isinstance(value["to"], str) or not all(_NAME.match(p) for p in value["to"].split(".")):
        _fail(where, f"`relationships.to` must name a table, got {value['to']!r}", "e.g. `relationships: {to: customers, field: customer_id}`")
    field = value.get("field")
    if field is not None and (not isinstance(field, str) or not _NAME.match(field)):
        _fail(where, f"`relationships.field` must name a column, got {field!r}", "name the column of `to` this column refers to")
    return {"to": value["to"], "field": field}


def _freshness(where: str, value: Any) -> Mapping[str, Any]:
    value = _mapping(where, value, "`freshness`")
    _keys(where, value, "freshness", required=("max_age",), optional=())
    match = _DURATION.match(str(value["max_age"]).strip()) if isinstance(value["max_age"], str) else None
    if not match:
        _fail(where, f"`freshness.max_age` must be a number and a unit (s, m, h, d), got {value['max_age']!r}", "e.g. `freshness: {max_age: 24h}`")
    return {"max_age": value["max_age"].strip(), "seconds": int(match.group(1)) * _SECONDS[match.group(2)]}


def _row_count(where: str, value: Any) -> Mapping[str, Any]:
    value = _mapping(where, value, "`row_count`")
    _keys(where, value, "row_count", required=(), optional=("min", "max"))
    _bounds(where, "row_count", value, integers=True)
    return dict(value)


def _row_count_ratio(where: str, value: Any) -> Mapping[str, Any]:
    value = _mapping(where, value, "`row_count_ratio`")
    _keys(where, value, "row_count_ratio", required=("to",), optional=("min", "max"))
    if not isinstance(value["to"], str) or not all(_NAME.match(p) for p in value["to"].split(".")):
        _fail(where, f"`row_count_ratio.to` must name a table, got {value['to']!r}", "e.g. `row_count_ratio: {to: orders, min: 0.9, max: 1}`")
    _bounds(where, "row_count_ratio", {k: v for k, v in value.items() if k != "to"}, integers=False)
    return dict(value)


def _key_columns(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(c, str) and _NAME.match(c) for c in value) or len(set(value)) != len(value):
        _fail(where, f"a table's `unique` needs a list of two or more column names, got {value!r}", "e.g. `unique: [order_date, country]`; for one column write `unique: true` under the column")
    return {}


COLUMN_CHECKS: dict[str, Callable[[str, Any], Mapping[str, Any]]] = {
    "type": _type,
    "not_null": _flag,
    "unique": _flag,
    "accepted_values": _accepted_values,
    "accepted_range": _accepted_range,
    "relationships": _relationships,
    "freshness": _freshness,
}
TABLE_CHECKS: dict[str, Callable[[str, Any], Mapping[str, Any]]] = {
    "row_count": _row_count,
    "row_count_ratio": _row_count_ratio,
    "unique": _key_columns,
    "only_declared_columns": _flag,
}


# ---- helpers


def _bounds(where: str, kind: str, value: Mapping[str, Any], *, integers: bool) -> None:
    wanted = int if integers else (int, float)
    if not value or not all(isinstance(v, wanted) and not isinstance(v, bool) and v >= 0 for v in value.values()):
        example = "{min: 1, max: 1000}" if integers else "{to: orders, min: 0.9, max: 1}"
        _fail(where, f"`{kind}` needs `min`, `max` or both as {'whole ' if integers else ''}numbers of 0 or more, got {dict(value)!r}", f"e.g. `{kind}: {example}`")
    if "min" in value and "max" in value and value["min"] > value["max"]:
        _fail(where, f"`{kind}` has min {value['min']} above max {value['max']}", "swap them")


def _keys(where: str, value: Mapping[str, Any], kind: str, *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    for key in value:
        if key not in required + optional:
            _unknown(where, key, f"key of `{kind}`", [*required, *optional])
    missing = [key for key in required if key not in value]
    if missing:
        _fail(where, f"`{kind}` needs {', '.join(f'`{k}`' for k in missing)}", "see docs/testrunner.md, Output checks")


def _mapping(where: str, value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        _fail(where, f"{what} must be a mapping, got {type(value).__name__} {value!r}", "see docs/testrunner.md, Output checks")
    return value


def _at(file: str, line: int) -> str:
    """`file:line`, or the origin alone when there is no line (a spec given to check_table)."""
    return f"{file}:{line}" if line else file


def _line(mapping: dict, key: Any, default: int) -> int:
    """The line of `key` in the file; `default` for a mapping not read from a file (check_table)."""
    return getattr(mapping, "key_lines", {}).get(key, default)


def _unknown(where: str, key: Any, what: str, known: list[str]) -> None:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    _fail(where, f"unknown {what} {key!r}", f"{hint}known: {', '.join(known)} (docs/testrunner.md, Output checks)")


def _fail(where: str, problem: str, fix: str):
    raise BundleopsError(f"output checks {where}: {problem}", fix=fix, code=ExitCode.BAD_INPUT)
