"""The suite's scheduling table (tests/conftest.py) names modules by path: a module renamed or
moved would silently fall out of its group and make its costly fixture once per worker again."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import _SHARED_FIXTURE_GROUPS

ROOT = Path(__file__).resolve().parents[2]
USES_LOCAL_SPARK = re.compile(r"^def \w+\([^)]*\blocal_spark\b", re.MULTILINE)  # a test or fixture taking the session's Spark


def test_every_grouped_module_exists() -> None:
    missing = [path for path in _SHARED_FIXTURE_GROUPS if not (ROOT / path).is_file()]
    assert not missing, f"tests/conftest.py groups modules that are not there: {missing}"


def test_the_spark_group_holds_every_module_using_local_spark() -> None:
    users = {str(path.relative_to(ROOT)) for path in (ROOT / "tests").rglob("test_*.py") if USES_LOCAL_SPARK.search(path.read_text(encoding="utf-8"))}
    assert users == {path for path, group in _SHARED_FIXTURE_GROUPS.items() if group == "local_spark"}
