"""`bundleops demo`: the example project's pull-request and merge pipelines on the embedded local workspace."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.demo import pipeline
from bundleops.demo.ci_events import SYSTEMS, CiSystem
from bundleops.demo.pipeline import Event, PipelineResult, say
from bundleops.errors import BundleopsError, ExitCode
from bundleops.extras import require
from bundleops.shipped import EXAMPLE_PROJECT, EXAMPLES, example_names

if TYPE_CHECKING:
    from bundleops.localworkspace import LocalWorkspace

NAME = "demo"
HELP = "run the example project's pull-request (staging) and merge (prod) pipelines on the embedded local workspace"
DESCRIPTION = (
    "Starts the embedded local workspace, copies the example project (orders_pipeline, shipped in the\n"
    "package; --example orders_lakeflow, the Lakeflow pipeline; or --project, e.g. a project `bundleops\n"
    "init` made) into a fresh git repository, and runs its pipelines through every step, each step a\n"
    "separate process as in CI, with the predefined variables of the CI system --ci names (default\n"
    "gitlab), so each step plans, guards and logs as in that CI's job:\n"
    "  1. two pull requests (GitLab: merge requests) into main at the same time, each in its own staging\n"
    "     deployment (pr-1, pr-2): unit, validate, preview, deploy, test (the test job runs on local Spark), publish\n"
    "  2. pull request 1 is merged: on GitHub (the closed event) and GitLab (the environment's stop job)\n"
    "     `destroy` removes pr-1 at once; Azure, Jenkins and Bitbucket run nothing on a close, so the\n"
    "     demo runs their scheduled sweep, which keeps both until they are 7 days old\n"
    "  3. the push to main after the merge: unit, validate, preview, deploy, publish -> prod (approval granted by the demo)\n"
    "  4. day two: a bad change (the job's schedule moved) is pushed to main and reaches prod; a manual run\n"
    "     rolls prod back to the previous deployment (its preview first), then lists the history and DORA's figures\n"
    "The steps' log commands (GitLab sections, GitHub and Azure groups and annotations) are shown as a\n"
    "terminal can show them: headings and ERROR/WARNING lines, never raw escape codes or secrets.\n"
    "The reports and deployment records are copied to --output (default test-results/: pull-request/,\n"
    "pull-request-2/, merge/).\n"
    "No Databricks account is needed; the local workspace and the databricks CLI stand-in live in this process."
)
EXAMPLE = "bundleops demo --ci github --output test-results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--example", choices=example_names(),
                       help=f"a shipped example project (default: {EXAMPLE_PROJECT.name}; orders_lakeflow: a Lakeflow Declarative Pipeline with its schema and volume)")
    which.add_argument("--project", type=Path, metavar="DIR", help="the bundle project to run instead, e.g. one `bundleops init` made")
    parser.add_argument("--output", type=Path, default=Path("test-results"), metavar="DIR", help="where the reports and deployment records are copied (default: test-results)")
    parser.add_argument("--ci", choices=sorted(SYSTEMS), default="gitlab", help="the CI system whose events, variables and wording the demo imitates (default: gitlab)")


def run(args: argparse.Namespace) -> int:
    # The test job runs the test runner on local Spark, and `unit` runs pytest, in this Python.
    require("local", "bundleops demo")
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    source = (args.project or EXAMPLES / (args.example or EXAMPLE_PROJECT.name)).resolve()
    if not (source / "databricks.yml").is_file():
        raise BundleopsError(f"no bundle project at {source} (databricks.yml missing)", fix="pass --project DIR, a folder holding databricks.yml (e.g. one `bundleops init` made)")
    ci = SYSTEMS[args.ci]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bundleops-demo-") as scratch:
        root = Path(scratch)
        with LocalWorkspace(root / "workspace") as workspace:
            project = _repository(source, root / source.name, workspace.host)
            say(f"local workspace on {workspace.host}; project copied to {project}, every target's workspace.host pointed at it")
            say(f"imitating {ci.name}: each step sees the variables {ci.name} sets for the event, and its log is shown as {ci.name} shows it")
            env = {**workspace.env(), "DATABRICKS_CLI_PATH": str(write_shim(root / "bin"))}
            second = _branch(project, root / f"{source.name}-pr2", SECOND_BRANCH, ci)
            results = _side_by_side([
                (pipeline.pull_request(ci, _head(project), run=1), project, args.output / "pull-request"),
                (pipeline.pull_request(ci, _head(second), number=2, branch=SECOND_BRANCH, run=2), second, args.output / "pull-request-2"),
            ], env)
            for event, output in ((lambda: _merged(ci, project), None), (lambda: pipeline.default_branch_push(ci, _head(project), run=4), args.output / "merge"),
                                  (lambda: pipeline.default_branch_push(ci, _bad_change(project), run=5, what="a bad change: the daily job moved to 17:30"),
                                   args.output / "bad-change"),
                                  (lambda: pipeline.manual_rollback(ci, _head(project), run=6), args.output / "rollback")):
                if not all(result.ok for result in results):
                    break
                results.append(pipeline.run(event(), project, env))
                if output:
                    _collect(project, output)
            _inventory(workspace, args.output)
    _report(results, args.output, time.monotonic() - started)
    return int(ExitCode.OK if all(result.ok for result in results) and len(results) == PIPELINES else ExitCode.CHECK_FAILED)


def _merged(ci: CiSystem, project: Path) -> Event:
    """What the CI runs once pull request 1 is merged: its close job, or (no close event) its scheduled sweep."""
    if ci.closed is not None:
        return pipeline.pull_request(ci, _head(project), run=3, closed=True)
    say(f"{ci.name} runs no pipeline when a pull request closes: the scheduled sweep removes a closed pull request's deployment once it is 7 days old")
    return pipeline.scheduled_sweep(ci, _head(project), run=3)


SECOND_BRANCH = "feature/refund-statuses"
# Two pull requests, the merge's close job or sweep, the merge, the bad change, the rollback.
PIPELINES = 6
# The day-two mistake: the daily job moved from 05:30 to 17:30 UTC, after the reports it feeds are due.
GOOD_SCHEDULE, BAD_SCHEDULE = '"0 30 5 * * ?"', '"0 30 17 * * ?"'


def _bad_change(project: Path) -> str:
    """A commit on main that moves the daily job's schedule (a mistake a review missed); its sha. A project
    without that schedule gets an empty commit: the rollback then restores the files alone."""
    for job in sorted((project / "resources").glob("*.yml")):
        text = job.read_text(encoding="utf-8")
        if GOOD_SCHEDULE in text:
            job.write_text(text.replace(GOOD_SCHEDULE, BAD_SCHEDULE, 1), encoding="utf-8")
            break
    _git(project, "commit", "--quiet", "--all", "--allow-empty", "--message", "Run the daily revenue job in the afternoon")
    return _head(project)


def _side_by_side(runs: list[tuple[Event, Path, Path]], env: dict[str, str]) -> list[PipelineResult]:
    """Two pull requests' pipelines at the same time, as two CI runners would run them; their output lines are labelled `#1`, `!2`."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = [pool.submit(pipeline.run, event, project, env, event.ci.ref(event.number or 0)) for event, project, _ in runs]
        results = [future.result() for future in futures]
    for _, project, output in runs:
        _collect(project, output)
    return results


