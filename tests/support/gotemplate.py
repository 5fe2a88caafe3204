"""The example project rendered from the bundle template (bundleops.shipped) for tests, with the renderer the `databricks`
stand-in's `bundle init` uses (bundleops.localcli.template: the Go-template subset and its rules).

Run `python -m tests.support.gotemplate --update-example` to re-render steps/bundleops/shipped/examples/orders_pipeline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from bundleops.localcli.template import TemplateError, render_tree
from bundleops.shipped import BUNDLE_TEMPLATE, EXAMPLE_PROJECT, LAKEFLOW_EXAMPLE

# The renderer's names stay importable from here for the template and conformance tests.
__all__ = ["CI_SYSTEMS", "EXAMPLE_DIR", "EXAMPLE_INPUTS", "EXAMPLES", "LAKEFLOW_EXAMPLE", "LAKEFLOW_INPUTS", "REPO", "TEMPLATE_DIR", "TemplateError", "render_example", "render_tree", "update_example"]

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = BUNDLE_TEMPLATE
EXAMPLE_DIR = EXAMPLE_PROJECT
# The documented inputs of the example project (the bundle template's README.md lists them).
EXAMPLE_INPUTS: dict[str, str] = {
    "project_name": "orders_pipeline",
    "ci_system": "github",
    "pipeline": "job",
    "catalog_dev": "dev",
    "catalog_staging": "staging",
    "catalog_prod": "prod",
    "host_dev": "https://orders-dev.cloud.databricks.com",
    "host_staging": "https://orders-staging.cloud.databricks.com",
    "host_prod": "https://orders-prod.cloud.databricks.com",
    "sp_staging": "6f1c1a52-2d7e-4c8e-9a51-3b1f0c9e5a11",
    "sp_prod": "9b0e7d43-5c2a-4f61-8e0d-7a4c2b8f1d22",
}
# The second example: the same inputs with a Lakeflow Declarative Pipeline.
LAKEFLOW_INPUTS: dict[str, str] = {**EXAMPLE_INPUTS, "project_name": "orders_lakeflow", "pipeline": "lakeflow"}
EXAMPLES: dict[Path, dict[str, str]] = {EXAMPLE_DIR: EXAMPLE_INPUTS, LAKEFLOW_EXAMPLE: LAKEFLOW_INPUTS}
CI_SYSTEMS = ("azure", "github", "gitlab", "jenkins", "bitbucket")


def render_example(destination: Path = Path("."), **changes: str) -> Path:
    """Render the example project (EXAMPLE_INPUTS, with any input changed, e.g. ci_system) into
    `destination` as `databricks bundle init --output-dir destination` would; returns the project folder."""
    inputs = {**EXAMPLE_INPUTS, **changes}
    destination.mkdir(parents=True, exist_ok=True)
    render_tree(TEMPLATE_DIR, inputs, destination)
    return destination / inputs["project_name"]


def update_example(folder: Path, inputs: dict[str, str]) -> Path:
    """Re-render an example project from the bundle template with its inputs (EXAMPLES)."""
    staging = folder.parent / ".render"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        project = render_example(staging, **inputs)
        shutil.rmtree(folder, ignore_errors=True)
        project.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-render the example projects in steps/bundleops/shipped/examples from steps/bundleops/shipped/bundle-template "
                                     "(any other project: `bundleops init DIR`).")
    parser.add_argument("--update-example", action="store_true", required=True, help="re-render the example projects")
    parser.parse_args(argv)
    try:
        for folder, inputs in EXAMPLES.items():
            print(f"rendered {update_example(folder, inputs)}")
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
