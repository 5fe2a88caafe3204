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
from bundleops.shipped import BUNDLE_TEMPLATE, EXAMPLE_PROJECT

# The renderer's names stay importable from here for the template and conformance tests.
__all__ = ["CI_SYSTEMS", "EXAMPLE_DIR", "EXAMPLE_INPUTS", "REPO", "TEMPLATE_DIR", "TemplateError", "render_example", "render_tree", "update_example"]

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = BUNDLE_TEMPLATE
EXAMPLE_DIR = EXAMPLE_PROJECT
# The documented inputs of the example project (the bundle template's README.md lists them).
EXAMPLE_INPUTS: dict[str, str] = {
    "project_name": "orders_pipeline",
    "ci_system": "github",
    "catalog_dev": "dev",
    "catalog_staging": "staging",
    "catalog_prod": "prod",
    "host_dev": "https://orders-dev.cloud.databricks.com",
    "host_staging": "https://orders-staging.cloud.databricks.com",
    "host_prod": "https://orders-prod.cloud.databricks.com",
    "sp_staging": "6f1c1a52-2d7e-4c8e-9a51-3b1f0c9e5a11",
    "sp_prod": "9b0e7d43-5c2a-4f61-8e0d-7a4c2b8f1d22",
}
CI_SYSTEMS = ("azure", "github", "gitlab", "jenkins", "bitbucket")


def render_example(ci_system: str = "github", destination: Path = Path("."), **changes: str) -> Path:
    """Render the example project (EXAMPLE_INPUTS, with ci_system and any input changed) into
    `destination` as `databricks bundle init --output-dir destination` would; returns the project folder."""
    inputs = {**EXAMPLE_INPUTS, "ci_system": ci_system, **changes}
    destination.mkdir(parents=True, exist_ok=True)
    render_tree(TEMPLATE_DIR, inputs, destination)
    return destination / inputs["project_name"]


def update_example() -> Path:
    """Re-render the example project from the bundle template with EXAMPLE_INPUTS."""
    staging = EXAMPLE_DIR.parent / ".render"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        project = render_example(EXAMPLE_INPUTS["ci_system"], staging)
        shutil.rmtree(EXAMPLE_DIR, ignore_errors=True)
        project.rename(EXAMPLE_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return EXAMPLE_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-render steps/bundleops/shipped/examples/orders_pipeline from steps/bundleops/shipped/bundle-template "
                                     "(any other project: `bundleops init DIR`).")
    parser.add_argument("--update-example", action="store_true", required=True, help="re-render the example project")
    parser.parse_args(argv)
    try:
        print(f"rendered {update_example()}")
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
