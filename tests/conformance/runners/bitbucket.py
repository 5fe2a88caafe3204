"""Run a project's bitbucket-pipelines.yml on bb-run (PyPI) in host mode.

How a Bitbucket pipeline is simulated, and where it differs from bitbucket.org:
- Source override: the consumer file imports bundleops' shared pipelines
  (`definitions: imports: bundleops: bundleops:<tag>:bitbucket/shared/bundleops-pipelines.yml`,
  `import: <pipeline>@bundleops`). bb-run 1.3 accepts `import:` but runs nothing for it (checked:
  `bb-run --dry-run` lists the pipeline with no step), so this runner resolves the import the way
  Bitbucket does, with the shared file taken from the working tree, and runs the resolved file.
  Only imports of the bundleops repository are mapped; anything else is refused.
- Pipelines: bb-run sets no pull-request variables, so a pull request is the `pull-requests.**`
  pipeline with BITBUCKET_PR_ID, BITBUCKET_PR_DESTINATION_BRANCH and BITBUCKET_BRANCH (the source
  branch) set as Bitbucket sets them. bb-run runs `trigger: manual` steps without stopping: for a
  push that is the person who starts the gated prod step.
- Custom pipelines: the schedule runs `custom: bundleops-sweep` (the sweep) or `custom:
  bundleops-drift` (the drift check) on main; the rollback is `custom: bundleops-rollback` run by
  hand on main. bb-run does not know a custom pipeline's `variables:` (Bitbucket docs: "Variables
  in custom pipelines": name, default, description, allowed-values), so this runner takes that
  item out and sets each variable as Bitbucket's Run pipeline form does: the value typed
  (BUNDLEOPS_TEST_ROLLBACK_TO for BUNDLEOPS_ROLLBACK_TO), else its default; a value outside
  allowed-values, or a variable with neither, is refused.
- Variables: repository/deployment variables (credentials, the trace file, the branch name) go into
  an env file (mode 0600, values single-quoted so bb-run keeps them verbatim), never on argv.
- Steps run on this machine with the repository's virtualenv first on PATH, where bundleops is
  the working tree; PIP_NO_INDEX=1 makes the template's pinned pip install resolve to it without
  a download (a template pinned to another version fails the run).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conformance import harness

CONSUMER_FILE = "bitbucket-pipelines.yml"
REPOSITORY = "data-platform/orders_pipeline"
LIBRARY_REPOSITORY = "bundleops"
HOST_VARIABLES = ("PATH", "HOME")
BB_RUN = Path(sys.executable).parent / "bb-run"


def _import_sources(consumer: dict[str, Any]) -> dict[str, Path]:
    """alias -> shared file in the working tree, for `definitions: imports:` of the bundleops repository."""
    sources = {}
    for alias, reference in (consumer.get("definitions") or {}).get("imports", {}).items():
        repository, _ref, path = str(reference).split(":", 2)
        if repository != LIBRARY_REPOSITORY:
            raise ValueError(f"bitbucket runner maps only imports of the {LIBRARY_REPOSITORY} repository, got {alias}: {reference}")
        sources[alias] = harness.REPO_ROOT / path
    return sources


def _shared_pipelines(path: Path) -> dict[str, Any]:
    shared = yaml.safe_load(path.read_text(encoding="utf-8"))
    if shared.get("export") is not True:
        raise ValueError(f"{path}: a shared pipeline configuration needs `export: true`")
    return shared["definitions"]["pipelines"]


def _resolve(node: Any, sources: dict[str, Path]) -> Any:
    """Replace every `import: <pipeline>@<alias>` with that pipeline's steps."""
    if isinstance(node, dict) and set(node) == {"import"}:
        name, _, alias = str(node["import"]).partition("@")
        if alias not in sources:
            raise ValueError(f"import {node['import']!r}: no `definitions: imports:` entry named {alias!r}")
        pipelines = _shared_pipelines(sources[alias])
        if name not in pipelines:
            raise ValueError(f"import {node['import']!r}: {sources[alias]} exports no pipeline {name!r}")
        return pipelines[name]
    if isinstance(node, dict):
        return {key: _resolve(value, sources) for key, value in node.items()}
    return node


def resolve_imports(consumer_file: Path) -> dict[str, Any]:
    """The consumer file as Bitbucket runs it: shared pipelines inlined, `definitions: imports:` gone."""
    consumer = yaml.safe_load(consumer_file.read_text(encoding="utf-8"))
    sources = _import_sources(consumer)
    resolved = {key: value for key, value in consumer.items() if key != "definitions"}
    definitions = {key: value for key, value in (consumer.get("definitions") or {}).items() if key != "imports"}
    if definitions:
        resolved["definitions"] = definitions
    resolved["pipelines"] = _resolve(consumer["pipelines"], sources)
    return resolved


