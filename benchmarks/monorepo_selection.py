"""Selecting the changed bundle of a repository of many: `bundleops plan --format json` as a CI job runs it.

Rerun: .venv/bin/python benchmarks/monorepo_selection.py [--bundles 100] [--runs 5] [--keep DIR]

Makes a git repository of N small bundles (`bundles/bundle_NNN/`: a generated databricks.yml with
three targets, a job, a source file, a bundleops.yml; every tenth one declares `depends_on: [shared/**]`),
commits it on `main`, then on a branch changes one bundle's source file. Timed, each the median
of --runs runs of the console script as a process in a GitLab merge-request environment:
- `plan` selecting from the N bundles (the issue's target: 1 selected in under 2 s),
- the same with `--all` (every bundle planned, no git),
- `plan` in one bundle's own folder (a single-bundle repository: the process start-up floor).
The repository is made in a temporary folder and removed (or kept in --keep DIR, made afresh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUNDLEOPS = Path(sys.executable).parent / "bundleops"
GIT = ("git", "-c", "user.name=benchmark", "-c", "user.email=benchmark@bundleops.invalid", "-c", "commit.gpgsign=false")
CHANGED = 42
MERGE_REQUEST = {
    "GITLAB_CI": "true", "CI": "true", "CI_PROJECT_ID": "1", "CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "7", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_PROJECT_ID": "1", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1",
}


def bundle(name: str) -> dict[str, str]:
    return {
        "databricks.yml": (
            f"bundle:\n  name: {name}\ninclude: [resources/*.yml]\n"
            "targets:\n  dev: {mode: development, default: true}\n  staging: {}\n  prod: {mode: production}\n"
        ),
        f"resources/{name}_job.yml": (
            f"resources:\n  jobs:\n    {name}_job:\n      name: {name}\n      tasks:\n"
            f"        - task_key: main\n          spark_python_task: {{python_file: ../src/{name}.py}}\n"
        ),
        f"src/{name}.py": f"print({name!r})\n",
        "bundleops.yml": "depends_on: ['shared/**']\n" if name.endswith("0") else "default_branch: main\n",
    }


def make_repository(root: Path, count: int) -> str:
    """The repository on branch `feature`, one commit past `main`; returns the changed bundle's folder."""
    for index in range(count):
        name = f"bundle_{index:03d}"
        for relative, text in bundle(name).items():
            path = root / "bundles" / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    (root / "shared").mkdir()
    (root / "shared" / "helpers.py").write_text("VALUE = 1\n", encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch", "main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", f"{count} bundles")
    git(root, "checkout", "--quiet", "-b", "feature")
    changed = f"bundles/bundle_{CHANGED % count:03d}"
    (root / changed / "src" / f"bundle_{CHANGED % count:03d}.py").write_text("print('changed')\n", encoding="utf-8")
    git(root, "commit", "--quiet", "--all", "--message", "change one bundle")
    return changed


def git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=root, check=True)


def timed_plan(cwd: Path, extra: list[str], runs: int) -> tuple[float, dict]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **MERGE_REQUEST}
    timings, document = [], {}
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run([str(BUNDLEOPS), "plan", "--format", "json", *extra], cwd=cwd, env=env, capture_output=True, text=True, check=False)
        timings.append(time.perf_counter() - started)
        if result.returncode != 0:
            sys.exit(f"bundleops plan failed ({result.returncode}): {result.stderr}")
        document = json.loads(result.stdout)
    return statistics.median(timings), document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="make the repository here (emptied first) and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="monorepo-"))
    if args.keep:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
    try:
        changed = make_repository(root, args.bundles)
        print(f"repository: {args.bundles} bundles in {root}; changed: {changed}; median of {args.runs} runs, as a process")
        print("| plan | bundles planned | not selected | time (s) |")
        print("|---|---|---|---|")
        for label, cwd, extra in (
            ("changed bundles (merge request)", root, []),
            ("--all", root, ["--all"]),
            ("one bundle's folder (start-up floor)", root / changed, []),
        ):
            seconds, document = timed_plan(cwd, extra, args.runs)
            print(f"| {label} | {len(document['bundles'])} | {len(document.get('not_selected', []))} | {seconds:.2f} |")
            if label.startswith("changed") and [b["project_root"] for b in document["bundles"]] != [changed]:
                sys.exit(f"expected only {changed} to be selected, got {[b['project_root'] for b in document['bundles']]}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
