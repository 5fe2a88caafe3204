"""Every rendered project is a valid bundle for every target, as the CLI stand-in resolves it.

The stand-in's resolver (bundleops.localcli.bundle.resolve) is what `databricks bundle validate`
of the stand-in runs after asking the workspace who the caller is; here the caller is given
directly: the human developer for dev, the target's service principal for staging and prod.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bundleops.localcli.bundle import Options, resolve
from bundleops.localcli.user import current_user
from tests.support.gotemplate import CI_SYSTEMS, EXAMPLE_INPUTS, LAKEFLOW_INPUTS, render_example

DEVELOPER = current_user("dev.user@example.com", "42")


def _caller(target: str) -> dict:
    if target == "dev":
        return DEVELOPER
    return current_user(EXAMPLE_INPUTS[f"sp_{target}"], "7", f"{target}-deployer")


@pytest.fixture(scope="module", params=CI_SYSTEMS)
def project(request, tmp_path_factory) -> Path:
    return render_example(ci_system=request.param, destination=tmp_path_factory.mktemp(request.param))


@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
def test_rendered_project_validates_for_every_target(project, target):
    bundle = resolve(Options(target=target, variables=(), start=project), lambda config: _caller(target), {})
    problems = [f"{d.severity}: {d.summary}" for d in bundle.diagnostics.items if d.severity in ("error", "warning")]
    assert problems == []
    assert bundle.target == target
    jobs = bundle.config["resources"]["jobs"]
    assert set(jobs) == {"orders_pipeline_job", "orders_pipeline_test_job"}
    test_job = jobs["orders_pipeline_test_job"]
    catalog = EXAMPLE_INPUTS[f"catalog_{target}"]
    (report_folder,) = [p["default"] for p in test_job["parameters"] if p["name"] == "report_folder"]
    assert report_folder == f"/Volumes/{catalog}/orders_pipeline/test_reports/orders_pipeline_test_job"
    args = test_job["tasks"][0]["python_wheel_task"]["parameters"]
    assert args[args.index("--catalog") + 1] == catalog
    assert args[args.index("--tests") + 1] == f"{bundle.workspace['file_path']}/tests/integration"
    assert args[args.index("--run-id") + 1] == "{{job.run_id}}"
    if target != "dev":
        assert bundle.workspace["root_path"] == f"/Workspace/Users/{EXAMPLE_INPUTS[f'sp_{target}']}/.bundle/orders_pipeline/{target}"


@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
def test_the_lakeflow_project_gives_each_deployment_its_own_schema(tmp_path, target):
    """`pipeline: lakeflow`: the pipeline, the volume and the test job's checks all refer to the bundle's
    schema, whose name a developer's deployment prefixes as the real CLI's presets do."""
    project = render_example(tmp_path, **LAKEFLOW_INPUTS)
    bundle = resolve(Options(target=target, variables=(), start=project), lambda config: _caller(target), {})
    assert [f"{d.severity}: {d.summary}" for d in bundle.diagnostics.items if d.severity in ("error", "warning")] == []
    resources = bundle.config["resources"]
    schema = resources["schemas"]["orders_lakeflow"]["name"]
    assert schema == ("dev_dev_user_orders_lakeflow" if target == "dev" else "orders_lakeflow")
    pipeline = resources["pipelines"]["orders_lakeflow_pipeline"]
    assert (pipeline["schema"], pipeline["catalog"], pipeline.get("development", False)) == (schema, EXAMPLE_INPUTS[f"catalog_{target}"], target == "dev")
    assert resources["volumes"]["test_reports"]["schema_name"] == schema
    (checks,) = [task for task in resources["jobs"]["orders_lakeflow_test_job"]["tasks"] if task["task_key"] == "integration_tests"]
    args = checks["python_wheel_task"]["parameters"]
    assert args[args.index("--output-schema") + 1] == schema


def _validate_env(local_workspace, tmp_path, target):
    """The developer with a personal token for dev, the CI's service principal for staging and prod."""
    from bundleops.localcli.shim import write_shim
    from tests.steps.project import step_env

    env = step_env(local_workspace.env(), write_shim(tmp_path / "bin").parent)
    if target == "dev":
        for name in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
            del env[name]
        env.update(DATABRICKS_AUTH_TYPE="pat", DATABRICKS_TOKEN=local_workspace.user_token)
    if target == "prod":  # the prod guard: only a default-branch pipeline may act on prod
        env.update(GITLAB_CI="true", CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main")
    return env


@pytest.mark.parametrize("target", ["dev", "staging", "prod"])
def test_rendered_project_passes_bundleops_validate(project, target, local_workspace, tmp_path):
    """`bundleops validate` (the CLI stand-in against the local workspace, then the promotion policy)."""
    from tests.steps.project import bundleops

    result = bundleops(["validate", "--target", target], project, _validate_env(local_workspace, tmp_path, target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"bundle orders_pipeline is valid for {target}" in result.stdout


def test_a_pipeline_writing_a_literal_schema_is_a_finding_where_deployments_share_it(local_workspace, tmp_path):
    """Issue 22 part 3 through the stand-in: the lakeflow project passes; with its pipeline's schema
    written literally, staging (one deployment per pull request) gets a finding at the line."""
    from tests.steps.project import bundleops

    project = render_example(tmp_path / "p", **LAKEFLOW_INPUTS)
    env = _validate_env(local_workspace, tmp_path, "staging")
    assert bundleops(["validate", "--target", "staging"], project, env).returncode == 0
    pipeline = project / "resources" / "orders_lakeflow_pipeline.yml"
    pipeline.write_text(pipeline.read_text().replace("schema: ${resources.schemas.orders_lakeflow.name}", "schema: orders_lakeflow"))
    line = pipeline.read_text().splitlines().index("      schema: orders_lakeflow") + 1
    result = bundleops(["validate", "--target", "staging"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"file=resources/orders_lakeflow_pipeline.yml,line={line}" in result.stdout + result.stderr or f"orders_lakeflow_pipeline.yml:{line}" in result.stdout + result.stderr, result.stdout
    assert "resources.pipelines.orders_lakeflow_pipeline.schema: names the schema orders_lakeflow literally" in result.stdout + result.stderr
    assert "write `${resources.schemas.orders_lakeflow.name}`" in result.stdout + result.stderr
