"""`bundleops quality-gate`: wait for the SonarQube analysis, print the gate and its failing conditions."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops import step
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import current

NAME = "quality-gate"
HELP = "wait for a SonarQube analysis (report-task.txt) and fail on its quality gate"
DESCRIPTION = (
    "Reads the scanner's report-task.txt, polls api/ce/task until the analysis is processed, then\n"
    "api/qualitygates/project_status, and prints the gate with its failing conditions. Works after any\n"
    "scanner. The token comes only from SONAR_TOKEN.\n"
    "Exit codes: 0 passed; 1 gate status listed in sonar.fail_on (default ERROR); 2 bad token, bad URL\n"
    "or unknown task; 3 the analysis failed on the server, the server kept failing or answered unexpected\n"
    "JSON, or --timeout passed. --timeout is a hard limit: requests in flight are cut off at it.\n"
    "SonarQube ignores test-execution reports for pull requests: a pull request's gate sees coverage, not test counts."
)
if TYPE_CHECKING:
    from bundleops.quality_gate.gate import GateResult, ReportTask

GATE_STATUSES = ("OK", "WARN", "ERROR")  # api/qualitygates/project_status projectStatus.status
EXAMPLE = "bundleops quality-gate --report-task .scannerwork/report-task.txt --timeout 600"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_project_argument(parser)
    parser.add_argument("--report-task", type=Path, metavar="PATH", help="the scanner's report-task.txt (default: .scannerwork/, target/sonar/ or build/sonar/ under the project root)")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds to wait for the analysis and the gate, requests in flight included (default: sonar.timeout_seconds, 300)")
    parser.add_argument("--poll-interval", type=float, default=5.0, metavar="S", help="seconds between polls, and the first retry delay after a failed request (default: 5)")


def run(args: argparse.Namespace) -> int:
    from bundleops.quality_gate import gate

    # Not step.begin(): the quality gate belongs to the plan's `publish` step, so it records no
    # trace of its own (the conformance suite compares traces with the plan's steps).
    config, context = step.load_project(args.project_root)
    out = current()
    with out.group(f"bundleops {NAME}"):
        run = step.StepRun(NAME, None, args.project_root, config, context, out)
        token = os.environ.get("SONAR_TOKEN")
        if not token:
            raise BundleopsError("SONAR_TOKEN is not set", fix="store a SonarQube token as a secret CI variable named SONAR_TOKEN")
        _check_fail_on(config.sonar.fail_on)
        task = gate.read_report_task(args.report_task, run.project_root)
        timeout = args.timeout if args.timeout is not None else run.config.sonar.timeout_seconds
        if timeout <= 0 or args.poll_interval <= 0:
            raise BundleopsError(f"--timeout {timeout:g} and --poll-interval {args.poll_interval:g} must be positive", fix="pass a number of seconds above 0")
        client = gate.SonarClient(task.server_url, token, gate.Deadline(timeout), retry_delay=args.poll_interval)
        run.out.info(f"waiting for SonarQube analysis task {task.task_id} on {task.server_url} (up to {timeout:g}s)")
        result = gate.quality_gate(client, gate.wait_for_analysis(client, task, args.poll_interval))
        return _report(run, task, result)


def _check_fail_on(fail_on: list[str]) -> None:
    """A misspelt status would never match, and the gate would silently never fail the pipeline."""
    unknown = sorted({status for status in fail_on if status.upper() not in GATE_STATUSES})
    if unknown:
        raise BundleopsError(f"sonar.fail_on: unknown quality-gate status {', '.join(unknown)}", fix=f"use some of {', '.join(GATE_STATUSES)} (see docs/publishing.md)")


def _report(run: step.StepRun, task: "ReportTask", result: "GateResult") -> int:
    fail_on = {status.upper() for status in run.config.sonar.fail_on}
    failed = result.status in fail_on
    lines = [f"## SonarQube quality gate: {result.status}", ""]
    if task.dashboard_url:
        lines.append(f"[Open the analysis]({task.dashboard_url})")
    for condition in result.failing:
        message = f"quality gate condition {condition.status}: {condition.describe()}"
        (run.out.error if failed and condition.status in fail_on else run.out.warning)(message, title="SonarQube")
        lines.append(f"- **{condition.status}** {condition.describe()}")
    if run.context.event == "pull_request":
        lines += ["", "SonarQube ignores test-execution reports for pull requests; this gate saw coverage, not test counts."]
    run.out.summary("\n".join(lines))
    run.out.set_output("quality_gate", result.status)
    verdict = "fails the pipeline" if failed else "passes"
    run.out.info(f"quality gate {result.status}: {verdict} (sonar.fail_on = {sorted(fail_on)})" + (f"; {task.dashboard_url}" if task.dashboard_url else ""))
    return int(ExitCode.CHECK_FAILED) if failed else int(ExitCode.OK)
