"""`bundleops init [DIR]`: a new bundle project for one CI system, from the installed package alone.

The wheel ships the bundle template (bundleops.shipped); the configured `databricks` CLI renders it
(`databricks bundle init`), so a team needs no clone of bundleops to start. The project is the
template's: dev, staging and prod targets, a job, its integration-test job, unit and integration
tests, bundleops.yml, and the one CI file of the chosen CI system that consumes bundleops.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bundleops import __version__
from bundleops.init import inputs, project_folder
from bundleops.init.inputs import Inputs

NAME = "init"
HELP = "create a new bundle project (targets, test job, tests, the CI file of your CI system) from the bundleops template"
DESCRIPTION = (
    "Renders the bundle template shipped in this bundleops package with the Databricks CLI\n"
    "(DATABRICKS_CLI_PATH, or `databricks` on PATH): `databricks bundle init <template> --config-file ...`.\n"
    "DIR (default: ./<project name>) becomes the project; it may exist (a fresh clone) but must hold no\n"
    "databricks.yml and none of the files the template writes. The project name defaults to DIR's name.\n"
    "Every other input has the template's default; workspace hosts and service principals left out\n"
    "get placeholders (*.invalid, the nil UUID) that `init` lists for you to replace in databricks.yml."
)
EXAMPLE = (
    "bundleops init orders_pipeline --ci gitlab --host-staging https://adb-1234567890123456.7.azuredatabricks.net\n"
    "  then, without any workspace: bundleops demo --project orders_pipeline   (needs bundleops[local])"
)
# The file each CI system reads, as the template writes it (its README.md lists them; tests/template checks
# that each CI system's render has that file and no other's).
CONSUMER_FILES = {
    "azure": "azure-pipelines.yml",
    "github": ".github/workflows/bundleops.yml",
    "gitlab": ".gitlab-ci.yml",
    "jenkins": "Jenkinsfile",
    "bitbucket": "bitbucket-pipelines.yml",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", type=Path, metavar="DIR", help="the new project's folder (default: ./<project name>)")
    inputs.add_options(parser)


def run(args: argparse.Namespace) -> int:
    from bundleops.init.render import render_into

    chosen = inputs.resolve(args, args.dir.resolve().name if args.dir else None)
    folder = (args.dir or Path(chosen.project_name)).resolve()
    project_folder.check_empty_of_projects(folder)
    with tempfile.TemporaryDirectory(prefix="bundleops-init-") as scratch:
        written = project_folder.move_into(render_into(chosen, Path(scratch)), folder)
    _report(chosen, folder, len(written))
    return 0


def _report(chosen: Inputs, folder: Path, files: int) -> None:
    """What was made, and the next steps: the placeholders to replace, the demo, the push."""
    print(f"created {folder}: bundle {chosen.project_name} for {chosen.ci_system} ({files} files, bundleops {__version__} template)")
    print(f"  CI file: {folder / CONSUMER_FILES[chosen.ci_system]}")
    if chosen.placeholders:
        print("  placeholders to replace in databricks.yml before a real deploy (or re-run with the options):")
        for name in chosen.placeholders:
            print(f"    {name} = {chosen.values[name]}   ({inputs.option(name)})")
    print(f"next: `bundleops demo --project {folder}` runs its pipelines on the embedded local workspace (bundleops[local]);")
    print(f"      then push it to your {chosen.ci_system} repository: {folder / 'README.md'} says how")
