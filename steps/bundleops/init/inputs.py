"""The inputs of the shipped bundle template, as `bundleops init` options, checked before the CLI runs.

The options come from the template's own schema (databricks_template_schema.json), so an input
added to the template is an option of `bundleops init` the same day, with the schema's default,
description and pattern. The workspace hosts and service principals have no sensible default:
`init` fills them with placeholders that match the schema but can never reach a workspace (the
reserved `.invalid` domain, the nil UUID), and says which ones to replace.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundleops.errors import BundleopsError
from bundleops.shipped import read_template_file

SCHEMA_FILE = "databricks_template_schema.json"
# The template input whose option is shorter than its name.
OPTION_NAMES = {"ci_system": "ci"}
NIL_UUID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDERS = {
    "host_dev": "https://dev-workspace.invalid",
    "host_staging": "https://staging-workspace.invalid",
    "host_prod": "https://prod-workspace.invalid",
    "sp_staging": NIL_UUID,
    "sp_prod": NIL_UUID,
}


@dataclass(frozen=True)
class Inputs:
    """The values for `databricks bundle init --config-file`, and which of them are placeholders."""

    values: dict[str, str]
    placeholders: tuple[str, ...]

    @property
    def project_name(self) -> str:
        return self.values["project_name"]

    @property
    def ci_system(self) -> str:
        return self.values["ci_system"]


def schema() -> dict[str, Any]:
    return json.loads(read_template_file(SCHEMA_FILE))


def properties() -> dict[str, dict[str, Any]]:
    """The template's inputs in the schema's order (its `order` fields)."""
    found = schema()["properties"]
    return dict(sorted(found.items(), key=lambda item: item[1].get("order", 0)))


def option(name: str) -> str:
    return "--" + OPTION_NAMES.get(name, name).replace("_", "-")


def add_options(parser: argparse.ArgumentParser) -> None:
    """One option per template input; the default shown is the schema's, or the placeholder."""
    for name, spec in properties().items():
        default = spec.get("default", PLACEHOLDERS.get(name))
        shown = f"DIR's name; {default} without DIR" if name == "project_name" else default
        parser.add_argument(option(name), dest=name, metavar=None if spec.get("enum") else name.upper(), choices=spec.get("enum"),
                            required=default is None, help=f"{spec['description']} (default: {shown})")


def resolve(args: argparse.Namespace, folder_name: str | None) -> Inputs:
    """The inputs given, else the folder's name for project_name, else the schema's defaults or
    the placeholders; each checked against the schema's pattern (exit 2 naming the option)."""
    values: dict[str, str] = {}
    placeholders: list[str] = []
    for name, spec in properties().items():
        given = getattr(args, name, None)
        if given is None and name == "project_name" and folder_name:
            values[name] = _checked(name, spec, folder_name, source=f"the folder's name, as {option(name)} was not given")
            continue
        if given is None and name in PLACEHOLDERS and "default" not in spec:
            placeholders.append(name)
        value = given if given is not None else spec.get("default", PLACEHOLDERS.get(name))
        values[name] = _checked(name, spec, value, source=option(name))
    return Inputs(values, tuple(placeholders))


def _checked(name: str, spec: dict[str, Any], value: str, *, source: str) -> str:
    pattern = spec.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        raise BundleopsError(
            f"{name} {value!r} ({source}) is not valid: {spec.get('pattern_match_failure_message', 'it must match ' + pattern)}",
            fix=f"give {option(name)} VALUE matching {pattern}" + (" (e.g. my_pipeline), or a DIR named like one" if name == "project_name" else ""),
        )
    return value


def write_config(inputs: Inputs, path: Path) -> Path:
    """The --config-file of `databricks bundle init`: every input, so the CLI never prompts."""
    path.write_text(json.dumps(inputs.values, indent=2) + "\n", encoding="utf-8")
    return path
