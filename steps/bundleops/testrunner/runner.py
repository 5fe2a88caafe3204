"""One test-runner run: mock data -> pytest with coverage -> clean-up, every phase reported.

The clean-up and the reports happen whatever went wrong before them (a bad fixture file, a Spark
error, failing tests, a fixture that crashes), and the exit code is returned only after
`junit.xml` and `coverage.xml` are in the report folder, so CI always has something to show.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bundleops.errors import BundleopsError, ExitCode
from bundleops.mounts import catalog_folder
from bundleops.testrunner import cancel_marker, checks_file, fixtures, mockdata, pytest_phase, schemas
from bundleops.testrunner import spark as spark_sessions
from bundleops.testrunner.report import ERROR, FAILED, PASSED, SKIPPED, PhaseResult, exit_code, write_junit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JUNIT_FILE = "junit.xml"
COVERAGE_FILE = "coverage.xml"
PHASE_MOCK_DATA = "phase 1: mock data"
PHASE_SWEEP = "phase 1: sweep expired schemas"
PHASE_PYTEST = "phase 2: pytest"
PHASE_CLEANUP = "phase 3: clean-up"


class TestsFailed(BundleopsError):
    """The pytest phase failed because tests failed: the report's test cases already show each one."""

    __test__ = False  # a name pytest would otherwise try to collect


@dataclass(frozen=True)
class Options:
    project_root: Path
    tests: Path
    catalog: str
    report_dir: Path  # a local folder (a /Volumes path already mapped by the caller)
    run_id: str
    commit: str = "unknown"
    fixtures: Path | None = None  # default: <tests>/fixtures
    sources: tuple[Path, ...] = ()  # default: <project root>/src
    prefix: str = "bundleops_test"
    output_schema: str | None = None  # where checks.yml's bare table names are; default: the run's schema
    ttl: timedelta = timedelta(hours=6)
    metastore_dir: Path | None = None  # local Spark only: a persistent metastore
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))


class _Run:
    """The state one run carries between its phases."""

    def __init__(self, options: Options, spark: "SparkSession | None") -> None:
        self.options = options
        self.spark = spark
        self.own_spark = spark is None
        self.catalog = options.catalog
        self.schema = schemas.schema_name(options.prefix, options.run_id)
        self.schema_requested = False
        self.tables: dict[str, str] = {}
        self.phases: list[PhaseResult] = []

    def phase(self, name: str, action: Callable[[], str]) -> bool:
        """Run one phase, record its outcome; True when it passed."""
        start = time.monotonic()
        try:
            details = action()
            result = PhaseResult(name, PASSED, details=details)
        except BundleopsError as error:
            outcome = ERROR if error.code == ExitCode.EXTERNAL_FAILURE else FAILED
            result = PhaseResult(name, outcome, message=error.message, details=str(error), code=error.code, shown_by_tests=isinstance(error, TestsFailed))
        except Exception as error:  # noqa: BLE001 - a crash is reported as the phase's error
            message = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
            result = PhaseResult(name, ERROR, message=message, details=traceback.format_exc(), code=ExitCode.EXTERNAL_FAILURE)
        except KeyboardInterrupt:  # a cancelled run (SIGTERM, see __main__): record it, then stop
            self.phases.append(PhaseResult(name, ERROR, time.monotonic() - start, "interrupted: the run was cancelled", code=ExitCode.EXTERNAL_FAILURE))
            raise
        self.phases.append(dataclasses.replace(result, seconds=time.monotonic() - start))
        print(f"[bundleops.testrunner] {name}: {self.phases[-1].outcome}" + (f" ({result.message})" if result.message else ""), flush=True)
        return result.ok

    def skip(self, name: str, reason: str) -> None:
        self.phases.append(PhaseResult(name, SKIPPED, message=reason))

    # ---- phase 1
    def mock_data(self) -> str:
        options = self.options
        declared = fixtures.load_dir(options.fixtures or options.tests / "fixtures")
        notes = [f"{len(checks_file.load_file(path))} output checks in {_shown(path, options.project_root)}" for path in checks_file.find_files(options.tests)]
        tables_here = None if spark_sessions.on_databricks() else catalog_folder(self.catalog)
        if self.spark is None:
            self.spark = (spark_sessions.runtime_session() if spark_sessions.on_databricks()
                          else spark_sessions.local_session(warehouse_dir=tables_here, metastore_dir=options.metastore_dir))
        if not spark_sessions.on_databricks() and self.catalog != spark_sessions.LOCAL_CATALOG:
            notes.append(f"local Spark has only {spark_sessions.LOCAL_CATALOG}: using it instead of {self.catalog}")
            self.catalog = spark_sessions.LOCAL_CATALOG
        if options.output_schema and tables_here is not None:
            found = spark_sessions.register_tables(self.spark, options.output_schema, tables_here / f"{options.output_schema.lower()}.db")
            notes.append(f"output schema {options.output_schema}: tables {', '.join(found) or 'none'} (from {tables_here})")
        self.schema_requested = True
        remove_after = schemas.create(self.spark, self.catalog, self.schema, options.ttl, options.now())
        self.tables = mockdata.create_tables(self.spark, self.catalog, self.schema, declared)
        notes.append(f"schema {self.catalog}.{self.schema} (RemoveAfter {remove_after})")
        notes += [f"mock table {full} ({len(t.rows)} rows)" for t, full in zip(declared, self.tables.values())]
        return "\n".join(notes)

    def sweep(self) -> str:
        dropped = schemas.sweep(self.spark, self.catalog, self.options.prefix, self.options.now(), keep=self.schema)
        return "\n".join(f"dropped expired schema {self.catalog}.{name}" for name in dropped) or "no expired schemas"

    # ---- phase 2
    def run_tests(self, work: Path) -> str:
        from bundleops.testrunner.plugin import Context

        options = self.options
        if not options.tests.exists():
            raise BundleopsError(f"test path {options.tests} does not exist", fix="pass --tests pointing at the project's integration tests")
        outcome = pytest_phase.run(
            options.project_root,
            options.tests,
            options.sources or (options.project_root / "src",),
            Context(self.spark, self.catalog, self.schema, self.tables, options.output_schema or self.schema),
            work / "pytest.xml",
            options.report_dir / COVERAGE_FILE,
        )
        coverage = "no coverage data" if outcome.coverage_percent is None else f"coverage {outcome.coverage_percent:.1f}%"
        if outcome.exit_code == pytest_phase.PYTEST_TESTS_FAILED:
            raise TestsFailed(f"integration tests failed ({coverage})", fix="see the failed tests in this report", code=ExitCode.CHECK_FAILED)
        if outcome.exit_code == pytest_phase.PYTEST_NO_TESTS:
            raise BundleopsError(f"no tests collected from {options.tests}", fix="add test_*.py files there, or fix --tests", code=ExitCode.BAD_INPUT)
        if outcome.exit_code != pytest_phase.PYTEST_OK:
            raise BundleopsError(
                f"pytest stopped with exit code {outcome.exit_code}: interrupted (the run was cancelled, or a test file failed to import) or a usage error",
                fix="see the pytest output in the job log",
                code=ExitCode.CHECK_FAILED,
            )
        return coverage

    # ---- phase 3
    def cleanup(self) -> str:
        schemas.drop(self.spark, self.catalog, self.schema)
        if schemas.exists(self.spark, self.catalog, self.schema):
            raise BundleopsError(f"schema {self.catalog}.{self.schema} still exists after DROP", fix="check the permissions of the job's identity on the catalog", code=ExitCode.EXTERNAL_FAILURE)
        return f"dropped {self.catalog}.{self.schema}"


