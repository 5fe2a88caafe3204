"""`depends_on:` globs: `**` spans folders, `*` stays in one, a folder covers its contents; bad entries are refused."""

from __future__ import annotations

import pytest

from bundleops.config import parse
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan.globs import matches


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("shared", "shared/util.py", True),
    ("shared", "shared/deep/util.py", True),
    ("shared", "shared_other/util.py", False),
    ("shared/", "shared/util.py", True),
    ("shared/*.py", "shared/util.py", True),
    ("shared/*.py", "shared/deep/util.py", False),
    ("shared/**/*.py", "shared/util.py", True),
    ("shared/**/*.py", "shared/a/b/util.py", True),
    ("shared/**/*.py", "shared/a/notes.md", False),
    ("**/schema.sql", "any/where/schema.sql", True),
    ("libs/[ab]", "libs/a/x.py", True),
    ("libs/[!ab]", "libs/a/x.py", False),
    ("libs/?", "libs/c/x.py", True),
    ("a.b/c", "axb/c", False),
])
def test_glob(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


@pytest.mark.parametrize(("entry", "problem"), [
    ("../shared/**", "leaves the repository"),
    ("/abs/shared", "is not a relative path"),
    ("", "is not a relative path"),
])
def test_an_entry_that_cannot_name_a_repository_path_is_refused(entry: str, problem: str) -> None:
    with pytest.raises(BundleopsError, match=problem) as error:
        parse({"depends_on": ["shared", entry]}, "bundles/a/bundleops.yml")
    assert "depends_on[1]" in str(error.value) and error.value.code == ExitCode.BAD_INPUT
