"""A repository of three bundles with shared code, run through a vendor's runner (issue 23).

    .gitlab-ci.yml (or the vendor's CI file)     the one CI file, at the root
    shared/helpers.py                              code two bundles use
    bundles/orders/    bundleops.yml depends_on: [shared]
    bundles/billing/   bundleops.yml depends_on: [shared/**/*.py]
    bundles/reports/   no dependency

Each bundle is the shipped example under its own bundle name. Their rules plan `validate` on
staging for a pull request: the fan-out (which bundles, how many at a time, each bundle's result)
is the subject here, and the steps after validate are the single-bundle suite's.
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.conformance import harness
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

BUNDLES = {"orders": ["shared"], "billing": ["shared/**/*.py"], "reports": []}
CI_FILES = (".github", ".gitlab-ci.yml", "azure-pipelines.yml", "azure-pipelines-sweep.yml", "azure-pipelines-operations.yml", "Jenkinsfile", "Jenkinsfile.sweep", "Jenkinsfile.operations", "bitbucket-pipelines.yml", ".gitignore")
RULES = """
rules:
  - name: pull-request
    when: {event: pull_request, pull_request_state: open}
    target: staging
    steps: [validate]
  - name: fallback
    steps: []
"""


@dataclass(frozen=True)
class MonorepoRun:
    run: harness.VendorRun
    # (bundle, step, target) of every step the run started, sorted: bundles run in parallel.
    trace: list[tuple[str, str, str | None]]


def make_monorepo(vendor: str, workdir: Path) -> Path:
    """The three-bundle repository with the vendor's CI file at its root, `main` committed."""
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": vendor}, workdir / "rendered")
    rendered = workdir / "rendered" / EXAMPLE_INPUTS["project_name"]
    repository = workdir / "repository"
    repository.mkdir()
    for entry in rendered.iterdir():
        if entry.name in CI_FILES:
            shutil.move(str(entry), repository / entry.name)
    for name, depends_on in BUNDLES.items():
        bundle = repository / "bundles" / name
        shutil.copytree(rendered, bundle)
        databricks_yml = bundle / "databricks.yml"
        databricks_yml.write_text(databricks_yml.read_text(encoding="utf-8").replace("  name: orders_pipeline\n", f"  name: {name}\n", 1), encoding="utf-8")
        config = bundle / "bundleops.yml"
        extra = f"depends_on: {depends_on}\n" if depends_on else ""
        config.write_text(config.read_text(encoding="utf-8") + RULES + extra, encoding="utf-8")
    (repository / "shared").mkdir()
    (repository / "shared" / "helpers.py").write_text("def cents(amount):\n    return round(amount * 100)\n", encoding="utf-8")
    harness.git(repository, "init", "-q", "-b", "main")
    harness.git(repository, "add", "-A")
    harness.git(repository, "commit", "-q", "-m", "Three bundles")
    return repository


def run_pull_request(
    vendor: str, workspace: harness.Workspace, workdir: Path, changed: list[str], *, edit: Callable[[Path], None] | None = None,
) -> MonorepoRun:
    """A pull request from `feature/orders` that appends a line to each file of `changed` (and makes
    `edit`'s changes), run by the vendor's runner."""
    repository = make_monorepo(vendor, workdir)
    harness.git(repository, "checkout", "-q", "-b", harness.FEATURE_BRANCH)
    for name in changed:
        path = repository / name
        path.write_text(path.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    if edit is not None:
        edit(repository)
    harness.git(repository, "commit", "-q", "-am", harness.PR_TITLE)
    trace_file = workdir / "trace.jsonl"
    env = harness.pipeline_env(workspace, trace_file)
    env["BUNDLEOPS_TEST_BRANCH"] = harness.FEATURE_BRANCH
    env["BUNDLEOPS_TEST_PR_TITLE"] = harness.PR_TITLE
    runner = importlib.import_module(f"tests.conformance.runners.{vendor}")
    result = runner.run("pull_request", repository, env, workdir / "runner")
    log = (result.stdout or "") + (result.stderr or "")
    run = harness.VendorRun(vendor, "pull_request", repository, result.returncode, harness.steps_run(trace_file), log)
    entries = harness.read_trace(trace_file)
    return MonorepoRun(run, sorted((str(e.get("bundle")), str(e["step"]), e["target"]) for e in entries))
