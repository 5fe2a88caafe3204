"""The Azure runner on its own: the consumer file of orders_pipeline, compiled with the working
tree's azure/bundleops.yml and run by the Azure Pipelines simulator against the local workspace,
runs what `bundleops plan` decides, skips the stages of the other targets (so they ask for no
approval), keeps credentials out of the plan stage, stops at a failing step, and installs only the
pinned bundleops. (That nothing from a branch name or pull-request title is executed is checked
for all five CI systems in test_conformance.py.)

The simulator itself (what it supports, and that it refuses the rest) is tested in
test_azure_expander.py.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from pathlib import Path

import pytest

from bundleops import __version__
from bundleops.localworkspace.identity import sign_hs256
from tests.conformance import harness
from tests.conformance.azure_expander import compile_pipeline
from tests.conformance.runners import azure as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

pytestmark = pytest.mark.vendor_runner


def recorded(run: harness.VendorRun) -> dict:
    """The simulator's record of the run (stages, jobs, steps), written next to the runner's work."""
    return json.loads((run.project.parent / "runner" / "azure-run.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("azure", event)
    harness.assert_ran_the_plan(run)
    record = recorded(run)
    _, target = harness.planned_steps("azure", event, run.project)
    stages = {stage["name"]: stage["result"] for stage in record["stages"]}
    previewed = "Succeeded" if target == "prod" else "Skipped"  # the plan shown before the approval
    assert stages == {"plan": "Succeeded", **{t: ("Succeeded" if t == target else "Skipped") for t in ("dev", "staging", "prod")}, "prod_preview": previewed}
    (deployment,) = [job for job in record["jobs"] if job["kind"] == "deployment"]
    # A pull request's own deployment goes through the environment without the exclusive lock.
    assert deployment["environment"] == {"dev": "dev", "staging": "staging-pull-requests", "prod": "production"}[target]
    # The repository's root is its one bundle: one leg of the target's matrix, named by its key.
    (leg,) = [job for job in record["jobs"] if job["stage"] == target and job["kind"] == "job"]
    assert leg["name"] == "bundle root" and leg["variables"]["project_root"] == "."
    # The reports reach Azure's Tests and Code Coverage tabs, holding the unit tests of the plan stage.
    published = {step["kind"]: step["files"] for step in record["steps"] if step["stage"] == target and step["kind"].startswith("task:Publish")}
    assert published["task:PublishTestResults@2"] and published["task:PublishCodeCoverageResults@2"]
    harness.assert_published_unit_tests(Path(leg["workspace"]) / "test-results")


def test_only_the_target_job_sees_credentials(conformance_runs: harness.RunCache) -> None:
    """Credentials live in the targets' variable groups, which only the target legs reference (not
    the plan job, nor the deployment job holding the environment); the client secret is a secret
    variable: in no job's plain variables and masked in the log."""
    run = conformance_runs.get("azure", "pull_request")
    jobs = {job["stage"]: job for job in recorded(run)["jobs"] if job["kind"] == "job"}
    (environment,) = [job for job in recorded(run)["jobs"] if job["kind"] == "deployment"]
    assert "DATABRICKS_HOST" not in environment["variables"]
    assert jobs["plan"]["outputs"]["plan.target"] == "staging"
    assert not {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_AUTH_TYPE"} & set(jobs["plan"]["variables"])
    assert jobs["staging"]["variables"]["DATABRICKS_AUTH_TYPE"] == "oauth-m2m", "the variable group's auth type wins over the template default"
    assert "DATABRICKS_CLIENT_SECRET" not in jobs["staging"]["variables"]


def test_pull_request_variables_reach_bundleops(conformance_runs: harness.RunCache) -> None:
    """The predefined variables of a pull-request build give bundleops its context (context/azure.py)."""
    run = conformance_runs.get("azure", "pull_request")
    assert f"event=pull_request branch={harness.INJECTION_BRANCH} target_branch=main" in run.log
    assert f"pr_number={harness.PR_NUMBER}" in run.log


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    run = harness.run_with_failing_plan("azure", tmp_path)
    stages = {stage["name"]: stage["result"] for stage in recorded(run)["stages"]}
    assert stages == {"plan": "Failed", "dev": "Skipped", "staging": "Skipped", "prod_preview": "Skipped", "prod": "Skipped"}


def test_a_rejected_approval_keeps_prod_from_deploying(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """The production environment's Approvals check says no, after the approver saw the plan
    (prod_preview): the prod stage fails before any step, and nothing is deployed."""
    project = tmp_path / "orders_pipeline"
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path)
    harness.make_repository(project, "main")
    trace = tmp_path / "trace.jsonl"
    env = harness.pipeline_env(conformance_workspace, trace)
    asked: list[tuple[str, str]] = []

    def reject_production(environment: str, stage: str) -> bool:
        asked.append((environment, stage))
        return environment != "production"

    result = runner.simulate("push", project, env, tmp_path / "runner", approve=reject_production)
    assert asked == [("production", "prod")], "only the planned stage asks for approval"
    assert result.returncode != 0
    assert result.stage("prod").result == "Failed" and result.stage("prod").approved is False
    assert not any(job.stage == "prod" for job in result.jobs), "no prod job may start without approval"
    assert result.stage("prod_preview").result == "Succeeded"
    assert harness.steps_run(trace) == [("unit", None), ("validate", "prod"), ("preview", "prod")]


def test_jobs_install_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a job asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        text = consumer.read_text(encoding="utf-8").replace(
            "  template: azure/bundleops.yml@bundleops\n",
            "  template: azure/bundleops.yml@bundleops\n  parameters:\n    bundleopsSource: bundleops==99.0.0\n",
        )
        consumer.write_text(text, encoding="utf-8")

    run = harness.run_vendor("azure", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode != 0 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log


def test_a_bundle_in_a_folder_named_by_project_root_runs_there(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """`projectRoot: orders` with the bundle in orders/: the plan names it `.` relative to that
    folder, and its leg runs the bundle's steps in orders/ (the trace names the bundle's folder)."""
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path / "rendered")
    rendered = tmp_path / "rendered" / "orders_pipeline"
    repository = tmp_path / "repository"
    repository.mkdir()
    consumer = (rendered / runner.CONSUMER_FILE).read_text(encoding="utf-8")
    (rendered / runner.CONSUMER_FILE).unlink()
    (repository / runner.CONSUMER_FILE).write_text(consumer + "  parameters:\n    projectRoot: orders\n", encoding="utf-8")
    rendered.rename(repository / "orders")
    validate_only(repository / "orders")
    harness.make_repository(repository, harness.FEATURE_BRANCH)
    trace = tmp_path / "trace.jsonl"
    env = {**harness.pipeline_env(conformance_workspace, trace), "BUNDLEOPS_TEST_BRANCH": harness.FEATURE_BRANCH}
    result = runner.simulate("pull_request", repository, env, tmp_path / "runner")
    assert result.returncode == 0, result.log[-6000:]
    assert [(entry["bundle"], entry["step"]) for entry in harness.read_trace(trace)] == [("orders", "unit"), ("orders", "validate")]
    assert result.job("staging", "bundle root").variables["project_root"] == "."
    assert "bundles passed" not in result.log, "the leg runs its bundle, not every bundle of the repository again"


def test_the_consumer_extends_the_release_of_this_repository(tmp_path: Path) -> None:
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path)
    compiled = compile_pipeline(tmp_path / "orders_pipeline" / runner.CONSUMER_FILE, {runner.LIBRARY_REPOSITORY: harness.REPO_ROOT})
    assert compiled.repositories["bundleops"].ref == f"refs/tags/v{__version__}"
    assert compiled.template_file == harness.REPO_ROOT / "azure" / "bundleops.yml"
    assert compiled.parameters["bundleopsSource"] == f"bundleops[local]=={__version__}"


# ----------------------------------------------------------------------------- OIDC (workload identity federation)

ORGANIZATION_ID = "7f1078d6-b20d-4a20-9d88-05a2f0d645a3"
ISSUER = f"https://vstoken.dev.azure.com/{ORGANIZATION_ID}"
SUBJECT = f"p://contoso/{runner.TEAM_PROJECT}/{runner.REPOSITORY}"
AUDIENCE = "api://AzureADTokenExchange"
OIDC_PATH = re.compile(r"^/contoso/(?P<project>[^/]+)/_apis/distributedtask/hubs/(?P<hub>[^/]+)/plans/(?P<plan>[^/]+)/jobs/(?P<job>[^/?]+)/oidctoken\?api-version=")


class AzureDevOpsOidc:
    """A loopback stand-in for Azure DevOps' job OIDC endpoint (the one databricks-sdk's
    azure-devops-oidc calls): it answers a POST carrying the job's System.AccessToken with an ID
    token for the pipeline, HS256-signed with a key the local workspace's federation policy shares."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.requests: list[dict[str, str]] = []
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                match = OIDC_PATH.match(self.path)
                authorized = self.headers.get("Authorization") == f"Bearer {runner.FAKE_ACCESS_TOKEN}"
                stand_in.requests.append({"path": self.path, "authorized": str(authorized)})
                if match is None or not authorized:
                    self.send_response(401 if match else 404)
                    self.end_headers()
                    return
                claims = {"iss": ISSUER, "sub": SUBJECT, "aud": AUDIENCE, "exp": int(time.time()) + 600, "iat": int(time.time())}
                body = json.dumps({"oidcToken": sign_hs256(claims, stand_in.key)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                """Quiet: the test reads `requests`."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.collection_uri = f"http://127.0.0.1:{self.server.server_address[1]}/contoso/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AzureDevOpsOidc:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def validate_only(project: Path) -> None:
    """Rules that send the pull request to staging for `unit` and `validate` only: validate
    authenticates (SCIM Me) and needs no deploy."""
    config = project / "bundleops.yml"
    rules = "rules:\n  - name: pr-validate\n    when: {event: pull_request}\n    target: staging\n    steps: [unit, validate]\n  - name: fallback\n    steps: [unit]\n"
    config.write_text(config.read_text(encoding="utf-8") + rules, encoding="utf-8")


def test_azure_devops_oidc_reaches_databricks_without_a_secret(tmp_path: Path) -> None:
    """The template's default auth: no secret anywhere, SYSTEM_ACCESSTOKEN passed to the target
    step, the SDK fetches the job's ID token from Azure DevOps and exchanges it at the workspace."""
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import FederationPolicy, LocalWorkspace

    key = b"azure-devops-test-signing-key"
    with LocalWorkspace(tmp_path / "state") as server, AzureDevOpsOidc(key) as azure_devops:
        server.add_federation_policy(FederationPolicy(server.client_id, ISSUER, AUDIENCE, SUBJECT, key))
        workspace = harness.Workspace(server.host, server.client_id, "unused", write_shim(tmp_path / "bin").parent)
        render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path)
        project = tmp_path / "orders_pipeline"
        validate_only(project)
        harness.make_repository(project, harness.FEATURE_BRANCH)
        trace = tmp_path / "trace.jsonl"
        env = harness.pipeline_env(workspace, trace)
        for credential in ("DATABRICKS_CLIENT_SECRET", "DATABRICKS_AUTH_TYPE"):
            del env[credential]
        env["BUNDLEOPS_TEST_BRANCH"] = harness.FEATURE_BRANCH
        result = runner.simulate("pull_request", project, env, tmp_path / "runner", overrides={"System.TeamFoundationCollectionUri": azure_devops.collection_uri})
    assert result.returncode == 0, result.log[-6000:]
    assert harness.steps_run(trace) == [("unit", None), ("validate", "staging")]
    assert result.job("staging").variables["DATABRICKS_AUTH_TYPE"] == "azure-devops-oidc", "the template's default"
    assert azure_devops.requests and all(request["authorized"] == "True" for request in azure_devops.requests)
    assert runner.FAKE_ACCESS_TOKEN not in result.log
