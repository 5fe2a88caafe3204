"""Run a project's .gitlab-ci.yml on gitlab-ci-local (npm) with the shell executor.

How a GitLab pipeline is simulated, and where it differs from gitlab.com:
- Source override: the consumer file includes `gitlab/bundleops.yml` of the bundleops project at a
  release tag (`include: project/ref/file`). gitlab-ci-local fetches a project include once into
  `.gitlab-ci-local/includes/<host>/<project>/<ref>/<file>` and reuses it (README, "Includes");
  this runner puts the working tree's file there, so the consumer file runs unchanged against the
  code under test. The project gets an `origin` remote (never contacted) to name the host.
- Pipelines: gitlab-ci-local derives the branch pipeline from git; a merge-request pipeline is made
  from GitLab's predefined variables (CI_PIPELINE_SOURCE=merge_request_event, CI_MERGE_REQUEST_*,
  no CI_COMMIT_BRANCH). gitlab-ci-local sets GITLAB_CI=false on purpose; we set it to true, as on
  GitLab. For a push, `--manual bundleops-prod` is the person who starts the gated prod job. A
  merged merge request is its environment's stop job, run alone (`bundleops-staging-pr-stop`, whose
  CI_ENVIRONMENT_ACTION gitlab-ci-local sets to `stop`, as GitLab does); the schedule is a
  `schedule` pipeline with BUNDLEOPS_SWEEP=true, as the documented pipeline schedule sets it; the
  drift check one with BUNDLEOPS_DRIFT=true. The rollback is a pipeline run by hand (`web`) with
  the variable BUNDLEOPS_ROLLBACK_TO, and `--manual bundleops-rollback` the person who starts the
  gated rollback job.
- Variables: CI/CD variables (credentials, the trace file, branch name, MR title) go into a
  variables file (mode 0600), never on argv. Values are written with `$` doubled: GitLab's
  "expand variable reference" would otherwise rewrite them; the job sees them verbatim.
- Each job runs in its own copy of the repository (`--shell-isolation`), so files reach a later
  job only as artifacts, as on GitLab; the shell executor runs it on this machine
  (`--force-shell-executor`, the jobs' `image:` is ignored) with the
  repository's virtualenv first on PATH, where bundleops is the working tree. PIP_NO_INDEX=1
  makes the template's pinned `pip install bundleops[local]==<version>` resolve to it without a
  download, so a template pinned to another version fails the run. HOME is an empty folder: bash
  started by node reads ~/.bashrc (its stdin is a socket), which must not change PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.conformance import harness

NODE_BIN = harness.REPO_ROOT / "node_modules" / ".bin"
LIBRARY_PROJECT = "bundleops/bundleops"
REMOTE = "https://gitlab.example.com/data-platform/orders_pipeline.git"
GATED_JOB = "bundleops-prod"
ROLLBACK_JOB = "bundleops-rollback"
# The stop job of a merge request's environment (on_stop): GitLab starts it when the merge request ends.
STOP_JOB = "bundleops-staging-pr-stop"
# Predefined variables this runner sets on purpose (gitlab-ci-local warns about each otherwise).
PREDEFINED = (
    "GITLAB_CI",
    "CI_DEFAULT_BRANCH",
    "CI_PIPELINE_SOURCE",
    "CI_MERGE_REQUEST_IID",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_MERGE_REQUEST_TITLE",
)
# Variables of the runner's own process (the "host" of the shell executor), not CI/CD variables:
# gitlab-ci-local cannot take PATH as a CI/CD variable.
HOST_VARIABLES = ("PATH", "HOME")


def library_includes(project: Path) -> list[tuple[str, str]]:
    """(ref, file) of every include of the bundleops project; anything else is refused."""
    consumer = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    includes = consumer.get("include", [])
    found = []
    for include in includes if isinstance(includes, list) else [includes]:
        if not isinstance(include, dict) or include.get("project") != LIBRARY_PROJECT:
            raise ValueError(f"gitlab runner maps only `include: project: {LIBRARY_PROJECT}` to the working tree, got {include!r}")
        found.append((str(include["ref"]), str(include["file"])))
    if not found:
        raise ValueError(f"{project / '.gitlab-ci.yml'} does not include {LIBRARY_PROJECT}")
    return found


def map_library_to_working_tree(project: Path) -> None:
    """Seed gitlab-ci-local's include cache with the working tree's files (the source override)."""
    harness.git(project, "remote", "add", "origin", REMOTE)
    host = REMOTE.split("/")[2]
    for ref, file in library_includes(project):
        cached = project / ".gitlab-ci-local" / "includes" / host / LIBRARY_PROJECT / ref / file
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(harness.REPO_ROOT / file, cached)


def event_variables(event: str, project: Path, env: dict[str, str]) -> dict[str, str]:
    """GitLab's predefined variables for the event, as a merge-request or branch pipeline has them."""
    variables = {"GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "main"}
    if event == "push":
        return {**variables, "CI_PIPELINE_SOURCE": "push"}
    if event == harness.SCHEDULE:
        return {**variables, "CI_PIPELINE_SOURCE": "schedule", "BUNDLEOPS_SWEEP": "true"}
    if event == harness.DRIFT:
        return {**variables, "CI_PIPELINE_SOURCE": "schedule", "BUNDLEOPS_DRIFT": "true"}
    if event == harness.ROLLBACK:
        return {**variables, "CI_PIPELINE_SOURCE": "web", "BUNDLEOPS_ROLLBACK_TO": env[harness.ROLLBACK_INPUT]}
    if event not in ("pull_request", harness.CLOSED):
        raise ValueError(f"gitlab runner: unknown event {event!r} (expected one of {(*harness.EVENTS, harness.CLOSED, harness.SCHEDULE, harness.DRIFT, harness.ROLLBACK)})")
    return {
        **variables,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": str(harness.PR_NUMBER),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": env.get("BUNDLEOPS_TEST_BRANCH", harness.FEATURE_BRANCH),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": harness.git(project, "rev-parse", "HEAD"),
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_TITLE": env.get("BUNDLEOPS_TEST_PR_TITLE", harness.PR_TITLE),
    }


def write_variables_file(path: Path, variables: dict[str, str]) -> None:
    """gitlab-ci-local's YAML variables file; explicit `type: variable` (a path would become a File variable)."""
    document = {name: {"type": "variable", "values": {"*": value.replace("$", "$$")}} for name, value in variables.items()}
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(document, sort_keys=True), encoding="utf-8")


