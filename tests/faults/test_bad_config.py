"""Hostile or mistaken bundleops.yml: every value out of range or unreadable is exit 2 naming file, key and fix.

Run through the real console script, so a traceback anywhere on the way would show in the output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.console import run_bundleops


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        (b"deploy:\n  lock_takeover_minutes: -5\n", "deploy.lock_takeover_minutes is -5", "a whole number of minutes from 5 to 10080"),
        (b"deploy:\n  timeout_minutes: 0\n", "deploy.timeout_minutes is 0", "a whole number of minutes from 1 to 1440"),
        (b"test:\n  timeout_minutes: -1\n", "test.timeout_minutes is -1", "a whole number of minutes from 1 to 1440"),
        (b"auth:\n  retry_timeout_seconds: 0\n", "auth.retry_timeout_seconds is 0", "a whole number of seconds from 1 to 3600"),
        (b"sonar:\n  timeout_seconds: -300\n", "sonar.timeout_seconds is -300", "a whole number of seconds from 1 to 86400"),
        (b"publish:\n  max_annotations: -1\n", "publish.max_annotations is -1", "a whole number of annotations from 0 to 1000"),
        (b'release_tag_pattern: "(["\n', "release_tag_pattern '([' is not a regular expression", "a Python regular expression, for example"),
        (b"default_branch: r\xe9lease\n", "not UTF-8 text (byte 0xe9 at offset 17)", "save bundleops.yml as UTF-8"),
    ],
)
def test_each_mistake_exits_2_with_file_key_and_fix(tmp_path: Path, text: bytes, key: str, allowed: str) -> None:
    (tmp_path / "bundleops.yml").write_bytes(text)
    result = run_bundleops(["plan"], cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"bundleops.yml: {key}" in output
    assert allowed in output
    assert "Traceback" not in output


def test_values_at_the_edges_of_the_range_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "bundleops.yml").write_text(
        "deploy:\n  lock_takeover_minutes: 5\n  timeout_minutes: 1440\nauth:\n  retry_timeout_seconds: 1\n"
        "publish:\n  max_annotations: 0\nrelease_tag_pattern: '^release-\\d+$'\n", encoding="utf-8")
    result = run_bundleops(["plan"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
