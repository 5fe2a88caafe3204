"""Fidelity cases: a bundle of ours, the command, and what the real databricks CLI printed for it.

Each case names the recorded acceptance test of databricks/cli (`acceptance/bundle/<case>`, whose
output files are the real CLI's own output) that it was written from, so the next CLI version
can be rechecked against the same construct. The files are ours: the bundles are rewritten
small, the expectations copied by hand from the recorded output with its placeholders.

A case is `match` (the stand-in prints what the real CLI printed), `differs` (a known
difference, with the reason) or `refused` (outside the stand-in's subset: it says so by name).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bundleops.localcli import VERSION
from tests.support import standin

CASES = Path(__file__).parent / "cases"
REFUSAL = "not supported by the databricks CLI stand-in"
STATUSES = ("match", "differs", "refused")


@dataclass(frozen=True)
class Case:
    rule: str
    name: str
    recorded: str
    files: dict[str, str]
    run: list[str]
    expect: dict[str, Any]
    status: str = "match"
    reason: str = ""
    env: dict[str, str] = field(default_factory=dict)
    git: dict[str, str] | None = None
    # Steps before `run` (the recorded scripts' earlier lines): `run: [...]` (with `stdout_to: FILE`),
    # `write: {file: text}`, `patch_json: {file: F, set: {key: value}}`; a failed `run` is a difference.
    before: list[dict[str, Any]] = field(default_factory=list)
    # The recorded script ran under `uv run`: a virtual environment with databricks-bundles is
    # first on PATH (here the test suite's own, where scripts/setup installed it).
    uv_run: bool = False

    @property
    def id(self) -> str:
        return f"{self.rule}: {self.name}"


@dataclass(frozen=True)
class Identity:
    """Who the stand-in runs as, for the recorded output's placeholders."""

    host: str
    token: str
    user_name: str
    short_name: str


@dataclass(frozen=True)
class Outcome:
    status: str
    differences: list[str]


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in document["cases"]:
            cases.append(Case(rule=document["rule"], **entry))
    return cases


def _write_project(case: Case, folder: Path) -> dict[str, str]:
    for name, text in case.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    if case.git is None:
        return {}
    git = ["git", "-C", str(folder), "-c", "user.name=fidelity", "-c", "user.email=fidelity@example.com"]
    subprocess.run([*git, "init", "-q", "-b", case.git.get("branch", "main")], check=True)
    if case.git.get("origin"):
        subprocess.run([*git, "remote", "add", "origin", case.git["origin"]], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fidelity"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return {"[COMMIT_SHA]": sha}


def _placeholders(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, actual in replacements.items():
            value = value.replace(placeholder, actual)
        return value
    if isinstance(value, list):
        return [_placeholders(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: _placeholders(item, replacements) for key, item in value.items()}
    return value


def _select(document: Any, path: str) -> Any:
    """Follow a dotted path; a key that itself holds dots (`resources.jobs.x` in a plan) is matched
    whole; `job_clusters[0]` takes a list's item."""
    parts = path.split(".") if path else []
    while parts:
        if not isinstance(document, dict):
            return None
        length = next((n for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in document), 1)
        key, indexes = re.fullmatch(r"(.*?)((?:\[[0-9]+\])*)", ".".join(parts[:length])).groups()  # type: ignore[union-attr]
        document, parts = document.get(key), parts[length:]
        for index in re.findall(r"[0-9]+", indexes):
            document = document[int(index)] if isinstance(document, list) and int(index) < len(document) else None
    return document


def _stand_in(args: list[str], folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([standin.databricks(), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False)


def _run_before(case: Case, folder: Path, env: dict[str, str]) -> list[str]:
    """The steps that bring the workspace and the project where the recorded command ran; what failed."""
    failures = []
    for step in case.before:
        if "run" in step:
            result = _stand_in(step["run"], folder, env)
            if result.returncode != 0:
                failures.append(f"before: {' '.join(step['run'])} exited {result.returncode}: {result.stderr[-500:]}")
            if "stdout_to" in step:
                (folder / step["stdout_to"]).write_text(result.stdout, encoding="utf-8")
        for name, text in (step.get("write") or {}).items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        if "patch_json" in step:
            target = folder / step["patch_json"]["file"]
            target.write_text(json.dumps({**json.loads(target.read_text(encoding="utf-8")), **step["patch_json"]["set"]}), encoding="utf-8")
    return failures


def diagnostics_of(stderr: str) -> list[str]:
    """Every diagnostic (`Error: ...`, `Warning: ...`, `Recommendation: ...`) in order: its first
    line, then its `at <path>` and `in <file>:<line>:<column>` lines, joined by newlines."""
    found: list[str] = []
    for line in stderr.splitlines():
        if line.startswith(("Error: ", "Warning: ", "Warn: ", "Recommendation: ")):
            found.append(line)
        elif found and line.startswith(("  at ", "  in ", "     ")) and found[-1].count("\n") < 8:
            found[-1] += "\n" + line
    return found


def run_case(case: Case, identity: Identity, folder: Path) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    replacements = {
        "[USERNAME]": identity.user_name,
        "[SHORT_NAME]": identity.short_name,
        "[PROJECT]": str(folder.resolve()),
        "[CLI_VERSION]": VERSION,
        **_write_project(case, folder),
    }
    env = {
        "PATH": (f"{Path(sys.executable).parent}:" if case.uv_run else "") + "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(folder),
        "DATABRICKS_HOST": identity.host,
        "DATABRICKS_TOKEN": identity.token,
        **case.env,
    }
    differences = _run_before(case, folder, env)
    result = _stand_in(case.run, folder, env)
    expect = _placeholders(case.expect, replacements)
    if "Traceback" in result.stderr:
        differences.append("crashed:\n" + result.stderr[-2000:])
    if "exit" in expect and result.returncode != expect["exit"]:
        differences.append(f"exit code {result.returncode}, recorded {expect['exit']}")
    if "diagnostics" in expect and diagnostics_of(result.stderr) != expect["diagnostics"]:
        differences.append(f"diagnostics {diagnostics_of(result.stderr)}, recorded {expect['diagnostics']}")
    if "stderr" in expect and result.stderr != expect["stderr"]:
        differences.append(f"stderr {result.stderr!r}, recorded {expect['stderr']!r}")
    missing = [line for line in expect.get("stderr_has") or [] if line not in result.stderr.splitlines()]
    if missing:
        differences.append(f"stderr lacks {missing}:\n{result.stderr[-1000:]}")
    if "stdout" in expect and result.stdout != expect["stdout"]:
        differences.append(f"stdout {result.stdout!r}, recorded {expect['stdout']!r}")
    for path, recorded in (expect.get("json") or {}).items():
        try:
            actual = _select(json.loads(result.stdout), path)
        except json.JSONDecodeError:
            actual = f"<no JSON: {result.stdout[:200]!r}>"
        if actual != recorded:
            differences.append(f"{path or 'output'}: {json.dumps(actual, sort_keys=True)}\n  recorded: {json.dumps(recorded, sort_keys=True)}")
    if REFUSAL in result.stderr:
        return Outcome("refused", differences)
    return Outcome("differs" if differences else "match", differences)