def host_environment(path: str, home: Path) -> dict[str, str]:
    """The environment of gitlab-ci-local itself: Node 22 from node_modules first, an empty HOME."""
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": os.pathsep.join([str(NODE_BIN), path]), "HOME": str(home)}


def run(event: str, project: Path, env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    map_library_to_working_tree(project)
    variables = {name: value for name, value in env.items() if name not in HOST_VARIABLES and name != harness.ROLLBACK_INPUT}
    variables.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    variables.update(event_variables(event, project, env))
    variables_file = workdir / "gitlab-ci-local-variables.yml"
    write_variables_file(variables_file, variables)
    command = [
        str(NODE_BIN / "gitlab-ci-local"),
        "--force-shell-executor",
        "--shell-isolation",
        "--no-color",
        "--variables-file",
        str(variables_file),
        "--ignore-predefined-vars",
        ",".join(PREDEFINED),
    ]
    if event in ("pull_request", harness.CLOSED):
        command += ["--unset-variable", "CI_COMMIT_BRANCH"]
    if event == harness.CLOSED:
        # What GitLab does when the merge request is merged: it runs the environment's stop job.
        command += ["--manual", STOP_JOB, STOP_JOB]
    elif event == "push":
        command += ["--manual", GATED_JOB]
    elif event == harness.ROLLBACK:
        command += ["--manual", ROLLBACK_JOB]
    host_env = host_environment(env["PATH"], workdir / "home")
    return subprocess.run(command, cwd=project, env=host_env, capture_output=True, text=True, timeout=600)
