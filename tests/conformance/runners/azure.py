"""Run a project's azure-pipelines.yml on the Azure Pipelines simulator (tests/conformance/azure_expander.py).

How an Azure Pipelines run is simulated, and where it differs from Azure DevOps:
- Source override: the consumer file extends `azure/bundleops.yml@bundleops`, a repository
  resource (`type: git`, `name: bundleops/bundleops`, `ref: refs/tags/v<version>`). The simulator
  resolves that repository to the working tree, so the consumer file runs unchanged against the
  code under test; any other repository is refused.
- Events: Azure's predefined variables for the build reason (docs: "Use predefined variables").
  A pull request is BUILD_REASON=PullRequest with the SYSTEM_PULLREQUEST_* variables of an Azure
  Repos pull request (PULLREQUESTID; PULLREQUESTNUMBER exists only for GitHub repositories) and
  BUILD_SOURCEBRANCH=refs/pull/7/merge; a push is IndividualCI on refs/heads/main. The branch name
  and the pull-request title (in the merge commit's message, BUILD_SOURCEVERSIONMESSAGE, the only
  place Azure exposes it) come from BUNDLEOPS_TEST_BRANCH / BUNDLEOPS_TEST_PR_TITLE and reach
  scripts only as variables.
- Variables: the project's credentials (DATABRICKS_HOST, _CLIENT_ID, _CLIENT_SECRET, _AUTH_TYPE)
  are the contents of the variable groups bundleops-dev/-staging/-prod (docs/azure.md), so only
  target jobs see them; DATABRICKS_CLIENT_SECRET and other secret-named variables are secret
  (never in a script's environment unless mapped through `env:`, masked in the log). The other
  variables of `env` are pipeline variables (Pipeline settings > Variables). System.AccessToken is a
  fixed fake token: nothing here calls Azure DevOps.
- The schedule: Build.Reason=Schedule on main runs the project's second pipeline,
  azure-pipelines-sweep.yml (its `schedules:` must include main). The drift check is the
  schedule of its third pipeline, azure-pipelines-operations.yml; the rollback is a manual run of
  that pipeline on main (Build.Reason=Manual) queued with the runtime parameter rollback_to.
- Checks: every environment's checks (approvals, exclusive lock) pass, unless `approve` says no:
  for a push that is the approver who lets prod deploy.
- Steps run on this machine with the repository's virtualenv first on PATH, where bundleops is
  the working tree; PIP_NO_INDEX=1 makes the template's pinned `pip install bundleops[local]==<version>`
  resolve to it without a download, so a template pinned to another version fails the run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Callable, Mapping

from tests.conformance import harness
from tests.conformance.azure_expander import PipelineRun, VariableGroup, run_pipeline

CONSUMER_FILE = "azure-pipelines.yml"
# The project's second pipeline, scheduled: it extends azure/bundleops-sweep.yml (docs/azure.md).
SWEEP_FILE = "azure-pipelines-sweep.yml"
# The project's third pipeline: scheduled, the drift check; run by hand with rollback_to, the rollback (docs/azure.md).
OPERATIONS_FILE = "azure-pipelines-operations.yml"
PIPELINE_FILES = {harness.SCHEDULE: SWEEP_FILE, harness.DRIFT: OPERATIONS_FILE, harness.ROLLBACK: OPERATIONS_FILE}
LIBRARY_REPOSITORY = "bundleops/bundleops"
ORGANIZATION = "https://dev.azure.com/contoso/"
TEAM_PROJECT = "data-platform"
REPOSITORY = "orders_pipeline"
TARGET_GROUPS = ("bundleops-dev", "bundleops-staging", "bundleops-prod")
# What a project keeps in each target's variable group (docs/azure.md); everything else of `env` is a pipeline variable.
GROUP_VARIABLES = ("DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_AUTH_TYPE", "DATABRICKS_TOKEN")
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD", re.IGNORECASE)
# The agent machine's own environment, not pipeline variables.
AGENT_VARIABLES = ("PATH", "HOME")
FAKE_ACCESS_TOKEN = "simulated-system-access-token-0000"
Approver = Callable[[str, str], bool]


def predefined_variables(event: str, project: Path, env: dict[str, str]) -> dict[str, str]:
    """Azure's predefined variables (their YAML names) for a pull-request or a CI build of `main`."""
    head = harness.git(project, "rev-parse", "HEAD")
    common = {
        "System.CollectionUri": ORGANIZATION,
        "System.TeamFoundationCollectionUri": ORGANIZATION,
        "System.TeamProject": TEAM_PROJECT,
        "System.TeamProjectId": "6b3d2b5e-0f43-4d0a-9b1c-2f6c0e7a1d01",
        "System.DefinitionId": "12",
        "System.HostType": "build",
        "System.PlanId": "0c9a3c52-6c1a-4a53-8f6e-6d1b3c2f4a10",
        "System.AccessToken": FAKE_ACCESS_TOKEN,
        "Build.BuildId": "4242",
        "Build.BuildNumber": "20261130.1",
        "Build.DefinitionName": REPOSITORY,
        "Build.Repository.Name": REPOSITORY,
        "Build.Repository.Provider": "TfsGit",
        "Build.Repository.Uri": f"{ORGANIZATION}{TEAM_PROJECT}/_git/{REPOSITORY}",
        "Build.RequestedFor": "Dana Dev",
        "Build.RequestedForEmail": "dana@example.com",
    }
    if event in (harness.SCHEDULE, harness.DRIFT, harness.ROLLBACK):
        return {
            **common,
            "Build.Reason": "Manual" if event == harness.ROLLBACK else "Schedule",
            "Build.SourceBranch": "refs/heads/main",
            "Build.SourceBranchName": "main",
            "Build.SourceVersion": head,
            "Build.SourceVersionMessage": "Initial project",
        }
    if event == "push":
        return {
            **common,
            "Build.Reason": "IndividualCI",
            "Build.SourceBranch": "refs/heads/main",
            "Build.SourceBranchName": "main",
            "Build.SourceVersion": head,
            "Build.SourceVersionMessage": "Initial project",
        }
    if event != "pull_request":
        raise ValueError(f"azure runner: unknown event {event!r} (expected one of {harness.EVENTS})")
    branch = env.get("BUNDLEOPS_TEST_BRANCH", harness.FEATURE_BRANCH)
    title = env.get("BUNDLEOPS_TEST_PR_TITLE", harness.PR_TITLE)
    return {
        **common,
        "Build.Reason": "PullRequest",
        "Build.SourceBranch": f"refs/pull/{harness.PR_NUMBER}/merge",
        "Build.SourceBranchName": "merge",
        "Build.SourceVersion": head,  # Azure builds a merge commit; the simulation checks out the head
        "Build.SourceVersionMessage": f"Merged PR {harness.PR_NUMBER}: {title}",
        "System.PullRequest.PullRequestId": str(harness.PR_NUMBER),
        "System.PullRequest.SourceBranch": f"refs/heads/{branch}",
        "System.PullRequest.TargetBranch": "refs/heads/main",
        "System.PullRequest.SourceCommitId": head,
        "System.PullRequest.SourceRepositoryURI": f"{ORGANIZATION}{TEAM_PROJECT}/_git/{REPOSITORY}",
        "System.PullRequest.IsFork": "False",
    }


