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

from bundleops.localcli import artifacts, yamlfile
from bundleops.localcli.anchors import anchor_only_keys
from bundleops.localcli.diagnostics import CliError, Diagnostics
from bundleops.localcli.interpolation import REFERENCE
from bundleops.localcli.locations import Locations
from bundleops.localcli.merge import MergeError, merge_into
from bundleops.localcli.normalize import kind_name
from bundleops.localcli.paths import DeferredPath, JobPaths

ROOT_FILE_NAMES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")
SUPPORTED_TOP_LEVEL = ("bundle", "include", "variables", "workspace", "resources", "targets", "sync", "permissions", "run_as", "presets", "artifacts", "python", "experimental")
REAL_BUT_UNSUPPORTED_TOP_LEVEL = ("scripts", "environments", "git")


@dataclass
class LoadedBundle:
    """The merged configuration before a target is applied, and where it came from."""

    root: Path
    config: dict[str, Any]
    sync_root: Path
    files: list[Path] = field(default_factory=list)
    deferred_paths: list[DeferredPath] = field(default_factory=list)


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


@dataclass
class ConfigFile:
    """One YAML file of the bundle: its parsed content and where each of its values was written."""

    path: Path
    relative: str
    text: str
    data: dict[str, Any]
    locations: Locations


def _read_yaml(path: Path, root: Path) -> ConfigFile:
    relative = relative_name(path, root)
    text = path.read_text(encoding="utf-8")
    locations = Locations()
    try:
        data = yamlfile.load(text, relative, locations)
    except yaml.YAMLError as error:
        raise CliError(f"failed to load {relative}: {error}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CliError(f"failed to load {relative}: expected a map at the top level, found {type(data).__name__}")
    return ConfigFile(path, relative, text, data, locations)


def _check_top_level(file: ConfigFile, diagnostics: Diagnostics, *, is_root: bool) -> None:
    """Refuse what the stand-in lacks by name; drop unknown keys as the real CLI does, with its
    `unknown field` warning (located at the key) unless the key only holds YAML anchors."""
    data = file.data
    unknown = [key for key in data if key not in SUPPORTED_TOP_LEVEL and key not in REAL_BUT_UNSUPPORTED_TOP_LEVEL]
    anchor_keys = anchor_only_keys(file.text) if unknown else frozenset()
    for key in unknown:
        if key not in anchor_keys:
            diagnostics.warning(f"unknown field: {key}", location=file.locations.key(str(key)))
        data.pop(key)
    resources = data.get("resources")
    if resources is not None and not isinstance(resources, dict):
        # The real CLI normalises the tree to its schema: a value of the wrong kind is dropped with
        # this warning (libs/dyn/convert/normalize.go; acceptance/bundle/override/merge-string-map).
        diagnostics.warning(f"expected map, found {kind_name(resources)}", path="resources", location=file.locations.value("resources"))
        data.pop("resources")
    for key in data:
        if key in REAL_BUT_UNSUPPORTED_TOP_LEVEL:
            diagnostics.error(f"'{key}' is not supported by the databricks CLI stand-in", path=key, location=file.locations.value(key))
        elif key == "include" and not is_root:
            diagnostics.warning(
                "Include section is defined outside root file",
                detail="An include section is defined in a file that is not databricks.yml.\nOnly includes defined in databricks.yml are applied.",
                path="include",
                location=file.locations.value("include"),
            )


def sync_root(root: Path, config: dict[str, Any]) -> Path:
    """The real CLI's SyncRoot: the common parent of the bundle root and the root file's `sync.paths`."""
    sync_paths = (config.get("sync") or {}).get("paths") if isinstance(config.get("sync"), dict) else None
    folders = [os.path.normpath(root / path) for path in sync_paths or [] if isinstance(path, str)]
    return Path(os.path.commonpath([str(root), *folders]))


def _check_sync_paths(data: dict[str, Any], diagnostics: Diagnostics, *, is_root: bool) -> None:
    """`sync.paths` is read from databricks.yml's top level only: elsewhere it is refused by name."""
    places = [] if is_root else [("sync.paths", data.get("sync"))]
    places += [(f"targets.{name}.sync.paths", target.get("sync")) for name, target in (data.get("targets") or {}).items() if isinstance(target, dict)]
    for path, sync in places:
        if isinstance(sync, dict) and "paths" in sync:
            diagnostics.error(f"{path} outside the top level of databricks.yml is not supported by the databricks CLI stand-in "
                              "(set sync.paths at the top level of databricks.yml)", path=path)


def _translate_file_paths(data: dict[str, Any], file: Path, loaded: LoadedBundle, diagnostics: Diagnostics) -> None:
    """Rewrite relative task paths in the resources this file defines (top level and per target),
    and its artifacts' paths; paths written as a variable reference are kept in `loaded.deferred_paths` for later."""
    _check_sync_paths(data, diagnostics, is_root=file == loaded.files[0])
    sections: list[tuple[str | None, Any]] = [(None, data.get("resources"))]
    sections += [(name, target.get("resources")) for name, target in (data.get("targets") or {}).items() if isinstance(target, dict)]
    artifacts.absolutize(data.get("artifacts"), file.parent)
    for target in (data.get("targets") or {}).values():
        if isinstance(target, dict):
            artifacts.absolutize(target.get("artifacts"), file.parent)
    for target, resources in sections:
        if not isinstance(resources, dict):
            continue
        JobPaths(file.parent, loaded.sync_root, diagnostics, loaded.deferred_paths, target).resources(resources)


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


def _resource_locations(file: ConfigFile) -> dict[str, tuple[str, str]]:
    """Each resource key of a file with its path and location (`jobs.x` -> `resources.jobs.x`)."""
    resources = file.data.get("resources") or {}
    return {
        key: (f"resources.{kind}.{key}", file.locations.value(f"resources.{kind}.{key}"))
        for kind, group in resources.items()
        if isinstance(group, dict)
        for key in group
    }


def _check_unique_keys(definitions: list[dict[str, tuple[str, str]]], diagnostics: Diagnostics) -> None:
    """The real CLI's check (bundle/config/validate/unique_resource_keys.go): a resource key
    defined in two files is an error at every definition, paths and locations sorted."""
    found: dict[str, list[tuple[str, str]]] = {}
    for defined in definitions:
        for key, where in defined.items():
            found.setdefault(key, []).append(where)
    for key, places in sorted(found.items()):
        if len(places) > 1:
            paths = sorted({path for path, _ in places})
            locations = sorted((location for _, location in places), key=_location_order)
            diagnostics.error(
                f"multiple resources or scripts have been defined with the same key: {key}",
                path="\n".join(paths),
                location="\n".join(locations),
            )


def _check_resource_keys(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """The real CLI's check before targets merge (bundle/config/validate/no_variable_reference_in_resource_key.go):
    a resource key, top level or in a target, cannot hold a reference; the error is located at its value."""
    sections = [("resources", config.get("resources"))]
    sections += [(f"targets.{name}.resources", target.get("resources")) for name, target in (config.get("targets") or {}).items() if isinstance(target, dict)]
    for prefix, resources in sections:
        for kind, group in (resources or {}).items() if isinstance(resources, dict) else ():
            for key in group if isinstance(group, dict) else ():
                if REFERENCE.search(str(key)):
                    path = f"{prefix}.{kind}.{key}"
                    diagnostics.error(f'resource key "{key}" must not contain variable references', path=path, location=diagnostics.locations.value(path))


def _location_order(location: str) -> tuple[str, int, int]:
    name, line, column = location.rsplit(":", 2)
    return name, int(line), int(column)


def load(root: Path, diagnostics: Diagnostics) -> LoadedBundle:
    """Read the root file and every included file into one merged tree."""
    root_file = _read_yaml(next(root / name for name in ROOT_FILE_NAMES if (root / name).is_file()), root)
    _check_top_level(root_file, diagnostics, is_root=True)
    config = root_file.data
    loaded = LoadedBundle(root=root, config=config, sync_root=sync_root(root, config), files=[root_file.path])
    _translate_file_paths(config, root_file.path, loaded, diagnostics)
    diagnostics.locations.update(root_file.locations)
    definitions = [_resource_locations(root_file)]
    for path in _include_files(config.get("include"), root, diagnostics):
        included = _read_yaml(path, root)
        _check_top_level(included, diagnostics, is_root=False)
        _translate_file_paths(included.data, path, loaded, diagnostics)
        diagnostics.locations.update(included.locations)
        definitions.append(_resource_locations(included))
        included.data.pop("include", None)
        try:
            merge_into(config, included.data)
        except MergeError as error:
            raise CliError(str(error)) from error  # as the real CLI's ProcessInclude reports it, unwrapped
        loaded.files.append(path)
    _check_resource_keys(config, diagnostics)
    _check_unique_keys(definitions, diagnostics)
    return loaded
