"""Pick the target (`-t`, else the one marked `default`, else the only one) and lay it over the bundle.

After this step the tree looks like the real CLI's resolved configuration: no `targets` key,
`bundle.target` set, and `bundle.mode` set when the target has a mode.
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli.diagnostics import CliError, Diagnostics
from bundleops.localcli.merge import MergeError, merge_value

SUPPORTED_TARGET_KEYS = ("default", "mode", "workspace", "run_as", "permissions", "variables", "resources", "bundle", "sync", "presets", "artifacts")
MODES = ("development", "production")
FULL_VARIABLE_FORM = {"default", "lookup", "description", "type"}


def select_target(config: dict[str, Any], requested: str | None) -> str:
    targets = config.get("targets") or {}
    if requested:
        if requested not in targets:
            if not targets and requested == "default":
                return requested
            available = ", ".join(sorted(targets)) or "none"
            raise CliError(f"{requested}: no such target. Available targets: {available}")
        return requested
    if not targets:
        return "default"
    if len(targets) == 1:
        return next(iter(targets))
    defaults = [name for name, body in targets.items() if isinstance(body, dict) and body.get("default") is True]
    if len(defaults) > 1:
        raise CliError(f"multiple targets are marked as default ({', '.join(defaults)})")
    if not defaults:
        raise CliError("please specify target")
    return defaults[0]


def _override_variables(config: dict[str, Any], target_name: str, overrides: dict[str, Any]) -> None:
    definitions = config.setdefault("variables", {}) or {}
    config["variables"] = definitions
    for name, value in overrides.items():
        if name not in definitions:
            raise CliError(f"failed to perform target override for target={target_name}: variable {name} is not defined but is assigned a value")
        definition = definitions[name] if isinstance(definitions[name], dict) else {"default": definitions[name]}
        if isinstance(value, dict) and value and set(value) <= FULL_VARIABLE_FORM:
            if "lookup" in value:
                definition.pop("default", None)
            if "default" in value:
                definition.pop("lookup", None)
            definition.update(value)
        else:
            definition.pop("lookup", None)
            definition["default"] = value
        definitions[name] = definition


def apply_target(config: dict[str, Any], target_name: str, diagnostics: Diagnostics) -> dict[str, Any]:
    """The configuration with target `target_name` laid over it (the input is not modified)."""
    resolved = {key: value for key, value in config.items() if key != "targets"}
    resolved = merge_value({}, resolved)
    target = (config.get("targets") or {}).get(target_name) or {}
    if not isinstance(target, dict):
        raise CliError(f"target {target_name} must be a map, found {type(target).__name__}")
    for key in target:
        if key not in SUPPORTED_TARGET_KEYS:
            diagnostics.error(f"target key '{key}' is not supported by the databricks CLI stand-in", path=f"targets.{target_name}.{key}")
    resolved.setdefault("bundle", {})
    for key in ("bundle", "workspace", "resources", "sync", "permissions", "presets", "artifacts"):  # the real CLI's MergeTargetOverrides fields
        try:
            if isinstance(target.get(key), dict) or (key == "permissions" and target.get(key) is not None):
                resolved[key] = merge_value(resolved.get(key), target[key])
        except MergeError as error:
            raise CliError(f"failed to perform target override for target={target_name}: failed to merge target={target_name} field={key}: {error}") from error
    bundle = resolved["bundle"]
    if target.get("run_as") is not None:  # a target's empty `run_as:` keeps the bundle's (acceptance run_as/empty_override)
        resolved["run_as"] = target["run_as"]
    if isinstance(target.get("variables"), dict):
        _override_variables(resolved, target_name, target["variables"])
    mode = target.get("mode")
    if mode is not None:
        if mode not in MODES:
            diagnostics.error(f"unsupported value '{mode}' for mode (expected one of: {', '.join(MODES)})", path=f"targets.{target_name}.mode")
        else:
            bundle["mode"] = mode
    bundle["target"] = target_name
    bundle["environment"] = target_name  # the deprecated alias the real CLI still sets (select_target.go)
    return resolved
