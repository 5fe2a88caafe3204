"""A pipeline's SQL sources, read into its dataflow graph.

The statements of Spark Declarative Pipelines' SQL, plus Databricks' `CONSTRAINT ... EXPECT`:

    CREATE [OR REFRESH] MATERIALIZED VIEW name [(column definitions, constraints)] [clauses] AS query
    CREATE [OR REFRESH] STREAMING TABLE name [(...)] [clauses] [AS query]   -- query: ... FROM STREAM(t)
    CREATE [OR REPLACE] TEMPORARY VIEW name AS query
    CREATE FLOW name AS INSERT INTO target BY NAME query
    SET key = value

A constraint is `CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]`;
column definitions become the schema the rows are cast to. Clauses kept for the real workspace
but without effect here: COMMENT, TBLPROPERTIES, PARTITIONED BY, CLUSTER BY. Anything else, AUTO
CDC / APPLY CHANGES and Databricks' `read_files` first, is refused by name. Queries are Spark SQL, run as they are.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from bundleops.localworkspace.pipeline_expectations import Expectation
from bundleops.localworkspace.pipeline_errors import Unsupported
from bundleops.localworkspace.pipeline_graph import Dataset, FlowSpec, Graph

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_NAME = r"((?:`[^`]+`|[\w$]+)(?:\s*\.\s*(?:`[^`]+`|[\w$]+))*)"
_HEADS = (
    (re.compile(r"CREATE\s+(?:OR\s+REFRESH\s+)?(?:PRIVATE\s+)?MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME, re.I), "materialized_view"),
    (re.compile(r"CREATE\s+(?:OR\s+REFRESH\s+)?(?:PRIVATE\s+)?STREAMING\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME, re.I), "streaming_table"),
    (re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY|TEMP)\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME, re.I), "temporary_view"),
)
_FLOW = re.compile(r"CREATE\s+FLOW\s+" + _NAME + r"\s+AS\s+INSERT\s+INTO\s+" + _NAME + r"\s+BY\s+NAME\s+(.+)", re.I | re.S)
_SET = re.compile(r"SET\s+([\w.]+)\s*=\s*(.*)", re.I | re.S)
_AUTO_CDC = re.compile(r"\b(?:APPLY\s+CHANGES|AUTO\s+CDC)\s+INTO\b", re.I)
_READ_FILES = re.compile(r"\bread_files\s*\(", re.I)
_CONSTRAINT = re.compile(r"CONSTRAINT\s+(`[^`]+`|\w+)\s+EXPECT\s*\((.*)\)\s*(?:ON\s+VIOLATION\s+(DROP\s+ROW|FAIL\s+UPDATE))?", re.I | re.S)
_CLAUSE = re.compile(r"\s*(?:COMMENT\s+'(?:[^'\\]|\\.)*'|TBLPROPERTIES\s*\([^)]*\)|PARTITIONED\s+BY\s*\([^)]*\)|CLUSTER\s+BY\s*\([^)]*\))", re.I)
_ACTIONS = {None: "allow", "DROP ROW": "drop", "FAIL UPDATE": "fail"}


def statements(text: str) -> list[str]:
    """The statements of a SQL file: comments removed, split at semicolons outside quotes."""
    found, current, index, quote = [], [], 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            current.append(char)
            if char == "\\" and index + 1 < len(text):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
            current.append(char)
        elif text.startswith("--", index):
            index = text.find("\n", index)
            index = len(text) if index < 0 else index
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            continue
        elif char == ";":
            found.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    found.append("".join(current))
    return [statement.strip() for statement in found if statement.strip()]


def _balanced(text: str, start: int) -> int:
    """The index just past the parenthesis group opening at `start`."""
    depth, quote = 0, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    raise ValueError("unbalanced parentheses")


def _split_top(text: str) -> list[str]:
    """Comma-separated items, not splitting inside parentheses or quotes."""
    items, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _unquote(name: str) -> str:
    return ".".join(part.strip().strip("`") for part in re.split(r"\.(?=(?:[^`]*`[^`]*`)*[^`]*$)", name))


def register(text: str, file: str, spark: SparkSession, graph: Graph) -> None:
    """Add the datasets, flows and settings of one SQL file to `graph`."""
    for statement in statements(text):
        where = f"{file}: {' '.join(statement.split())[:60]}"
        if _AUTO_CDC.search(statement):
            raise Unsupported("AUTO CDC (APPLY CHANGES INTO / AUTO CDC INTO)", where)
        if _READ_FILES.search(statement):
            raise Unsupported("read_files, Databricks' file reader, (read the files in a Python source: spark.readStream.format(...).load(path))", where)
        setting = _SET.fullmatch(statement)
        if setting:
            graph.conf[setting.group(1)] = setting.group(2).strip().strip("'\"")
            continue
        flow = _FLOW.fullmatch(statement)
        if flow:
            graph.flows.append(FlowSpec(_unquote(flow.group(1)), _unquote(flow.group(2)), _query(spark, flow.group(3))))
            continue
        _dataset(statement, where, spark, graph)


def _dataset(statement: str, where: str, spark: SparkSession, graph: Graph) -> None:
    for head, kind in _HEADS:
        found = head.match(statement)
        if found:
            break
    else:
        raise Unsupported(f"the statement {' '.join(statement.split())[:40]!r}", where)
    name, rest = _unquote(found.group(1)), statement[found.end():].lstrip()
    dataset = Dataset(name, kind)
    if rest.startswith("("):
        end = _balanced(rest, 0)
        _elements(rest[1:end - 1], dataset, where)
        rest = rest[end:]
    while True:
        clause = _CLAUSE.match(rest)
        if not clause:
            break
        rest = rest[clause.end():]
    rest = rest.strip()
    if rest and not re.match(r"AS\b", rest, re.I):
        raise Unsupported(f"the clause {' '.join(rest.split())[:40]!r}", where)
    if kind == "temporary_view" and dataset.expectations:
        raise Unsupported(f"an expectation on the temporary view {name}", where)
    graph.add_dataset(dataset)
    if rest:
        graph.flows.append(FlowSpec(name, name, _query(spark, rest[2:])))


def _elements(text: str, dataset: Dataset, where: str) -> None:
    """The parenthesised list after a dataset's name: column definitions and constraints."""
    columns = []
    for item in _split_top(text):
        constraint = _CONSTRAINT.fullmatch(item)
        if constraint:
            action = " ".join(constraint.group(3).upper().split()) if constraint.group(3) else None
            dataset.expectations.append(Expectation(constraint.group(1).strip("`"), constraint.group(2).strip(), _ACTIONS[action]))
        elif re.match(r"CONSTRAINT\b", item, re.I):
            raise Unsupported(f"the constraint {item[:60]!r} (only CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE])", where)
        else:
            columns.append(item)
    dataset.schema = ", ".join(columns) or None


def _query(spark: SparkSession, text: str) -> Callable[[], DataFrame]:
    query = text.strip()
    return lambda: spark.sql(query)
