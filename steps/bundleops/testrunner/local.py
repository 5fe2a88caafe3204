"""`bundleops test --local`: the project's integration tests on local Spark, in this process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.testrunner import cli, runner
from bundleops.testrunner.spark import LOCAL_CATALOG

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run_local_project(project_root: Path, report_dir: Path, *, spark: "SparkSession | None" = None) -> int:
    """Run `<project_root>/tests/integration` as the test job would; reports go to report_dir.

    `spark` lets a caller that already has a local session reuse it (one JVM per process);
    without it the runner starts a tuned local session and stops it afterwards.
    """
    root = Path(project_root).resolve()
    options = runner.Options(
        project_root=root,
        tests=root / "tests" / "integration",
        catalog=LOCAL_CATALOG,
        report_dir=Path(report_dir).resolve(),
        run_id=cli.local_run_id(),
    )
    return runner.run(options, spark=spark)
