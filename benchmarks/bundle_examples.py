"""Every bundle of a databricks/bundle-examples checkout through the `databricks` CLI stand-in.

Rerun: .venv/bin/python benchmarks/bundle_examples.py PATH/TO/bundle-examples [--report FILE]

For each bundle (each `databricks.yml`) and each of its targets, against a fresh embedded local
workspace: `bundle validate`, `bundle deploy`, `bundle summary -o json` (every job, pipeline,
schema and volume has an id, and each is found in the workspace), a second `bundle deploy` (it
must change nothing: the stand-in's `Resources: 0 created, 0 changed, 0 deleted, N unchanged`
line, and the jobs, pipelines, schemas and volumes read back through databricks-sdk stay the
same), `bundle destroy --auto-approve` (no job, pipeline, schema or volume is left). Each
bundle/target is classified:

- passed: every step did what it should;
- refused: the stand-in refused a construct by name ("... not supported by the databricks CLI
  stand-in": Python resources, artifacts, resource types other than jobs, ...);
- rejected: `bundle validate` reported an error in the bundle itself (not a refusal): the
  bundle is not accepted, so nothing is deployed (e.g. a reference to an undeclared variable,
  which the real CLI rejects with the same `reference does not exist` error);
- failed: a bundle that validates but a later step failed or did not do what it should;
- crashed: a Python traceback through the stand-in's own code (a defect: there should be none);
  a traceback the bundle's own Python code raised is that bundle's error (rejected or failed).

The checkout is never modified: it is copied into a temporary git repository (so `bundle.git`
is filled as in a clone) and the deploys write their `.databricks/` state there. The identity
is the one each target is made for: a `mode: development` target is deployed by the local
workspace's human user (a personal access token), as a developer does from a checkout; any other
target by its CI service principal, as a pipeline does (the real CLI refuses a user deploying a
production target without `root_path`). `--identity user|sp` forces one of them.

A bundle with resources in Python names the virtual environment of its `databricks-bundles`
(`python.venv_path`, which `uv sync` makes in a checkout): each missing one is pointed at the
environment running this script, where `scripts/setup --test` installed databricks-bundles. A
bundle's further packages are not installed (contrib/dbt_factory imports databricks-dbt-factory),
so such a bundle ends rejected with its own import error, as it would with the real CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bundleops.localworkspace import LocalWorkspace

REFUSAL = re.compile(r"not supported by the databricks CLI stand-in|the databricks CLI stand-in does not support")
# A traceback through the stand-in's own code; one from the bundle's Python code (resources in
# Python) is that code's error, which the real CLI prints the same way.
CRASH = re.compile(r"Traceback \(most recent call last\):\n(?:  .*\n)*?  File \"[^\"]*/bundleops/")
NO_CHANGE = re.compile(r"Resources: 0 created, 0 changed, 0 deleted, \d+ unchanged")
OUTCOMES = ("passed", "refused", "rejected", "failed", "crashed")
TIMEOUT_SECONDS = 300


@dataclass
class Result:
    """The outcome of one bundle/target and, unless it passed, the step and the first error."""

    bundle: str
    target: str
    outcome: str = "passed"
    step: str = ""
    detail: str = ""
    crashes: list[str] = field(default_factory=list)


class StepFailed(Exception):
    """A step ended the run of one bundle/target; carries the outcome and the reason."""

    def __init__(self, outcome: str, step: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome, self.step, self.detail = outcome, step, detail


def find_bundles(checkout: Path) -> list[Path]:
    """Every folder holding a `databricks.yml`, skipping templates' unrendered trees and state."""
    roots = [path.parent for path in checkout.rglob("databricks.yml")]
    return sorted(root for root in roots if not {".databricks", ".git"} & set(root.relative_to(checkout).parts))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def targets_of(root: Path) -> dict[str, str]:
    """Target name -> mode, from `databricks.yml` and the files it includes ({'': ''} when none)."""
    config = _load_yaml(root / "databricks.yml")
    files = [config]
    for pattern in config.get("include") or []:
        if isinstance(pattern, str):
            files += [_load_yaml(included) for included in sorted(root.glob(pattern))]
    found: dict[str, str] = {}
    for loaded in files:
        for name, body in (loaded.get("targets") or {}).items():
            mode = body.get("mode") if isinstance(body, dict) else None
            found[str(name)] = found.get(str(name)) or (mode if isinstance(mode, str) else "")
    return found or {"": ""}


