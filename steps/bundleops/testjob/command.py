"""`bundleops test --target T`: run `<bundle>_test_job` in the workspace, wait, fetch its reports.

`bundleops test --local` runs the same test runner in this process on local Spark instead.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from bundleops import bundle_cli, step
from bundleops.errors import BundleopsError, ExitCode
from bundleops.extras import require
from bundleops.plan.roles import TargetRef

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import Run

    from bundleops.publish.junit import FailedTest, Totals
    from bundleops.workspace_calls import Calls
    from bundleops.cancel_signals import Guard

NAME = "test"
HELP = "run the bundle's integration-test job in the workspace, wait, and download JUnit + coverage"
DESCRIPTION = (
    "Finds the test job (test.job in bundleops.yml, default <bundle>_test_job) by its id in `databricks\n"
    "bundle summary`, starts it with databricks-sdk (an idempotency token from the CI run; parameters\n"
    "report_folder and commit), prints progress, then downloads junit.xml and coverage.xml from the report\n"
    "folder into .bundleops/reports/integration/ and prints the failing task's error and log tail.\n"
    "Workspace calls are retried on 500s, gateway pages and broken bodies within auth.retry_timeout_seconds.\n"
    "From run-now on, a failure, the timeout (test.timeout_minutes) or a CI cancel (SIGTERM/SIGINT) cancels\n"
    "the run within seconds and names its URL (docs/reliability.md).\n"
    "--local runs the integration tests in this process on local Spark (pip install 'bundleops[local]').\n"
    "A task the tests depend on that fails (a pipeline update's expect_or_fail) is a failed test case.\n"
    "Exit codes: 0 tests passed, 1 tests failed, 2 bad configuration (no test job, not deployed,\n"
    "credentials refused), 3 the run broke, timed out or was cancelled, or the workspace kept failing."
)
EXAMPLE = "bundleops test --target staging --project-root steps/bundleops/shipped/examples/orders_pipeline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser, required=False)
    parser.add_argument("--local", action="store_true", help="run the integration tests here on local Spark instead of in the workspace")
    parser.add_argument("--timeout-minutes", type=float, default=None, metavar="N", help="cancel the run after N minutes (default: test.timeout_minutes, 60)")


def run(args: argparse.Namespace) -> int:
    if args.local:
        return _run_local(args)
    if not args.target:
        raise BundleopsError("`bundleops test` needs --target (or --local)", fix="pass --target staging (the plan's target), or --local to run on local Spark")
    from bundleops.cancel_signals import guarded

    with guarded() as guard, step.begin(NAME, args) as run:
        return _run_remote(run, guard, args.timeout_minutes)


def _run_remote(run: step.StepRun, guard: Guard, timeout_minutes: float | None) -> int:
    """Find and start the test job, wait, fetch the reports; the run is never left running (owned.py)."""
    from bundleops.auth.client import connect
    from bundleops.auth.policy import check_identity
    from bundleops.testjob import reports, start, waiting
    from bundleops.workspace_calls import Calls
    from bundleops.testjob.owned import OwnedRun, never_left_running

    root = run.project_root.resolve()
    folder = reports.clear(root)  # first: a step that fails leaves no earlier run's report to publish
    summary = bundle_cli.for_step(run).summary(root, run.bundle_target)
    job_key, job_id = _test_job(summary, run.config.test.job, run.target_ref)
    window = run.config.auth.retry_timeout_seconds
    client, identity = connect((summary.get("workspace") or {}).get("host"), retry_timeout_seconds=window)
    check_identity(identity, run.target, run.config)
    calls = Calls(guard, window, client.config.host or "")
    settings = calls.call("GET jobs/get", lambda: client.jobs.get(job_id).settings)
    token = start.idempotency_token(run.context, run.bundle_target, job_id)
    parameters = start.job_parameters(settings, run.context, token, job_key)
    owned = OwnedRun(job_id, parameters[start.REPORT_FOLDER], calls.host)
    with never_left_running(client, calls, owned, run.out):
        # Safe to repeat: the token makes a re-sent run-now answer the run already started.
        owned.run_id = calls.call("POST jobs/run-now", lambda: client.jobs.run_now(job_id=job_id, job_parameters=parameters, idempotency_token=token).run_id)
        run.out.info(f"started {job_key} (job {job_id}) as {identity.describe()}: run {owned.describe()}, reports in {owned.report_folder}")
        finished = waiting.wait(client, calls, owned, (timeout_minutes or run.config.test.timeout_minutes) * 60, run.out)
    try:
        fetched = reports.download(client, calls, owned.report_folder, folder)
    except BundleopsError as failure:
        raise BundleopsError(
            f"the test run {owned.describe()} ended {waiting.result_of(finished)}, but its reports could not be downloaded: {failure.message}",
            fix=f"the reports are still in {owned.report_folder}: download them from there, or rerun the CI job once the workspace answers",
            code=ExitCode.EXTERNAL_FAILURE,
        ) from None
    code = _conclude(run, client, calls, finished, fetched, owned.report_folder, folder)
    _add_to_history(run, client, summary, code, owned.link())
    return code


def _add_to_history(run: step.StepRun, client: WorkspaceClient, summary: dict[str, Any], code: int, run_url: str) -> None:
    """A shared target's test result goes onto its deploy's history entry (the change failure rate reads it);
    a broken run is no result. A history that cannot be written is a warning."""
    from bundleops.history import recording, store
    from bundleops.history.entry import PostDeployTest
    from bundleops.testjob import reports

    if code not in (ExitCode.OK, ExitCode.CHECK_FAILED) or not recording.keeps_history(run.target, bundle_cli.run_deployment(run) is not None):
        return
    junit = run.project_root.resolve() / reports.REPORT_DIR / "junit.xml"
    totals, _ = reports.read(junit if junit.is_file() else None)
    result = PostDeployTest("passed" if code == ExitCode.OK else "failed", totals.tests if totals else None,
                        totals.failures + totals.errors if totals else None, run_url)
    try:
        path = store.add_test_result(client, str((summary.get("workspace") or {}).get("root_path")), run.context.sha, result)
    except BundleopsError as error:
        run.out.warning(f"the test result is not in the target's history: {error.message}", title="history not written")
        return
    run.out.info(f"test result {result.result} added to the history entry {path}" if path else
                 f"no deploy of commit {run.context.sha} in the history of {run.target_label}: the test result is not recorded there")


def _run_local(args: argparse.Namespace) -> int:
    require("local", "bundleops test --local")
    from bundleops.testjob.reports import REPORT_DIR, clear
    from bundleops.testrunner.local import run_local_project

    with step.begin(NAME, args) as run:
        root = run.project_root.resolve()
        code = run_local_project(root, clear(root))
        run.out.info(f"integration test reports: {root / REPORT_DIR}")
        return int(ExitCode.OK if code == 0 else ExitCode.CHECK_FAILED)


def _test_job(summary: dict[str, Any], configured: str | None, target: TargetRef) -> tuple[str, int]:
    """The test job's key and id; names carry a `[dev user]` prefix in dev, so it is found by key and id."""
    key = configured or f"{(summary.get('bundle') or {}).get('name')}_test_job"
    jobs = (summary.get("resources") or {}).get("jobs") or {}
    if key not in jobs:
        raise BundleopsError(
            f"the bundle has no job {key} (jobs: {', '.join(sorted(jobs)) or 'none'})",
            fix="add the integration-test job (the bundle template's resources/<project>_test_job.yml), or name yours in bundleops.yml test.job",
        )
    if not jobs[key].get("id"):
        raise BundleopsError(f"job {key} is not deployed to {target.describe()}", fix=f"run `bundleops deploy --target {target.role}` first")
    return key, int(jobs[key]["id"])


