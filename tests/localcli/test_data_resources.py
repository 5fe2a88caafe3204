"""Schemas, volumes and pipelines through validate, plan, deploy, summary and destroy, over real HTTP.

Each deploy is read back with databricks-sdk against the local workspace; a change that forces
recreation is refused without `--auto-approve` with the real CLI's approval text and leaves the
workspace as it was, and applied with it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

BUNDLE = """
bundle:
  name: sales
resources:
  schemas:
    raw:
      name: raw
      catalog_name: main
      comment: landing zone
  volumes:
    files:
      name: files
      catalog_name: main
      schema_name: raw
  pipelines:
    etl:
      name: sales etl
      catalog: main
      schema: ${resources.schemas.raw.name}
      libraries:
        - file:
            path: src/etl.py
        - glob:
            include: transformations/**
targets:
  prod:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
  dev:
    mode: development
    default: true
"""
NO_PROMPT = "Error: the deployment requires destructive actions, but the current console does not support prompting."
SCHEMAS_GROUP = "This action will result in the deletion or recreation of the following UC schemas. Any underlying data may be lost:"
PIPELINES_GROUP = ("This action will result in the deletion or recreation of the following Lakeflow Spark Declarative Pipelines along with the")
VOLUMES_GROUP = "This action will result in the deletion or recreation of the following volumes."


def _project(tmp_path: Path, text: str = BUNDLE) -> Path:
    (tmp_path / "src").mkdir(parents=True, exist_ok=True)
    (tmp_path / "transformations").mkdir(exist_ok=True)
    (tmp_path / "src" / "etl.py").write_text("from pyspark import pipelines as dp\n", encoding="utf-8")
    (tmp_path / "transformations" / "orders.sql").write_text("CREATE MATERIALIZED VIEW orders AS SELECT 1 AS id\n", encoding="utf-8")
    (tmp_path / "databricks.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _ok(args: list[str], project: Path, env: dict[str, str]) -> str:
    result = databricks(args, project, env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _summary(project: Path, env: dict[str, str], target: str) -> dict[str, Any]:
    return json.loads(_ok(["bundle", "summary", "-o", "json", "-t", target], project, env))["resources"]


def _schema_names(client: Any) -> list[str]:
    return [schema.name for schema in client.schemas.list(catalog_name="main")]


def test_deploy_reads_back_then_recreation_needs_approval_then_destroy_leaves_nothing(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _project(tmp_path)
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == (
        "create pipelines.etl\ncreate schemas.raw\ncreate volumes.files\n\nPlan: 3 to add, 0 to change, 0 to delete, 0 unchanged\n")
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)

    resources = _summary(project, databricks_env, "prod")
    assert resources["schemas"]["raw"]["id"] == "main.raw"
    assert resources["volumes"]["files"]["id"] == "main.raw.files"
    schema = client.schemas.get("main.raw")
    assert (schema.comment, client.volumes.read("main.raw.files").volume_type.value) == ("landing zone", "MANAGED")
    pipeline = client.pipelines.get(resources["pipelines"]["etl"]["id"])
    files = "/Workspace/Shared/.bundle/sales/prod/files"
    assert (pipeline.spec.catalog, pipeline.spec.schema, pipeline.spec.edition, pipeline.spec.channel) == ("main", "raw", "ADVANCED", "CURRENT")
    assert [library.as_dict() for library in pipeline.spec.libraries] == [{"file": {"path": f"{files}/src/etl.py"}}, {"glob": {"include": f"{files}/transformations/**"}}]
    assert pipeline.spec.deployment.metadata_file_path == "/Workspace/Shared/.bundle/sales/prod/state/metadata.json"
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == "Plan: 0 to add, 0 to change, 0 to delete, 3 unchanged\n"

    (project / "databricks.yml").write_text(textwrap.dedent(BUNDLE).replace("catalog_name: main\n      comment", "catalog_name: sales\n      comment"), encoding="utf-8")
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env).startswith("recreate schemas.raw\n")
    refused = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert refused.returncode == 1
    lines = refused.stderr.splitlines()
    assert lines[lines.index(SCHEMAS_GROUP) + 1] == "  recreate resources.schemas.raw"
    assert NO_PROMPT in lines
    assert _schema_names(client) == ["raw"] and client.schemas.get("main.raw").comment == "landing zone"

    applied = databricks(["bundle", "deploy", "-t", "prod", "--auto-approve"], project, databricks_env)
    assert applied.returncode == 0, applied.stderr
    assert "Recreated schemas.raw" in applied.stderr.splitlines()
    assert _schema_names(client) == [] and [schema.name for schema in client.schemas.list(catalog_name="sales")] == ["raw"]
    assert _summary(project, databricks_env, "prod")["schemas"]["raw"]["id"] == "sales.raw"

    destroyed = databricks(["bundle", "destroy", "-t", "prod", "--auto-approve"], project, databricks_env)
    assert destroyed.returncode == 0, destroyed.stderr
    assert "This action will result in the deletion of the following UC schemas. Any underlying data may be lost:" in destroyed.stderr.splitlines()
    assert destroyed.stderr.endswith("Destroy: 3 deleted\n")
    assert [schema.name for schema in client.schemas.list(catalog_name="sales")] == []
    assert list(client.pipelines.list_pipelines()) == []


def test_removing_a_pipeline_and_a_volume_is_refused_without_approval_and_leaves_them(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _project(tmp_path)
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    pipeline_id = _summary(project, databricks_env, "prod")["pipelines"]["etl"]["id"]
    only_schema = BUNDLE[:BUNDLE.index("  volumes:")] + BUNDLE[BUNDLE.index("targets:"):]
    (project / "databricks.yml").write_text(textwrap.dedent(only_schema), encoding="utf-8")
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == (
        "delete pipelines.etl\ndelete volumes.files\n\nPlan: 0 to add, 0 to change, 2 to delete, 1 unchanged\n")

    refused = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert refused.returncode == 1
    lines = refused.stderr.splitlines()
    assert lines.index(PIPELINES_GROUP) < lines.index("  delete resources.pipelines.etl") < lines.index(VOLUMES_GROUP) < lines.index("  delete resources.volumes.files")
    assert client.pipelines.get(pipeline_id).name == "sales etl" and client.volumes.read("main.raw.files").name == "files"

    _ok(["bundle", "deploy", "-t", "prod", "--auto-approve"], project, databricks_env)
    assert list(client.pipelines.list_pipelines()) == []
    assert [volume.name for volume in client.volumes.list(catalog_name="main", schema_name="raw")] == []


def test_development_mode_prefixes_the_schema_as_a_uc_name_and_the_pipeline_as_dev(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _project(tmp_path)
    config = json.loads(_ok(["bundle", "validate", "-o", "json"], project, databricks_env))
    short = config["workspace"]["current_user"]["short_name"]
    prefix = "dev_" + "".join(char if char.isalnum() else "_" for char in short.lower()) + "_"
    resources = config["resources"]
    assert resources["schemas"]["raw"]["name"] == f"{prefix}raw"
    assert resources["volumes"]["files"]["schema_name"] == f"{prefix}raw"  # a literal name of the bundle's schema follows its prefix
    assert resources["pipelines"]["etl"]["schema"] == f"{prefix}raw"  # so does a reference to it
    assert resources["volumes"]["files"]["name"] == "files"  # volumes get no prefix
    assert (resources["pipelines"]["etl"]["name"], resources["pipelines"]["etl"]["development"]) == (f"[dev {short}] sales etl", True)
    assert resources["pipelines"]["etl"]["tags"] == {"dev": short}

    plan = json.loads(_ok(["bundle", "plan", "-o", "json"], project, databricks_env))["plan"]
    assert plan["resources.volumes.files"]["depends_on"] == [{"node": "resources.schemas.raw", "label": "${resources.schemas.raw.name}"}]
    _ok(["bundle", "deploy"], project, databricks_env)
    assert client.volumes.read(f"main.{prefix}raw.files").schema_name == f"{prefix}raw"
    _ok(["bundle", "destroy", "--auto-approve"], project, databricks_env)
    assert _schema_names(client) == []


def test_grants_are_applied_read_back_and_updated_in_place(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    granted = BUNDLE.replace("      comment: landing zone\n", "      comment: landing zone\n      grants:\n        - principal: analysts\n          privileges: [USE_SCHEMA, CREATE_TABLE]\n")
    project = _project(tmp_path, granted)
    assert "create schemas.raw.grants\n" in _ok(["bundle", "plan", "-t", "prod"], project, databricks_env)
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assignments = client.grants.get("schema", "main.raw").privilege_assignments
    assert [(entry.principal, [privilege.value for privilege in entry.privileges]) for entry in assignments] == [("analysts", ["CREATE_TABLE", "USE_SCHEMA"])]
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == "Plan: 0 to add, 0 to change, 0 to delete, 4 unchanged\n"

    (project / "databricks.yml").write_text(textwrap.dedent(granted.replace("USE_SCHEMA", "APPLY_TAG").replace("- principal: analysts", "- principal: engineers")), encoding="utf-8")
    plan = json.loads(_ok(["bundle", "plan", "-o", "json", "-t", "prod"], project, databricks_env))["plan"]["resources.schemas.raw.grants"]
    assert (plan["action"], plan["remote_state"]["__embed__"]) == ("update", [{"principal": "analysts", "privileges": ["CREATE_TABLE", "USE_SCHEMA"]}])
    applied = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert applied.returncode == 0, applied.stderr  # an update of grants needs no approval
    assignments = client.grants.get("schema", "main.raw").privilege_assignments
    assert [(entry.principal, [privilege.value for privilege in entry.privileges]) for entry in assignments] == [("engineers", ["APPLY_TAG", "CREATE_TABLE"])]


def test_pipeline_permissions_take_the_bundle_permissions_and_the_deployer_as_owner(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    text = BUNDLE.replace("      name: sales etl\n", "      name: sales etl\n      permissions:\n        - level: CAN_VIEW\n          group_name: readers\n")
    text = text.replace("  prod:\n    mode: production\n", "  prod:\n    mode: production\n    permissions:\n      - level: CAN_RUN\n        group_name: operators\n")
    project = _project(tmp_path, text)
    config = json.loads(_ok(["bundle", "validate", "-o", "json", "-t", "prod"], project, databricks_env))
    deployer = config["workspace"]["current_user"]["userName"]
    expected = [{"level": "CAN_VIEW", "group_name": "readers"}, {"level": "CAN_RUN", "group_name": "operators"},
                {"level": "IS_OWNER", "service_principal_name": deployer}]
    assert config["resources"]["pipelines"]["etl"]["permissions"] == expected
    assert "create pipelines.etl.permissions\n" in _ok(["bundle", "plan", "-t", "prod"], project, databricks_env)
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    pipeline_id = _summary(project, databricks_env, "prod")["pipelines"]["etl"]["id"]
    answer = client.pipelines.get_permissions(pipeline_id).access_control_list
    assert [(entry.group_name or entry.service_principal_name, entry.all_permissions[0].permission_level.value) for entry in answer] == [
        ("readers", "CAN_VIEW"), ("operators", "CAN_RUN"), (deployer, "IS_OWNER")]
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == "Plan: 0 to add, 0 to change, 0 to delete, 4 unchanged\n"


def test_what_the_stand_in_does_not_model_is_refused_by_name(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    text = BUNDLE.replace("      name: sales etl\n", "      name: sales etl\n      cascade_on_destroy: false\n")
    text = text.replace("resources:\n", "resources:\n  dashboards:\n    d:\n      display_name: d\n", 1)
    result = databricks(["bundle", "validate", "-t", "prod"], _project(tmp_path, text), databricks_env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        "Error: resource type 'dashboards' is not supported by the databricks CLI stand-in (it deploys jobs, pipelines, schemas, volumes)",
        "Error: cascade_on_destroy is not supported by the databricks CLI stand-in (a pipeline's deletion always takes its tables with it)",
    ]


def test_a_job_running_the_pipeline_is_created_after_it_with_its_id(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    text = BUNDLE.replace("targets:\n", "  jobs:\n    refresh:\n      name: refresh\n      tasks:\n        - task_key: etl\n"
                                        "          pipeline_task:\n            pipeline_id: ${resources.pipelines.etl.id}\n            full_refresh: true\ntargets:\n", 1)
    project = _project(tmp_path, text)
    plan = json.loads(_ok(["bundle", "plan", "-o", "json", "-t", "prod"], project, databricks_env))["plan"]
    assert plan["resources.jobs.refresh"]["depends_on"] == [{"node": "resources.pipelines.etl", "label": "${resources.pipelines.etl.id}"}]
    assert plan["resources.pipelines.etl"]["depends_on"] == [{"node": "resources.schemas.raw", "label": "${resources.schemas.raw.name}"}]
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    resources = _summary(project, databricks_env, "prod")
    job = client.jobs.get(int(resources["jobs"]["refresh"]["id"]))
    assert job.settings.tasks[0].pipeline_task.pipeline_id == resources["pipelines"]["etl"]["id"]
    assert _ok(["bundle", "plan", "-t", "prod"], project, databricks_env) == "Plan: 0 to add, 0 to change, 0 to delete, 4 unchanged\n"


def test_a_saved_plan_that_recreates_a_volume_needs_the_same_approval(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _project(tmp_path)
    _ok(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    (project / "databricks.yml").write_text(textwrap.dedent(BUNDLE).replace("      name: files\n", "      name: files\n      volume_type: EXTERNAL\n      storage_location: s3://bucket/files\n"), encoding="utf-8")
    (project / "plan.json").write_text(_ok(["bundle", "plan", "-o", "json", "-t", "prod"], project, databricks_env), encoding="utf-8")
    refused = databricks(["bundle", "deploy", "-t", "prod", "--plan", "plan.json"], project, databricks_env)
    assert refused.returncode == 1
    assert "  recreate resources.volumes.files" in refused.stderr.splitlines()
    assert client.volumes.read("main.raw.files").volume_type.value == "MANAGED"
    _ok(["bundle", "deploy", "-t", "prod", "--plan", "plan.json", "--auto-approve"], project, databricks_env)
    recreated = client.volumes.read("main.raw.files")
    assert (recreated.volume_type.value, recreated.storage_location) == ("EXTERNAL", "s3://bucket/files")
