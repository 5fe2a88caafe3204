"""The Bitbucket pipelines, checked without running a step: check-jsonschema's built-in Bitbucket
schema (lenient) and bb-run's own parser (`--validate`, `--dry-run --json`) on the shared
configuration, the copy-paste version and the consumer file as Bitbucket resolves its import.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bundleops import __version__
from tests.conformance.harness import REPO_ROOT
from tests.conformance.runners import bitbucket as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

SHARED = REPO_ROOT / "bitbucket" / "shared" / "bundleops-pipelines.yml"
COPY_PASTE = REPO_ROOT / "bitbucket" / "copy-paste" / "bitbucket-pipelines.yml"
DOCS = REPO_ROOT / "docs" / "bitbucket.md"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
# Variables a script may never read: their values come from whoever pushes a branch or opens a PR.
ATTACKER_CONTROLLED = re.compile(r"BITBUCKET_(BRANCH|TAG|PR_\w+|BOOKMARK)")
INSTALL = f'python3 -m pip install --quiet --disable-pip-version-check "${{BUNDLEOPS_SOURCE:-bundleops[local]=={__version__}}}"'
TARGET_STEPS = {"bundleops dev": ("test", None), "bundleops staging": ("staging", None), "bundleops prod": ("production", "manual"), "bundleops rollback prod": ("production", "manual")}
# Steps that read an environment's variables without its deployment lock (`environment:`).
UNLOCKED_STEPS = {"bundleops prod preview": "production", "bundleops sweep": "staging", "bundleops drift prod": "production", "bundleops rollback preview": "production"}


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bitbucket-pipelines.yml of orders_pipeline rendered for Bitbucket."""
    root = tmp_path_factory.mktemp("bitbucket-static")
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "bitbucket"}, root)
    return root / "orders_pipeline" / runner.CONSUMER_FILE


