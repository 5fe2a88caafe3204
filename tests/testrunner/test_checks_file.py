"""checks.yml as declared: what it reads, and every mistake an error naming file, line and fix."""

from __future__ import annotations

import pytest

from bundleops.errors import BundleopsError, ExitCode
from bundleops.testrunner.checks_file import find_files, load_file, load_tree, parse_table
from tests.support.gotemplate import EXAMPLE_DIR


def _write(tmp_path, text):
    path = tmp_path / "checks.yml"
    path.write_text(text)
    return path


def test_the_example_declares_checks_named_after_table_and_check():
    checks = load_tree(EXAMPLE_DIR / "tests/integration")
    names = [c.name for c in checks]
    assert names == [
        "daily_revenue: row_count_ratio",
        "daily_revenue.(order_date, country): unique",
        "daily_revenue.order_date: type",
        "daily_revenue.order_date: not_null",
        "daily_revenue.country: not_null",
        "daily_revenue.revenue: type",
        "daily_revenue.revenue: accepted_range",
        "daily_revenue.orders: accepted_range",
    ]
    assert checks[0].options == {"to": "orders", "min": 0.1, "max": 1}
    assert checks[0].source.endswith("tests/integration/checks.yml:6")


def test_every_kind_reads_its_arguments(tmp_path):
    path = _write(tmp_path, """
tables:
  sales.orders:
    row_count: {min: 1, max: 10}
    only_declared_columns: true
    columns:
      order_id: {unique: true, not_null: true}
      status: {accepted_values: [open, 1, true]}
      day: {accepted_range: {min: 2026-01-01}}
      customer_id: {relationships: {to: customers}}
      loaded_at: {freshness: {max_age: 90m}, type: TIMESTAMP}
""")
    options = {c.name: c.options for c in load_file(path)}
    assert options["sales.orders: only_declared_columns"] == {"columns": ("order_id", "status", "day", "customer_id", "loaded_at")}
    assert options["sales.orders.status: accepted_values"] == {"values": ("open", 1, True)}
    assert options["sales.orders.customer_id: relationships"] == {"to": "customers", "field": None}
    assert options["sales.orders.loaded_at: freshness"] == {"max_age": "90m", "seconds": 5400}
    assert options["sales.orders.loaded_at: type"] == {"type": "TIMESTAMP"}


def test_checks_files_are_found_under_the_tests_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "checks.yaml").write_text("tables: {}\n")
    (tmp_path / "fixtures.yml").write_text("tables: {}\n")
    assert find_files(tmp_path) == [tmp_path / "sub" / "checks.yaml"]
    assert find_files(tmp_path / "sub" / "checks.yaml") == []


@pytest.mark.parametrize(
    ("text", "line", "message", "fix"),
    [
        ("tables: [a]", 1, "one key, `tables:`", "docs/testrunner.md"),
        ("tables:\n  t:\n    columns:\n      a: {not_nul: true}\n", 4, "unknown column check 'not_nul'", "did you mean `not_null`?"),
        ("tables:\n  t:\n    rowcount: {min: 1}\n", 3, "unknown table key 'rowcount'", "did you mean `row_count`?"),
        ("tables:\n  t:\n    row_count: {min: 1, mx: 3}\n", 3, "unknown key of `row_count` 'mx'", "did you mean `max`?"),
        ("tables:\n  t:\n    row_count: {min: 5, max: 3}\n", 3, "min 5 above max 3", "swap them"),
        ("tables:\n  t:\n    row_count: {min: -1}\n", 3, "whole numbers of 0 or more", "row_count: {min: 1"),
        ("tables:\n  t:\n    row_count_ratio: {min: 1}\n", 3, "`row_count_ratio` needs `to`", "docs/testrunner.md"),
        ("tables:\n  t:\n    unique: [a]\n", 3, "two or more column names", "unique: true"),
        ("tables:\n  t:\n    only_declared_columns: true\n", 2, "needs the columns listed", "columns:"),
        ("tables:\n  t:\n    columns:\n      a: {unique: yes please}\n", 4, "expected `true`", "remove the check"),
        ("tables:\n  t:\n    columns:\n      a: {accepted_values: []}\n", 4, "non-empty list", "accepted_values: ["),
        ("tables:\n  t:\n    columns:\n      a: {accepted_range: {}}\n", 4, "`min`, `max` or both", "accepted_range: {min: 0"),
        ("tables:\n  t:\n    columns:\n      a: {relationships: {field: b}}\n", 4, "`relationships` needs `to`", "docs/testrunner.md"),
        ("tables:\n  t:\n    columns:\n      a: {freshness: {max_age: 24}}\n", 4, "a number and a unit", "max_age: 24h"),
        ("tables:\n  t:\n    columns:\n      a: {type: 'INT; DROP TABLE t'}\n", 4, "needs a Spark SQL type", "DECIMAL(10,2)"),
        ("tables:\n  t:\n    columns:\n      a-b: {not_null: true}\n", 4, "letters, digits and underscores", "column name"),
        ("tables:\n  a.b.c.d: {}\n", 2, "catalog.schema.name", "table name"),
        ("tables:\n  t:\n    columns: [a, b]\n", 3, "must be a mapping", "docs/testrunner.md"),
        ("tables:\n  t:\n    columns:\n      a: {not_null: true}\n      a: {unique: true}\n", 5, "duplicate key 'a'", "a key appears once"),
        ("tables:\n  t: [\n", 3, "not valid YAML", "at that line"),
    ],
)
def test_a_mistake_is_bad_input_naming_file_line_and_fix(tmp_path, text, line, message, fix):
    path = _write(tmp_path, text)
    with pytest.raises(BundleopsError) as caught:
        load_file(path)
    assert caught.value.code == ExitCode.BAD_INPUT
    assert message in caught.value.message
    assert f"{path}:{line}:" in caught.value.message
    assert fix in caught.value.fix


def test_a_spec_given_in_code_is_validated_the_same_without_a_line():
    with pytest.raises(BundleopsError, match=r"^output checks check_table\(\): table 'orders', column 'id': unknown column check 'uniqe'"):
        parse_table("check_table()", 0, "orders", {"columns": {"id": {"uniqe": True}}})
