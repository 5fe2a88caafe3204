"""Which files the stand-in's deploy uploads (.gitignore, sync.exclude) and how lock times read."""

from __future__ import annotations

from pathlib import Path

from bundleops.localcli.lock import go_time_text, rfc3339_nano
from bundleops.localcli.sync import Selection, project_files
from bundleops.localcli.version import unsatisfied
from tests.localcli.bundles import write_bundle


def test_gitignore_and_sync_exclude_decide_what_is_uploaded(tmp_path: Path) -> None:
    write_bundle(tmp_path, {
        "databricks.yml": "bundle:\n  name: f\n",
        ".gitignore": "# build output\n/dist/\n*.pyc\nlogs/\n!keep.pyc\n",
        "src/a.py": "", "src/a.pyc": "", "src/keep.pyc": "", "dist/x.whl": "", "src/dist/y.py": "",
        "deep/logs/z.txt": "", "notes/draft.md": "", ".databricks/bundle/dev/x.json": "", ".git/HEAD": "",
    })
    assert project_files(Selection(tmp_path, (".",), ("notes/**",))) == [".gitignore", "databricks.yml", "src/a.py", "src/dist/y.py", "src/keep.pyc"]


def test_lock_times_read_as_go_prints_them() -> None:
    from datetime import datetime, timezone

    assert rfc3339_nano(datetime(2026, 11, 24, 6, 5, 4, 120000, tzinfo=timezone.utc)) == "2026-11-24T06:05:04.12Z"
    assert rfc3339_nano(datetime(2026, 11, 24, 6, 5, 4, tzinfo=timezone.utc)) == "2026-11-24T06:05:04Z"
    assert go_time_text("2026-11-24T06:05:04.120000000Z") == "2026-11-24 06:05:04.12 +0000 UTC"
    assert go_time_text("2026-11-24T07:05:04+01:00") == "2026-11-24 07:05:04 +0100 +0100"


def test_cli_version_constraints() -> None:
    assert unsatisfied(">= 1.13.0") == ""
    assert unsatisfied(">= 0.250.0, < 2") == ""
    assert unsatisfied(">= 2.0.0") == "Databricks CLI version constraint not satisfied. Required: >= 2.0.0, current: 1.13.0"
