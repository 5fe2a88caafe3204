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
from tests.support.gotemplate import CI_SYSTEMS, EXAMPLE_INPUTS, render_example

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
def test_rendered_project_passes_bundleops_validate(project, target, local_workspace, tmp_path):
    """`bundleops validate` (the CLI stand-in against the local workspace, then the promotion policy):
    the developer with a personal token for dev, the CI's service principal for staging and prod."""
    from bundleops.localcli.shim import write_shim
    from tests.steps.project import bundleops, step_env

    env = step_env(local_workspace.env(), write_shim(tmp_path / "bin").parent)
    if target == "dev":
        for name in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
            del env[name]
        env.update(DATABRICKS_AUTH_TYPE="pat", DATABRICKS_TOKEN=local_workspace.user_token)
    if target == "prod":  # the prod guard: only a default-branch pipeline may act on prod
        env.update(GITLAB_CI="true", CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main")
    result = bundleops(["validate", "--target", target], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"bundle orders_pipeline is valid for {target}" in result.stdout
