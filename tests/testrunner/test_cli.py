"""The runner's command line: argument errors are exit 2 before any Spark starts; the entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from bundleops.testrunner.__main__ import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--catalog", "my-catalog"], "--catalog 'my-catalog' is not a plain name"),
        (["--catalog", "main", "--schema-prefix", "tmp.x"], "--schema-prefix 'tmp.x' is not a plain name"),
        (["--catalog", "main", "--ttl-minutes", "0"], "--ttl-minutes 0 must be positive"),
    ],
)
def test_bad_arguments_are_exit_2_with_the_cause_and_no_report(tmp_path, capsys, args, message):
    reports = tmp_path / "reports"
    code = main([*args, "--report-folder", str(reports)])
    assert code == 2
    captured = capsys.readouterr()
    assert message in captured.out + captured.err
    assert not reports.exists()


def test_help_shows_an_example():
    result = subprocess.run([sys.executable, "-m", "bundleops.testrunner", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "example:\n  python -m bundleops.testrunner --catalog" in result.stdout
    assert "--report-folder" in result.stdout


def test_missing_required_arguments_exit_2():
    result = subprocess.run([sys.executable, "-m", "bundleops.testrunner"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--catalog" in result.stderr


def test_the_wheel_entry_point_testrunner_runs_the_runner():
    (point,) = [e for e in entry_points(name="testrunner") if e.dist and e.dist.name == "bundleops"]
    assert point.load().__module__ == "bundleops.testrunner.__main__"


def test_a_report_folder_that_cannot_be_created_is_exit_2_before_spark_starts(tmp_path, capsys):
    blocker = tmp_path / "volume"
    blocker.write_text("a file where the volume folder should be")
    code = main(["--catalog", "main", "--project-root", str(tmp_path), "--report-folder", str(blocker / "run-1")])
    assert code == 2
    captured = capsys.readouterr()
    assert "cannot create the report folder" in captured.out + captured.err


def test_a_run_whose_step_was_cancelled_before_it_began_ends_without_spark(tmp_path, capsys) -> None:  # noqa: ANN001
    """The cancel marker `bundleops test` leaves when run-now was still unanswered: the runner
    ends (exit 3) before it starts Spark, creates a schema or writes a report."""
    from bundleops.testrunner import cancel_marker, runner

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / cancel_marker.FILE_NAME).write_text('{"cancelled_because": "this CI job received SIGTERM"}', encoding="utf-8")
    options = runner.Options(project_root=tmp_path, tests=tmp_path / "tests", catalog="main", report_dir=reports, run_id="7")
    assert runner.run(options, spark=None) == 3
    assert "cancelled before run-now was answered" in capsys.readouterr().out
    assert sorted(path.name for path in reports.iterdir()) == [cancel_marker.FILE_NAME]