def run(options: Options, spark: "SparkSession | None" = None) -> int:
    """Run the three phases and write the reports; returns the exit code (0, 1, 2 or 3)."""
    _prepare_report_dir(options.report_dir)
    marker = cancel_marker.found_in(options.report_dir)
    if marker is not None:
        print(f"[bundleops.testrunner] the CI job that started this run was cancelled before run-now was answered ({marker}): ending without touching any data", flush=True)
        return int(ExitCode.EXTERNAL_FAILURE)
    state = _Run(options, spark)
    for name in (JUNIT_FILE, COVERAGE_FILE):  # never leave an earlier run's report to be read as this one's
        (options.report_dir / name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bundleops-testrunner-") as work:
        work_dir = Path(work)
        try:
            if state.phase(PHASE_MOCK_DATA, state.mock_data):
                state.phase(PHASE_SWEEP, state.sweep)
                state.phase(PHASE_PYTEST, lambda: state.run_tests(work_dir))
            else:
                state.skip(PHASE_SWEEP, "mock data failed")
                state.skip(PHASE_PYTEST, "mock data failed: tests would fail on missing tables")
        finally:
            try:
                if state.schema_requested:
                    state.phase(PHASE_CLEANUP, state.cleanup)
                else:
                    state.skip(PHASE_CLEANUP, "no schema was created")
            finally:
                _write_reports(state, work_dir / "pytest.xml")
                if state.own_spark and state.spark is not None and not spark_sessions.on_databricks():
                    state.spark.stop()
    return exit_code(state.phases)


def _shown(path: Path, project_root: Path) -> str:
    """A project file as the report names it: relative to the project (no workspace path leaks)."""
    return str(path.relative_to(project_root)) if path.is_relative_to(project_root) else str(path)


def _prepare_report_dir(report_dir: Path) -> None:
    """Make the report folder before anything runs: a run whose results cannot be stored is useless."""
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BundleopsError(
            f"cannot create the report folder {report_dir}: {error.strerror or error}",
            fix="the Unity Catalog volume of --report-folder must exist and be writable by the job's identity "
            "(create it, or point the job parameter report_folder at one that does)",
            code=ExitCode.BAD_INPUT,
        ) from None


def _write_reports(state: _Run, pytest_junit: Path) -> None:
    options = state.options
    coverage_path = options.report_dir / COVERAGE_FILE
    if not coverage_path.exists():
        coverage_path.write_text(pytest_phase.EMPTY_COBERTURA, encoding="utf-8")
    properties = {"run_id": options.run_id, "commit": options.commit, "catalog": state.catalog, "schema": state.schema}
    write_junit(state.phases, pytest_junit, properties, options.report_dir / JUNIT_FILE)
