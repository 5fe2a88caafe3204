"""From `databricks.yml` to the resolved configuration that validate, summary and deploy share.

The order follows the real CLI: load + includes, pick and apply the target, read Git details,
assign variables, fill in the workspace folders for the deploying user, fold bundle-wide
`run_as`/`permissions` into jobs, resolve references in the presets, apply the mode and the presets,
resolve references, fill in the artifacts' defaults, merge job lists by key, recommend naming the deployer in top-level permissions, translate task paths written as a variable reference,
give jobs their defaults, drop what an instance pool decides, then normalise job fields to the Jobs API's types. Problems are collected as
diagnostics so `validate` can show all of them at once and still print the configuration.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundleops.localcli import artifacts, cluster_fixups, defaults, git, interpolation, loader, merge, modes, normalize, paths, permissions, presets, python_code, resources, targets, variables, version, workspace_paths
from bundleops.localcli.diagnostics import Diagnostics
from bundleops.localcli.user import is_service_principal

SUPPORTED_BUNDLE_KEYS = ("name", "uuid", "git", "deployment", "target", "mode", "databricks_cli_version", "engine")
SUPPORTED_SYNC_KEYS = ("exclude", "include", "paths")


@dataclass
class Options:
    """What the command line says about which configuration to resolve."""

    target: str | None = None
    variables: Sequence[str] = ()
    start: Path = field(default_factory=Path.cwd)


@dataclass
class Bundle:
    root: Path
    config: dict[str, Any]
    diagnostics: Diagnostics
    sync_root: Path

    @property
    def sync(self) -> dict[str, Any]:
        return self.config.get("sync") or {}

    @property
    def name(self) -> str:
        return str(self.config["bundle"].get("name", ""))

    @property
    def target(self) -> str:
        return str(self.config["bundle"]["target"])

    @property
    def workspace(self) -> dict[str, Any]:
        return self.config["workspace"]

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return (self.config.get("resources") or {}).get("jobs") or {}

    @property
    def lock_enabled(self) -> bool:
        lock = (self.config["bundle"].get("deployment") or {}).get("lock") or {}
        return lock.get("enabled", True) is not False

    @property
    def lock_forced(self) -> bool:
        lock = (self.config["bundle"].get("deployment") or {}).get("lock") or {}
        return lock.get("force") is True


def _check_bundle_block(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    block = config.get("bundle")
    if not isinstance(block, dict) or not block.get("name"):
        diagnostics.error("bundle.name is required", path="bundle.name")
        config["bundle"] = block if isinstance(block, dict) else {}
        return
    for key in block:
        if key not in SUPPORTED_BUNDLE_KEYS:
            diagnostics.error(f"bundle key '{key}' is not supported by the databricks CLI stand-in", path=f"bundle.{key}")
    constraint = block.get("databricks_cli_version")
    if constraint:
        try:
            problem = version.unsatisfied(str(constraint))
        except ValueError as error:
            problem = str(error)
        if problem:
            diagnostics.error(problem, path="bundle.databricks_cli_version")


def _check_name(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """After the target is applied: a target that names the bundle without a reference gets no
    warning (acceptance validate/var_in_bundle_name, target two)."""
    if "${" in str(config["bundle"].get("name", "")):
        diagnostics.warning(
            "Please do not use variable interpolation in the name of your bundle. The name of your bundle\n"
            "is a part of the path at which your bundle state is stored at by default. Parameterizing it at\n"
            "runtime can have unexpected consequences like duplicate deployments or resources not being\n"
            "cleaned up during bundle destroy.",
            path="bundle.name",
        )


def _check_engine(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """After the target is applied, as a target may set its own engine (acceptance validate/invalid-engine-target)."""
    engine = config["bundle"].get("engine")
    if engine not in (None, "direct", "terraform"):
        diagnostics.error(f'invalid value "{engine}" for bundle.engine (expected "terraform" or "direct")', locate="bundle.engine")
        diagnostics.before_workspace = True
    elif engine == "terraform":
        diagnostics.error("bundle.engine 'terraform' is not supported by the databricks CLI stand-in (only 'direct')", path="bundle.engine")


def _check_host(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """A reference in workspace.host cannot be resolved before authenticating (acceptance variables/host)."""
    host = (config.get("workspace") or {}).get("host")
    if isinstance(host, str) and "${" in host:
        diagnostics.warning(
            "Variable interpolation is not supported for fields that configure authentication",
            path="workspace.host",
            detail="Interpolation is not supported for the field workspace.host. Please set\n"
            "the DATABRICKS_HOST environment variable if you wish to configure this field at runtime.",
        )
        url = host if "://" in host else f"https://{host}"
        diagnostics.error(f'failed during request visitor: parse "{url}": invalid character "{{" in host name')


def _check_sync(config: dict[str, Any], root: Path, sync_root: Path, diagnostics: Diagnostics) -> None:
    """`sync.paths` default to the bundle root; with a wider sync root, the paths, includes and
    excludes are rewritten relative to it, as the real CLI's SyncInferRoot does."""
    sync = config.get("sync") or {}
    for key in sync:
        if key not in SUPPORTED_SYNC_KEYS:
            diagnostics.error(f"sync key '{key}' is not supported by the databricks CLI stand-in (only sync.exclude, sync.include, sync.paths)", path=f"sync.{key}")
    config["sync"] = {**sync, "paths": sync.get("paths") or ["."]}
    rel = os.path.relpath(root, sync_root)
    if rel != ".":
        for key in ("paths", "include", "exclude"):
            if isinstance(config["sync"].get(key), list):
                config["sync"][key] = [Path(os.path.normpath(os.path.join(rel, str(value)))).as_posix() for value in config["sync"][key]]


