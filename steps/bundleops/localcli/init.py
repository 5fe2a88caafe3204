"""`databricks bundle init TEMPLATE_PATH [--config-file F] [--output-dir D]` for a local template folder.

As the real CLI does without a terminal (libs/template/config.go, writer.go): print the schema's
welcome message, take the inputs from --config-file (keys the schema does not define are ignored)
and the schema's defaults for the rest, check `min_databricks_cli_version`, render the template
into --output-dir (default: the current folder) and print the success message, all on stderr.
The stand-in never prompts, so an input with neither a value nor a default is an error naming it.
Built-in templates, Git URLs and the Git flags need what the real CLI downloads: refused by name.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from bundleops.localcli import VERSION, version
from bundleops.localcli.diagnostics import CliError
from bundleops.localcli.template import SCHEMA_FILE, TemplateError, load_inputs, render_string, render_tree

# The real CLI's built-in templates (`databricks bundle init` with no path lists them).
BUILT_IN = ("default-python", "default-sql", "default-scala", "default-minimal", "dbt-sql", "lakeflow-pipelines", "pydabs", "experimental-jobs-as-code")
GIT_FLAGS = ("template_dir", "tag", "branch")


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template_path", nargs="?", metavar="TEMPLATE_PATH", help="a local folder holding databricks_template_schema.json and template/")
    parser.add_argument("--config-file", type=Path, help="JSON file containing key value pairs of input parameters required for template initialization")
    parser.add_argument("--output-dir", type=Path, default=None, help="directory to write the initialized template to")
    parser.add_argument("--template-dir", help="directory path within a Git repository containing the template (refused: no Git)")
    parser.add_argument("--tag", help="Git tag to use for template initialization (refused: no Git)")
    parser.add_argument("--branch", help="Git branch to use for template initialization (refused: no Git)")


def _template_folder(path: str | None, cwd: Path) -> Path:
    if not path:
        raise CliError("the databricks CLI stand-in does not prompt for a built-in template: give TEMPLATE_PATH, a local template folder (e.g. steps/bundleops/shipped/bundle-template)")
    if path in BUILT_IN:
        raise CliError(f"template '{path}' is a built-in template of the real CLI, which the databricks CLI stand-in does not ship; give a local template folder")
    if re.match(r"^[a-z+]+://|^git@", path):
        raise CliError(f"template '{path}' is a Git URL; the databricks CLI stand-in does not clone repositories: clone it and give the local template folder")
    folder = (cwd / path).resolve()
    if not (folder / SCHEMA_FILE).is_file():
        raise CliError(f"{folder} is not a bundle template: {SCHEMA_FILE} not found")
    return folder


def _given(config_file: Path | None, properties: dict[str, Any], cwd: Path) -> dict[str, str]:
    if config_file is None:
        return {}
    path = cwd / config_file
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"failed to load config from file {config_file}: {error}") from error
    if not isinstance(values, dict):
        raise CliError(f"failed to load config from file {config_file}: expected a JSON object")
    known = {name: value for name, value in values.items() if name in properties}
    for name, value in known.items():
        if not isinstance(value, str):
            raise CliError(f"failed to load config from file {config_file}: incorrect type for property {name}: expected a string, found {json.dumps(value)}")
    return known


def _check_version(schema: dict[str, Any]) -> None:
    minimum = schema.get("min_databricks_cli_version")
    if minimum and version.parse(minimum) > version.parse(VERSION):
        raise CliError(f'minimum CLI version "{minimum}" is greater than current CLI version "v{VERSION}". Please upgrade your current Databricks CLI')


def run_init(args: argparse.Namespace, cwd: Path) -> int:
    used = [f"--{name.replace('_', '-')}" for name in GIT_FLAGS if getattr(args, name)]
    if used:
        raise CliError(f"{', '.join(used)}: Git templates are not supported by the databricks CLI stand-in; give a local template folder")
    folder = _template_folder(args.template_path, cwd)
    schema = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
    _check_version(schema)
    given = _given(args.config_file, schema.get("properties") or {}, cwd)
    output = (cwd / args.output_dir) if args.output_dir else cwd
    try:
        if schema.get("welcome_message"):
            sys.stderr.write(render_string(schema["welcome_message"], given, "welcome_message") + "\n")
        values = load_inputs(folder, given)  # checked before anything is written
        output.mkdir(parents=True, exist_ok=True)
        render_tree(folder, values, output)
        sys.stderr.write(render_string(schema.get("success_message") or "✨ Successfully initialized template", values, "success_message") + "\n")
    except TemplateError as error:
        raise CliError(str(error)) from error
    return 0