def copy_as_clone(checkout: Path, work: Path) -> Path:
    """Copy the checkout (without .git) into a fresh one-commit git repository on branch main."""
    copy = work / "bundle-examples"
    shutil.copytree(checkout, copy, ignore=shutil.ignore_patterns(".git", ".databricks"))
    git = ["git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@example.com", "-C", str(copy)]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bundle-examples"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return copy


def provide_python_environments(roots: list[Path]) -> None:
    """A bundle with resources in Python names the virtual environment its `databricks-bundles`
    runs in (`python.venv_path`, made by `uv sync` in a checkout): point each missing one at this
    interpreter's environment, where `scripts/setup --test` installed databricks-bundles."""
    for root in roots:
        config = _load_yaml(root / "databricks.yml")
        section = config.get("python") or (config.get("experimental") or {}).get("python") or {}
        venv = section.get("venv_path") if isinstance(section, dict) else None
        if isinstance(venv, str) and venv and not (root / venv).exists():
            (root / venv).symlink_to(sys.prefix, target_is_directory=True)


def _identity_env(workspace: LocalWorkspace, identity: str, mode: str) -> dict[str, str]:
    """`auto`: a development target as the human user, any other as the CI service principal."""
    if identity == "sp" or (identity == "auto" and mode != "development"):
        return workspace.env()
    return {"DATABRICKS_HOST": workspace.host, "DATABRICKS_TOKEN": workspace.user_token, "DATABRICKS_AUTH_TYPE": "pat"}


