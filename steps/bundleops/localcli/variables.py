"""Give every variable its value: `--var` > a `value` written in the configuration > `BUNDLE_VAR_<name>`
> variable-overrides.json > default.

Target overrides were already folded into each definition's `default` (targets.py), as in the
real CLI. `lookup` (resolving a cluster, warehouse, ... by name) needs APIs the stand-in does not
serve, so a variable that would be resolved by lookup is an error naming it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bundleops.localcli.diagnostics import CliError, Diagnostics

DEFINITION_KEYS = ("default", "description", "type", "lookup", "value")


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`--var a=1 --var b=2` as a map; assigning one name twice is the real CLI's error."""
    values: dict[str, str] = {}
    for assignment in assignments:
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            raise CliError(f"unexpected flag value for variable assignment: {assignment}")
        if name in values:
            raise CliError(f"failed to assign {value} to {name}: variable has already been assigned value: {values[name]}")
        values[name] = value
    return values


def _file_overrides(root: Path, target: str) -> dict[str, Any]:
    path = root / ".databricks" / "bundle" / target / "variable-overrides.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CliError(f"failed to parse variable file {path}: {error}") from error
    if not isinstance(data, dict):
        raise CliError(f"failed to parse variable file {path}: expected a JSON object")
    return data


def _missing_message(name: str) -> str:
    return (
        f"no value assigned to required variable {name}. Variables are usually assigned in databricks.yml, "
        f'and they can be overridden using "--var", the BUNDLE_VAR_{name} environment variable, '
        "or .databricks/bundle/<target>/variable-overrides.json"
    )


def _definition(name: str, raw: Any, diagnostics: Diagnostics) -> dict[str, Any]:
    if raw is None:
        return {}  # declared without a body: its value must come from --var or the environment
    if not isinstance(raw, dict):
        diagnostics.error(f"variable {name} must be a map with 'default' and/or 'description'", path=f"variables.{name}")
        return {"default": raw}
    for key in raw:
        if key not in DEFINITION_KEYS:
            diagnostics.error(f"variable key '{key}' is not supported by the databricks CLI stand-in", path=f"variables.{name}.{key}")
    return raw


def assign(
    config: dict[str, Any],
    root: Path,
    cli_values: Mapping[str, str],
    environ: Mapping[str, str],
    diagnostics: Diagnostics,
) -> None:
    """Set `variables.<name>.value` in place for every variable that gets a value."""
    definitions = config.get("variables") or {}
    for name in cli_values:
        if name not in definitions:
            raise CliError(f"variable {name} has not been defined")
    file_values = _file_overrides(root, config["bundle"]["target"])
    for name, raw in definitions.items():
        definition = _definition(name, raw, diagnostics)
        definitions[name] = definition
        if name in cli_values:
            if definition.get("type") == "complex":
                diagnostics.error(f"setting variables of complex type via --var flag is not supported: {name}", path=f"variables.{name}")
                continue
            definition["value"] = cli_values[name]
        elif definition.get("value") is not None:
            pass  # a value written in the configuration is kept, as the real CLI's SetVariables keeps one (acceptance variables/complex-simple)
        elif f"BUNDLE_VAR_{name}" in environ:
            definition["value"] = environ[f"BUNDLE_VAR_{name}"]
        elif name in file_values:
            definition["value"] = file_values[name]
        elif "lookup" in definition:
            kind = ", ".join(f"{key}: {value}" for key, value in (definition["lookup"] or {}).items())
            diagnostics.error(
                f"variable {name} uses 'lookup' ({kind}), which is not supported by the databricks CLI stand-in; "
                f"give it a default or pass --var {name}=<value>",
                path=f"variables.{name}.lookup",
            )
        elif "default" in definition and definition["default"] is not None:
            definition["value"] = copy.deepcopy(definition["default"])  # its own copy: references resolve in each
        else:
            diagnostics.error(_missing_message(name))
    if definitions:
        config["variables"] = definitions
    else:
        config.pop("variables", None)  # no variables: none shown, as in the real CLI's validate -o json