def summary_markdown(target_label: str, run_id: int | None, run_url: str | None, result: str, totals: Totals | None, failed: Sequence[FailedTest]) -> str:
    """The step's job summary: the run, how it ended, the counts and the failed tests (their names
    and messages are the pull request's text: bundleops.output.markdown writes them)."""
    from bundleops.output import markdown as md
    from bundleops.publish.summary import failed_entries

    run = f"[Run {run_id}]({run_url})" if run_url and re.fullmatch(r"https?://[^\s()<>]+", run_url) else f"Run {run_id}"
    return (
        f"### bundleops test: {md.code(target_label)}\n\n{run} ended **{result}**. "
        + (f"Integration tests: {totals.describe()}.\n" if totals else "No JUnit report came back.\n")
        + ("\n" + "\n".join(failed_entries(failed, FAILED_SHOWN)) if failed else "")
    )


def _conclude(run: step.StepRun, client: WorkspaceClient, calls: Calls, finished: Run, fetched: list[Path], remote_folder: str, folder: Path) -> int:
    from bundleops.testjob import reports, upstream, waiting

    life_cycle = waiting.state_of(finished)
    result = waiting.result_of(finished)
    junit = next((path for path in fetched if path.name == "junit.xml"), None)
    blocking = upstream.failed_before_the_tests(finished) if result == "FAILED" and junit is None else []
    totals, failed = reports.read(junit)
    errors = _show_failed_tasks(run, client, calls, finished, explained=result == "FAILED" and bool(failed or blocking))
    if blocking:
        totals, failed = reports.read(upstream.write_report(folder, {key: errors.get(key, "") for key in blocking}))
    run.out.summary(summary_markdown(run.target_label, finished.run_id, finished.run_page_url, result, totals, failed))
    if result == "SUCCESS":
        if not junit:
            run.out.error(f"the test job succeeded but wrote no junit.xml into its report folder {remote_folder}", title="test reports missing")
            return int(ExitCode.EXTERNAL_FAILURE)
        run.out.info(f"integration tests passed ({totals.describe() if totals else 'no totals'}); reports: {', '.join(str(path) for path in fetched)}")
        return int(ExitCode.OK)
    if blocking:
        run.out.error(f"the test job's task {', '.join(blocking)} failed, so its tests did not run: "
                      + "; ".join(f"{key}: {errors.get(key) or 'failed'}" for key in blocking) + f" (a failed test case in {folder / 'junit.xml'})",
                      title="test job task failed")
        return int(ExitCode.CHECK_FAILED)
    if result == "FAILED" and failed and totals:
        names = "; ".join(reports.first_line(test) for test in failed[:FAILED_SHOWN]) + (f"; and {len(failed) - FAILED_SHOWN} more" if len(failed) > FAILED_SHOWN else "")
        run.out.error(f"integration tests failed: {totals.describe()}. Failed: {names} (`bundleops publish` annotates each failure)", title="integration tests failed")
        return int(ExitCode.CHECK_FAILED)
    ended = f"the test run ended {life_cycle}/{result}: {finished.state.state_message if finished.state else ''}".rstrip(": ")
    run.out.error(ended + ("" if fetched else f" (it wrote no reports into {remote_folder})"), title="test run broke")
    return int(ExitCode.EXTERNAL_FAILURE)


