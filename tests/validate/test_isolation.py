"""Issue 22 part 3: on dev and staging (one deployment per developer, per pull request) a schema
named literally is shared by every deployment; `bundleops validate` says where and how to fix it.

The resolved configuration is written here as `databricks bundle validate -o json` gives it (the
presets applied); the bundle files are the ones the findings must point into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bundleops.config import ProjectConfig
from bundleops.plan.roles import TargetRef
from bundleops.validate import policy

ROOT = """bundle:
  name: shop
include:
  - resources/*.yml
variables:
  schema:
    default: orders
targets:
  dev: {mode: development}
  staging: {mode: production}
  prod: {mode: production}
"""
SCHEMA = """resources:
  schemas:
    orders:
      catalog_name: staging
      name: ${var.schema}
"""
PIPELINE = """resources:
  pipelines:
    revenue:
      name: revenue
      catalog: staging
      schema: SCHEMA_VALUE
  volumes:
    landing:
      catalog_name: staging
      schema_name: VOLUME_SCHEMA
      name: landing
  jobs:
    refresh:
      name: refresh
      tasks:
        - task_key: orders
          spark_python_task:
            python_file: ../src/run.py
            parameters:
              - --schema
              - JOB_SCHEMA
              - --landing
              - /Volumes/staging/orders/landing
"""
REFERENCE = "${resources.schemas.orders.name}"


def _project(tmp_path: Path, **values: str) -> Path:
    (tmp_path / "resources").mkdir()
    (tmp_path / "databricks.yml").write_text(ROOT)
    (tmp_path / "resources" / "schema.yml").write_text(SCHEMA)
    text = PIPELINE
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    (tmp_path / "resources" / "pipeline.yml").write_text(text)
    return tmp_path


def _resolved(schema_name: str, *, pipeline_schema: str, volume_schema: str, job_schema: str, landing: str) -> dict[str, Any]:
    return {
        "bundle": {"name": "shop", "mode": "production"},
        "variables": {"schema": {"default": "orders", "value": "orders"}},
        "permissions": [{"level": "CAN_VIEW", "group_name": "users"}],
        "run_as": {"service_principal_name": "sp"},
        "resources": {
            "schemas": {"orders": {"catalog_name": "staging", "name": schema_name}},
            "pipelines": {"revenue": {"name": "revenue", "catalog": "staging", "schema": pipeline_schema}},
            "volumes": {"landing": {"catalog_name": "staging", "schema_name": volume_schema, "name": "landing"}},
            "jobs": {"refresh": {"name": "refresh", "tasks": [{"task_key": "orders", "spark_python_task": {
                "python_file": "/Workspace/x/files/src/run.py", "parameters": ["--schema", job_schema, "--landing", landing]}}]}},
        },
    }


def _findings(root: Path, role: str, resolved: dict[str, Any]) -> list[str]:
    config = ProjectConfig()
    found = policy.check(resolved, TargetRef(role, role), root, config)
    return [finding.render() for finding in found if "schema" in finding.message]


def test_literal_schemas_on_staging_are_named_at_their_lines_with_the_fix(tmp_path: Path) -> None:
    root = _project(tmp_path, SCHEMA_VALUE="orders", VOLUME_SCHEMA="orders", JOB_SCHEMA="${var.schema}")
    resolved = _resolved("orders", pipeline_schema="orders", volume_schema="orders", job_schema="orders", landing="/Volumes/staging/orders/landing")
    assert _findings(root, "staging", resolved) == [
        "resources/pipeline.yml:6: resources.pipelines.revenue.schema: names the schema orders literally, so every deployment of this "
        "target (each pull request's, each developer's) writes the same tables and their updates collide: write "
        "`${resources.schemas.orders.name}`, which each deployment's name prefix reaches",
        "resources/pipeline.yml:10: resources.volumes.landing.schema_name: names the schema orders literally, so every deployment of this "
        "target (each pull request's, each developer's) writes the same tables and their updates collide: write "
        "`${resources.schemas.orders.name}`, which each deployment's name prefix reaches",
        "resources/pipeline.yml:21: resources.jobs.refresh.tasks[0].spark_python_task.parameters[1]: names the schema that the bundle "
        "declares as resources.schemas.orders literally, so every deployment of this target reads and writes the same tables: "
        "write `${resources.schemas.orders.name}` instead",
        "resources/pipeline.yml:23: resources.jobs.refresh.tasks[0].spark_python_task.parameters[3]: names the schema that the bundle "
        "declares as resources.schemas.orders literally, so every deployment of this target reads and writes the same tables: "
        "write `${resources.schemas.orders.name}` instead",
    ]
    assert _findings(root, "prod", resolved) == []  # one deployment: nothing to share


def test_a_developers_prefixed_deployment_still_finds_the_literal_name(tmp_path: Path) -> None:
    root = _project(tmp_path, SCHEMA_VALUE=REFERENCE, VOLUME_SCHEMA=REFERENCE, JOB_SCHEMA="${var.schema}")
    resolved = _resolved("dev_jane_orders", pipeline_schema="dev_jane_orders", volume_schema="dev_jane_orders", job_schema="orders",
                         landing="/Volumes/staging/orders/landing")
    found = _findings(root, "dev", resolved)
    assert [line.split(": ")[1] for line in found] == ["resources.jobs.refresh.tasks[0].spark_python_task.parameters[1]",
                                                       "resources.jobs.refresh.tasks[0].spark_python_task.parameters[3]"]


def test_references_to_the_declared_schema_are_per_deployment(tmp_path: Path) -> None:
    root = _project(tmp_path, SCHEMA_VALUE=REFERENCE, VOLUME_SCHEMA=REFERENCE, JOB_SCHEMA=REFERENCE)
    (root / "resources" / "pipeline.yml").write_text((root / "resources" / "pipeline.yml").read_text().replace(
        "/Volumes/staging/orders/landing", "/Volumes/staging/${resources.schemas.orders.name}/landing"))
    resolved = _resolved("pr_12_orders", pipeline_schema="pr_12_orders", volume_schema="pr_12_orders", job_schema="pr_12_orders",
                         landing="/Volumes/staging/pr_12_orders/landing")
    assert _findings(root, "staging", resolved) == []


@pytest.mark.parametrize("role", ["dev", "staging"])
def test_a_pipeline_schema_the_bundle_does_not_declare_is_shared_too(tmp_path: Path, role: str) -> None:
    root = _project(tmp_path, SCHEMA_VALUE="analytics", VOLUME_SCHEMA=REFERENCE, JOB_SCHEMA=REFERENCE)
    resolved = _resolved("orders", pipeline_schema="analytics", volume_schema="orders", job_schema="orders", landing="x")
    resolved["resources"]["jobs"]["refresh"]["tasks"][0]["spark_python_task"]["parameters"][3] = "x"
    assert _findings(root, role, resolved) == [
        "resources/pipeline.yml:6: resources.pipelines.revenue.schema: names the schema analytics literally, so every deployment of "
        "this target (each pull request's, each developer's) writes the same tables and their updates collide: declare it in the "
        "bundle (resources.schemas.<key>, name: analytics) and write `${resources.schemas.<key>.name}`, which each deployment's "
        "name prefix reaches",
    ]
