"""Small bundles written into tmp_path for the stand-in's tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = """
bundle:
  name: orders
include:
  - resources/*.yml
variables:
  catalog:
    description: the catalog
    default: dev_cat
  report_root:
    default: /Volumes/${var.catalog}/ci/reports
targets:
  dev:
    default: true
    mode: development
  prod:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
    run_as:
      service_principal_name: 11111111-2222-3333-4444-555555555555
    permissions:
      - level: CAN_VIEW
        group_name: data-team
    variables:
      catalog: prod_cat
"""

JOBS = """
resources:
  jobs:
    orders_job:
      name: orders_job
      tasks:
        - task_key: main
          spark_python_task:
            python_file: ../src/main.py
            parameters: ["--catalog", "${var.catalog}", "--out", "${var.report_root}"]
    orders_test_job:
      name: orders_test_job
      parameters:
        - name: report_folder
          default: ${var.report_root}/runs
      tasks:
        - task_key: nb
          notebook_task:
            notebook_path: ../src/nb.py
      schedule:
        quartz_cron_expression: "0 0 * * * ?"
        timezone_id: UTC
"""

SOURCES = {
    "src/main.py": "print('orders job ran')\n",
    "src/nb.py": "# Databricks notebook source\nprint('notebook ran')\n",
}


def write_bundle(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text, dedented) under `folder` and return it."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def orders_bundle(folder: Path, changes: dict[str, str] | None = None) -> Path:
    """The two-job bundle used across the tests; `changes` replace or add files."""
    return write_bundle(folder, {"databricks.yml": ROOT, "resources/jobs.yml": JOBS, **SOURCES, **(changes or {})})