# How many failed tests the step names (console and summary); publish lists them all.
FAILED_SHOWN = 10
LOG_TAIL_LINES = 40


def _show_failed_tasks(run: step.StepRun, client: WorkspaceClient, calls: Calls, finished: Run, *, explained: bool) -> dict[str, str]:
    """Each failed task's log tail; an error annotation only when no failed test already explains the
    failure. Returns each failed task's error, by task key."""
    from bundleops.testjob.run_state import result_state

    errors: dict[str, str] = {}
    for task in finished.tasks or []:
        state = result_state(task)
        if state in (None, "SUCCESS") or task.run_id is None:
            continue
        task_run_id = task.run_id
        try:
            output = calls.call("GET jobs/runs/get-output", lambda: client.jobs.get_run_output(task_run_id))
        except BundleopsError as failure:
            run.out.warning(f"task {task.task_key} {state}; its output could not be fetched: {failure.message}")
            continue
        tail = "\n".join((output.logs or output.error_trace or "").splitlines()[-LOG_TAIL_LINES:])
        with run.out.group(f"task {task.task_key}: {state}: last {LOG_TAIL_LINES} log lines"):
            run.out.info(tail or "(no log output)")
        error = errors[task.task_key or ""] = output.error or (task.state.state_message if task.state else "") or ""
        said = f"task {task.task_key} {state}: {error}"
        if explained:
            run.out.info(said)
        else:
            run.out.error(said, title=f"task {task.task_key}")
    return errors
