"""Command-line arguments of `python -m bundleops.testrunner` (the wheel entry point `testrunner`).

The test job passes them as python_wheel_task parameters; values such as the report folder and
the run id come from Databricks' `{{job.parameters.report_folder}}` and `{{job.run_id}}`.
"""

from __future__ import annotations

import argparse
import re
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

from bundleops.errors import BundleopsError, ExitCode
from bundleops.testrunner.runner import Options

EXAMPLE = (
    "python -m bundleops.testrunner --catalog staging --project-root /Workspace/Users/<sp>/.bundle/orders_pipeline/staging/files "
    "--tests /Workspace/.../files/tests/integration --report-folder /Volumes/staging/orders_pipeline/test_reports/run-42 --run-id 42"
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="bundleops.testrunner",
        description="Integration-test runner: mock tables in a temporary schema -> pytest with coverage -> drop the schema. "
        "Writes junit.xml and coverage.xml into the report folder. Exit codes: 0 passed, 1 a test or phase failed, "
        "2 bad input (arguments, fixture files), 3 Spark or the platform failed.",
        epilog=f"example:\n  {EXAMPLE}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    result.add_argument("--catalog", required=True, help="catalog for the temporary schema (local Spark always uses spark_catalog)")
    result.add_argument("--report-folder", required=True, help="folder for junit.xml and coverage.xml: a /Volumes/... path or a local folder")
    result.add_argument("--project-root", default=".", help="the deployed project folder (${workspace.file_path}); default: .")
    result.add_argument("--tests", help="integration tests to run; default: <project root>/tests/integration")
    result.add_argument("--fixtures", help="folder of mock-table files; default: <tests>/fixtures")
    result.add_argument("--source", action="append", help="source folder to measure and import (repeatable); default: <project root>/src")
    result.add_argument("--run-id", help="the job run id ({{job.run_id}}); names the schema; default: a fresh local id")
    result.add_argument("--commit", default="unknown", help="commit under test, recorded in the report")
    result.add_argument("--output-schema", metavar="SCHEMA",
                        help="schema in --catalog whose tables checks.yml names without a schema: what a pipeline the job ran wrote "
                             "(e.g. ${resources.schemas.x.name}); default: the run's temporary schema")
    result.add_argument("--schema-prefix", default="bundleops_test", help="temporary schemas are <prefix>_<run id>; the sweep looks at this prefix")
    result.add_argument("--ttl-minutes", type=int, default=360, help="RemoveAfter = now + this; later runs drop the schema after it (default 360)")
    result.add_argument("--metastore-dir", help="local Spark only: keep the metastore and warehouse in this folder across runs")
    return result


def options(argv: Sequence[str] | None = None) -> Options:
    args = parser().parse_args(argv)
    for label, value in (("--catalog", args.catalog), ("--schema-prefix", args.schema_prefix), ("--output-schema", args.output_schema)):
        if value is not None and not _NAME.match(value):
            raise BundleopsError(f"{label} {value!r} is not a plain name", fix=f"give {label} letters, digits and underscores only", code=ExitCode.BAD_INPUT)
    if args.ttl_minutes <= 0:
        raise BundleopsError(f"--ttl-minutes {args.ttl_minutes} must be positive", fix="give the minutes after which a leftover schema may be dropped, e.g. 360")
    project_root = local_folder(args.project_root)
    tests = local_folder(args.tests) if args.tests else project_root / "tests" / "integration"
    return Options(
        project_root=project_root,
        tests=tests,
        catalog=args.catalog,
        report_dir=local_folder(args.report_folder),
        run_id=args.run_id or local_run_id(),
        commit=args.commit,
        fixtures=local_folder(args.fixtures) if args.fixtures else None,
        sources=tuple(local_folder(s) for s in args.source or ()),
        prefix=args.schema_prefix,
        output_schema=args.output_schema,
        ttl=timedelta(minutes=args.ttl_minutes),
        metastore_dir=Path(args.metastore_dir).resolve() if args.metastore_dir else None,
    )


def local_folder(folder: str) -> Path:
    """Where a path argument is on this machine. The job passes workspace paths
    (`${workspace.file_path}`, `/Volumes/...`): inside Databricks they are FUSE mounts and stay as
    they are; the local workspace maps them through its environment variables."""
    if folder.startswith(("/Volumes/", "/Workspace/")):
        from bundleops.mounts import local_path

        return local_path(folder)
    return Path(folder).resolve()


def local_run_id() -> str:
    """A run id for runs outside a job: UTC time plus randomness, so parallel runs never collide."""
    return f"local_{datetime.now(timezone.utc):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
