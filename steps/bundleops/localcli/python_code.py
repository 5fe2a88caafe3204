"""Resources and mutators written in Python (`python:`), run the way the real CLI runs them.

The real CLI (bundle/config/mutator/python/python_mutator.go) does not read Python itself: it
writes the configuration to input.json and runs the bundle's own interpreter,
`<venv_path>/bin/python3 -m databricks.bundles.build --phase P --input ... --output ...
--diagnostics ... --locations ...`, in the bundle root, where the `databricks-bundles` package of
the bundle's virtual environment does the work. So does the stand-in: whatever that package and
the team's code do is what happens, and the stand-in only checks and merges the answer:

- phase `load_resources` may add resources, never change or delete one;
- phase `apply_mutators` may change resources, never add or delete one.

Resources added in Python write their paths relative to the bundle root (the real CLI does not
normalise them per file, as it does for YAML), so they are translated as if written in a file at
the root. The stand-in runs `load_resources` before the bundle-wide run_as, permissions, mode and
presets reach resources (they then reach the added ones the same way as YAML ones, as the real
CLI's NormalizeAndInitializeResources does), and `apply_mutators` after them, so that mutators
see the names and tags the real CLI shows them.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundleops.localcli import interpolation
from bundleops.localcli.diagnostics import CliError, Diagnostics
from bundleops.localcli.paths import DeferredPath, JobPaths

LOAD_RESOURCES = "load_resources"
APPLY_MUTATORS = "apply_mutators"
SETTINGS_KEYS = ("venv_path", "resources", "mutators")
RESTRICTED = "DATABRICKS_BUNDLE_RESTRICTED_CODE_EXECUTION"
INSTALL_EXPLANATION = """Explanation: 'databricks-bundles' library is not installed in the Python environment.

Ensure that 'databricks-bundles' is installed in Python environment:

  $ .venv/bin/pip install databricks-bundles

If using a virtual environment, ensure it is specified as the venv_path property in databricks.yml,
or activate the environment before running CLI commands:

  experimental:
    python:
      venv_path: .venv
"""


@dataclass(frozen=True)
class Settings:
    venv_path: str
    resources: list[str]
    mutators: list[str]


def settings(config: dict[str, Any], diagnostics: Diagnostics) -> Settings | None:
    """The `python` section (or the older `experimental.python`), copied to `experimental.python`
    as the real CLI does for older databricks-bundles; None when the bundle has no Python code."""
    experimental = config.get("experimental")
    if experimental is not None and not isinstance(experimental, dict):
        raise CliError("experimental must be a map")
    experimental = experimental or {}
    for key in experimental:
        if key == "pydabs":
            raise CliError("failed to apply python mutator: experimental/pydabs is deprecated, use python instead (https://docs.databricks.com/dev-tools/bundles/python)")
        if key != "python":
            diagnostics.error(f"'experimental.{key}' is not supported by the databricks CLI stand-in", path=f"experimental.{key}")
    section, older = config.get("python"), experimental.get("python")
    if section and older and section != older:
        raise CliError("failed to apply python mutator: 'experimental/python' and 'python' configuration properties are mutually exclusive, use only 'python'")
    chosen = section or older
    if not chosen:
        return None
    if not isinstance(chosen, dict) or any(key not in SETTINGS_KEYS for key in chosen):
        raise CliError(f"python must be a map with {', '.join(SETTINGS_KEYS)}")
    if section:
        config["experimental"] = {**experimental, "python": section}
    return Settings(str(chosen.get("venv_path") or ""), _names(chosen, "resources"), _names(chosen, "mutators"))


def _names(section: dict[str, Any], key: str) -> list[str]:
    names = section.get(key) or []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise CliError(f"python.{key} must be a list of 'module:function' names")
    return names


def interpreter(venv_path: str, root: Path) -> str:
    """The interpreter the real CLI picks (libs/python/detect.go): the virtual environment's, else python3 on PATH."""
    if not venv_path:
        found = shutil.which("python3")
        if found is None:
            raise CliError("failed to get Python interpreter path: no python3 on PATH")
        return found
    venv = root / venv_path
    executable = venv / "bin" / "python3"
    if not executable.exists():
        raise CliError(f"failed to get Python interpreter path: can't find \"{executable}\", check if virtualenv is created")
    if not (venv / "pyvenv.cfg").is_file():
        raise CliError(f"failed to get Python interpreter path: expected \"{venv}\" to be virtualenv, but pyvenv.cfg is missing")
    return str(executable)


