"""`bundleops unit`: run the project's tests/unit with pytest and coverage on the CI runner."""

from __future__ import annotations

import argparse
import os

from bundleops import step
from bundleops.errors import BundleopsError, ExitCode

NAME = "unit"
HELP = "run the project's tests/unit with pytest + coverage; reports in .bundleops/reports/unit/"
DESCRIPTION = (
    "Runs pytest on tests/unit under coverage.py in a child process, and writes\n"
    ".bundleops/reports/unit/junit.xml and .bundleops/reports/unit/coverage.xml (paths relative to the\n"
    "project root) for `bundleops publish`. The project's src/ folder is put on PYTHONPATH.\n"
    "The tests run in the project's own environment: the first Python with pytest and coverage of\n"
    "--python, <project>/.venv, <project>/venv, $VIRTUAL_ENV, the Python running bundleops, python3/python on PATH.\n"
    "Exit codes: 0 tests passed, 1 a test failed, 2 no tests/unit, no Python with pytest, or pytest could not run them."
)
EXAMPLE = "bundleops unit --project-root steps/bundleops/shipped/examples/orders_pipeline"

TESTS = "tests/unit"
REPORT_DIR = ".bundleops/reports/unit"
# pytest's exit codes (pytest.ExitCode): OK, TESTS_FAILED, INTERRUPTED, INTERNAL_ERROR, USAGE_ERROR, NO_TESTS_COLLECTED
PYTEST_OK, PYTEST_FAILED, PYTEST_NO_TESTS = 0, 1, 5
# runner.py by its path, so the chosen Python needs pytest and coverage but not bundleops; run_path
# (unlike `python runner.py`) keeps runner.py's folder off sys.path, where it would shadow the
# project's own modules named `runner` or `command`.
_RUN_SCRIPT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # --target is optional: it names the environment the run belongs to (summary, trace), nothing more.
    step.add_target_argument(parser, required=False)
    parser.add_argument("--python", metavar="PATH", help="the Python to run the tests with (default: the project's environment, see above)")


def run(args: argparse.Namespace) -> int:
    from bundleops.child import run_redacted
    from bundleops.output.redact import redact_file
    from bundleops.unit import interpreter, runner

    with step.begin(NAME, args) as run:
        root = run.project_root.resolve()
        if not (root / TESTS).is_dir():
            raise BundleopsError(f"no {TESTS} folder in {root}", fix=f"put the unit tests in {TESTS}/, or remove `unit` from the steps of your promotion rules")
        sources = [path for path in run.config.sonar.sources if (root / path).is_dir()]
        env = dict(os.environ)
        if (root / "src").is_dir():
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH")]))
        python = interpreter.choose(root, env, args.python)
        run.out.info(f"unit tests run with {python.describe()}")
        code = run_redacted([python.python, "-c", _RUN_SCRIPT, runner.__file__, REPORT_DIR, *sources, "--", TESTS, "-p", "no:cacheprovider"], cwd=root, env=env)
        reports = root / REPORT_DIR
        for report in ("junit.xml", "coverage.xml"):  # pytest writes a failing assertion's values into the JUnit
            redact_file(reports / report)
        run.out.info(f"unit test reports: {reports / 'junit.xml'}, {reports / 'coverage.xml'}")
        if code == PYTEST_NO_TESTS:
            run.out.warning(f"pytest collected no tests in {TESTS}")
            return int(ExitCode.OK)
        if code == PYTEST_FAILED:
            run.out.error("unit tests failed (details above; `bundleops publish` annotates each failure)")
            return int(ExitCode.CHECK_FAILED)
        if code != PYTEST_OK:
            raise BundleopsError(f"pytest could not run {TESTS} (pytest exit code {code}; output above)", fix="fix the collection or configuration error pytest printed")
    return int(ExitCode.OK)
