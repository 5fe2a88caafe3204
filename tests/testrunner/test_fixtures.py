"""The mock-table file format: what loads, and the errors that name file, table and fix."""

from __future__ import annotations

import datetime

import pytest

from bundleops.errors import BundleopsError, ExitCode
from bundleops.testrunner.fixtures import load_dir, load_file
from tests.support.gotemplate import EXAMPLE_DIR


def _write(tmp_path, text, name="t.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_example_fixtures_load_inline_and_csv_rows():
    tables = {t.name: t for t in load_dir(EXAMPLE_DIR / "tests/integration/fixtures")}
    assert list(tables) == ["orders", "customers"]
    assert tables["orders"].columns[3] == ("amount", "DECIMAL(10,2)")
    assert tables["orders"].rows[0] == ("1", "c1", "2026-11-01 09:15:00", "49.99", "completed")
    assert tables["customers"].rows == (("c1", "Ada Lovelace", "DE"), ("c2", "Grace Hopper", "FR"), ("c3", "Katherine Johnson", "DE"))


def test_values_become_text_spark_casts(tmp_path):
    path = _write(tmp_path, """
tables:
  t:
    columns: {a: BIGINT, b: BOOLEAN, c: DATE, d: TIMESTAMP, e: STRING, f: DOUBLE}
    rows:
      - [1, true, 2026-11-01, 2026-11-01 10:00:00, null, 1.5]
      - {a: 2, e: "x"}
""")
    (table,) = load_file(path)
    assert table.rows == (
        ("1", "true", "2026-11-01", str(datetime.datetime(2026, 11, 1, 10)), None, "1.5"),
        ("2", None, None, None, "x", None),
    )


def test_no_fixture_folder_means_no_tables(tmp_path):
    assert load_dir(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tables: [a]", "one key, `tables:`"),
        ("tabels: {}", "one key, `tables:`"),
        ("tables: {t: {columns: {a: INT}, row: []}}", "expected keys"),
        ("tables: {t: {columns: []}}", "`columns` must map"),
        ("tables: {t: {columns: {a: ''}}}", "needs a Spark SQL type"),
        ("tables: {t: {columns: {a: 'INT; DROP TABLE x'}}}", "needs a Spark SQL type"),
        ("tables: {'my-table': {columns: {a: INT}}}", "letters, digits and underscores"),
        ("tables: {t: {columns: {a: INT, b: INT}, rows: [[1]]}}", "row 1 has 1 values for 2 columns"),
        ("tables: {t: {columns: {a: INT}, rows: [{b: 1}]}}", "unknown columns ['b']"),
        ("tables: {t: {columns: {a: INT}, rows: [[[1, 2]]]}}", "row 1 holds a list"),
        ("tables: {t: {columns: {a: INT}, rows: [[1]], csv: x.csv}}", "both `rows` and `csv`"),
        ("tables: {t: {columns: {a: INT}, csv: ../x.csv}}", "beside the fixture file"),
        ("tables: {t: {columns: {a: INT}, csv: missing.csv}}", "does not exist"),
        ("tables: {t: [", "not valid YAML"),
    ],
)
def test_mistakes_are_bad_input_naming_the_file(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(BundleopsError) as caught:
        load_file(path)
    assert caught.value.code == ExitCode.BAD_INPUT
    assert message in caught.value.message
    assert str(path) in caught.value.message
    assert caught.value.fix


def test_csv_header_must_match_the_columns(tmp_path):
    (tmp_path / "c.csv").write_text("id,name\n1,a\n")
    path = _write(tmp_path, "tables: {c: {columns: {id: INT, country: STRING}, csv: c.csv}}")
    with pytest.raises(BundleopsError, match=r"CSV header \['id', 'name'\] differs"):
        load_file(path)
    (tmp_path / "c.csv").write_text("id,country\n1,DE\n2\n")
    with pytest.raises(BundleopsError, match="line 3 has 1 fields for 2 columns"):
        load_file(path)


def test_a_table_declared_twice_is_refused(tmp_path):
    _write(tmp_path, "tables: {orders: {columns: {a: INT}}}", "a.yml")
    _write(tmp_path, "tables: {Orders: {columns: {a: INT}}}", "b.yml")
    with pytest.raises(BundleopsError, match="also declared in"):
        load_dir(tmp_path)