def resolve(options: Options, identify: Callable[[dict[str, Any]], dict[str, Any]], environ: Mapping[str, str]) -> Bundle:
    """The resolved configuration for `options.target`, with every problem in `.diagnostics`.

    `identify(config)` returns `workspace.current_user` for the target's configuration (the
    command line asks the workspace with SCIM Me; it may use `workspace.host`).

    Raises CliError when nothing sensible can be printed (no databricks.yml, bad YAML, unknown
    target, a --var problem).
    """
    diagnostics = Diagnostics()
    root = loader.find_root(options.start)
    loaded = loader.load(root, diagnostics)
    _check_bundle_block(loaded.config, diagnostics)
    target_name = targets.select_target(loaded.config, options.target)
    diagnostics.locations.target = target_name
    config = targets.apply_target(loaded.config, target_name, diagnostics)
    _check_name(config, diagnostics)
    _check_engine(config, diagnostics)
    git.apply(config, root, diagnostics)
    _check_host(config, diagnostics)
    cli_values = variables.parse_assignments(options.variables)
    variables.assign(config, root, cli_values, environ, diagnostics)
    root_explicit = workspace_paths.root_path_is_explicit(config)
    user = identify(config)
    workspace_paths.apply_defaults(config, user, diagnostics)
    _check_sync(config, root, loaded.sync_root, diagnostics)
    code = python_code.settings(config, diagnostics)
    if code is not None:
        python_code.load_resources(config, code, root, loaded.sync_root, loaded.deferred_paths, environ, diagnostics)
    resources.prepare(config, diagnostics)
    interpolation.resolve_section(config, "presets")
    presets.check(config, diagnostics)
    modes.apply_mode(config, user, root_explicit, is_service_principal(user["userName"]), diagnostics)
    presets.apply(config)
    if code is not None:
        python_code.apply_mutators(config, code, root, loaded.sync_root, environ, diagnostics)
    interpolation.resolve(config, diagnostics)
    artifacts.prepare(config, root, diagnostics)
    git.drop_empty(config)
    merge.merge_job_lists(config)
    permissions.deployer_recommendation(config.get("permissions"), str(user["userName"]), diagnostics)
    paths.translate_deferred(config, loaded.deferred_paths, loaded.sync_root, diagnostics)
    defaults.apply(config)
    cluster_fixups.apply(config)
    normalize.jobs(config, diagnostics)
    return Bundle(root=root, config=config, diagnostics=diagnostics, sync_root=loaded.sync_root)
