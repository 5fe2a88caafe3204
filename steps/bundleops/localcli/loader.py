"""Find `databricks.yml`, read it and the files its `include` globs name, and merge them.

Relative paths inside resources are relative to the file that wrote them, so they are turned
into `${workspace.file_path}/...` here, while the file is still known (see paths.py); after this
step the configuration is one tree with no memory of which file said what.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bundleops.localcli.anchors import anchor_only_keys
from bundleops.localcli.diagnostics import CliError, Diagnostics
from bundleops.localcli.merge import merge_into
from bundleops.localcli.paths import translate_job_paths

ROOT_FILE_NAMES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")
SUPPORTED_TOP_LEVEL = ("bundle", "include", "variables", "workspace", "resources", "targets", "sync", "permissions", "run_as", "presets")
REAL_BUT_UNSUPPORTED_TOP_LEVEL = ("artifacts", "experimental", "python", "scripts", "environments", "git")


@dataclass
class LoadedBundle:
    """The merged configuration before a target is applied, and where it came from."""

    root: Path
    config: dict[str, Any]
    files: list[Path] = field(default_factory=list)


def find_root(start: Path) -> Path:
    """The bundle root: DATABRICKS_BUNDLE_ROOT, else the nearest folder up from `start` with a root file."""
    explicit = os.environ.get("DATABRICKS_BUNDLE_ROOT")
    if explicit:
        return Path(explicit).resolve()
    for folder in (start.resolve(), *start.resolve().parents):
        if any((folder / name).is_file() for name in ROOT_FILE_NAMES):
            return folder
    raise CliError("unable to locate bundle root: databricks.yml not found")


def relative_name(path: Path, root: Path) -> str:
    """How the CLI names a configuration file: relative to the root, `../x.yml` for one outside it
    (the real CLI loads included files from outside the bundle root, e.g. `include: [../shared.yml]`)."""
    return Path(os.path.relpath(path, root)).as_posix()


def _read_yaml(path: Path, root: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CliError(f"failed to load {relative_name(path, root)}: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CliError(f"failed to load {relative_name(path, root)}: expected a map at the top level, found {type(data).__name__}")
    return data


def _check_top_level(data: dict[str, Any], path: Path, relative: str, diagnostics: Diagnostics, *, is_root: bool) -> None:
    """Refuse what the stand-in lacks by name; drop unknown keys as the real CLI does, with its
    `unknown field` warning unless the key only holds YAML anchors."""
    unknown = [key for key in data if key not in SUPPORTED_TOP_LEVEL and key not in REAL_BUT_UNSUPPORTED_TOP_LEVEL]
    anchor_keys = anchor_only_keys(path.read_text(encoding="utf-8")) if unknown else frozenset()
    for key in unknown:
        if key not in anchor_keys:
            diagnostics.warning(f"unknown field: {key}", location=relative)
        data.pop(key)
    for key in data:
        if key in REAL_BUT_UNSUPPORTED_TOP_LEVEL:
            diagnostics.error(f"'{key}' is not supported by the databricks CLI stand-in", path=key, location=relative)
        elif key == "include" and not is_root:
            diagnostics.warning(
                "Include section is defined outside root file",
                detail="An include section is defined in a file that is not databricks.yml.\nOnly includes defined in databricks.yml are applied.",
                path="include",
                location=relative,
            )


def _translate_file_paths(data: dict[str, Any], file: Path, root: Path, diagnostics: Diagnostics) -> None:
    """Rewrite relative task paths in the resources this file defines (top level and per target)."""
    sections = [data.get("resources")]
    sections += [target.get("resources") for target in (data.get("targets") or {}).values() if isinstance(target, dict)]
    for resources in sections:
        if not isinstance(resources, dict):
            continue
        for key, job in (resources.get("jobs") or {}).items():
            if isinstance(job, dict):
                translate_job_paths(job, file.parent, root, f"resources.jobs.{key}", diagnostics)


def _resource_keys(data: dict[str, Any]) -> set[str]:
    resources = data.get("resources") or {}
    return {key for group in resources.values() if isinstance(group, dict) for key in group}


def _include_files(patterns: Any, root: Path, diagnostics: Diagnostics) -> list[Path]:
    if patterns is None:
        return []
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise CliError("include must be a list of glob patterns (strings)")
    files: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
        if not matches and not glob.has_magic(pattern):
            diagnostics.error(f"{pattern} defined in 'include' section does not match any files", path="include")
        for match in matches:
            path = (root / match).resolve()
            if path.suffix not in (".yml", ".yaml"):
                diagnostics.error(f"{match}: only YAML files can be included (.yml or .yaml)", path="include")
            elif path.name in ROOT_FILE_NAMES and path.parent == root:
                continue
            elif path not in files:
                files.append(path)
    return files


def load(root: Path, diagnostics: Diagnostics) -> LoadedBundle:
    """Read the root file and every included file into one merged tree."""
    root_file = next(root / name for name in ROOT_FILE_NAMES if (root / name).is_file())
    config = _read_yaml(root_file, root)
    _check_top_level(config, root_file, root_file.name, diagnostics, is_root=True)
    _translate_file_paths(config, root_file, root, diagnostics)
    loaded = LoadedBundle(root=root, config=config, files=[root_file])
    seen_keys = _resource_keys(config)
    for path in _include_files(config.get("include"), root, diagnostics):
        data = _read_yaml(path, root)
        relative = relative_name(path, root)
        _check_top_level(data, path, relative, diagnostics, is_root=False)
        _translate_file_paths(data, path, root, diagnostics)
        duplicates = seen_keys & _resource_keys(data)
        for key in sorted(duplicates):
            diagnostics.error(f"multiple resources have been defined with the same key: {key}", location=relative)
        seen_keys |= _resource_keys(data)
        data.pop("include", None)
        merge_into(config, data)
        loaded.files.append(path)
    return loaded