def split_variables(env: dict[str, str]) -> tuple[dict[str, str], dict[str, VariableGroup], frozenset[str]]:
    """`env` as a project would hold it on Azure: (pipeline variables, variable groups, secret names)."""
    pipeline: dict[str, str] = {}
    group: dict[str, str] = {}
    for name, value in env.items():
        if name in AGENT_VARIABLES or name.startswith("BUNDLEOPS_TEST_"):
            continue
        (group if name in GROUP_VARIABLES else pipeline)[name] = value
    pipeline.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    secrets = frozenset(name for name in {**pipeline, **group} if SECRET_NAME.search(name))
    group_secrets = frozenset(name for name in group if name in secrets)
    library = {name: VariableGroup(dict(group), group_secrets) for name in TARGET_GROUPS}
    return pipeline, library, secrets - group_secrets


def simulate(
    event: str,
    project: Path,
    env: dict[str, str],
    workdir: Path,
    approve: Approver | None = None,
    overrides: Mapping[str, str] | None = None,
) -> PipelineRun:
    """The run as the simulator records it (stages, jobs, steps, log); `run` wraps it for the harness.
    `overrides` replaces predefined variables (e.g. the collection URI of a stand-in Azure DevOps)."""
    workdir.mkdir(parents=True, exist_ok=True)
    pipeline, library, secrets = split_variables(env)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    return run_pipeline(
        project / PIPELINE_FILES.get(event, CONSUMER_FILE),
        sources={LIBRARY_REPOSITORY: harness.REPO_ROOT},
        workdir=workdir,
        predefined={**predefined_variables(event, project, env), **(overrides or {})},
        pipeline_variables=pipeline,
        secrets=secrets,
        library=library,
        agent_env={"PATH": env["PATH"], "HOME": str(home)},
        approve=approve,
        runtime_parameters={"rollback_to": env[harness.ROLLBACK_INPUT]} if event == harness.ROLLBACK else None,
    )


def run(event: str, project: Path, env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    result = simulate(event, project, env, workdir)
    return subprocess.CompletedProcess(["azure-pipelines-simulator", event, str(project / PIPELINE_FILES.get(event, CONSUMER_FILE))], result.returncode, result.log, "")
