"""Spark SQL text the runner sends: quoted names and literals, nothing format-specific.

No statement names a table format (no `USING delta`): a table gets the platform's default,
Delta on Databricks and parquet on local Spark, so the same fixtures work on both.
"""

from __future__ import annotations

from typing import Iterable, Sequence


def ident(name: str) -> str:
    """A backquoted identifier (catalog, schema, table or column)."""
    return "`" + name.replace("`", "``") + "`"


def qualified(*parts: str) -> str:
    return ".".join(ident(p) for p in parts)


def literal(value: str | None) -> str:
    """A Spark SQL string literal (backslash escapes are on by default on Spark and Databricks)."""
    if value is None:
        return "NULL"
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def typed_select(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str | None]]) -> str:
    """`SELECT CAST(col1 AS T1) AS c1, ... FROM VALUES (...)`: text cast to each column's type."""
    casts = ", ".join(f"CAST(col{i} AS {sql_type}) AS {ident(name)}" for i, (name, sql_type) in enumerate(columns, start=1))
    values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
    return f"SELECT {casts} FROM VALUES {values}"


def column_list(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{ident(name)} {sql_type}" for name, sql_type in columns)