class Runner:
    """Runs the stand-in for one bundle/target and turns its output into outcomes."""

    def __init__(self, root: Path, target: str, env: dict[str, str], result: Result) -> None:
        self.root, self.target, self.env, self.result = root, target, env, result

    def run(self, step: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`databricks bundle <args> [-t target]`; a traceback is recorded, a failure raised."""
        argv = [sys.executable, "-m", "bundleops.localcli", "bundle", *args, *(["-t", self.target] if self.target else [])]
        try:
            done = subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as error:
            raise StepFailed("failed", step, f"no answer after {TIMEOUT_SECONDS} s") from error
        output = done.stdout + done.stderr
        if CRASH.search(output):
            self.result.crashes.append(f"{step}: {_last_line(output)}")
            raise StepFailed("crashed", step, _last_line(output))
        if done.returncode != 0:
            errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
            refusals = [line for line in errors if REFUSAL.search(line)]
            if refusals:
                raise StepFailed("refused", step, refusals[0])
            raise StepFailed("rejected" if step == "validate" else "failed", step, errors[0] if errors else f"exit {done.returncode}: {_last_line(output)}")
        return done


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


KINDS = ("jobs", "pipelines", "schemas", "volumes")


def _client(env: dict[str, str]) -> Any:
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=env["DATABRICKS_HOST"], token=env.get("DATABRICKS_TOKEN"),
                           client_id=env.get("DATABRICKS_CLIENT_ID"), client_secret=env.get("DATABRICKS_CLIENT_SECRET"),
                           auth_type=env["DATABRICKS_AUTH_TYPE"])


def _deployed(env: dict[str, str], uc_ids: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """What the workspace holds, read back through databricks-sdk: every job's settings, every pipeline's
    spec, and the schemas and volumes of `uc_ids` (the summary's ids) that exist."""
    from databricks.sdk.errors import NotFound

    client = _client(env)

    def read(get: Any, full_name: str) -> dict[str, Any] | None:
        try:
            return get(full_name).as_dict()
        except NotFound:
            return None

    found = {
        "jobs": {str(job.job_id): client.jobs.get(job.job_id).settings.as_dict() for job in client.jobs.list()},
        "pipelines": {item.pipeline_id: client.pipelines.get(item.pipeline_id).spec.as_dict() for item in client.pipelines.list_pipelines()},
        "schemas": {name: read(client.schemas.get, name) for name in uc_ids.get("schemas", [])},
        "volumes": {name: read(client.volumes.read, name) for name in uc_ids.get("volumes", [])},
    }
    return {kind: {key: value for key, value in resources.items() if value is not None} for kind, resources in found.items()}


def _summary_ids(runner: Runner) -> dict[str, list[str]]:
    """Per kind the ids `bundle summary` gives; a resource without one fails the step."""
    resources = json.loads(runner.run("summary", "summary", "-o", "json").stdout).get("resources") or {}
    missing = sorted(f"{kind}.{key}" for kind in KINDS for key, resource in (resources.get(kind) or {}).items() if not resource.get("id"))
    if missing:
        raise StepFailed("failed", "summary", f"without id in the summary: {missing}")
    return {kind: sorted(str(resource["id"]) for resource in (resources.get(kind) or {}).values()) for kind in KINDS}


def exercise(runner: Runner) -> None:
    """validate, deploy, summary, redeploy (no change), destroy; raises StepFailed on the first miss."""
    runner.run("validate", "validate")
    deployed = False
    ids: dict[str, list[str]] = {}
    try:
        runner.run("deploy", "deploy")
        deployed = True
        ids = _summary_ids(runner)
        before = _deployed(runner.env, ids)
        counted = {kind: sorted(before[kind]) for kind in KINDS}
        if counted != ids:
            raise StepFailed("failed", "summary", f"the summary's ids {ids} are not what the workspace holds {counted}")
        again = runner.run("redeploy", "deploy")
        if not NO_CHANGE.search(again.stderr):
            raise StepFailed("failed", "redeploy", "second deploy changed something: " + _last_line(again.stderr))
        changed = [kind for kind, resources in _deployed(runner.env, ids).items() if resources != before[kind]]
        if changed:
            raise StepFailed("failed", "redeploy", f"{', '.join(changed)} read back differently after the second deploy")
    finally:
        if deployed:
            runner.run("destroy", "destroy", "--auto-approve")
            left = {kind: len(resources) for kind, resources in _deployed(runner.env, ids).items() if resources}
            if left:
                raise StepFailed("failed", "destroy", f"left after destroy: {left}")


def run_one(checkout: Path, root: Path, target: str, identity: tuple[str, str], state: Path) -> Result:
    """One bundle/target against a workspace of its own."""
    result = Result(str(root.relative_to(checkout)), target or "(default)")
    with LocalWorkspace(state) as workspace:
        kept = {key: value for key, value in os.environ.items() if not key.startswith(("DATABRICKS_", "BUNDLE_VAR_"))}
        runner = Runner(root, target, {**kept, **_identity_env(workspace, *identity)}, result)
        try:
            exercise(runner)
        except StepFailed as stop:
            result.outcome, result.step, result.detail = stop.outcome, stop.step, stop.detail
    if result.crashes:
        result.outcome = "crashed"
    return result


def table(results: list[Result], command: str) -> str:
    """The Markdown report: counts by outcome, then one row per bundle/target."""
    per_target = [result.outcome for result in results]
    per_bundle = {result.bundle: "passed" for result in results}
    for result in results:  # a bundle counts as its worst target: crashed > failed > rejected > refused > passed
        per_bundle[result.bundle] = max(per_bundle[result.bundle], result.outcome, key=OUTCOMES.index)
    lines = [
        f"`{command}`", "",
        "| counted | " + " | ".join(OUTCOMES) + " | all |", "|---|" + "---|" * (len(OUTCOMES) + 1),
        *(f"| {name} | " + " | ".join(str(outcomes.count(outcome)) for outcome in OUTCOMES) + f" | {len(outcomes)} |"
          for name, outcomes in (("bundle/targets", per_target), ("bundles (worst target)", list(per_bundle.values())))),
        "",
        "| bundle | target | outcome | step | detail |", "|---|---|---|---|---|",
    ]
    for result in results:
        detail = result.detail.replace("|", "\\|")
        lines.append(f"| {result.bundle} | {result.target} | {result.outcome} | {result.step} | {detail} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="a checkout of databricks/bundle-examples (never modified)")
    parser.add_argument("--report", type=Path, help="also write the table as Markdown to FILE")
    parser.add_argument("--identity", choices=("auto", "user", "sp"), default="auto",
                        help="deploy as the local workspace's human user (PAT) or its CI service principal; "
                             "auto (default): development targets as the user, the others as the service principal")
    parser.add_argument("--only", default="", help="only bundles whose path contains this text")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    if not checkout.is_dir():
        parser.error(f"{checkout} is not a folder")
    results = []
    with tempfile.TemporaryDirectory(prefix="bundle-examples-") as work:
        copy = copy_as_clone(checkout, Path(work))
        bundles = find_bundles(copy)
        provide_python_environments(bundles)
        for index, root in enumerate(bundles):
            if args.only not in str(root.relative_to(copy)):
                continue
            for number, (target, mode) in enumerate(targets_of(root).items()):
                result = run_one(copy, root, target, (args.identity, mode), Path(work) / "workspaces" / f"{index}-{number}")
                print(f"{result.outcome:8} {result.bundle} [{result.target}] {result.step} {result.detail}", file=sys.stderr, flush=True)
                results.append(result)
    command = "python benchmarks/bundle_examples.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = table(results, command)
    print(report)
    if args.report:
        args.report.write_text(report, encoding="utf-8")
    return 1 if any(result.outcome == "crashed" for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