CUSTOM_VARIABLE_KEYS = {"name", "default", "description", "allowed-values"}
# What the person running a custom pipeline types, per variable: the harness's test-only value.
TYPED = {"BUNDLEOPS_ROLLBACK_TO": harness.ROLLBACK_INPUT}


def take_custom_variables(resolved: dict[str, Any], target: str, env: dict[str, str]) -> dict[str, str]:
    """The custom pipelines' `variables:` items taken out of `resolved` (bb-run cannot read them);
    the values of the target pipeline's variables, as the Run pipeline form sets them."""
    values: dict[str, str] = {}
    for name, items in ((resolved.get("pipelines") or {}).get("custom") or {}).items():
        declared = [item["variables"] for item in items if isinstance(item, dict) and set(item) == {"variables"}]
        resolved["pipelines"]["custom"][name] = [item for item in items if not (isinstance(item, dict) and set(item) == {"variables"})]
        if f"custom.{name}" == target:
            values.update(variable_values([spec for group in declared for spec in group], env, name))
    return values


def variable_values(specs: list[dict[str, Any]], env: dict[str, str], pipeline: str) -> dict[str, str]:
    values = {}
    for spec in specs:
        unknown = sorted(set(spec) - CUSTOM_VARIABLE_KEYS)
        if unknown:
            raise ValueError(f"bitbucket runner: custom pipeline {pipeline} variable {spec.get('name')!r}: keys {unknown} are not modelled")
        name = str(spec["name"])
        typed = env.get(TYPED.get(name, ""))
        value = typed if typed is not None else spec.get("default")
        if value is None:
            raise ValueError(f"bitbucket runner: custom pipeline {pipeline} needs a value for {name} (no default, nothing typed)")
        allowed = spec.get("allowed-values")
        if allowed is not None and str(value) not in [str(option) for option in allowed]:
            raise ValueError(f"bitbucket runner: {name}={value!r} is not one of its allowed-values {allowed}")
        values[name] = str(value)
    return values


def event_variables(event: str, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The pipeline bb-run runs for the event, and the variables Bitbucket sets for it."""
    if event == "push":
        return "branches.main", {"BITBUCKET_BRANCH": "main"}
    if event == harness.SCHEDULE:
        # A schedule (Repository settings > Pipelines > Schedules) running the custom pipeline on main.
        return "custom.bundleops-sweep", {"BITBUCKET_BRANCH": "main"}
    if event == harness.DRIFT:
        return "custom.bundleops-drift", {"BITBUCKET_BRANCH": "main"}
    if event == harness.ROLLBACK:
        # Run pipeline > custom: bundleops-rollback on main (its variables: take_custom_variables).
        return "custom.bundleops-rollback", {"BITBUCKET_BRANCH": "main"}
    if event != "pull_request":
        raise ValueError(f"bitbucket runner: unknown event {event!r} (expected one of {(*harness.EVENTS, harness.SCHEDULE, harness.DRIFT, harness.ROLLBACK)})")
    return "pull-requests.**", {
        "BITBUCKET_BRANCH": env.get("BUNDLEOPS_TEST_BRANCH", harness.FEATURE_BRANCH),
        "BITBUCKET_PR_ID": str(harness.PR_NUMBER),
        "BITBUCKET_PR_DESTINATION_BRANCH": "main",
    }


def write_env_file(path: Path, variables: dict[str, str]) -> None:
    """bb-run's env file: one KEY='value' a line; bb-run strips the quotes and nothing else."""
    for name, value in variables.items():
        if "\n" in value:
            raise ValueError(f"bb-run env files hold one line per variable: {name} has a newline")
    path.touch(mode=0o600)
    path.write_text("".join(f"{name}='{value}'\n" for name, value in sorted(variables.items())), encoding="utf-8")


def run(event: str, project: Path, env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    consumer = project / CONSUMER_FILE
    resolved = resolve_imports(consumer)
    target, pipeline_variables = event_variables(event, env)
    pipeline_variables.update(take_custom_variables(resolved, target, env))
    # bb-run reads <repo>/bitbucket-pipelines.yml only: the resolved file takes the consumer's place.
    (workdir / CONSUMER_FILE).write_bytes(consumer.read_bytes())
    consumer.write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    variables = {name: value for name, value in env.items() if name not in HOST_VARIABLES and not name.startswith("BUNDLEOPS_TEST_")}
    # Bitbucket sets the repository's full name in every pipeline; bb-run does not.
    variables.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", BITBUCKET_REPO_FULL_NAME=REPOSITORY, **pipeline_variables)
    env_file = workdir / "bb-run.env"
    write_env_file(env_file, variables)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    command = [str(BB_RUN), "--mode", "host", "--target", target, "--env-file", str(env_file), "--no-cache", "--color", "never"]
    return subprocess.run(command, cwd=project, env={"PATH": env["PATH"], "HOME": str(home)}, capture_output=True, text=True, timeout=600)