@dataclass(frozen=True)
class Answer:
    """What one phase's Python code did to the resources, as (kind, key) pairs."""

    resources: dict[str, Any]
    added: list[tuple[str, str]]
    changed: list[tuple[str, str]]
    deleted: list[tuple[str, str]]

    def pick(self, keys: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """The answered resources named by `keys`, as a `resources` mapping (kind -> key -> resource)."""
        picked: dict[str, dict[str, Any]] = {}
        for kind, key in keys:
            picked.setdefault(kind, {})[key] = self.resources[kind][key]
        return picked


def load_resources(config: dict[str, Any], code: Settings, root: Path, sync_root: Path, deferred: list[DeferredPath],
                   environ: Mapping[str, str], diagnostics: Diagnostics) -> None:
    """Add the resources the `python.resources` functions return, their paths translated from the bundle root."""
    answer = _ask(LOAD_RESOURCES, code.resources, config, code, root, environ, diagnostics)
    if answer is None:
        return
    if answer.changed or answer.deleted:
        raise CliError(f"unexpected {'updated' if answer.changed else 'deleted'} resources: {_listed(answer.changed or answer.deleted)}")
    _take(config, answer.pick(answer.added), JobPaths(root, sync_root, diagnostics, deferred))


def apply_mutators(config: dict[str, Any], code: Settings, root: Path, sync_root: Path, environ: Mapping[str, str], diagnostics: Diagnostics) -> None:
    """Replace each resource the `python.mutators` functions changed; a relative path they wrote is relative to the bundle root."""
    answer = _ask(APPLY_MUTATORS, code.mutators, config, code, root, environ, diagnostics)
    if answer is None:
        return
    if answer.added or answer.deleted:
        raise CliError(f"unexpected {'added' if answer.added else 'deleted'} resources: {_listed(answer.added or answer.deleted)}")
    _take(config, answer.pick(answer.changed), JobPaths(root, sync_root, diagnostics, []))


def _take(config: dict[str, Any], taken: dict[str, dict[str, Any]], paths: JobPaths) -> None:
    """Put the resources Python added or changed into the configuration, their local paths translated
    as the loader translates a YAML file's (here one at the bundle root)."""
    paths.resources(taken)
    resources = config.setdefault("resources", {})
    for kind, group in taken.items():
        resources.setdefault(kind, {}).update(group)


def _ask(phase: str, functions: list[str], config: dict[str, Any], code: Settings, root: Path, environ: Mapping[str, str],
         diagnostics: Diagnostics) -> Answer | None:
    """Run one phase when it has functions to call; None when there are none or the code reported an error."""
    if not functions:
        return None
    after = _run(phase, config, code, root, environ, diagnostics)
    if after is None:
        return None
    before = config.get("resources") or {}
    added: list[tuple[str, str]] = []
    changed: list[tuple[str, str]] = []
    for kind, group in after.items():
        known = before.get(kind) if isinstance(before.get(kind), dict) else {}
        for key, resource in (group or {}).items():
            if key not in known:
                added.append((kind, key))
            elif known[key] != resource:
                changed.append((kind, key))
    deleted = [(kind, key) for kind, group in before.items() if isinstance(group, dict) for key in group if key not in (after.get(kind) or {})]
    return Answer(after, added, changed, deleted)


def _listed(keys: list[tuple[str, str]]) -> str:
    return "[" + " ".join(f"{kind}.{key}" for kind, key in sorted(keys)) + "]"


def _run(phase: str, config: dict[str, Any], code: Settings, root: Path, environ: Mapping[str, str], diagnostics: Diagnostics) -> dict[str, Any] | None:
    """The `resources` of the configuration databricks.bundles.build answers; None when it reported an error."""
    if RESTRICTED in environ:
        raise CliError(f"Running Python code is not allowed when {RESTRICTED} is set")
    python = interpreter(code.venv_path, root)
    given = copy.deepcopy(config)
    interpolation.resolve_section(given, "variables")  # Python reads variables' values, references resolved
    with _exchange_folder(environ) as folder:
        (folder / "input.json").write_text(json.dumps(given, default=str), encoding="utf-8")
        command = [python, "-m", "databricks.bundles.build", "--phase", phase]
        for name in ("input", "output", "diagnostics", "locations"):
            command += [f"--{name}", str(folder / f"{name}.json")]
        process = subprocess.run(command, cwd=root, env=dict(environ), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        reported = _diagnostics(folder / "diagnostics.json", diagnostics)
        if reported:
            return None
        if process.returncode != 0:
            detail = process.stderr
            if "Error while finding module specification for 'databricks.bundles.build'" in detail:
                detail += "\n" + INSTALL_EXPLANATION
            diagnostics.error(f'python mutator process failed: "exit status {process.returncode}", use --debug to enable logging', detail=detail)
            return None
        output = _read_json(folder / "output.json", "failed to parse output file")
    resources = output.get("resources") if isinstance(output, dict) else None
    if not isinstance(resources or {}, dict):
        raise CliError("failed to parse output file: resources is not a map")
    return resources or {}


def _read_json(path: Path, failure: str) -> Any:
    """One JSON document the Python side wrote; a missing or broken one is the real CLI's error, never a traceback."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"{failure}: {error}") from None


def _diagnostics(path: Path, diagnostics: Diagnostics) -> bool:
    """Pass on what the Python code reported (one JSON object per line); True when it holds an error."""
    if not path.is_file():
        return False
    failed = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as error:
            raise CliError(f"failed to load diagnostics: failed to parse diags: {error}") from None
        if not isinstance(entry, dict):
            raise CliError(f"failed to load diagnostics: failed to parse diags: {line[:80]}")
        where = entry.get("location") if isinstance(entry.get("location"), dict) else {}
        location = ":".join(str(part) for part in (where.get("file"), where.get("line"), where.get("column")) if part) if where else ""
        report = diagnostics.error if entry.get("severity") == "error" else diagnostics.warning
        report(str(entry.get("summary", "")), detail=str(entry.get("detail") or ""), path=str(entry.get("path") or ""), location=location)
        failed = failed or entry.get("severity") == "error"
    return failed


@contextmanager
def _exchange_folder(environ: Mapping[str, str]) -> Iterator[Path]:
    """DATABRICKS_BUNDLE_TMP/default/python, kept for inspection as the real CLI keeps it; else a
    private temporary folder removed afterwards (input.json holds the whole configuration)."""
    chosen = environ.get("DATABRICKS_BUNDLE_TMP")
    if chosen:
        folder = Path(chosen) / "default" / "python"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        yield folder
        return
    with tempfile.TemporaryDirectory(suffix="-python") as made:
        yield Path(made)