@pytest.fixture(scope="module")
def resolved_repo(consumer: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the consumer file with its import resolved, as bb-run reads it."""
    repo = tmp_path_factory.mktemp("bitbucket-resolved")
    (repo / runner.CONSUMER_FILE).write_text(yaml.safe_dump(runner.resolve_imports(consumer), sort_keys=False), encoding="utf-8")
    return repo


def check_jsonschema(path: Path) -> None:
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.bitbucket-pipelines", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def bb_run(repo: Path, *args: str) -> str:
    result = subprocess.run([str(runner.BB_RUN), "--repo", str(repo), "--color", "never", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_file_matches_the_bitbucket_schema(consumer: Path, resolved_repo: Path) -> None:
    for path in (SHARED, COPY_PASTE, consumer, resolved_repo / runner.CONSUMER_FILE):
        check_jsonschema(path)


@pytest.mark.parametrize(
    ("pipeline", "steps"),
    [
        ("pull-requests.**", ["bundleops plan and unit tests", "bundleops dev", "bundleops staging"]),
        ("branches.main", ["bundleops plan and unit tests", "bundleops dev", "bundleops staging", "bundleops prod preview", "bundleops prod"]),
        ("custom.bundleops-sweep", ["bundleops sweep"]),
        ("custom.bundleops-drift", ["bundleops drift prod"]),
    ],
)
@pytest.mark.parametrize("variant", ["copy-paste", "shared via import"])
def test_bb_run_parses_the_pipelines_and_prod_exists_only_on_main(variant: str, pipeline: str, steps: list[str], resolved_repo: Path) -> None:
    repo = COPY_PASTE.parent if variant == "copy-paste" else resolved_repo
    assert "Valid" in bb_run(repo, "--validate")
    dry_run = json.loads(bb_run(repo, "--dry-run", "--json", "--mode", "host", "--target", pipeline))
    assert [step["name"] for step in dry_run["steps"]] == steps


def test_consumer_file_imports_the_release_and_copy_paste_version_is_the_same_pipelines(consumer: Path) -> None:
    document = yaml.safe_load(consumer.read_text(encoding="utf-8"))
    assert document["definitions"]["imports"] == {"bundleops": f"bundleops:v{__version__}:bitbucket/shared/bundleops-pipelines.yml"}
    assert runner.resolve_imports(consumer)["pipelines"] == yaml.safe_load(COPY_PASTE.read_text(encoding="utf-8"))["pipelines"]


def test_steps_pin_the_release_gate_prod_and_use_deployments_with_oidc() -> None:
    shared = yaml.safe_load(SHARED.read_text(encoding="utf-8"))
    assert shared["export"] is True
    pipelines = shared["definitions"]["pipelines"]
    for name, pipeline in pipelines.items():
        for item in pipeline:
            if "variables" in item:
                continue  # a custom pipeline's variables (bundleops-rollback), checked below
            step = item["step"]
            assert step["oidc"] is True, step["name"]
            assert INSTALL in step["script"], f"{step['name']} does not install bundleops {__version__}"
            if step["name"] == "bundleops staging" and name == "bundleops-pull-request":
                assert (step.get("environment"), "deployment" in step) == ("staging", False), "pull requests take no deployment lock"
            elif step["name"] in TARGET_STEPS:
                assert (step.get("deployment"), step.get("trigger")) == TARGET_STEPS[step["name"]]
                assert step["artifacts"] == ["test-results/**"]
            elif step["name"] in UNLOCKED_STEPS:
                assert (step.get("environment"), "deployment" in step, "trigger" in step) == (UNLOCKED_STEPS[step["name"]], False, False)
            else:
                assert "deployment" not in step and "trigger" not in step
                # bb-run's host mode shares one folder between steps; on Bitbucket only artifacts carry
                # the plan and the unit reports to the later steps.
                assert step["artifacts"] == ["test-results/**", ".bundleops/reports/**"]
    names = [item["step"]["name"] for item in pipelines["bundleops-branch"]]
    assert names.index("bundleops prod preview") == names.index("bundleops prod") - 1, "the plan is shown right before the gate"
    script = "\n".join(pipelines["bundleops-branch"][-1]["step"]["script"])
    # The steps' order and the gated deploy are bundleops run's (tests/run/test_jobs.py).
    assert "BUNDLEOPS_GATED=true" in script and script.endswith('bundleops run --job target --target "$BUNDLEOPS_JOB_TARGET" --project-root "${BUNDLEOPS_PROJECT_ROOT:-.}"')
    preview = "\n".join(pipelines["bundleops-branch"][-2]["step"]["script"])
    assert preview.endswith('bundleops run --job preview --target prod --project-root "${BUNDLEOPS_PROJECT_ROOT:-.}"')
    (sweep,) = [item["step"] for item in pipelines["bundleops-sweep"]]
    assert sweep["script"][-1] == 'bundleops sweep --project-root "${BUNDLEOPS_PROJECT_ROOT:-.}" --target staging --older-than "${BUNDLEOPS_SWEEP_OLDER_THAN:-7d}"'
    (drift,) = [item["step"] for item in pipelines["bundleops-drift"]]
    assert drift["script"][-1] == 'bundleops drift --project-root "${BUNDLEOPS_PROJECT_ROOT:-.}" --target prod'


def test_the_rollback_previews_then_waits_for_the_manual_start_and_takes_its_commit_as_a_variable() -> None:
    pipelines = yaml.safe_load(SHARED.read_text(encoding="utf-8"))["definitions"]["pipelines"]
    variables, preview, rollback = pipelines["bundleops-rollback"]
    assert [spec["name"] for spec in variables["variables"]] == ["BUNDLEOPS_ROLLBACK_TO"]
    command = 'bundleops rollback --project-root "${BUNDLEOPS_PROJECT_ROOT:-.}" --target prod --to "$BUNDLEOPS_ROLLBACK_TO"'
    assert preview["step"]["script"][-1] == command + " --preview-only"
    assert rollback["step"]["script"][-1] == command
    assert preview["step"]["clone"] == rollback["step"]["clone"] == {"depth": "full"}, "the deployed commit's bundle comes from git"


def test_scripts_read_no_attacker_controlled_value() -> None:
    for path in (SHARED, COPY_PASTE):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                assert not ATTACKER_CONTROLLED.search(line), f"{path.name} reads an attacker-controlled variable: {line}"


def test_resolving_refuses_imports_of_other_repositories(tmp_path: Path) -> None:
    other = tmp_path / runner.CONSUMER_FILE
    other.write_text("definitions:\n  imports:\n    x: other-repo:main:pipelines.yml\npipelines:\n  default:\n    import: build@x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="only imports of the bundleops repository"):
        runner.resolve_imports(other)


def test_docs_show_the_consumer_file_the_conformance_suite_runs(consumer: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- consumer-file: bitbucket-pipelines\.yml -->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOCS} has no consumer-file block"
    assert block.group(1) == consumer.read_text(encoding="utf-8")
