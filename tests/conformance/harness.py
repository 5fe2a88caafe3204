"""What every vendor run in the conformance suite shares: one local workspace, the CLI stand-in,
a project rendered for the vendor, and the environment a CI job would have.

The vendor runners (tests/conformance/runners/<vendor>.py) only translate an event into their
runner's terms; everything else comes from here so the five runs differ in nothing but the CI
system.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from bundleops.config import load as load_config
from bundleops.context.model import CIContext
from bundleops.plan.planner import make_plan
from bundleops.trace import read as read_trace
from tests.support import once
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
VENDORS = ("github", "azure", "gitlab", "jenkins", "bitbucket")
EVENTS = ("pull_request", "push")
# The end of a pull request, as each CI system can run something for it, and the schedule that
# sweeps what no event removed (issue 13). A CI system without a close event says why.
CLOSED = "pull_request_closed"
SCHEDULE = "schedule"
CLOSE_EVENTS = {
    "github": "a `pull_request` event with action `closed` (merged or not): the caller's workflow lists `closed` in `types:`",
    "gitlab": "the merge request's environment stop job (`on_stop`), which GitLab runs when the merge request is merged or closed, or after `auto_stop_in`",
}
NO_CLOSE_EVENT = {
    "azure": "Azure Pipelines' triggers are CI, pull-request validation, schedules and pipeline completion: none runs when a pull request is completed or abandoned",
    "jenkins": "a multibranch project removes the pull request's job when the pull request closes and builds nothing for it",
    "bitbucket": "Bitbucket Pipelines start on a push, a pull request created or updated, a tag, a schedule or by hand: none on a merged or declined pull request",
}
# After the deploy (issue 24): the scheduled drift check of prod, and prod's rollback run by hand with
# the commit to roll back to as the CI's manual input (BUNDLEOPS_TEST_ROLLBACK_TO carries it to the
# runner, which hands it over as the CI system does: an input, a runtime parameter, a variable).
DRIFT = "drift_schedule"
ROLLBACK = "rollback"
ROLLBACK_INPUT = "BUNDLEOPS_TEST_ROLLBACK_TO"
FEATURE_BRANCH = "feature/orders"
PR_NUMBER = 7
PR_TITLE = "Add daily revenue"
# Values an attacker controls in a pull request: none may be executed by a template.
INJECTION_BRANCH = 'feature/$(touch pwned)-`touch pwned`-";touch pwned;"-${{github.token}}'
INJECTION_TITLE = 'Fix $(touch pwned) `touch pwned` "; touch pwned; " ${{ github.token }}'
# The commit a person types to roll back to, as shell code: the rollback refuses it (no such
# commit in the history) and nothing executes it.
INJECTION_ROLLBACK_TO = 'previous$(touch pwned)`touch pwned`";touch pwned;"${{github.token}}'
# Steps that take the plan's target (or, for the sweep, the target whose deployments it removes).
TARGETED = ("validate", "preview", "deploy", "test", "destroy", "sweep", "drift", "rollback")


@dataclass(frozen=True)
class Workspace:
    """The local workspace every run deploys to, and the folder holding the `databricks` shim."""

    host: str
    client_id: str
    client_secret: str
    shim_dir: Path


def served_by(server: Any, shim_dir: Path) -> Workspace:
    """The Workspace of a running LocalWorkspace, with the `databricks` shim written into `shim_dir`."""
    from bundleops.localcli.shim import write_shim

    write_shim(shim_dir)
    return Workspace(server.host, server.client_id, server.client_secret, shim_dir)


@contextmanager
def behind_proxy(server: Any, shim_dir: Path, rules: list[Rule]) -> Iterator[tuple[Workspace, FaultProxy]]:
    """A running LocalWorkspace reached through a fault proxy (the requests a run makes, and what
    the workspace refuses: `rules`), with the `databricks` shim written into `shim_dir`."""
    with FaultProxy(server.host, rules) as proxy:
        served = served_by(server, shim_dir)
        yield Workspace(proxy.host, served.client_id, served.client_secret, served.shim_dir), proxy


@dataclass(frozen=True)
class VendorRun:
    vendor: str
    event: str
    project: Path
    returncode: int
    steps: list[tuple[str, str | None]]
    log: str  # the runner's whole output

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "project": str(self.project)})

    @classmethod
    def from_json(cls, text: str) -> VendorRun:
        fields = json.loads(text)
        steps = [(step, target) for step, target in fields.pop("steps")]
        return cls(**{**fields, "project": Path(fields["project"]), "steps": steps})


def pipeline_env(workspace: Workspace, trace_file: Path) -> dict[str, str]:
    """The variables a project's CI would hold: credentials as secrets, the CLI on PATH."""
    venv_bin = Path(sys.executable).parent
    return {
        "DATABRICKS_HOST": workspace.host,
        "DATABRICKS_CLIENT_ID": workspace.client_id,
        "DATABRICKS_CLIENT_SECRET": workspace.client_secret,
        "DATABRICKS_AUTH_TYPE": "oauth-m2m",
        "DATABRICKS_CLI_PATH": str(workspace.shim_dir / "databricks"),
        "BUNDLEOPS_TRACE_FILE": str(trace_file),
        "PATH": os.pathsep.join([str(workspace.shim_dir), str(venv_bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": os.environ.get("HOME", "/root"),
        "JAVA_HOME": os.environ.get("JAVA_HOME", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def git(project: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Dana Dev",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Dev",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
    }
    result = subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def make_repository(project: Path, branch: str) -> str:
    """A git repository with `main` and, for pull requests, a feature branch checked out; returns HEAD."""
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Initial project")
    if branch != "main":
        git(project, "checkout", "-q", "-b", branch)
        (project / "CHANGELOG.md").write_text("- daily revenue\n", encoding="utf-8")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", PR_TITLE)
    return git(project, "rev-parse", "HEAD")


def steps_run(trace_file: Path) -> list[tuple[str, str | None]]:
    return [(entry["step"], entry["target"]) for entry in read_trace(trace_file)]


def run_vendor(
    vendor: str,
    event: str,
    workspace: Workspace,
    workdir: Path,
    *,
    branch: str | None = None,
    title: str | None = None,
    edit: Callable[[Path], None] | None = None,
) -> VendorRun:
    """orders_pipeline rendered for `vendor` (then changed by `edit`), in a repository, run by the
    vendor's runner (tests/conformance/runners/<vendor>.py) for `event`.

    Git refuses branch names with spaces, so the repository's branch is always `feature/orders`
    for a pull request; `branch` reaches the CI only as the variable the CI system sets for it.
    """
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": vendor}, workdir)
    project = workdir / EXAMPLE_INPUTS["project_name"]
    if edit is not None:
        edit(project)
    pull_request = event in ("pull_request", CLOSED)
    make_repository(project, FEATURE_BRANCH if pull_request else "main")
    test_values = {"BUNDLEOPS_TEST_BRANCH": branch or FEATURE_BRANCH, "BUNDLEOPS_TEST_PR_TITLE": title or PR_TITLE} if pull_request else {}
    return _run_runner(vendor, event, workspace, project, workdir, test_values)


def run_on_repository(vendor: str, event: str, workspace: Workspace, repository: Path, workdir: Path, *, rollback_to: str | None = None) -> VendorRun:
    """`event` run by the vendor's runner on a copy of `repository` (a project rendered for `vendor`
    with its history, e.g. the commits prod was deployed from): a runner changes the project it runs
    (its remote, a resolved consumer file), so every run gets its own copy. `rollback_to` is the
    manual run's input (ROLLBACK)."""
    project = workdir / repository.name
    shutil.copytree(repository, project, symlinks=True)
    test_values = {} if rollback_to is None else {ROLLBACK_INPUT: rollback_to}
    return _run_runner(vendor, event, workspace, project, workdir, test_values)


def _run_runner(vendor: str, event: str, workspace: Workspace, project: Path, workdir: Path, test_values: dict[str, str]) -> VendorRun:
    trace_file = workdir / "trace.jsonl"
    env = {**pipeline_env(workspace, trace_file), **test_values}
    runner = importlib.import_module(f"tests.conformance.runners.{vendor}")
    result = runner.run(event, project, env, workdir / "runner")
    log = (result.stdout or "") + (result.stderr or "")
    return VendorRun(vendor, event, project, result.returncode, steps_run(trace_file), log)


def planned_steps(vendor: str, event: str, project: Path) -> tuple[list[str], str | None]:
    """The steps and target `bundleops plan` decides for the event, computed in-process."""
    if event == "pull_request":
        context = CIContext(vendor=vendor, event="pull_request", branch=FEATURE_BRANCH, target_branch="main", default_branch="main", pr_number=PR_NUMBER)
    else:
        context = CIContext(vendor=vendor, event="push", branch="main", default_branch="main")
    plan = make_plan(context, load_config(project))
    return plan.steps, plan.target


def comparable(steps: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """A trace as the five CI systems must agree on it: the step names in order, and the target
    of each step that acts on one (unit and publish may be told the target only for their log)."""
    return [(step, target if step in TARGETED else None) for step, target in steps]


def planned_trace(vendor: str, event: str, project: Path) -> list[tuple[str, str | None]]:
    steps, target = planned_steps(vendor, event, project)
    return comparable([(step, target) for step in steps])


def assert_ran_the_plan(run: VendorRun) -> None:
    """The run succeeded and ran exactly the planned steps, in order, with the planned target."""
    expected = planned_trace(run.vendor, run.event, run.project)
    assert run.returncode == 0, f"{run.vendor} {run.event} failed (exit {run.returncode}):\n{run.log[-6000:]}"
    assert comparable(run.steps) == expected, f"{run.vendor} ran {run.steps}, the plan says {expected}\n{run.log[-6000:]}"


class RunCache:
    """Each (vendor, event) pipeline run once per test run, on first use: the conformance
    comparison and the per-vendor checks read the same runs instead of repeating them.

    A pull request's branch name and title are an attacker's (INJECTION_BRANCH, INJECTION_TITLE):
    every check on these runs holds for hostile text, and the check that nothing executed it
    reads the same runs.

    Under pytest-xdist the runs live in a folder every worker shares (tests/support/once.py): the
    first worker to ask runs the pipeline against its own local workspace and records it; another
    worker asking for the same run waits on its lock and reads the record and the files it left.
    """

    def __init__(self, workspace: Workspace, folder: Path) -> None:
        self._workspace = workspace
        self._folder = folder
        self.runs: dict[tuple[str, str], VendorRun] = {}

    def workdir(self, vendor: str, event: str) -> Path:
        """The folder the run was made in: the project, the runner's files, the trace."""
        return self._folder / f"{vendor}-{event}"

    def get(self, vendor: str, event: str) -> VendorRun:
        if (vendor, event) not in self.runs:
            name = f"{vendor}-{event}"
            with once.exclusive(self._folder / f"{name}.lock"):
                record = self._folder / f"{name}.json"
                if record.is_file():
                    run = VendorRun.from_json(record.read_text(encoding="utf-8"))
                else:
                    workdir = self._folder / name
                    workdir.mkdir()
                    hostile = {"branch": INJECTION_BRANCH, "title": INJECTION_TITLE} if event == "pull_request" else {}
                    run = run_vendor(vendor, event, self._workspace, workdir, **hostile)
                    record.write_text(run.to_json(), encoding="utf-8")
            self.runs[(vendor, event)] = run
        return self.runs[(vendor, event)]


def assert_published_unit_tests(report_dir: Path) -> None:
    """The merged JUnit report the CI shows (publish's output) holds the unit tests run in the first job."""
    assert (report_dir / "coverage.xml").is_file(), sorted(report_dir.iterdir())
    assert '<testsuite name="unit: ' in (report_dir / "junit.xml").read_text(encoding="utf-8")


def break_config(project: Path) -> None:
    """A typo in bundleops.yml: `bundleops plan` exits 2 naming the key."""
    config = project / "bundleops.yml"
    config.write_text(config.read_text(encoding="utf-8") + "deploy:\n  autoapprove: true\n", encoding="utf-8")


def unreachable_workspace(tmp_path: Path) -> Workspace:
    """Credentials for runs that must stop before any call to a workspace."""
    return Workspace("http://127.0.0.1:9", "00000000-0000-0000-0000-000000000000", "never-used", tmp_path)


def run_with_failing_plan(vendor: str, workdir: Path) -> VendorRun:
    """A pull request with a typo in bundleops.yml: the plan exits 2, no step runs, the run fails."""
    run = run_vendor(vendor, "pull_request", unreachable_workspace(workdir), workdir, edit=break_config)
    assert run.returncode != 0
    assert run.steps == [], "no step may run after the plan failed"
    assert "deploy.autoapprove" in run.log
    return run