def _git(project: Path, *args: str) -> str:
    identity = ["-c", "user.name=Dana Dev", "-c", "user.email=dana@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *identity, *args], cwd=project, check=True, capture_output=True, text=True).stdout.strip()


def _repository(source: Path, project: Path, host: str) -> Path:
    """A git repository holding a copy of the project whose targets all point at the local workspace."""
    shutil.copytree(source, project, ignore=shutil.ignore_patterns(".bundleops", "test-results", "__pycache__", ".databricks"))
    bundle = project / "databricks.yml"
    bundle.write_text(re.sub(r"(?m)^(\s+host:\s*)https?://\S+$", lambda match: match.group(1) + host, bundle.read_text(encoding="utf-8")), encoding="utf-8")
    _git(project, "init", "--quiet", "--initial-branch", "main")
    _git(project, "add", "--all")
    _git(project, "commit", "--quiet", "--message", "orders_pipeline from the bundleops example")
    return project


def _branch(project: Path, clone: Path, branch: str, ci: CiSystem) -> Path:
    """A second working copy on its own branch with its own change, as a second pull request's runner checks it out."""
    _git(project.parent, "clone", "--quiet", str(project), str(clone))
    _git(clone, "checkout", "--quiet", "-b", branch)
    rules = clone / "src" / "orders_pipeline" / "rules.py"
    if rules.is_file():
        rules.write_text(rules.read_text(encoding="utf-8") + f"\n# {branch}: refunds stay out of revenue (reviewed in {ci.change} {ci.ref(2)})\n", encoding="utf-8")
    _git(clone, "commit", "--quiet", "--all", "--allow-empty", "--message", f"{branch}: a change of its own")
    return clone


def _head(project: Path) -> str:
    return _git(project, "rev-parse", "HEAD")


def _collect(project: Path, destination: Path) -> None:
    """The pipeline's reports (test-results/) and the raw step reports, kept after the scratch folder goes."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    for folder in (project / "test-results", project / ".bundleops" / "reports"):
        if folder.is_dir():
            shutil.copytree(folder, destination / ("reports" if folder.name == "reports" else ""), dirs_exist_ok=True)
    shutil.rmtree(project / "test-results", ignore_errors=True)
    shutil.rmtree(project / ".bundleops" / "reports", ignore_errors=True)


def _inventory(workspace: LocalWorkspace, output: Path) -> None:
    """What each deployment left in the workspace, read back through databricks-sdk (inventory.py)."""
    from databricks.sdk import WorkspaceClient

    from bundleops.demo import inventory

    env = workspace.env()
    client = WorkspaceClient(host=env["DATABRICKS_HOST"], client_id=env["DATABRICKS_CLIENT_ID"], client_secret=env["DATABRICKS_CLIENT_SECRET"])
    say("\n######## what each deployment left in the workspace (read back with databricks-sdk)")
    for line in inventory.describe(sorted(output.glob("*/deployment-*.json")), client):
        say(f"  {line}")


def _report(results: list[PipelineResult], output: Path, seconds: float) -> None:
    say("\n######## demo summary")
    for result in results:
        steps = " ".join(f"{step.name}:{'ok' if step.code == 0 else f'exit {step.code}'}({step.seconds:.0f}s)" for step in result.steps)
        where = f"{result.target} ({result.deployment})" if result.deployment else result.target
        say(f"  {'green' if result.ok else 'RED  '}  {result.event.title} -> {where}: {steps}")
    for record in sorted(output.glob("*/deployment-*.json")):
        say(f"  deployment record: {record}")
    for junit in sorted(output.glob("*/junit.xml")):
        say(f"  merged test report: {junit}")
    say(f"  done in {seconds:.0f} s")
