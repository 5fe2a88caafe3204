"""What every vendor run in the conformance suite shares: one local workspace, the CLI stand-in,
a project rendered for the vendor, and the environment a CI job would have.

The vendor runners (tests/conformance/runners/<vendor>.py) only translate an event into their
runner's terms; everything else comes from here so the five runs differ in nothing but the CI
system.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bundleops.trace import read as read_trace

REPO_ROOT = Path(__file__).resolve().parents[2]
VENDORS = ("github", "azure", "gitlab", "jenkins", "bitbucket")
EVENTS = ("pull_request", "push")
FEATURE_BRANCH = "feature/orders"
PR_NUMBER = 7
PR_TITLE = "Add daily revenue"
# Values an attacker controls in a pull request: none may be executed by a template.
INJECTION_BRANCH = 'feature/$(touch pwned)-`touch pwned`-";touch pwned;"-${{github.token}}'
INJECTION_TITLE = 'Fix $(touch pwned) `touch pwned` "; touch pwned; " ${{ github.token }}'


@dataclass(frozen=True)
class Workspace:
    """The local workspace every run deploys to, and the folder holding the `databricks` shim."""

    host: str
    client_id: str
    client_secret: str
    shim_dir: Path


@dataclass(frozen=True)
class VendorRun:
    vendor: str
    event: str
    project: Path
    returncode: int
    steps: list[tuple[str, str | None]]
    log_tail: str


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


def render_project(vendor: str, destination: Path) -> Path:
    """The example project as `databricks bundle init` renders it for this CI system."""
    from tests.support.gotemplate import render_example

    return render_example(ci_system=vendor, destination=destination)


def run_vendor(vendor: str, event: str, workspace: Workspace, workdir: Path, *, branch: str | None = None, title: str | None = None) -> VendorRun:
    """Render the project for `vendor`, make its repository, run its consumer file for `event`."""
    project = render_project(vendor, workdir / "project")
    branch = branch or (FEATURE_BRANCH if event == "pull_request" else "main")
    make_repository(project, branch)
    trace_file = workdir / "trace.jsonl"
    env = pipeline_env(workspace, trace_file)
    if event == "pull_request":
        env["BUNDLEOPS_TEST_BRANCH"] = branch
        env["BUNDLEOPS_TEST_PR_TITLE"] = title or PR_TITLE
    runner = importlib.import_module(f"tests.conformance.runners.{vendor}")
    result = runner.run(event, project, env, workdir / "runner")
    log = (result.stdout or "") + (result.stderr or "")
    return VendorRun(vendor, event, project, result.returncode, steps_run(trace_file), log[-6000:])
